"""Throughput and French TimeBank scores of `extract_dates`, next to the dateparser baseline.

Run: ``.venv/bin/python benchmarks/bench_dates.py [--docs 2000] [--corpus DIR] [--no-baseline]``.
Throughput is measured on real text (TimeBank bodies + seeds, replicated) because speed depends on how
many cue words a text contains; the scores use each document's DCT as the anchor.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from transforms.dates.extract import extract_dates  # noqa: E402
from transforms.dates.timebank import TimebankDoc, dateparser_baseline, load_corpus, score  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "french-timebank-dev"
_HEADER = re.compile(r"^\s*date\s+(\d{4}-\d{2}(?:-\d{2})?)\s*")


def _seed_texts() -> list[str]:
    """Seed article bodies, header line removed."""
    out = []
    for p in sorted((ROOT / "seeds").glob("*.txt")):
        text = p.read_text(encoding="utf-8")
        m = _HEADER.match(text)
        out.append(text[m.end() :] if m else text)
    return out


def throughput(texts: list[str], n_docs: int) -> tuple[float, float]:
    """(docs/s, mentions/s) of extract_dates over `n_docs` texts cycled from `texts`."""
    batch = [texts[i % len(texts)] for i in range(n_docs)]
    t0 = time.perf_counter()
    n_mentions = sum(len(extract_dates(t)) for t in batch)
    dt = time.perf_counter() - t0
    return n_docs / dt, n_mentions / dt


def predictions(docs: list[TimebankDoc]) -> dict[str, list[tuple[int, int, str | None]]]:
    """extract_dates output as scoring tuples, DCT as anchor."""
    return {d.name: [(m.start, m.end, m.value) for m in extract_dates(d.text, d.dct)] for d in docs}


def _prf_cell(s: dict[str, float], key: str) -> str:
    """'P/R/F1' cell of the score table."""
    return f"{s[key + '_p']:.2f}/{s[key + '_r']:.2f}/{s[key + '_f1']:.2f}"


def main() -> None:
    """Print throughput, then one score table (ours vs dateparser)."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--no-baseline", action="store_true", help="skip dateparser (slow)")
    args = ap.parse_args()

    docs = load_corpus(args.corpus)
    texts = [d.text for d in docs] + _seed_texts()
    mean_chars = sum(len(t) for t in texts) / len(texts)
    dps, mps = throughput(texts, args.docs)
    print(
        f"throughput: {args.docs} docs (mean {mean_chars:.0f} chars): "
        f"{dps:,.0f} docs/s, {mps:,.0f} mentions/s"
    )

    gold = {d.name: d.gold for d in docs}
    rows = [("extract_dates", score(gold, predictions(docs)))]
    if not args.no_baseline:
        t0 = time.perf_counter()
        base = {d.name: dateparser_baseline(d) for d in docs}
        base_dps = len(docs) / (time.perf_counter() - t0)
        rows.append((f"dateparser ({base_dps:,.0f} docs/s)", score(gold, base)))
    n_gold = int(rows[0][1]["n_gold"])
    print(f"\nFrench TimeBank ({args.corpus.name}, {len(docs)} docs, {n_gold} gold DATE/TIME)")
    head = f"{'system':28} {'pred':>5} {'strict P/R/F1':>20} {'relaxed P/R/F1':>20} {'value P/R/F1':>20}"
    print(head)
    print("-" * len(head))
    for name, s in rows:
        cells = [_prf_cell(s, k) for k in ("strict", "relaxed", "value")]
        print(f"{name:28} {int(s['n_pred']):>5} {cells[0]:>20} {cells[1]:>20} {cells[2]:>20}")


if __name__ == "__main__":
    main()
