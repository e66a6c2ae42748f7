"""Beam adapter of the publication-date evidence and of the date grammar (the `dates` rows).

`InferPubDates` runs right after reading, before dedup, because the canonical copy of a repeated
sentence is the earliest published one. It decides each document's publication date from the evidence
of `publication.py` (header or metadata, dateline, path or URL, content) and counts which source won
and what was refused. `date_rows` runs on assembled documents (called by `transforms/enrich.py`): the
grammar sees the whole body (tense and context cross sentence boundaries) and each mention is attached
to the segment that contains it; mentions inside duplicate segments are left to the canonical copy,
like entities.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from collections.abc import Sequence

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.assemble import AssembledDocument
from transforms.dates.content_date import infer_pub_date
from transforms.dates.extract import DateMention, extract_dates
from transforms.dates.publication import (
    PubDate,
    choose_pub_date,
    dateline_date,
    latest_possible_day,
    path_date,
)
from transforms.records import Document


def _content_date(text: str) -> PubDate | None:
    inferred = infer_pub_date(text)
    return PubDate(inferred[0], inferred[1], "content") if inferred else None


def with_pub_date(
    doc: Document, latest: dt.date, path_patterns: Sequence[str] = ()
) -> tuple[Document, list[str]]:
    """The document with its publication date decided from all the evidence, and what was refused.

    The header's or metadata's date (set by the reader) is one piece of evidence among others: it is
    kept unless it lies after `latest`. A record's URL is a path too (`…/2018/11/17/slug`), tried
    before the file's own path, which for JSON Lines is the path of the whole file.
    """
    given = None
    if doc.pub_date is not None:
        given = PubDate(doc.pub_date, doc.pub_date_granularity or "day", doc.pub_date_source or "header")
    path = None
    for location in (doc.url, doc.source):
        if location and (path := path_date(location, path_patterns)) is not None:
            break
    chosen, refused = choose_pub_date(
        latest=latest,
        given=given,
        dateline=dateline_date(doc.text),
        path=path,
        content=lambda: _content_date(doc.text),
    )
    if chosen is None:
        result = dataclasses.replace(doc, pub_date=None, pub_date_source=None, pub_date_granularity=None)
    else:
        result = dataclasses.replace(
            doc, pub_date=chosen.date, pub_date_source=chosen.source, pub_date_granularity=chosen.granularity
        )
    return result, refused


def date_rows(item: AssembledDocument, mentions: list[DateMention] | None = None) -> list[dict]:
    """`dates` table rows of a document: its mentions that fall in canonical segments."""
    doc = item.doc
    if all(verdict.is_duplicate for verdict in item.verdicts):
        return []  # a whole copy (wire reprint, renamed file): its dates are its canonical copy's
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


class _DecidePubDate(beam.DoFn):
    """Document -> Document with its publication date; counters `pub_date_<source>`, `pub_date_none`
    and `pub_date_refused_<reason>`."""

    def __init__(self, ingested_at: dt.datetime | None, path_patterns: tuple[str, ...]) -> None:
        self._ingested_at = ingested_at
        self._patterns = path_patterns

    def process(self, doc: Document):
        # Batch: the run's start, so a rerun decides the same. Streaming: each document's own arrival.
        now = self._ingested_at or dt.datetime.now(dt.UTC)
        result, refused = with_pub_date(doc, latest_possible_day(now), self._patterns)
        Metrics.counter("newsbeam", f"pub_date_{result.pub_date_source or 'none'}").inc()
        for reason in refused:
            Metrics.counter("newsbeam", f"pub_date_refused_{reason}").inc()
        yield result


class InferPubDates(beam.PTransform):
    """Document -> Document, with `pub_date` decided from header or metadata, dateline, path, content.

    `ingested_at` is the run's start (batch); None means each document's processing time (streaming).
    `path_patterns`: the user's regexes with named groups year, month (and day), tried on the path
    before the defaults (`publication.DEFAULT_PATH_PATTERNS`).
    """

    def __init__(self, ingested_at: dt.datetime | None = None, path_patterns: Sequence[str] = ()) -> None:
        super().__init__()
        self._ingested_at = ingested_at
        self._patterns = tuple(path_patterns)

    def expand(self, docs: beam.PCollection) -> beam.PCollection:
        return docs | "Decide" >> beam.ParDo(_DecidePubDate(self._ingested_at, self._patterns))
