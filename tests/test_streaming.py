"""Streaming semantics: TestStream on the DirectRunner, and `newsbeam watch` end to end on Prism."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import time
from pathlib import Path

import apache_beam as beam
import pyarrow.parquet as pq
import pytest
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue

from pipeline.stream import StreamConfig, find_prism
from tests.conftest import NEWSBEAM, SEEDS, query
from transforms.dedup.stream import CrossWindowExactDedup
from transforms.records import DedupVerdict, Segment
from transforms.write import WriteTables

SENTENCE = "Le maréchal Haftar a lancé l'armée contre la capitale de la Libye."


def _segment(doc: str, text: str = SENTENCE) -> tuple[Segment, DedupVerdict]:
    from transforms.segment import content_hash

    segment = Segment(doc, f"{doc}-p0000-s0000", 0, 0, 0, len(text), text, content_hash(text), (1, doc))
    return segment, DedupVerdict(segment.segment_id, False)


def _streaming_pipeline() -> TestPipeline:
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    return TestPipeline(options=options)


def test_exact_dedup_across_windows_with_horizon_and_late_data() -> None:
    """Copies in later windows point at the first copy; after the horizon the state is forgotten;
    a late copy (behind the watermark, within allowed lateness) is still processed and flagged."""
    stream = StreamConfig(window_seconds=10, horizon_seconds=100, allowed_lateness_seconds=3600)
    events = (
        TestStream()
        .advance_watermark_to(0)
        .add_elements([TimestampedValue(_segment("a"), 1)])  # window [0, 10): canonical
        .advance_watermark_to(20)
        .add_elements([TimestampedValue(_segment("b"), 25)])  # window [20, 30): copy of a
        .add_elements([TimestampedValue(_segment("late"), 5)])  # late, window [0, 10): copy of a
        .advance_watermark_to(500)  # past a's horizon (1 + 100): state cleared
        .add_elements([TimestampedValue(_segment("c"), 505)])  # canonical again, a new first copy
        .add_elements(
            [
                TimestampedValue(
                    _segment("d"),
                    506,
                ),
                TimestampedValue(_segment("e", "Autre phrase assez longue pour compter ici."), 507),
            ]
        )
        .advance_watermark_to_infinity()
    )
    with _streaming_pipeline() as p:
        verdicts = (
            p
            | events
            | stream.windowing()
            | CrossWindowExactDedup(stream)
            | beam.Map(lambda pair: (pair[0].doc_id, pair[1].is_duplicate, pair[1].duplicate_of))
        )
        assert_that(
            verdicts,
            equal_to([
                ("a", False, None),
                ("b", True, "a-p0000-s0000"),
                ("late", True, "a-p0000-s0000"),
                ("c", False, None),
                ("d", True, "c-p0000-s0000"),
                ("e", False, None),
            ]),
        )  # fmt: skip


def test_index_of_earlier_runs_feeds_the_stream_state() -> None:
    stream = StreamConfig(window_seconds=10)
    events = TestStream().add_elements([TimestampedValue(_segment("new"), 3)]).advance_watermark_to_infinity()
    with _streaming_pipeline() as p:
        index = p | "Index" >> beam.Create(
            [{"content_hash": _segment("x")[0].content_hash, "segment_id": "old-p0000-s0000"}]
        )
        verdicts = (
            p
            | events
            | stream.windowing()
            | CrossWindowExactDedup(stream, index)
            | beam.Map(lambda pair: (pair[0].doc_id, pair[1].duplicate_of))
        )
        assert_that(verdicts, equal_to([("new", "old-p0000-s0000")]))


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
