"""Quality on real news: newsbeam on the 100 Wikinews articles, scored against the hand-labelled sets.

Run: ``.venv/bin/python benchmarks/eval_wikinews.py [--output DIR] [--json FILE]``. Runs the real CLI on
`tests/data/wikinews-fr-2012/*.txt` (into a temporary folder unless --output names one that already
holds a run), then prints what the README's "Quality on real news" section quotes:

- publication dates: share dated, share right, where they came from; and content inference alone on
  the same articles with their datelines removed (what the last-resort rule would do without them);
- entity mentions (span + label + canonical) precision / recall / F1 with 95 % bootstrap intervals,
  and the span, label and canonical parts;
- clusters: pairwise precision / recall, B-cubed, the labelled entities a predicted cluster merges;
- the effect of the type corrections (cluster label against spaCy's own label, on labelled mentions);
- the 25 largest clusters of the whole corpus (by number of distinct aliases), for reading.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.quality.gold import DATA, load_entities, load_mentions  # noqa: E402
from tests.quality.score import (  # noqa: E402
    read_predictions,
    read_pub_dates,
    score_clusters,
    score_mentions,
    score_pub_dates,
)


def run_pipeline(output: Path) -> None:
    newsbeam = Path(sys.executable).parent / "newsbeam"
    subprocess.run(
        [
            str(newsbeam),
            "run",
            "-i",
            str(DATA / "*.txt"),
            "-o",
            str(output),
            "--no-progress",
            "--no-counters",
        ],
        check=True,
        capture_output=True,
    )


def content_inference_without_datelines() -> tuple[int, int, list[str]]:
    """(articles dated, right, wrong ones) by content inference alone once datelines are removed."""
    from tests.quality.gold import load_pub_dates
    from transforms.dates.content_date import infer_pub_date
    from transforms.dates.publication import dateline_date

    gold = load_pub_dates()
    dated = right = 0
    wrong = []
    for path in sorted(DATA.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        line = dateline_date(text)
        if line is not None:
            text = text[: line.start] + text[line.end :].lstrip(" .-")
        found = infer_pub_date(text)
        if found:
            dated += 1
            if found[0].isoformat() == gold[path.stem]:
                right += 1
            else:
                wrong.append(f"{path.stem}: {found[0]} (gold {gold[path.stem]})")
    return dated, right, wrong


def type_corrections(output: Path) -> dict[str, Counter]:
    """On labelled mentions found with their span: per rule, corrections of spaCy's label that helped
    ("better"), hurt ("worse") or changed a wrong label into another wrong one ("neutral")."""
    import duckdb

    from transforms.entities.gazetteer import lookup_place
    from transforms.entities.names import is_acronym
    from transforms.entities.types import HEAD_TYPES, is_demonym, is_event

    def rule(canonical: str, label: str) -> str:
        if is_event(canonical) and label == "MISC":
            return "event"
        if (
            " " in canonical
            and canonical.split()[0] in HEAD_TYPES
            and HEAD_TYPES[canonical.split()[0]] == label
        ):
            return "lowercase head"
        place = None if is_acronym(canonical) else lookup_place(canonical)
        if label == "MISC" and place is None and is_demonym(canonical):
            return "demonym"
        if label == "ORG" and place is None and is_acronym(canonical):
            return "unknown acronym"
        return "cluster vote (spaCy labels, titles, gazetteer)"

    gold = {(m.doc, m.start, m.end): m for m in load_mentions()}
    rows = duckdb.sql(
        f"""select regexp_extract(d.source, '([^/]+)\\.txt$', 1), e.start_char, e.end_char, e.label,
                   e.model_label, e.canonical
            from read_parquet('{output}/entities/**/*.parquet', hive_partitioning=true) e
            join read_parquet('{output}/documents/**/*.parquet', hive_partitioning=true,
                              union_by_name=true) d using (doc_id)"""
    ).fetchall()
    effect: dict[str, Counter] = {}
    for doc, start, end, label, model, canonical in rows:
        g = gold.get((doc, start, end))
        if g is None or label == model:
            continue
        verdict = "better" if label == g.label else "worse" if model == g.label else "neutral"
        effect.setdefault(rule(canonical, label), Counter())[verdict] += 1
    return effect


def largest_clusters(output: Path, n: int = 25) -> list[dict]:
    import duckdb

    rows = duckdb.sql(
        f"""select canonical, label, aliases, mention_count, country_code
            from read_parquet('{output}/entity_clusters/*.parquet')
            order by len(aliases) desc, mention_count desc, canonical limit {n}"""
    ).fetchall()
    return [
        dict(zip(("canonical", "label", "aliases", "mentions", "country"), row, strict=True)) for row in rows
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, help="an output folder holding a Wikinews run (else: run now)")
    parser.add_argument("--json", type=Path, help="also write the numbers as JSON here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsbeam-wikinews-") as scratch:
        output = args.output or Path(scratch) / "out"
        if not (output / "documents").exists():
            run_pipeline(output)
        dates = score_pub_dates(read_pub_dates(output))
        gold = load_mentions()
        predicted = read_predictions(output, sorted({m.doc for m in gold}))
        mentions = score_mentions(gold, predicted, load_entities())
        clusters = score_clusters(gold, predicted)
        effect = type_corrections(output)
        biggest = largest_clusters(output)
    dated, right, wrong = content_inference_without_datelines()
    print(f"publication dates: dated {dates.dated}, right {dates.right}, wrong {dates.wrong}")
    print(f"content inference alone, datelines removed: {dated} dated, {right} right; wrong: {wrong}")
    n_docs = len({m.doc for m in gold})
    print(f"entity mentions ({len(gold)} labelled in {n_docs} articles, {len(predicted)} predicted):")
    print(f"  precision {mentions.precision}\n  recall    {mentions.recall}")
    print(f"  F1        {mentions.f1[0]:.3f} [{mentions.f1[1]:.3f}-{mentions.f1[2]:.3f}]")
    print(f"  span precision {mentions.span_precision}, span recall {mentions.span_recall}")
    print(f"  label right (exact spans) {mentions.label_accuracy}")
    print(f"  canonical right (exact spans) {mentions.canonical_accuracy}")
    print(f"clusters over {clusters.matched} labelled mentions found with their span:")
    print(
        f"  pairwise precision {clusters.pairwise_precision}\n  pairwise recall    {clusters.pairwise_recall}"
    )
    print(f"  B-cubed precision {clusters.bcubed_precision:.3f}, recall {clusters.bcubed_recall:.3f}")
    for entity_id, entities in clusters.merges:
        print(f"  merges {entities} ({entity_id})")
    print("type corrections on labelled mentions (better / worse / neutral):")
    for name, counts in sorted(effect.items()):
        print(f"  {name}: {counts['better']} / {counts['worse']} / {counts['neutral']}")
    print("25 largest clusters (by distinct aliases):")
    for c in biggest:
        aliases = ", ".join(c["aliases"][:8]) + (" ..." if len(c["aliases"]) > 8 else "")
        print(f"  {c['canonical']!r} {c['label']} {c['mentions']} mentions {c['country'] or ''}: {aliases}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "pub_dates": {"dated": str(dates.dated), "right": str(dates.right), "wrong": dates.wrong},
                    "content_inference_without_datelines": {"dated": dated, "right": right, "wrong": wrong},
                    "mentions": {k: str(getattr(mentions, k)) for k in mentions.__dataclass_fields__},
                    "clusters": {
                        "pairwise_precision": str(clusters.pairwise_precision),
                        "pairwise_recall": str(clusters.pairwise_recall),
                        "bcubed_precision": round(clusters.bcubed_precision, 3),
                        "bcubed_recall": round(clusters.bcubed_recall, 3),
                        "merges": clusters.merges,
                    },
                    "type_corrections": {name: dict(counts) for name, counts in effect.items()},
                    "largest_clusters": biggest,
                },
                indent=2,
                ensure_ascii=False,
                default=str,
            )
        )


if __name__ == "__main__":
    main()
