"""The records that flow between stages: slotted dataclasses, cheap to pickle between workers."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field


def cheap_pickle(cls: type) -> type:
    """Pickle a slotted dataclass as (class, field values).

    Why: every element crosses a coder between Beam stages; the default pickling of slotted
    dataclasses calls `dataclasses.fields()` per object, which profiling put at about 3 % of a run.
    """
    names = tuple(f.name for f in dataclasses.fields(cls))

    def __reduce__(self: object) -> tuple:
        return cls, tuple(getattr(self, name) for name in names)

    cls.__reduce__ = __reduce__
    return cls


#: What a folder given as input means: the files directly in it, hidden ones aside (editors' swap
#: files, `.DS_Store`, partial uploads named `.x.part`). Unsupported extensions among them are
#: rejected with their reason, never dropped silently.
FOLDER_FILES = "[!.]*"


@cheap_pickle
@dataclass(frozen=True, slots=True)
class Document:
    """One ingested article: the body text plus what the reader learnt about it."""

    doc_id: str
    source: str
    text: str
    content_sha256: str
    encoding: str
    pub_date: dt.date | None = None
    pub_date_source: str | None = None
    pub_date_granularity: str | None = None
    revision: int = 1  # 2, 3, ... when the same source was ingested before with other content
    supersedes: str | None = None  # doc_id of the previous revision
    title: str | None = None  # from a JSON Lines record's metadata
    url: str | None = None
    #: the earlier document of this delivery with the same body, whose segments and verdicts this
    #: one takes (`transforms/dedup/whole_copies.py`); None for every other document
    whole_copy_of: str | None = None
    #: an earlier run ingested this body (`_state/documents.body_hash`): its segments are almost
    #: certainly exact copies of indexed ones, so their fingerprints are deferred to where a
    #: segment turns out to need one (`transforms/dedup/decide.py`)
    body_ingested: bool = False

    @property
    def order_key(self) -> tuple:
        """Canonical order of documents: earliest publication first, undated last, then input path.

        Why: the first published copy of a repeated text is its origin; among equals the input
        path is the stable tie-breaker (run order is not). The leading 1 ranks everything of this
        run after content already ingested by earlier runs (`INDEX_ORDER`), which stays canonical.
        """
        return (1, self.pub_date is None, self.pub_date or dt.date.min, self.source)


#: Order key of segments ingested by an earlier run whose state row predates schema version 4 (no
#: `pub_date`/`source`): before anything of the current run.
INDEX_ORDER: tuple = (0,)


def history_order(order_key: tuple) -> tuple:
    """The order key of a segment once ingested: before anything of a later delivery (leading 0
    instead of 1), and among ingested segments the canonical order they were delivered in.

    Why keep the rest: a later segment equally similar to two ingested ones points at the earlier
    of them, as it would have in one delivery of everything; with one rank for all of history the
    tie fell to the segment ids, and a corpus delivered in parts got other originals.
    """
    return (0, *order_key[1:]) if order_key[:1] == (1,) else INDEX_ORDER


def ingested_order(segment_id: str, pub_date: dt.date | None, source: str | None) -> tuple:
    """`history_order` of a segment read back from `_state/segments` (its document's publication
    date and source, its position from its id); `INDEX_ORDER` for rows written before they were
    stored."""
    if source is None:
        return INDEX_ORDER
    paragraph, sentence = segment_id.rsplit("-p", 1)[1].split("-s")
    return (0, pub_date is None, pub_date or dt.date.min, source, int(paragraph), int(sentence))


class RejectInput(ValueError):
    """An input (a file, or a line of a JSON Lines file) that cannot become a document; `reason` is a
    stable code for the rejected table."""

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@cheap_pickle
@dataclass(frozen=True, slots=True)
class Rejected:
    """An input that could not become a document, with a machine-readable reason."""

    source: str
    reason: str
    detail: str | None = None
    size_bytes: int | None = None


@cheap_pickle
@dataclass(frozen=True, slots=True)
class Segment:
    """A sentence of a document, with offsets into the document body."""

    doc_id: str
    segment_id: str
    paragraph_index: int
    sentence_index: int
    start_char: int
    end_char: int
    text: str
    content_hash: str
    doc_order: tuple = field(default=())
    dedup_eligible: bool = True
    shingles: tuple[int, ...] = ()  # near-dedup fingerprint, filled by the dedup stage
    bands: tuple[int, ...] = ()
    supersedes: str | None = None  # the document's previous revision: never its "original"

    @property
    def order_key(self) -> tuple:
        """Order in which copies of one text compete to be canonical (document order, then position)."""
        return (*self.doc_order, self.paragraph_index, self.sentence_index)


@cheap_pickle
@dataclass(frozen=True, slots=True)
class DedupVerdict:
    """The dedup decision for one segment."""

    segment_id: str
    is_duplicate: bool
    duplicate_kind: str | None = None
    duplicate_of: str | None = None
    similarity: float | None = None


def doc_id_of_segment(segment_id: str) -> str:
    """The doc_id part of a segment id (`<doc_id>-pNNNN-sNNNN`)."""
    return segment_id.rsplit("-p", 1)[0]
