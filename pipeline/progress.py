"""Progress of a long batch run on the terminal: documents done, documents/s, ETA.

Why in the pipeline: Beam's local runners report metrics only when a run ends, so a DoFn after the
document assembly step reports as documents pass. With several worker processes each reports its
own share (rate and ETA are then per process); the final summary has the exact counts.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator

import apache_beam as beam


def format_eta(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def progress_line(done: int, expected: int | None, elapsed: float) -> str:
    """`1,234/10,000 documents  85.2 docs/s  ETA 1m43s` (no total or ETA when the total is unknown)."""
    rate = done / elapsed if elapsed > 0 else 0.0
    total = f"/{expected:,}" if expected else ""
    eta = ""
    if expected and rate > 0 and done < expected:
        eta = f"  ETA {format_eta((expected - done) / rate)}"
    return f"[newsbeam] {done:,}{total} documents  {rate:.1f} docs/s{eta}"


class ReportProgress(beam.DoFn):
    """Pass-through DoFn that prints progress to stderr at most every `every_seconds`."""

    def __init__(self, expected: int | None, every_seconds: float = 5.0) -> None:
        self._expected = expected
        self._every = every_seconds

    def setup(self) -> None:
        self._started = time.monotonic()
        self._last = 0.0
        self._done = 0
        self._tty = sys.stderr.isatty()

    def process(self, element: object) -> Iterator[object]:
        self._done += 1
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            line = progress_line(self._done, self._expected, now - self._started)
            sys.stderr.write(f"\r{line}" if self._tty else f"{line}\n")
            sys.stderr.flush()
        yield element

    def teardown(self) -> None:
        if getattr(self, "_tty", False):
            sys.stderr.write("\n")
