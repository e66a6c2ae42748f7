"""Logging set-up of the CLI: set before Beam is imported, since Beam logs at import time."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator
from typing import BinaryIO

#: The DirectRunner (Beam's FnApiRunner) logs each fused stage it starts here, at DEBUG.
STAGE_LOGGER = "apache_beam.runners.portability.fn_api_runner.fn_runner.run_bundle"
#: A file to append stage start times to (benchmarks/stages.py sums them); unset: none are kept.
STAGE_LOG_ENV = "NEWSBEAM_STAGE_LOG"
#: Markers `pipeline.runner` writes around each pipeline run (benchmarks/stages.py reads them).
PIPELINE_START = "newsbeam: pipeline start"
PIPELINE_END = "newsbeam: pipeline end"


def _hang_up(exc: BaseException | None) -> bool:
    """A gRPC stream cancelled by the other side: how a portable runner ends a worker's streams."""
    return exc is not None and "StatusCode.CANCELLED" in str(exc)


#: Messages that are Beam's business, not the user's (also when forwarded from a worker).
_NOISE = ("apitools not found", "No semi_persistent_directory found", "Discarding unparseable args")


class _DropNoise(logging.Filter):
    """Drop what is not news to the user.

    - Beam's GCP extras log a warning at import when apitools is absent; it is not ours to fix.
    - With a portable runner (Flink) and LOOPBACK workers, the runner hangs up the data stream at the
      end of every bundle set and the worker logs the cancelled stream as an error with a traceback.
    - Beam announces, as warnings, each job server JVM it starts, waits for and stops.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(noise in message for noise in _NOISE) or message.startswith(
            ("Really starting", "Really destroying", "Waiting for grpc channel to be ready")
        ):
            return False
        exc = record.exc_info[1] if record.exc_info else None
        return not (message.startswith("Failed to read inputs in the data plane") and _hang_up(exc))


def _quiet_hang_ups(args: threading.ExceptHookArgs) -> None:
    if args.thread is not None and args.thread.name == "read_grpc_client_inputs" and _hang_up(args.exc_value):
        return  # the same cancelled stream, raised again in Beam's reader thread
    threading.__excepthook__(args)


def quiet_logging(verbose: bool) -> None:
    """WARNING and above only (Beam logs every stage at INFO), unless --verbose."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(_DropNoise())
    if not verbose:
        logging.getLogger("apache_beam").setLevel(logging.WARNING)
        threading.excepthook = _quiet_hang_ups
    log_stages()


def log_stages() -> None:
    """With $NEWSBEAM_STAGE_LOG set, append `<unix time> <message>` for every fused stage the
    DirectRunner starts and for every pipeline start and end (`stage_event`).

    Why: py-spy tells which functions cost CPU, not how long each stage held the run (including
    cores idle on a stage that runs on one worker); benchmarks/stages.py turns this into seconds
    per stage. Beam writes the stage names itself; we only keep its DEBUG records of that logger.
    """
    path = os.environ.get(STAGE_LOG_ENV)
    logger = logging.getLogger(STAGE_LOGGER)
    if not path or any(getattr(h, "newsbeam_stages", False) for h in logger.handlers):
        return
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(created).3f %(message)s"))
    handler.newsbeam_stages = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False


def stage_event(message: str) -> None:
    """A marker in the stage log (no-op unless `log_stages` attached a file)."""
    logging.getLogger(STAGE_LOGGER).debug(message)


#: Lines of the run's own that pass through while worker output is captured (`worker_output_to`).
OURS = ("[newsbeam]", "error:", "warning:")


def _open_log(path: str) -> BinaryIO | None:
    """The worker log opened for appending, or None where it cannot be (a full or read-only disk:
    the run then fails on its own writes, with its own message, and our lines still show)."""
    try:
        return open(path, "ab")  # closed by the pump
    except OSError:
        return None


def _append(log: BinaryIO | None, line: bytes) -> BinaryIO | None:
    """Write a line to the log; on a write error (disk full) stop logging rather than fail."""
    if log is None:
        return None
    try:
        log.write(line)
    except OSError:
        with contextlib.suppress(OSError):
            log.close()
        return None
    return log


@contextlib.contextmanager
def worker_output_to(path: str) -> Iterator[None]:
    """While the block runs, what is written to file descriptor 2 (stderr) goes to `path`, except
    our own lines (`OURS`), which still reach the terminal.

    Why at the descriptor: the DirectRunner's worker processes inherit it and log their start-up at
    INFO there (before any option of ours can reach them), and Beam's GCP module warns at import in
    each of them; no logging setting of this process can quiet them. Their output is kept in `path`
    for a post-mortem, and a failure still reaches the user as the run's exception.
    """
    sys.stderr.flush()
    terminal = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    def pump() -> None:
        log = _open_log(path)
        try:
            with open(read_end, "rb", buffering=0) as pipe:
                for line in pipe:
                    log = _append(log, line)
                    text = line.lstrip(b"\r")
                    if text.startswith(tuple(prefix.encode() for prefix in OURS)):
                        os.write(terminal, line)
        finally:
            if log is not None:
                with contextlib.suppress(OSError):
                    log.close()

    thread = threading.Thread(target=pump, name="newsbeam-stderr", daemon=True)
    thread.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(terminal, 2)  # closes the pipe's last write end in this process
        thread.join(timeout=5)  # a worker still alive keeps its copy open: do not wait for it
        os.close(terminal)
