"""Streaming semantics: TestStream on the DirectRunner, and `newsbeam watch` end to end on Prism."""

from __future__ import annotations

import datetime as dt
import functools
import os
import pickle
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that
from apache_beam.transforms.window import TimestampedValue

from pipeline.stream import StreamConfig, find_prism
from schemas import schema_for
from tests.conftest import NEWSBEAM, SEEDS, query
from transforms.dedup.batch import index_key_batch
from transforms.dedup.decide import SegmentedDocument, segment_document_for_dedup, verdicts_for
from transforms.dedup.near import NearDedupConfig
from transforms.dedup.streaming import DeduplicateStream
from transforms.records import Document
from transforms.segment import SegmentConfig
from transforms.write import WriteTables

SENTENCE = "Le maréchal Haftar a lancé jeudi son armée contre Tripoli, la capitale de la Libye en guerre."
NEAR_COPY = "Le maréchal Haftar a lancé jeudi son armée contre Tripoli, capitale de la Libye en guerre."
OTHER = "Une autre phrase assez longue pour compter ici, sans rien de commun avec la première."
NEAR = NearDedupConfig()


def _doc(name: str, *sentences: str) -> SegmentedDocument:
    body = "\n\n".join(sentences)
    doc = Document(name, f"in/{name}.txt", body, "x", "utf-8")
    return segment_document_for_dedup(doc, SegmentConfig(), NEAR)


def _verdict_rows(element: SegmentedDocument, panes: list[dict]) -> list[tuple]:
    duplicates = {k: v for pane in panes for k, v in pane.items()}
    return [
        (s.segment_id, v.duplicate_kind, v.duplicate_of)
        for s, v in zip(element[1], verdicts_for(element[1], duplicates), strict=True)
    ]


def _streaming_pipeline() -> TestPipeline:
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    return TestPipeline(options=options)


def _save(actual: list, path: str) -> None:
    with open(path, "wb") as handle:
        pickle.dump(list(actual), handle)


def _run_stream(events: TestStream, stream: StreamConfig, index_rows: list[dict] | None = None) -> list:
    """The (segment_id, duplicate_kind, duplicate_of) rows the streaming dedup gives `events`."""
    with tempfile.TemporaryDirectory() as folder:
        saved = os.path.join(folder, "rows.pkl")
        _pipeline_rows(events, stream, index_rows, saved)
        with open(saved, "rb") as handle:
            return pickle.load(handle)


def _pipeline_rows(
    events: TestStream, stream: StreamConfig, index_rows: list[dict] | None, saved: str
) -> None:
    with _streaming_pipeline() as p:
        docs = p | events | stream.windowing()
        index = None
        if index_rows is not None:
            table = pa.Table.from_pylist(index_rows, schema=schema_for("state_segments"))
            index = p | "Index" >> beam.Create([table]) | beam.FlatMap(index_key_batch, None)
        verdicts = docs | DeduplicateStream(NEAR, stream, index)
        rows = docs | "Rows" >> beam.FlatMap(_verdict_rows, beam.pvalue.AsList(verdicts))
        assert_that(rows, functools.partial(_save, path=saved))


def test_exact_and_near_dedup_across_windows_and_horizon() -> None:
    """Each window is decided against earlier windows: exact and near copies in later windows point
    at the first copy, wherever it sits in its window's document; after the horizon the state is
    forgotten; within one window the earliest copy wins, as in a batch run."""
    stream = StreamConfig(window_seconds=10, horizon_seconds=100, allowed_lateness_seconds=3600)
    events = (
        TestStream()
        .advance_watermark_to(0)
        .add_elements([TimestampedValue(_doc("a", SENTENCE), 1)])  # window [0, 10): canonical
        .advance_watermark_to(20)
        .add_elements([TimestampedValue(_doc("b", SENTENCE, OTHER), 25),  # [20, 30): exact copy of a
                       TimestampedValue(_doc("n", NEAR_COPY), 26)])  # near copy of a
        .advance_watermark_to(45)
        .add_elements([TimestampedValue(_doc("o", OTHER), 46)])  # exact copy of b's canonical OTHER
        .advance_watermark_to(500)  # past the horizon: state cleared
        .add_elements([TimestampedValue(_doc("c", SENTENCE), 505)])  # canonical again
        .add_elements([TimestampedValue(_doc("d", NEAR_COPY), 506)])  # same window: near copy of c
        .advance_watermark_to_infinity()
    )  # fmt: skip
    found = sorted(_run_stream(events, stream))
    assert found == sorted([
        ("a-p0000-s0000", None, None),
        ("b-p0000-s0000", "exact", "a-p0000-s0000"),
        ("b-p0001-s0000", None, None),
        ("n-p0000-s0000", "near", "a-p0000-s0000"),
        ("o-p0000-s0000", "exact", "b-p0001-s0000"),
        ("c-p0000-s0000", None, None),
        ("d-p0000-s0000", "near", "c-p0000-s0000"),
    ])  # fmt: skip


