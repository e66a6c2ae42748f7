"""The keyed dedup decision (`transforms/dedup/keyed.py`, for distributed runners) against the
one-combine decision (`batch.py`, the local default) on the DirectRunner, same segments, same process.

Run: ``.venv/bin/python benchmarks/bench_dedup_keyed.py [--sizes 10000 30000]``.

Why: `--dedup-decision auto` picks the combine on the local runners because the keyed path shuffles
every fingerprint once per LSH band; this measures what that shuffle costs on one machine (the
baseline is the combine, run first on the same synthetic segments as `bench_dedup.py`).
"""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_dedup import beam_dedup, make_segments, peak_rss_mb, synthetic_texts, vocabulary

from transforms.dedup import NearDedupConfig
from transforms.dedup.batch import DeduplicateDocuments
from transforms.dedup.keyed import DeduplicateDocumentsKeyed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 30_000])
    args = parser.parse_args()
    config = NearDedupConfig()
    words, probs = vocabulary()
    print(f"{'segments':>9} | {'combine s':>9} | {'keyed s':>8} | {'keyed/combine':>13} | peak RSS")
    for n in args.sizes:
        segments = make_segments(synthetic_texts(n, words, probs))
        combine = beam_dedup(segments, config, DeduplicateDocuments)
        keyed = beam_dedup(segments, config, DeduplicateDocumentsKeyed)
        print(f"{n:>9,} | {combine:9.1f} | {keyed:8.1f} | {keyed / combine:13.2f} | {peak_rss_mb():.0f} MB")
        del segments
        gc.collect()


if __name__ == "__main__":
    main()
