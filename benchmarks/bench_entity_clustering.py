"""Scaling of ``build_clusters`` on 10k and 100k distinct synthetic person names.

Names are first + last name combinations: a fixed pool of first names (as in real news, first names
are a limited set) and a surname pool that grows with the corpus (surnames are the long tail), plus
20% spelling variants (typos, doubled letters, particles). Blocking should make the cost grow
linearly: the printed time ratio 100k/10k should be close to 10.

Run: .venv/bin/python benchmarks/bench_entity_clustering.py [--sizes 10000 100000]
"""

from __future__ import annotations

import argparse
import random
import resource
import time
import tracemalloc

from transforms.entities.cluster import build_clusters
from transforms.entities.gazetteer import lookup_place
from transforms.entities.names import name_key
from transforms.entities.records import FormStats, NameStats

_ONSETS = ["b", "d", "f", "g", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "ch", "kh", "z", "h"]
_VOWELS = ["a", "e", "i", "o", "ou", "au"]
_CODAS = ["", "", "n", "r", "l", "s", "d"]


def _word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables))


def _pool(rng: random.Random, size: int, syllables: tuple[int, int]) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add(_word(rng, rng.randint(*syllables)).capitalize())
    return sorted(words)


def _variant(name: str, rng: random.Random) -> str:
    first, last = name.split(" ", 1)
    choice = rng.randrange(3)
    if choice == 0 and len(last) > 5:
        i = rng.randrange(1, len(last) - 1)
        return f"{first} {last[:i]}{rng.choice('aeiou')}{last[i + 1 :]}"
    if choice == 1:
        i = rng.randrange(1, len(last))
        return f"{first} {last[:i]}{last[i - 1]}{last[i:]}"
    return f"{first} al-{last}"


def synthetic_names(n: int, seed: int = 11) -> list[str]:
    """``n`` distinct names, about 80% base names and 20% variants of them."""
    rng = random.Random(seed)
    firsts = _pool(rng, 500, (2, 3))
    lasts = _pool(rng, max(200, n // 4), (2, 4))
    names: set[str] = set()
    while len(names) < int(n * 0.8):
        names.add(f"{rng.choice(firsts)} {rng.choice(lasts)}")
    base = sorted(names)
    while len(names) < n:
        names.add(_variant(rng.choice(base), rng))
    return sorted(names)


def stats_for(names: list[str]) -> NameStats:
    """What ``summarize`` would produce if each name were mentioned once as PER."""
    stats = NameStats()
    for name in names:
        key = name_key(name)
        form = stats.forms.setdefault(key, FormStats())
        form.mentions += 1
        form.labels["PER"] = form.labels.get("PER", 0) + 1
        form.surfaces[name] = form.surfaces.get(name, 0) + 1
        form.full_forms[name] = form.full_forms.get(name, 0) + 1
    return stats


def run(size: int) -> float:
    """Time one build (untraced), then measure its peak Python allocation in a second, traced build."""
    stats = stats_for(synthetic_names(size))
    started = time.perf_counter()
    index = build_clusters(stats)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    build_clusters(stats)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{size:>7} names: {elapsed:6.2f} s, {size / elapsed:7.0f} names/s, "
        f"{len(index.clusters):>6} clusters, peak traced {peak / 2**20:6.1f} MiB, max RSS {rss:.0f} MiB"
    )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    lookup_place("Paris")  # load the gazetteer outside the timed region (one-off, ~4 s)
    times = [run(size) for size in args.sizes]
    for (small, t_small), (large, t_large) in zip(
        zip(args.sizes, times, strict=True), zip(args.sizes[1:], times[1:], strict=True), strict=False
    ):
        print(f"time ratio {large}/{small}: {t_large / t_small:.1f}x for {large / small:.0f}x names")


if __name__ == "__main__":
    main()
