"""Exact sentence dedup: segments with the same normalized-text hash are copies of one another.

Policy: the canonical copy is the first in canonical order (earliest publication date, undated
last, then input path, then position in the document, see `Segment.order_key`); every later copy
is flagged `is_duplicate=True, duplicate_kind='exact', duplicate_of=<canonical segment_id>`.
Nothing is dropped: the segments table keeps every copy.

`exact_verdicts` decides the copies of one hash, this delivery's and the index's: `decide.decide_exact`
calls it per hash, for the batch wrapper (`batch.py`, one decision per run), the streaming one
(`streaming.py`, one per window) and the band-keyed one (`keyed.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol, TypeVar

from transforms.records import DedupVerdict, doc_id_of_segment


class Copy(Protocol):
    """What exact dedup reads of a segment: a `Segment`, or the batch dedup's text-free `DedupKey`."""

    @property
    def segment_id(self) -> str: ...
    @property
    def order_key(self) -> tuple: ...
    @property
    def supersedes(self) -> str | None: ...


C = TypeVar("C", bound=Copy)


def pick_canonical(copies: Iterable[C]) -> list[tuple[C, DedupVerdict]]:
    """Verdicts for segments sharing one content hash: first in order is canonical, the rest exact copies."""
    ordered = sorted(copies, key=lambda s: (s.order_key, s.segment_id))
    canonical = ordered[0]
    verdicts = [(canonical, DedupVerdict(canonical.segment_id, False))]
    verdicts.extend(
        (copy, DedupVerdict(copy.segment_id, True, "exact", canonical.segment_id, 1.0))
        for copy in ordered[1:]
    )
    return verdicts


def exact_verdicts(current: Sequence[C], indexed: Sequence[str]) -> Iterator[tuple[C, DedupVerdict]]:
    """Verdicts for this run's copies of one content hash, given the ids of its indexed copies
    (earlier runs, sorted): an indexed copy is the original, else `pick_canonical`.

    A new revision of a document is never a copy of its own previous revision: those index entries
    are ignored for it, so its unchanged sentences stay canonical in the new revision.
    """
    unmatched = []
    for copy in current:
        originals = [i for i in indexed if doc_id_of_segment(i) != copy.supersedes]
        if originals:
            yield copy, DedupVerdict(copy.segment_id, True, "exact", originals[0], 1.0)
        else:
            unmatched.append(copy)
    if unmatched:
        yield from pick_canonical(unmatched)
