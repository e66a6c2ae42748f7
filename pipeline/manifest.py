"""Run summary and manifest: what a run read, wrote and rejected, from Beam's metrics counters.

Why counters: they are what every Beam runner reports, so the same summary works on the
DirectRunner and on a distributed runner, and the numbers are the pipeline's own, not a re-read.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import posixpath
from dataclasses import dataclass, field
from typing import Any

from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics.metric import MetricsFilter

RUNS_DIRNAME = "_runs"
#: Sources of `documents.pub_date`, strongest first (transforms/dates/publication.py).
PUB_DATE_SOURCES = ("header", "metadata", "dateline", "path", "content")
NAMESPACE = "newsbeam"


def counters(result: Any) -> dict[str, int]:
    """All `newsbeam` counters of a finished pipeline result, committed values."""
    query = result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))
    totals: dict[str, int] = {}
    for counter in query["counters"]:
        value = counter.committed if counter.committed is not None else counter.attempted
        totals[counter.key.metric.name] = totals.get(counter.key.metric.name, 0) + int(value or 0)
    return dict(sorted(totals.items()))


@dataclass
class RunSummary:
    """The operator's view of one run."""

    run_id: str
    output: str
    inputs: list[str]
    started_at: str
    finished_at: str
    wall_seconds: float
    counters: dict[str, int]
    options: dict[str, Any] = field(default_factory=dict)
    #: Each table's Delta version after this run (the consistent cut, `delta_log.table_versions`).
    delta_versions: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of_run(
        cls, config: Any, started: dt.datetime, wall_seconds: float, counters: dict[str, int], options: dict
    ) -> RunSummary:
        """The summary of a finished run described by its RunConfig (pipeline/build.py)."""
        return cls(
            run_id=config.run_id,
            output=config.output,
            inputs=list(config.inputs),
            started_at=started.isoformat(),
            finished_at=dt.datetime.now(dt.UTC).isoformat(),
            wall_seconds=wall_seconds,
            counters=counters,
            options=options,
            delta_versions=delta_versions_of(config.output, config.run_id),
        )

    @property
    def files_read(self) -> int:
        return self.counters.get("files_read", 0)

    @property
    def records_read(self) -> int:
        """Inputs read: one per text file, one per non-blank line of a JSON Lines file."""
        return self.counters.get("records_read", 0)

    @property
    def documents(self) -> int:
        return self.counters.get("documents", 0)

    @property
    def rejected(self) -> int:
        return self.counters.get("rejected", 0)

    @property
    def skipped(self) -> int:
        return self.counters.get("skipped_already_ingested", 0)

    @property
    def dated(self) -> int:
        """Documents of this run with a publication date."""
        return sum(self.counters.get(f"pub_date_{source}", 0) for source in PUB_DATE_SOURCES)

    @property
    def dated_by(self) -> str:
        """Where the publication dates came from, e.g. "dateline 97, path 1, none 2"."""
        parts = [
            f"{source} {self.counters[f'pub_date_{source}']}"
            for source in (*PUB_DATE_SOURCES, "none")
            if self.counters.get(f"pub_date_{source}")
        ]
        return ", ".join(parts) or "none"

    @property
    def counts_add_up(self) -> bool:
        """records read = documents ingested + skipped (already ingested) + rejected."""
        return self.records_read == self.documents + self.skipped + self.rejected

    def to_json(self) -> dict[str, Any]:
        import apache_beam
        import pyarrow
        import spacy

        return {
            "run_id": self.run_id,
            "output": self.output,
            "inputs": self.inputs,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "wall_seconds": round(self.wall_seconds, 3),
            "counts": {
                "files_read": self.files_read,
                "records_read": self.records_read,
                "documents": self.documents,
                "rejected": self.rejected,
                "skipped_already_ingested": self.skipped,
                "segments": self.counters.get("segments", 0),
                "duplicate_segments": self.counters.get("duplicates_exact", 0)
                + self.counters.get("duplicates_near", 0),
                "entities": self.counters.get("entities", 0),
                "dates": self.counters.get("dates", 0),
                "rows": {k[5:]: v for k, v in self.counters.items() if k.startswith("rows_")},
            },
            "counts_add_up": self.counts_add_up,
            "delta_versions": self.delta_versions,
            "counters": self.counters,
            "options": self.options,
            "versions": {
                "python": platform.python_version(),
                "apache_beam": apache_beam.__version__,
                "spacy": spacy.__version__,
                "pyarrow": pyarrow.__version__,
            },
        }

    def render(self) -> str:
        c = self.counters
        dup_exact, dup_near = c.get("duplicates_exact", 0), c.get("duplicates_near", 0)
        check = "ok" if self.counts_add_up else "MISMATCH"
        lines = [
            f"newsbeam run {self.run_id} -> {self.output}",
            f"  files read        {self.files_read:>8}",
            f"  records read      {self.records_read:>8}   (= documents + skipped + rejected: {check})",
            f"  documents         {self.documents:>8}   (new this run)",
            f"  skipped           {self.skipped:>8}   (already ingested)",
            f"  rejected          {self.rejected:>8}",
            f"  dated             {self.dated:>8}   ({self.dated_by})",
            f"  segments          {c.get('segments', 0):>8}",
            f"  duplicates        {dup_exact + dup_near:>8}   (exact {dup_exact}, near {dup_near})",
            f"  whole copies      {c.get('whole_copies', 0):>8}   (same body as an earlier document"
            f" of this run; {c.get('ingested_bodies', 0)} as one of an earlier run)",
            f"  entities          {c.get('entities', 0):>8}",
            f"  dates             {c.get('dates', 0):>8}",
            f"  wall time         {self.wall_seconds:>8.1f} s",
        ]
        return "\n".join(lines)

    def render_counters(self) -> str:
        """Every Beam counter of the run (the summary's sources), one per line."""
        width = max((len(name) for name in self.counters), default=0)
        return "\n".join(f"  {name:<{width}}  {value:>10,}" for name, value in self.counters.items())


def delta_versions_of(output: str, run_id: str) -> dict[str, int]:
    """The tables' Delta versions after `run_id`'s last commit; empty without a log (plain Parquet,
    an object store, or a run that wrote nothing)."""
    from transforms.delta_log import table_versions

    if "://" in output:
        return {}
    try:
        return table_versions(output, run_id)
    except KeyError:
        return {}


def write_manifest(summary: RunSummary) -> str:
    """Write `_runs/<run_id>.json` under the output through Beam's filesystems; returns its path."""
    path = posixpath.join(summary.output.rstrip("/"), RUNS_DIRNAME, f"{summary.run_id}.json")
    runs_dir = posixpath.dirname(path)
    if not FileSystems.exists(runs_dir):
        FileSystems.mkdirs(runs_dir)
    with FileSystems.create(path) as handle:
        handle.write(json.dumps(summary.to_json(), indent=2, default=str).encode())
    return path
