"""Beam adapter of the date grammar for publication dates, and the `dates` rows of a document.

`InferPubDates` runs right after reading, before dedup, because the canonical copy of a repeated
sentence is the earliest published one. `date_rows` runs on assembled documents (called by
`transforms/enrich.py`): the grammar sees the whole body (tense and context cross sentence
boundaries) and each mention is attached to the segment that contains it; mentions inside duplicate
segments are left to the canonical copy, like entities.
"""

from __future__ import annotations

import bisect
import dataclasses

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.assemble import AssembledDocument
from transforms.dates.extract import DateMention, extract_dates, infer_pub_date
from transforms.records import Document


def with_inferred_pub_date(doc: Document) -> Document:
    """The document with a content-inferred publication date when it has no header date."""
    if doc.pub_date is not None:
        return doc
    inferred = infer_pub_date(doc.text)
    if inferred is None:
        return doc
    pub_date, granularity = inferred
    return dataclasses.replace(
        doc, pub_date=pub_date, pub_date_source="content", pub_date_granularity=granularity
    )


def date_rows(item: AssembledDocument, mentions: list[DateMention] | None = None) -> list[dict]:
    """`dates` table rows of a document: its mentions that fall in canonical segments."""
    doc = item.doc
    if mentions is None:
        mentions = extract_dates(doc.text, doc.pub_date, doc.pub_date_granularity or "day")
    starts = [segment.start_char for segment in item.segments]
    rows = []
    for mention in mentions:
        index = bisect.bisect_right(starts, mention.start) - 1
        if index < 0:
            continue
        segment, verdict = item.segments[index], item.verdicts[index]
        if verdict.is_duplicate or mention.start >= segment.end_char:
            continue
        rows.append(
            {
                "doc_id": doc.doc_id,
                "segment_id": segment.segment_id,
                "text": mention.text,
                "value": mention.value,
                "granularity": mention.granularity,
                "kind": mention.kind,
                "resolved": mention.resolved,
                "relative": mention.relative,
                "start_char": mention.start,
                "end_char": mention.end,
            }
        )
    return rows


class InferPubDates(beam.PTransform):
    """Document -> Document, with `pub_date` inferred from content where the header gave none."""

    def expand(self, docs: beam.PCollection) -> beam.PCollection:
        inferred = Metrics.counter("newsbeam", "pub_dates_inferred")

        def _infer(doc: Document) -> Document:
            result = with_inferred_pub_date(doc)
            if result is not doc:
                inferred.inc()
            return result

        return docs | "Infer" >> beam.Map(_infer)
