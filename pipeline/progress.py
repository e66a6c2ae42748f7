"""Progress of a long batch run on the terminal: documents done, documents/s, ETA.

Why in two parts: Beam's local runners report metrics only when a run ends, and with several worker
processes each worker sees only its own share (printing that made the count repeat and go
backwards). So each worker's `CountProgress` keeps its count in a file of a folder the run owns
(one file per worker, replaced atomically), and the process that launched the run prints their sum
(`ProgressPrinter`): one line at a time, never decreasing. On a remote runner the workers cannot
reach that folder, and the run prints no progress.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import apache_beam as beam


def format_eta(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def progress_line(done: int, expected: int | None, elapsed: float) -> str:
    """`1,234/10,000 documents  85.2 docs/s  ETA 1m43s` (no total or ETA when the total is unknown).

    The total is the number of input files; a JSON Lines file holds many documents, so once the
    count passes it the line stops pretending to a total: `12,400 documents (from 216 files)`.
    """
    rate = done / elapsed if elapsed > 0 else 0.0
    total = f"/{expected:,}" if expected and done <= expected else ""
    eta = ""
    if expected and rate > 0 and done < expected:
        eta = f"  ETA {format_eta((expected - done) / rate)}"
    if expected and done > expected:
        eta = f"  (from {expected:,} files)"
    return f"[newsbeam] {done:,}{total} documents  {rate:.1f} docs/s{eta}"


class CountProgress(beam.DoFn):
    """Pass-through DoFn that keeps this worker's document count in `folder/<worker>` (at most every
    `every_seconds`, and at the end of each bundle)."""

    def __init__(self, folder: str, every_seconds: float = 1.0) -> None:
        self._folder = folder
        self._every = every_seconds

    def setup(self) -> None:
        self._path = os.path.join(self._folder, uuid.uuid4().hex)
        self._done = 0
        self._last = 0.0

    def _save(self) -> None:
        try:
            scratch = f"{self._path}.tmp"
            with open(scratch, "w", encoding="ascii") as handle:
                handle.write(str(self._done))
            os.replace(scratch, self._path)
        except OSError:  # the folder is gone (the run ended) or not reachable from this worker
            pass

    def process(self, element: object) -> Iterator[object]:
        self._done += 1
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            self._save()
        yield element

    def finish_bundle(self) -> None:
        self._save()


def documents_done(folder: Path) -> int:
    """The sum of the workers' counts (a file being replaced is read on the next poll)."""
    total = 0
    for path in folder.iterdir():
        if not path.name.endswith(".tmp"):
            with contextlib.suppress(OSError, ValueError):
                total += int(path.read_text(encoding="ascii") or 0)
    return total


class ProgressPrinter:
    """Prints the workers' summed count on stderr every `every_seconds` while the run goes on, only
    when it grew (so a line never repeats nor goes backwards); a context manager around the run."""

    def __init__(self, folder: Path, expected: int | None, every_seconds: float = 5.0) -> None:
        self._folder = folder
        self._expected = expected
        self._every = every_seconds
        self._stop = threading.Event()
        self._shown = 0
        self._tty = sys.stderr.isatty()

    def __enter__(self) -> ProgressPrinter:
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name="newsbeam-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        if self._shown and self._tty:
            sys.stderr.write("\n")

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            self.show(documents_done(self._folder))

    def show(self, done: int) -> None:
        if done <= self._shown:
            return
        self._shown = done
        line = progress_line(done, self._expected, time.monotonic() - self._started)
        sys.stderr.write(f"\r{line}" if self._tty else f"{line}\n")
        sys.stderr.flush()
