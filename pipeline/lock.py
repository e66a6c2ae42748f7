"""One run at a time per output folder: an exclusive lock file `DIR/_lock`.

Why a file created with O_EXCL: it is atomic on local and network POSIX filesystems, needs no
server, and tells an operator who holds it (pid, host, start time, run id). A lock whose process is
gone (same host, dead pid) is stale and taken over, so a crashed run never blocks the schedule.
Object stores (gs://, s3://) have no atomic create-if-absent through Beam's filesystems; there the
scheduler must not overlap runs (README, "Scheduling").
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

LOCK_NAME = "_lock"


class LockBusy(RuntimeError):
    """Another live run holds the lock."""


@dataclass
class RunLock:
    """Context manager holding `DIR/_lock` for the duration of a run."""

    output_dir: str
    run_id: str
    wait_seconds: float = 0.0
    poll_seconds: float = 1.0

    @property
    def path(self) -> Path | None:
        if "://" in self.output_dir:
            return None  # not a local path: see module docstring
        return Path(self.output_dir) / LOCK_NAME

    def _holder(self) -> dict:
        try:
            return json.loads(self.path.read_text())  # type: ignore[union-attr]
        except (OSError, ValueError):
            return {}

    def _stale(self, holder: dict) -> bool:
        if holder.get("host") != socket.gethostname():
            return False
        try:
            os.kill(int(holder.get("pid", -1)), 0)
        except (ProcessLookupError, ValueError):
            return True
        except PermissionError:
            return False
        return False

    def acquire(self) -> None:
        path = self.path
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.wait_seconds
        record = {"pid": os.getpid(), "host": socket.gethostname(), "run_id": self.run_id,
                  "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}  # fmt: skip
        while True:
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._holder()
                if self._stale(holder):
                    path.unlink(missing_ok=True)
                    continue
                if time.monotonic() >= deadline:
                    raise LockBusy(
                        f"{path} is held by run {holder.get('run_id', '?')} "
                        f"(pid {holder.get('pid', '?')} on {holder.get('host', '?')}, "
                        f"since {holder.get('since', '?')})"
                    ) from None
                time.sleep(self.poll_seconds)
                continue
            with os.fdopen(fd, "w") as handle:
                json.dump(record, handle)
            return

    def release(self) -> None:
        path = self.path
        if path is not None and self._holder().get("run_id") == self.run_id:
            path.unlink(missing_ok=True)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
