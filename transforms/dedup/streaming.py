"""Streaming wrapper of the dedup decision: each window is a delivery, decided by `decide.decide`
against the history (earlier windows of this stream and earlier runs' index).

Two stateful steps, both in the global window (state outlives windows), both fed by windowed
GroupByKeys so that a step sees a whole window at once and windows in order:

1. `LookupHistory`, keyed by lookup key (a content hash, or an LSH band key): per key, the history
   entries (DedupKeys of earlier windows and of the index) live in bag state. A window's keys for
   that lookup key come in as one group; the step answers with the stored entries (candidates for
   the decision), then stores the window's keys. An event-time timer drops entries older than the
   horizon, so state is bounded by what arrived within it. This is the part that grows with
   history, and it spreads over workers by key.
2. `DecideWindow`, one key: a window's keys and candidates come in as one group; candidates already
   judged duplicates are removed (the history of a batch run holds canonical segments only, and
   so must this one), and `decide` runs. The ids flagged stay in state for the horizon (ids only).

The verdicts of a window (a dict of its duplicates) reach the window's documents as a side input,
as in batch (`batch.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

import apache_beam as beam
import pyarrow as pa
from apache_beam.coders import PickleCoder
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import BagStateSpec, TimerSpec, on_timer
from apache_beam.transforms.window import GlobalWindows
from apache_beam.utils.timestamp import Duration, Timestamp

from transforms.dedup.batch import index_keys_of
from transforms.dedup.decide import DedupKey, SegmentedDocument, decide, dedup_keys
from transforms.dedup.near import NearDedupConfig
from transforms.records import DedupVerdict

#: Window end of the history read at start (earlier runs): before every window of the stream.
START = 0

HASH, BAND = "h", "b"


class StreamSettings(Protocol):
    """What the streaming dedup needs of the stream settings (pipeline.stream.StreamConfig)."""

    horizon_seconds: int

    def windowing(self) -> beam.WindowInto: ...


def lookup_keys(key: DedupKey) -> Iterator[tuple[str, DedupKey]]:
    """Where a key's history can be: its content hash (exact) and each of its LSH bands (near)."""
    yield f"{HASH}{key.content_hash}", key
    for band in key.bands:
        yield f"{BAND}{band}", key


def answer_lookup(
    lookup_key: str,
    window_end: int,
    keys: Iterable[DedupKey],
    stored: Iterable[tuple[int, DedupKey]],
    horizon_micros: int,
) -> Iterator[tuple[str, DedupKey]]:
    """What one lookup key contributes to a window's decision: the window's keys once (from their
    hash key only, every key has exactly one), and the history entries stored before the window
    (a later window processed first, which the windowed GroupByKey never does, is not history) and
    within the horizon. Why filter here as well as expire: the timer only runs as the watermark
    moves, and `DecideWindow` forgets flagged ids by the same rule, so an entry is visible exactly
    as long as its verdict is remembered."""
    if lookup_key.startswith(HASH):
        for key in keys:
            yield "current", key
    for end, entry in stored:
        # `<= window_end`: a late pane of a window sees that window's on-time pane as history.
        if end == START or window_end - horizon_micros < end <= window_end:
            yield "history", entry


def decide_window(
    items: Iterable[tuple[str, DedupKey]], flagged: set[str], config: NearDedupConfig
) -> dict[str, DedupVerdict]:
    """`decide` for one window: its keys, and the history candidates that are still canonical."""
    current: dict[str, DedupKey] = {}
    history: dict[str, DedupKey] = {}
    for tag, key in items:
        if tag == "current":
            current[key.segment_id] = key
        elif key.segment_id not in flagged:
            history[key.segment_id] = key
    for segment_id in current:  # a key seen in an earlier pane of its own window is not history
        history.pop(segment_id, None)
    return decide([*current.values(), *history.values()], config)


class _WithWindowEnd(beam.DoFn):
    """(k, v) in a window -> (k, (window end in microseconds, v)): the window survives the move to
    the global window, where the state lives."""

    def process(self, element, window=beam.DoFn.WindowParam):
        key, value = element
        yield key, (window.end.micros, value)


