"""Exact dedup across the windows of a stream, with Beam state keyed by content hash.

Inside one window `Deduplicate` does the full job (exact and near). Across windows, a stateful
DoFn in the global window remembers, per content hash, the first canonical segment seen, for a
configurable horizon (an event-time timer clears the state), so memory stays bounded however long
the stream runs. The persistent index of earlier runs is fed into the same state at start-up, so
copies of already-ingested content are flagged too.

Limits (README, "Streaming"): near-duplicates are detected within a window and against nothing
older; a window's near-duplicate that points at a canonical later found to be an exact copy of an
older window keeps its pointer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import apache_beam as beam
from apache_beam.coders import StrUtf8Coder
from apache_beam.metrics import Metrics
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.transforms.window import GlobalWindows
from apache_beam.utils.timestamp import Duration

from transforms.records import DedupVerdict, Segment

INDEX_MARK = "index"


def canonical_of(segment: Segment, verdict: DedupVerdict) -> str | None:
    """The segment an exact group is anchored on: itself if canonical, its exact original otherwise."""
    if not verdict.is_duplicate:
        return segment.segment_id
    if verdict.duplicate_kind == "exact":
        return verdict.duplicate_of
    return None  # a near copy: its hash group is anchored elsewhere


class _FirstSeen(beam.DoFn):
    """Per content hash: the first canonical segment_id (this stream or the index) within the horizon."""

    FIRST = ReadModifyWriteStateSpec("first", StrUtf8Coder())
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)

    def __init__(self, horizon_seconds: int) -> None:
        self._horizon = Duration(seconds=horizon_seconds)
        self._flagged = Metrics.counter("newsbeam", "duplicates_exact_cross_window")

    def process(
        self,
        element: tuple[str, tuple],
        timestamp=beam.DoFn.TimestampParam,
        first=beam.DoFn.StateParam(FIRST),
        expiry=beam.DoFn.TimerParam(EXPIRY),
    ) -> Iterator[tuple[Segment, DedupVerdict]]:
        _, value = element
        if value[0] == INDEX_MARK:
            if first.read() is None:
                first.write(value[1])
            return
        segment, verdict = value
        anchor = canonical_of(segment, verdict)
        stored = first.read()
        if anchor is None:
            yield segment, verdict
            return
        if stored is None:
            first.write(anchor)
            expiry.set(timestamp + self._horizon)
            yield segment, verdict
        elif stored == anchor:
            yield segment, verdict
        else:  # an earlier window (or run) already holds this text
            self._flagged.inc()
            yield segment, DedupVerdict(segment.segment_id, True, "exact", stored, 1.0)

    @on_timer(EXPIRY)
    def expire(self, first=beam.DoFn.StateParam(FIRST)) -> None:
        first.clear()


class StreamSettings(Protocol):
    """What cross-window dedup needs of the stream settings (pipeline.stream.StreamConfig)."""

    horizon_seconds: int

    def windowing(self) -> beam.WindowInto: ...


class CrossWindowExactDedup(beam.PTransform):
    """(Segment, DedupVerdict) in fixed windows -> the same, with copies of earlier windows flagged."""

    def __init__(self, stream: StreamSettings, index: beam.PCollection | None = None) -> None:
        super().__init__()
        self._stream = stream
        self._index = index

    def expand(self, pairs: beam.PCollection) -> beam.PCollection:
        eligible, short = pairs | "Eligible" >> beam.Partition(
            lambda pair, _: 0 if pair[0].dedup_eligible else 1, 2
        )
        keyed = eligible | "ByHash" >> beam.Map(lambda p: (p[0].content_hash, p))
        global_keyed = keyed | "ToGlobal" >> beam.WindowInto(GlobalWindows())
        if self._index is not None:
            from_index = self._index | "IndexByHash" >> beam.Map(
                lambda row: (row["content_hash"], (INDEX_MARK, row["segment_id"]))
            )
            global_keyed = (global_keyed, from_index) | "WithIndex" >> beam.Flatten()
        checked = (
            global_keyed
            | "FirstSeen"
            >> beam.ParDo(_FirstSeen(self._stream.horizon_seconds)).with_input_types(tuple[str, Any])
            | "BackToWindows" >> self._stream.windowing()
        )
        return (checked, short) | "Merge" >> beam.Flatten()
