"""Dedup throughput and persistent-index size at 10k, 100k and 1M synthetic segments.

Run: ``.venv/bin/python benchmarks/bench_dedup.py [--max 1000000] [--beam-max 100000]``.

Why synthetic: no real corpus of a million French sentences ships with the project. The sentences
are drawn from the real vocabulary of the seeds and French TimeBank with its real word frequencies
(so common bigrams like "de la" collide in LSH buckets as in news), and ~30% are copies (half exact,
half near: a word dropped, substituted or a clause appended), as in wire-fed news.

Measured:
(a) the pure per-worker cost: `fingerprint()` of every segment, exact grouping by content hash,
    band-key grouping in a dict, `bucket_edges` per bucket of >= 2 members, `resolve_clusters`;
(b) the batch dedup (`DeduplicateDocuments`) end to end on the DirectRunner (10k and 100k);
(c) the `_state/segments` index (rows as `state_rows` writes them) as zstd Parquet.
Costs should grow linearly: the ratio 100k/10k of times should be close to 10.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import re
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import apache_beam as beam  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from schemas.tables import TABLES  # noqa: E402
from transforms.dedup import NearDedupConfig  # noqa: E402
from transforms.dedup.batch import DeduplicateDocuments  # noqa: E402
from transforms.dedup.decide import fingerprint_segments, verdicts_for  # noqa: E402
from transforms.dedup.near import Fingerprint, bucket_edges, fingerprint, resolve_clusters  # noqa: E402
from transforms.records import Document, Segment  # noqa: E402
from transforms.segment import normalize_for_hash  # noqa: E402

TIMEBANK = Path(__file__).resolve().parents[1] / "tests" / "data" / "french-timebank-dev"
SEGMENTS_PER_DOC = 20
COPY_SHARE = 0.3
PURE_BUDGET_S = 180.0  # above this estimated time at 1M, measure 300k and extrapolate
_WORD = re.compile(r"[^\W\d_]+")


def vocabulary() -> tuple[list[str], np.ndarray]:
    """Real French words of the seeds and TimeBank with their corpus frequencies (as probabilities)."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    for p in sorted(TIMEBANK.glob("*.tml")):
        match = re.search(r"<TEXT>(.*?)</TEXT>", p.read_text(encoding="utf-8"), re.S)
        if match:
            texts.append(re.sub(r"<[^>]+>", "", match.group(1)))
    counts = Counter(w for t in texts for w in normalize_for_hash(t).split() if _WORD.fullmatch(w))
    words = sorted(counts)
    freq = np.array([counts[w] for w in words], dtype=np.float64)
    return words, freq / freq.sum()