class LookupHistory(beam.DoFn):
    """Per lookup key: answers a window's group with the stored history, then stores the group."""

    STORE = BagStateSpec("store", PickleCoder())
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)

    def __init__(self, horizon_seconds: int) -> None:
        self._horizon = Duration(seconds=horizon_seconds)

    def process(
        self,
        element,
        store=beam.DoFn.StateParam(STORE),
        expiry=beam.DoFn.TimerParam(EXPIRY),
    ) -> Iterator[tuple[int, tuple[str, DedupKey]]]:
        lookup_key, (window_end, keys) = element
        keys = list(keys)
        if window_end != START:
            for item in answer_lookup(lookup_key, window_end, keys, store.read(), self._horizon.micros):
                yield window_end, item
            expiry.set(Timestamp(micros=window_end) + self._horizon)
        for key in keys:
            store.add((window_end, key.as_history()))

    @on_timer(EXPIRY)
    def expire(
        self,
        fired=beam.DoFn.TimestampParam,
        store=beam.DoFn.StateParam(STORE),
        expiry=beam.DoFn.TimerParam(EXPIRY),
    ) -> None:
        """Drops entries past the horizon; re-arms for the oldest left (a late pane may have set the
        timer earlier than the newest entry needs)."""
        cutoff = (fired - self._horizon).micros
        kept = [(end, key) for end, key in store.read() if end == START or end > cutoff]
        store.clear()
        for item in kept:
            store.add(item)
        ends = [end for end, _ in kept if end != START]
        if ends:
            expiry.set(Timestamp(micros=min(ends)) + self._horizon)


class DecideWindow(beam.DoFn):
    """One key: `decide_window` for each window's group, with the ids flagged within the horizon."""

    FLAGGED = BagStateSpec("flagged", PickleCoder())

    def __init__(self, config: NearDedupConfig, horizon_seconds: int) -> None:
        self._config = config
        self._horizon_micros = Duration(seconds=horizon_seconds).micros

    def process(self, element, flagged=beam.DoFn.StateParam(FLAGGED)) -> Iterator[dict[str, DedupVerdict]]:
        _, (window_end, items) = element
        stored = list(flagged.read())
        known = [(end, ids) for end, ids in stored if end > window_end - self._horizon_micros]
        duplicates = decide_window(items, {i for _, ids in known for i in ids}, self._config)
        if len(known) < len(stored):  # something expired: rewrite what is left
            flagged.clear()
            for item in known:
                flagged.add(item)
        if duplicates:
            flagged.add((window_end, tuple(duplicates)))
        yield duplicates


def _history_entries(table: pa.Table) -> Iterator[tuple[str, tuple[int, list[DedupKey]]]]:
    for key in index_keys_of(table):
        for lookup_key, _ in lookup_keys(key):
            yield lookup_key, (START, [key])


def _segment_keys(element: SegmentedDocument) -> Iterator[tuple[str, DedupKey]]:
    for key in dedup_keys(element):
        yield from lookup_keys(key)


class DeduplicateStream(beam.PTransform):
    """Windowed SegmentedDocuments -> per window, the dict of its duplicates' verdicts.

    `index` = key tables of earlier runs' `_state/segments` (`batch.index_key_batch`), or None.
    """

    def __init__(
        self, config: NearDedupConfig, stream: StreamSettings, index: beam.PCollection | None = None
    ) -> None:
        super().__init__()
        self._config, self._stream, self._index = config, stream, index

    def expand(self, documents: beam.PCollection) -> beam.PCollection:
        horizon = self._stream.horizon_seconds
        lookups = (
            documents
            | "LookupKeys" >> beam.FlatMap(_segment_keys)
            | "GroupPerWindow" >> beam.GroupByKey()
            | "WindowEnd" >> beam.ParDo(_WithWindowEnd()).with_output_types(tuple[str, Any])
            | "ToGlobal" >> beam.WindowInto(GlobalWindows())
        )
        if self._index is not None:
            history = self._index | "HistoryEntries" >> beam.FlatMap(_history_entries).with_output_types(
                tuple[str, Any]
            )
            lookups = (lookups, history) | "WithHistory" >> beam.Flatten()
        answers = (
            lookups
            | "LookupHistory" >> beam.ParDo(LookupHistory(horizon)).with_input_types(tuple[str, Any])
            | "AnswersToWindows" >> self._stream.windowing()
            | "OneKey" >> beam.Map(lambda item: (0, item[1])).with_output_types(tuple[int, Any])
            | "CollectWindow" >> beam.GroupByKey()
            | "CollectedEnd" >> beam.ParDo(_WithWindowEnd()).with_output_types(tuple[int, Any])
            | "DecideInGlobal" >> beam.WindowInto(GlobalWindows())
        )
        return (
            answers
            | "Decide" >> beam.ParDo(DecideWindow(self._config, horizon)).with_input_types(tuple[int, Any])
            | "VerdictsToWindows" >> self._stream.windowing()
        )
