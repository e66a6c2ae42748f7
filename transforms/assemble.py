"""Join dedup verdicts back to their documents: clean text and duplicate counts.

After dedup the segments of one document are spread over many hash keys; a CoGroupByKey on
doc_id brings them back together so that per-document facts (clean_text, n_duplicate_segments)
are computed once, before the tables are cut.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import apache_beam as beam

from transforms.records import DedupVerdict, Document, Segment


@dataclass(frozen=True, slots=True)
class AssembledDocument:
    """A document with its segments (reading order) and their dedup verdicts."""

    doc: Document
    segments: tuple[Segment, ...]
    verdicts: tuple[DedupVerdict, ...]

    @property
    def pub_month(self) -> str | None:
        return self.doc.pub_date.strftime("%Y-%m") if self.doc.pub_date else None

    def canonical_segments(self) -> Iterator[Segment]:
        """Segments that are not copies of an earlier one: only these reach enrichment."""
        for segment, verdict in zip(self.segments, self.verdicts, strict=True):
            if not verdict.is_duplicate:
                yield segment


def clean_text(body: str, segments: Iterable[Segment], verdicts: Iterable[DedupVerdict]) -> str:
    """The body without its duplicate segments (and the spaces that followed them).

    Only characters are removed, never added or reordered, so clean_text is a subsequence of
    the body and the canonical copy of every sentence stays where it was.
    """
    pieces: list[str] = []
    position = 0
    for segment, verdict in zip(segments, verdicts, strict=True):
        if not verdict.is_duplicate:
            continue
        pieces.append(body[position : segment.start_char])
        position = segment.end_char
        while position < len(body) and body[position] in " \t":
            position += 1
    pieces.append(body[position:])
    return "".join(pieces).strip()


def assemble(
    doc: Document,
    pairs: Iterable[tuple[Segment, DedupVerdict]],
) -> AssembledDocument:
    """Build the AssembledDocument of `doc` from its (segment, verdict) pairs in any order."""
    ordered = sorted(pairs, key=lambda pair: (pair[0].start_char, pair[0].segment_id))
    return AssembledDocument(
        doc=doc,
        segments=tuple(segment for segment, _ in ordered),
        verdicts=tuple(verdict for _, verdict in ordered),
    )


def document_row(
    item: AssembledDocument, ingested_at: dt.datetime, run_id: str, language: str | None
) -> dict:
    """The `documents` table row of an assembled document."""
    doc = item.doc
    n_dup = sum(1 for v in item.verdicts if v.is_duplicate)
    return {
        "doc_id": doc.doc_id,
        "source": doc.source,
        "pub_date": doc.pub_date,
        "pub_date_source": doc.pub_date_source,
        "pub_date_granularity": doc.pub_date_granularity,
        "language": language,
        "text": doc.text,
        "clean_text": clean_text(doc.text, item.segments, item.verdicts),
        "n_segments": len(item.segments),
        "n_duplicate_segments": n_dup,
        "content_sha256": doc.content_sha256,
        "encoding": doc.encoding,
        "ingested_at": ingested_at,
        "run_id": run_id,
    }


def segment_rows(item: AssembledDocument, languages: dict[str, str | None] | None = None) -> list[dict]:
    """The `segments` table rows of an assembled document, in reading order."""
    languages = languages or {}
    return [
        {
            "doc_id": s.doc_id,
            "segment_id": s.segment_id,
            "paragraph_index": s.paragraph_index,
            "sentence_index": s.sentence_index,
            "start_char": s.start_char,
            "end_char": s.end_char,
            "text": s.text,
            "content_hash": s.content_hash,
            "is_duplicate": v.is_duplicate,
            "duplicate_kind": v.duplicate_kind,
            "duplicate_of": v.duplicate_of,
            "similarity": v.similarity,
            "language": languages.get(s.segment_id),
        }
        for s, v in zip(item.segments, item.verdicts, strict=True)
    ]


def _join(element: tuple[str, dict[str, list]]) -> Iterator[AssembledDocument]:
    _, grouped = element
    docs = list(grouped["doc"])
    if docs:  # doc_id hashes path and body: one document per id
        yield assemble(docs[0], grouped["segments"])


class AssembleDocuments(beam.PTransform):
    """(Document, (Segment, DedupVerdict)) -> AssembledDocument, joined on doc_id."""

    def expand(self, inputs: tuple[beam.PCollection, beam.PCollection]) -> beam.PCollection:
        docs, pairs = inputs
        keyed_docs = docs | "KeyDocs" >> beam.Map(lambda d: (d.doc_id, d))
        keyed_pairs = pairs | "KeySegments" >> beam.Map(lambda p: (p[0].doc_id, p))
        return (
            {"doc": keyed_docs, "segments": keyed_pairs}
            | "JoinOnDocId" >> beam.CoGroupByKey()
            | "Assemble" >> beam.FlatMap(_join)
        )