def synthetic_texts(n: int, words: list[str], probs: np.ndarray, seed: int = 13) -> list[str]:
    """n sentences of 8-35 words; COPY_SHARE of them copies of an earlier one (half exact, half near)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(8, 36, size=n)
    pool = rng.choice(len(words), size=int(lengths.sum()), p=probs)
    is_copy = rng.random(n) < COPY_SHARE
    is_copy[0] = False
    texts: list[str] = []
    position = 0
    for i in range(n):
        tokens = [words[k] for k in pool[position : position + lengths[i]]]
        position += lengths[i]
        if is_copy[i]:
            source = texts[int(rng.integers(0, i))].split()
            kind = int(rng.integers(0, 6))
            if kind == 3 and len(source) > 8:  # one word dropped
                del source[int(rng.integers(0, len(source)))]
            elif kind == 4:  # one word substituted
                source[int(rng.integers(0, len(source)))] = tokens[0]
            elif kind == 5:  # a clause appended
                source += tokens[:6]
            tokens = source  # kinds 0-2: exact copy
        texts.append(" ".join(tokens).capitalize() + ".")
    return texts


def make_segments(texts: list[str]) -> list[Segment]:
    """Segments as `segment_document` would make them, 20 per document, documents in input order."""
    segments = []
    for i, text in enumerate(texts):
        doc, index = divmod(i, SEGMENTS_PER_DOC)
        doc_id = hashlib.blake2b(str(doc).encode(), digest_size=8).hexdigest()
        normalized = normalize_for_hash(text)
        segments.append(
            Segment(
                doc_id=doc_id,
                segment_id=f"{doc_id}-p0000-s{index:04d}",
                paragraph_index=0,
                sentence_index=index,
                start_char=0,
                end_char=len(text),
                text=text,
                content_hash=hashlib.blake2b(normalized.encode(), digest_size=8).hexdigest(),
                doc_order=(1, False, doc, f"doc{doc:08d}.txt"),
            )
        )
    return segments


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def pure_dedup(segments: list[Segment], config: NearDedupConfig) -> tuple[dict[str, float], list, dict]:
    """The per-worker work, phase by phase; returns (seconds per phase, canonical fingerprints, clusters)."""
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    prints = [fingerprint(s.segment_id, s.order_key, s.text, config) for s in segments]
    times["fingerprint"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    by_hash: dict[str, int] = {}
    canonical: list[tuple[Segment, Fingerprint]] = []
    for segment, found in zip(segments, prints, strict=True):  # input is in canonical order already
        if segment.content_hash not in by_hash:
            by_hash[segment.content_hash] = 1
            if found is not None:
                canonical.append((segment, found))
    buckets: dict[int, list[Fingerprint]] = defaultdict(list)
    for _, found in canonical:
        for band in found.bands:
            buckets[band].append(found)
    times["group"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    edges = {e for members in buckets.values() if len(members) > 1 for e in bucket_edges(members, config)}
    times["bucket_edges"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    clusters = resolve_clusters(edges)
    times["resolve"] = time.perf_counter() - t0
    del buckets
    return times, canonical, clusters


def beam_dedup(
    segments: list[Segment], config: NearDedupConfig, decision: type[beam.PTransform] = DeduplicateDocuments
) -> float:
    """Seconds for the batch dedup (`DeduplicateDocuments`, what `newsbeam run` runs on one machine,
    or another wrapper with its arguments) end to end on the DirectRunner, fingerprinting included
    (pipeline construction included)."""
    by_doc: dict[str, list[Segment]] = defaultdict(list)
    for segment in segments:
        by_doc[segment.doc_id].append(segment)
    documents = [
        (Document(doc_id, doc_id, "", "", "utf-8"), tuple(items)) for doc_id, items in by_doc.items()
    ]
    t0 = time.perf_counter()
    with beam.Pipeline() as p:
        segmented = (
            p
            | beam.Create(documents)
            | beam.MapTuple(lambda doc, items: (doc, tuple(fingerprint_segments(items, config))))
        )
        duplicates = segmented | decision(config)
        _ = (
            segmented
            | beam.FlatMap(
                lambda element, found: verdicts_for(element[1], found),
                beam.pvalue.AsSingleton(duplicates, default_value={}),
            )
            | beam.combiners.Count.Globally()
            | beam.Map(_check_count, len(segments))
        )
    return time.perf_counter() - t0


def _check_count(n: int, expected: int) -> None:
    if n != expected:
        raise AssertionError(f"{n} verdicts for {expected} segments")


def index_size(canonical: list[tuple[Segment, Fingerprint]]) -> int:
    """Bytes of the `_state/segments` rows of these canonical segments as one zstd Parquet file."""
    schema = TABLES["state_segments"]
    table = pa.table(
        {
            "segment_id": [s.segment_id for s, _ in canonical],
            "content_hash": [s.content_hash for s, _ in canonical],
            "shingles": [list(f.shingles) for _, f in canonical],
            "bands": [list(f.bands) for _, f in canonical],
            "run_id": ["20261124T081730Z-afbb2a"] * len(canonical),
        },
        schema=schema,
    )
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "state.parquet")
        pq.write_table(table, path, compression="zstd")
        return os.path.getsize(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=1_000_000, help="largest size measured (pure functions)")
    parser.add_argument("--beam-max", type=int, default=100_000, help="largest size run through Beam")
    args = parser.parse_args()
    config = NearDedupConfig()
    words, probs = vocabulary()
    print(f"vocabulary: {len(words)} real French words (seeds + TimeBank); copies: {COPY_SHARE:.0%}")

    rows = []  # (n, measured n, pure s, phases, beam s, index bytes, index rows, near, exact, rss, note)
    for n in [size for size in (10_000, 100_000, 1_000_000) if size <= args.max]:
        measured_n, note = n, ""
        if n == 1_000_000 and rows:
            estimate = rows[-1][2] * n / rows[-1][1]
            if estimate > PURE_BUDGET_S:
                measured_n = 300_000
                note = f"extrapolated x{n / measured_n:.2f} from a measured 300k (estimate {estimate:.0f} s)"
        texts = synthetic_texts(measured_n, words, probs)
        segments = make_segments(texts)
        del texts
        times, canonical, clusters = pure_dedup(segments, config)
        scale = n / measured_n
        pure = sum(times.values()) * scale
        n_exact = len(segments) - len({s.content_hash for s in segments})
        size = index_size(canonical) * scale
        n_rows = len(canonical) * scale
        rss_pure = peak_rss_mb()  # before Beam: the DirectRunner holds every band element in memory
        beam_s = beam_dedup(segments, config) if n <= args.beam_max else None
        rss = (rss_pure, peak_rss_mb())
        rows.append((n, measured_n, pure, times, beam_s, size, n_rows, len(clusters), n_exact, rss, note))
        del segments, canonical, clusters
        gc.collect()

    print()
    header = (
        f"{'segments':>9} | {'pure s':>7} {'seg/s':>8} | {'fingerp.':>8} {'group':>6} {'edges':>6}"
        f" {'resolve':>7} | {'beam s':>7} {'seg/s':>6} | {'index MB':>8} {'B/row':>6} {'MB/M seg':>8}"
        f" | {'near':>6} {'exact':>6} | {'peak RSS pure/+beam':>19}"
    )
    print(header)
    print("-" * len(header))
    for n, _measured_n, pure, times, beam_s, size, n_rows, n_near, n_exact, rss, note in rows:
        beam_cols = f"{beam_s:7.1f} {n / beam_s:6.0f}" if beam_s else f"{'-':>7} {'-':>6}"
        star = "*" if note else " "
        print(
            f"{n:>9,}{star}| {pure:7.1f} {n / pure:8.0f} | {times['fingerprint']:8.1f} {times['group']:6.1f}"
            f" {times['bucket_edges']:6.1f} {times['resolve']:7.2f} | {beam_cols} | {size / 1e6:8.1f}"
            f" {size / n_rows:6.0f} {size / n:8.1f} | {n_near:6} {n_exact:6} |"
            f" {rss[0]:6.0f}/{rss[1]:.0f} MB"
        )
    for n, *_, note in rows:
        if note:
            print(f"* {n:,}: {note}; phase columns are the measured 300k times, counts of the 300k run")
    print("  seg/s = input segments per second; B/row = Parquet bytes per `_state/segments` row")
    print("  (canonical, eligible segments only); MB/M seg = index MB per million input segments;")
    print("  near/exact = near-duplicate / exact copies found; peak RSS (ru_maxrss, monotonic)")
    print("  of the process before / after its Beam run.")
    by_n = {r[0]: r for r in rows}
    for big, small in ((100_000, 10_000), (1_000_000, 100_000)):
        if big in by_n and small in by_n:
            line = f"ratio {big // 1000}k/{small // 1000}k: pure {by_n[big][2] / by_n[small][2]:.1f}x"
            if by_n[big][4] and by_n[small][4]:
                line += f", beam {by_n[big][4] / by_n[small][4]:.1f}x"
            print(line + f", index {by_n[big][5] / by_n[small][5]:.1f}x (linear = {big // small}x)")


if __name__ == "__main__":
    main()
