"""Exact sentence dedup: segments with the same normalized-text hash are copies of one another.

Policy: the canonical copy is the first in canonical order (earliest publication date, undated
last, then input path, then position in the document, see `Segment.order_key`); every later copy
is flagged `is_duplicate=True, duplicate_kind='exact', duplicate_of=<canonical segment_id>`.
Nothing is dropped: the segments table keeps every copy.

In Beam terms the work is keyed by content hash (a GroupByKey), so it runs in parallel on any
runner; no worker ever holds more than the copies of one sentence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import apache_beam as beam

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


def _resolve_group(element: tuple[str, Iterable[Segment]]) -> Iterator[tuple[Segment, DedupVerdict]]:
    _, copies = element
    yield from pick_canonical(copies)


class ExactDedup(beam.PTransform):
    """Segment -> (Segment, DedupVerdict), keyed by normalized-content hash.

    Segments too short to be meaningful copies (`dedup_eligible=False`: a one-word line, a
    dateline) are never flagged; they skip the shuffle.
    """

    def expand(self, segments: beam.PCollection) -> beam.PCollection:
        eligible, short = segments | "Eligible" >> beam.Partition(
            lambda s, _: 0 if s.dedup_eligible else 1, 2
        )
        grouped = (
            eligible
            | "ByHash" >> beam.Map(lambda s: (s.content_hash, s))
            | "Group" >> beam.GroupByKey()
            | "Resolve" >> beam.FlatMap(_resolve_group)
        )
        passed = short | "NotEligible" >> beam.Map(lambda s: (s, DedupVerdict(s.segment_id, False)))
        return (grouped, passed) | "Merge" >> beam.Flatten()
