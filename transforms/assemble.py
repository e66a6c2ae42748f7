"""Documents with their dedup verdicts (`AssembledDocument`): clean text and duplicate counts.

A document never loses its segments: in batch and in streaming alike `pipeline/build.py` pairs them
with the verdicts of their delivery (a side input), so per-document facts (clean_text,
n_duplicate_segments) are computed once, before the tables are cut.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from transforms.records import DedupVerdict, Document, Segment, doc_id_of_segment


@dataclass(frozen=True, slots=True)
class AssembledDocument:
    """A document with its segments (reading order) and their dedup verdicts."""

    doc: Document
    segments: tuple[Segment, ...]
    verdicts: tuple[DedupVerdict, ...]
    languages: tuple[str | None, ...] = ()  # per segment, filled by transforms/language.py
    language: str | None = None  # majority language of the document

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


def document_duplicate_of(item: AssembledDocument, threshold: float = 0.8) -> str | None:
    """The earlier document this one copies, when at least `threshold` of its dedup-eligible
    segments are duplicates of segments of that one document (a syndicated copy), else None."""
    judged = [v for s, v in zip(item.segments, item.verdicts, strict=True) if s.dedup_eligible]
    if not judged:
        return None
    targets = Counter(doc_id_of_segment(v.duplicate_of) for v in judged if v.is_duplicate and v.duplicate_of)
    targets.pop(item.doc.doc_id, None)
    if not targets:
        return None
    target, copied = min(targets.items(), key=lambda kv: (-kv[1], kv[0]))
    return target if copied / len(judged) >= threshold else None


def document_row(item: AssembledDocument, ingested_at: dt.datetime, run_id: str) -> dict:
    """The `documents` table row of an assembled document."""
    doc = item.doc
    n_dup = sum(1 for v in item.verdicts if v.is_duplicate)
    copy_of = document_duplicate_of(item)
    return {
        "doc_id": doc.doc_id,
        "source": doc.source,
        "pub_date": doc.pub_date,
        "pub_date_source": doc.pub_date_source,
        "pub_date_granularity": doc.pub_date_granularity,
        "language": item.language,
        "text": doc.text,
        "clean_text": clean_text(doc.text, item.segments, item.verdicts),
        "n_segments": len(item.segments),
        "n_duplicate_segments": n_dup,
        "is_duplicate": copy_of is not None,
        "duplicate_of": copy_of,
        "revision": doc.revision,
        "supersedes": doc.supersedes,
        "content_sha256": doc.content_sha256,
        "encoding": doc.encoding,
        "ingested_at": ingested_at,
        "run_id": run_id,
        "title": doc.title,
        "url": doc.url,
    }


def segment_rows(item: AssembledDocument, ner_models: dict[str, str] | None = None) -> list[dict]:
    """The `segments` table rows of an assembled document, in reading order.

    `ner_model` names the spaCy model whose NER covered a segment: it read it, or the gate
    (`transforms/entities/gate.py`) settled that it holds no name, which gives the rows of a run
    with `--ner-all-segments`, so the column does not depend on the gate; null for duplicates
    (their entities are the canonical copy's) and for languages without an installed model.
    """
    ner_models = ner_models or {}
    languages = item.languages or (None,) * len(item.segments)
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
            "language": lang,
            "ner_model": None if v.is_duplicate else ner_models.get(lang or ""),
        }
        for s, v, lang in zip(item.segments, item.verdicts, languages, strict=True)
    ]