def test_index_of_earlier_runs_feeds_the_stream_state() -> None:
    """Exact and near copies of segments ingested by an earlier run point into that run."""
    stream = StreamConfig(window_seconds=10)
    (old,) = _doc("old", SENTENCE)[1]
    index_rows = [{"segment_id": old.segment_id, "content_hash": old.content_hash,
                   "shingles": list(old.shingles), "bands": list(old.bands),
                   "run_id": "earlier"}]  # fmt: skip
    events = (
        TestStream()
        .add_elements([TimestampedValue(_doc("new", SENTENCE), 3)])
        .add_elements([TimestampedValue(_doc("nn", NEAR_COPY), 4)])
        .advance_watermark_to_infinity()
    )
    assert sorted(_run_stream(events, stream, index_rows)) == [
        ("new-p0000-s0000", "exact", old.segment_id),
        ("nn-p0000-s0000", "near", old.segment_id),
    ]


def test_windowed_writes_commit_each_window_and_late_pane(tmp_path: Path) -> None:
    stream = StreamConfig(window_seconds=10, allowed_lateness_seconds=3600)

    def row(name: str) -> tuple[str, list[dict]]:
        when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        return "rejected", [{"source": name, "reason": "empty", "detail": None, "size_bytes": 0,
                             "rejected_at": when, "run_id": "r"}]  # fmt: skip

    events = (
        TestStream()
        .add_elements([TimestampedValue(row("a"), 1), TimestampedValue(row("b"), 2)])
        .advance_watermark_to(15)
        .add_elements([TimestampedValue(row("c"), 12)])
        .advance_watermark_to(30)
        .add_elements([TimestampedValue(row("late"), 3)])  # a late pane for window [0, 10)
        .advance_watermark_to_infinity()
    )
    with _streaming_pipeline() as p:
        _ = p | events | stream.windowing() | WriteTables(str(tmp_path), "run")
    files = sorted((tmp_path / "rejected").glob("*.parquet"))
    contents = sorted(sorted(pq.read_table(f).column("source").to_pylist()) for f in files)
    assert contents == [["a", "b"], ["c"], ["late"]]
    assert not (tmp_path / "_temporary").exists()


@pytest.mark.skipif(find_prism() is None, reason="Prism is built by ./run_local.sh (needs Go)")
def test_watch_picks_up_dropped_files_and_stops_cleanly(tmp_path: Path) -> None:
    inbox, output = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    proc = subprocess.Popen(
        [str(NEWSBEAM), "watch", "--input", str(inbox), "--output", str(output),
         "--window-seconds", "2", "--poll-seconds", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    seen: list[float] = []
    try:
        for seed in sorted(SEEDS.glob("*.txt"))[:3]:
            (inbox / seed.name).write_bytes(seed.read_bytes())
            dropped = time.monotonic()
            while True:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                sources = _sources(output)
                if any(s.endswith(seed.name) for s in sources):
                    seen.append(time.monotonic() - dropped)
                    break
                assert time.monotonic() - dropped < 120, f"{seed.name} not ingested within 120 s"
                time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    print("seconds from drop to committed output:", [round(s, 1) for s in seen])
    assert proc.returncode == 0, err
    assert "documents                3" in out
    assert not (output / "_temporary").exists() or not any((output / "_temporary").rglob("*.parquet"))
    assert not (output / "_lock").exists()
    # a restart ingests nothing twice
    again = subprocess.run(
        [str(NEWSBEAM), "watch", "--input", str(inbox), "--output", str(output), "--stop-after", "25"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert len(_sources(output)) == 3
    assert "skipped                  3" in again.stdout


def _sources(output: Path) -> list[str]:
    """Sources of the committed documents (none before the first window is committed)."""
    if not any((output / "documents").rglob("*.parquet")):
        return []
    return [
        s
        for (s,) in query(
            f"select source from read_parquet('{output}/documents/**/*.parquet', hive_partitioning=true)"
        )
    ]
