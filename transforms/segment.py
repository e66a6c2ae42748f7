"""Split document bodies into paragraphs and sentences, keeping character offsets into the body.

Paragraphs are blocks separated by blank lines. Sentences are found by a rule-based splitter
tuned for French news (abbreviations such as "M." or "Mme", initials, closing guillemets,
tweets pasted inline). spaCy's `sentencizer` was measured on the seeds and split "#Libye" and
dangling "«" off their sentences, and a statistical parser is too slow for this step, so the
rules live here. Sentences longer than `max_segment_chars` are cut at a space so no segment is
unbounded (a 50 MB line without punctuation stays cheap).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from transforms.records import Document, Segment

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
# A sentence ends at . ! ? or … (possibly repeated), optionally followed by closing quotes or
# brackets, then whitespace, then something that can start a sentence.
_BOUNDARY = re.compile(r"[.!?…]+[»\"”’)\]]*(?=\s+[«\"“(\[#@—–-]?\s*[A-ZÀ-ÖØ-Þ0-9«\"“])")
_WORD_BEFORE = re.compile(r"(\w+)\W*\Z")
_ABBREVIATIONS = frozenset(
    [
        "m",
        "mm",
        "mme",
        "mmes",
        "mlle",
        "mlles",
        "dr",
        "pr",
        "me",
        "st",
        "ste",
        "av",
        "bd",
        "etc",
        "cf",
        "env",
        "no",
        "nos",
        "vol",
        "p",
        "pp",
        "ex",
        "art",
        "al",
        "gén",
        "gal",
        "col",
        "cdt",
        "lt",
        "sgt",
        "capt",
        "mgr",
        "jr",
        "sr",
        "vs",
        "mr",
        "mrs",
        "ms",
        "prof",
    ]
)


@dataclass(frozen=True, slots=True)
class SegmentConfig:
    """Segmentation limits and the minimum size of a segment that dedup may flag."""

    max_segment_chars: int = 2000
    min_dedup_words: int = 4


@dataclass(frozen=True, slots=True)
class Span:
    """A sentence located in a body: paragraph and sentence index, [start, end) offsets."""

    paragraph_index: int
    sentence_index: int
    start: int
    end: int


def paragraph_spans(body: str) -> list[tuple[int, int]]:
    """(start, end) of each non-blank paragraph, trimmed of surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    position = 0
    for match in [*_PARAGRAPH_BREAK.finditer(body), None]:
        end = match.start() if match else len(body)
        start, stop = _trim(body, position, end)
        if start < stop:
            spans.append((start, stop))
        if match:
            position = match.end()
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _is_abbreviation(text: str, period_at: int) -> bool:
    """True when the '.' at `period_at` ends an abbreviation or an initial, not a sentence."""
    if text[period_at] != ".":
        return False
    match = _WORD_BEFORE.search(text, max(0, period_at - 20), period_at)
    if match is None:
        return False
    word = match.group(1)
    if len(word) == 1 and word.isupper():  # an initial: "J. Dupont"
        return True
    return word.lower() in _ABBREVIATIONS


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets inside text[start:end], trimmed, in order."""
    spans: list[tuple[int, int]] = []
    position = start
    for match in _BOUNDARY.finditer(text, start, end):
        if _is_abbreviation(text, match.start()):
            continue
        s, e = _trim(text, position, match.end())
        if s < e:
            spans.append((s, e))
        position = match.end()
    s, e = _trim(text, position, end)
    if s < e:
        spans.append((s, e))
    return spans


def _bounded(text: str, start: int, end: int, limit: int) -> Iterator[tuple[int, int]]:
    """Cut [start, end) into pieces of at most `limit` chars, at the last space when there is one."""
    while end - start > limit:
        cut = text.rfind(" ", start + 1, start + limit)
        cut = cut if cut > start else start + limit
        s, e = _trim(text, start, cut)
        if s < e:
            yield s, e
        start = cut
    s, e = _trim(text, start, end)
    if s < e:
        yield s, e


def split_body(body: str, config: SegmentConfig = SegmentConfig()) -> list[Span]:
    """All sentence spans of a body, numbered by paragraph and by sentence within the paragraph."""
    spans: list[Span] = []
    for p_index, (p_start, p_end) in enumerate(paragraph_spans(body)):
        s_index = 0
        for s_start, s_end in sentence_spans(body, p_start, p_end):
            for b_start, b_end in _bounded(body, s_start, s_end, config.max_segment_chars):
                spans.append(Span(p_index, s_index, b_start, b_end))
                s_index += 1
    return spans


_FOLD_DROP = re.compile(r"[\W_]+", re.UNICODE)


def normalize_for_hash(text: str) -> str:
    """NFKC, case-folded, punctuation and whitespace folded to single spaces.

    Why: copies of a sentence differ in typographic apostrophes, guillemets, case and spacing;
    none of that makes them different content.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _FOLD_DROP.sub(" ", folded).strip()


def content_hash(text: str) -> str:
    """64-bit hex digest of the normalized text: the exact-dedup key."""
    return hashlib.blake2b(normalize_for_hash(text).encode(), digest_size=8).hexdigest()


def segment_id(doc_id: str, span: Span) -> str:
    return f"{doc_id}-p{span.paragraph_index:04d}-s{span.sentence_index:04d}"


def segment_document(doc: Document, config: SegmentConfig = SegmentConfig()) -> list[Segment]:
    """The Segment records of one document, in reading order."""
    segments = []
    for span in split_body(doc.text, config):
        text = doc.text[span.start : span.end]
        normalized = normalize_for_hash(text)
        segments.append(
            Segment(
                doc_id=doc.doc_id,
                segment_id=segment_id(doc.doc_id, span),
                paragraph_index=span.paragraph_index,
                sentence_index=span.sentence_index,
                start_char=span.start,
                end_char=span.end,
                text=text,
                content_hash=hashlib.blake2b(normalized.encode(), digest_size=8).hexdigest(),
                doc_order=doc.order_key,
                dedup_eligible=len(normalized.split()) >= config.min_dedup_words,
                supersedes=doc.supersedes,
            )
        )
    return segments
