"""Scores of what newsbeam wrote against the hand-labelled Wikinews sets (tests/quality/gold.py).

Test oracle code: it reads the pipeline's Parquet output (DuckDB) and never imports newsbeam. Used by
`tests/quality/test_wikinews.py` (floors in CI) and `benchmarks/eval_wikinews.py` (the README's table).

Intervals: 95 % percentile bootstrap over documents (mentions of one article are not independent:
one mis-read name recurs), 2,000 resamples with a fixed seed, so a number and its interval are
reproducible.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from tests.quality.gold import GoldEntity, GoldMention, fold, load_entities, load_mentions, load_pub_dates

BOOTSTRAP = 2000
SEED = 20261202


@dataclass(frozen=True, slots=True)
class Predicted:
    doc: str
    start: int
    end: int
    text: str
    label: str
    canonical: str
    entity_id: str


@dataclass(frozen=True, slots=True)
class Rate:
    """A proportion with its 95 % bootstrap interval."""

    value: float
    low: float
    high: float
    numerator: int
    denominator: int

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}-{self.high:.3f}] ({self.numerator}/{self.denominator})"


def read_predictions(output: Path, docs: Sequence[str]) -> list[Predicted]:
    """The `entities` rows of the labelled documents (doc = the file's stem)."""
    import duckdb

    con = duckdb.connect()
    try:
        rows = con.sql(
            f"""select regexp_extract(d.source, '([^/]+)\\.txt$', 1) as doc, e.start_char, e.end_char, e.text,
                       e.label, e.canonical, e.entity_id
                from read_parquet('{output}/entities/**/*.parquet', hive_partitioning=true) e
                join read_parquet('{output}/documents/**/*.parquet', hive_partitioning=true,
                                  union_by_name=true) d using (doc_id)"""
        ).fetchall()
    finally:
        con.close()
    wanted = set(docs)
    return [Predicted(*row) for row in rows if row[0] in wanted]


def read_pub_dates(output: Path) -> dict[str, tuple[str | None, str | None]]:
    """doc -> (pub_date ISO or None, pub_date_source) of every document of an output."""
    import duckdb

    con = duckdb.connect()
    try:
        rows = con.sql(
            f"""select regexp_extract(source, '([^/]+)\\.txt$', 1), pub_date::varchar, pub_date_source
                from read_parquet('{output}/documents/**/*.parquet', hive_partitioning=true,
                                  union_by_name=true)"""
        ).fetchall()
    finally:
        con.close()
    return {doc: (date, source) for doc, date, source in rows}


def _bootstrap(
    docs: Sequence[str], counts: dict[str, tuple[int, int]], statistic: Callable[[int, int], float]
) -> tuple[float, float]:
    rng = random.Random(SEED)
    values = []
    for _ in range(BOOTSTRAP):
        sample = [rng.choice(docs) for _ in docs]
        num = sum(counts[d][0] for d in sample)
        den = sum(counts[d][1] for d in sample)
        values.append(statistic(num, den))
    values.sort()
    return values[int(0.025 * BOOTSTRAP)], values[int(0.975 * BOOTSTRAP) - 1]


def rate(counts: dict[str, tuple[int, int]]) -> Rate:
    """Pooled numerator/denominator over documents, with its bootstrap interval."""
    docs = sorted(counts)
    num = sum(n for n, _ in counts.values())
    den = sum(d for _, d in counts.values())
    low, high = _bootstrap(docs, counts, lambda n, d: n / d if d else 1.0)
    return Rate(num / den if den else 1.0, low, high, num, den)


def canonical_ok(predicted: str, gold: GoldEntity) -> bool:
    return fold(predicted) in {fold(gold.entity), *(fold(a) for a in gold.accept)}


@dataclass(frozen=True, slots=True)
class MentionScores:
    precision: Rate  # span + label + canonical right, over predicted mentions
    recall: Rate  # ... over gold mentions
    f1: tuple[float, float, float]
    span_precision: Rate
    span_recall: Rate
    label_accuracy: Rate  # among exact-span matches
    canonical_accuracy: Rate  # among exact-span matches


def score_mentions(
    gold: list[GoldMention], predicted: list[Predicted], entities: dict[str, GoldEntity]
) -> MentionScores:
    by_span = {(m.doc, m.start, m.end): m for m in gold}
    docs = sorted({m.doc for m in gold})
    right_p: dict[str, list[int]] = {d: [0, 0] for d in docs}
    right_r: dict[str, list[int]] = {d: [0, 0] for d in docs}
    span_p: dict[str, list[int]] = {d: [0, 0] for d in docs}
    label: dict[str, list[int]] = {d: [0, 0] for d in docs}
    canon: dict[str, list[int]] = {d: [0, 0] for d in docs}
    for m in gold:
        right_r[m.doc][1] += 1
    for p in predicted:
        right_p[p.doc][1] += 1
        span_p[p.doc][1] += 1
        g = by_span.get((p.doc, p.start, p.end))
        if g is None:
            continue
        span_p[p.doc][0] += 1
        label[p.doc][1] += 1
        canon[p.doc][1] += 1
        label_ok = p.label == g.label
        canonical = canonical_ok(p.canonical, entities[g.entity])
        label[p.doc][0] += label_ok
        canon[p.doc][0] += canonical
        if label_ok and canonical:
            right_p[p.doc][0] += 1
            right_r[p.doc][0] += 1
    span_r = {d: (span_p[d][0], right_r[d][1]) for d in docs}

    def freeze(table: dict[str, list[int]]) -> dict[str, tuple[int, int]]:
        return {d: (n, den) for d, (n, den) in table.items()}

    precision, recall = rate(freeze(right_p)), rate(freeze(right_r))
    both = {d: (right_p[d][0], right_p[d][1], right_r[d][1]) for d in docs}
    f1 = _f1_interval(docs, both)
    return MentionScores(
        precision, recall, f1, rate(freeze(span_p)), rate(span_r), rate(freeze(label)), rate(freeze(canon))
    )


def _f1(right: int, predicted: int, gold: int) -> float:
    return 2 * right / (predicted + gold) if predicted + gold else 1.0


def _f1_interval(docs: list[str], counts: dict[str, tuple[int, int, int]]) -> tuple[float, float, float]:
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    rng = random.Random(SEED)
    values = []
    for _ in range(BOOTSTRAP):
        sample = [rng.choice(docs) for _ in docs]
        values.append(_f1(*(sum(counts[d][i] for d in sample) for i in range(3))))
    values.sort()
    return _f1(*total), values[int(0.025 * BOOTSTRAP)], values[int(0.975 * BOOTSTRAP) - 1]


@dataclass(frozen=True, slots=True)
class ClusterScores:
    pairwise_precision: Rate  # pairs in one predicted cluster that are one gold entity
    pairwise_recall: Rate  # pairs of one gold entity that are in one predicted cluster
    bcubed_precision: float
    bcubed_recall: float
    matched: int  # gold mentions found with their exact span (the mentions clusters are scored on)
    merges: list[tuple[str, list[str]]]  # predicted clusters holding several gold entities


def score_clusters(gold: list[GoldMention], predicted: list[Predicted]) -> ClusterScores:
    """Clusters over the gold mentions found with their exact span, across all labelled documents.

    Pairs are counted per document of their first mention for the bootstrap (a pair spanning two
    articles is attributed to the earlier one in sorted order)."""
    by_span = {(p.doc, p.start, p.end): p for p in predicted}
    matched = [(m, by_span[(m.doc, m.start, m.end)]) for m in gold if (m.doc, m.start, m.end) in by_span]
    docs = sorted({m.doc for m in gold})
    same_pred: dict[str, list[int]] = {d: [0, 0] for d in docs}
    same_gold: dict[str, list[int]] = {d: [0, 0] for d in docs}
    for (ga, pa), (gb, pb) in combinations(matched, 2):
        owner = min(ga.doc, gb.doc)
        if pa.entity_id == pb.entity_id:
            same_pred[owner][1] += 1
            same_pred[owner][0] += ga.entity == gb.entity
        if ga.entity == gb.entity:
            same_gold[owner][1] += 1
            same_gold[owner][0] += pa.entity_id == pb.entity_id
    pred_groups: dict[str, list[GoldMention]] = defaultdict(list)
    gold_groups: dict[str, list[str]] = defaultdict(list)
    for g, p in matched:
        pred_groups[p.entity_id].append(g)
        gold_groups[g.entity].append(p.entity_id)
    precision = recall = 0.0
    for g, p in matched:
        cluster = pred_groups[p.entity_id]
        precision += sum(other.entity == g.entity for other in cluster) / len(cluster)
        entity = gold_groups[g.entity]
        recall += sum(other == p.entity_id for other in entity) / len(entity)
    n = len(matched) or 1
    merges = sorted(
        (
            (entity_id, sorted({m.entity for m in members}))
            for entity_id, members in pred_groups.items()
            if len({m.entity for m in members}) > 1
        ),
        key=lambda item: item[1],
    )

    def freeze(table: dict[str, list[int]]) -> dict[str, tuple[int, int]]:
        return {d: (a, b) for d, (a, b) in table.items()}

    return ClusterScores(
        rate(freeze(same_pred)), rate(freeze(same_gold)), precision / n, recall / n, len(matched), merges
    )


@dataclass(frozen=True, slots=True)
class PubDateScores:
    dated: Rate
    right: Rate  # right / dated (a gold 'none' left undated counts as right, and is not in `dated`)
    wrong: list[tuple[str, str | None, str | None]]


def score_pub_dates(found: dict[str, tuple[str | None, str | None]]) -> PubDateScores:
    gold = load_pub_dates()
    dated = {doc: (int(found[doc][0] is not None), 1) for doc in gold}
    right = {doc: (int(found[doc][0] == gold[doc]), 1) for doc in gold if found[doc][0] is not None}
    wrong = [(doc, found[doc][0], gold[doc]) for doc in sorted(gold) if found[doc][0] != gold[doc]]
    return PubDateScores(rate(dated), rate(right), wrong)


def score_output(output: Path) -> tuple[MentionScores, ClusterScores]:
    gold = load_mentions()
    entities = load_entities()
    predicted = read_predictions(output, sorted({m.doc for m in gold}))
    return score_mentions(gold, predicted, entities), score_clusters(gold, predicted)
