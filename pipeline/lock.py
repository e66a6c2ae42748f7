"""One run at a time per output folder: a kernel lock (`flock`) on the file `DIR/_lock`.

Why `flock` rather than "the file exists": the kernel releases the lock when the holding process
ends, however it ends (SIGKILL, power cut of the process, a full disk while writing the holder's
record), so no stale lock can jam a schedule, and no liveness guess (pid, host) is needed. The
file's content (pid, host, start time, run id) is for the operator only: empty or garbage content
(a full disk when it was written) changes nothing. The file exists while a run holds it (the holder
deletes it before unlocking; a waiter checks it still locked the file at the path, not a deleted
one). Object stores (gs://, s3://) have no locks through Beam's filesystems; there the scheduler
must not overlap runs (README, "Scheduling").
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.command import EXIT_LOCKED, UserError

LOCK_NAME = "_lock"


class LockBusy(UserError):
    """Another live run holds the lock: `error: output is locked by another run: ...`, exit 75."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"output is locked by another run: {detail}", EXIT_LOCKED)


@dataclass
class RunLock:
    """Context manager holding `DIR/_lock` for the duration of a run."""

    output_dir: str
    run_id: str
    wait_seconds: float = 0.0
    poll_seconds: float = 1.0
    _fd: int | None = field(default=None, init=False, repr=False)

    @property
    def path(self) -> Path | None:
        if "://" in self.output_dir:
            return None  # not a local path: see module docstring
        return Path(self.output_dir) / LOCK_NAME

    def _holder(self) -> dict:
        try:
            holder = json.loads(self.path.read_text())  # type: ignore[union-attr]
        except (OSError, ValueError):
            return {}
        return holder if isinstance(holder, dict) else {}

    def _try_lock(self, path: Path) -> int | None:
        """A descriptor of `path` locked by us, or None if a live process holds it."""
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:  # the holder we waited for may have deleted the file: then we locked a ghost
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if not same:
            os.close(fd)
            return self._try_lock(path)
        return fd

    def acquire(self) -> None:
        path = self.path
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.wait_seconds
        while (fd := self._try_lock(path)) is None:
            if time.monotonic() >= deadline:
                holder = self._holder()
                who = (
                    f"run {holder.get('run_id', '?')} (pid {holder.get('pid', '?')} on "
                    f"{holder.get('host', '?')}, since {holder.get('since', '?')})"
                    if holder
                    else "a live process (its record is unreadable)"
                )
                raise LockBusy(f"{path} is held by {who}")
            time.sleep(self.poll_seconds)
        self._fd = fd
        record = {"pid": os.getpid(), "host": socket.gethostname(), "run_id": self.run_id,
                  "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}  # fmt: skip
        with contextlib.suppress(OSError):  # a full disk: the kernel lock is what counts
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(record).encode(), 0)

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            if self.path is not None:
                self.path.unlink(missing_ok=True)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
