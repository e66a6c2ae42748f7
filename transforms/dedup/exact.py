"""Exact sentence dedup: segments with the same normalized-text hash are copies of one another.

Policy: the canonical copy is the first in canonical order (earliest publication date, undated
last, then input path, then position in the document, see `Segment.order_key`); every later copy
is flagged `is_duplicate=True, duplicate_kind='exact', duplicate_of=<canonical segment_id>`.
Nothing is dropped: the segments table keeps every copy.

In Beam terms the work is keyed by content hash (`transforms/dedup/transform.py` groups the copies
of each hash, this run's and the index's), so it runs in parallel on any runner; no worker ever
holds more than the copies of one sentence.
"""

from __future__ import annotations

from collections.abc import Iterable

from transforms.records import DedupVerdict, Segment


def pick_canonical(copies: Iterable[Segment]) -> list[tuple[Segment, DedupVerdict]]:
    """Verdicts for segments sharing one content hash: first in order is canonical, the rest exact copies."""
    ordered = sorted(copies, key=lambda s: (s.order_key, s.segment_id))
    canonical = ordered[0]
    verdicts = [(canonical, DedupVerdict(canonical.segment_id, False))]
    verdicts.extend(
        (copy, DedupVerdict(copy.segment_id, True, "exact", canonical.segment_id, 1.0))
        for copy in ordered[1:]
    )
    return verdicts
