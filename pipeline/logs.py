"""Logging set-up of the CLI: set before Beam is imported, since Beam logs at import time."""

from __future__ import annotations

import logging
import threading


def _hang_up(exc: BaseException | None) -> bool:
    """A gRPC stream cancelled by the other side: how a portable runner ends a worker's streams."""
    return exc is not None and "StatusCode.CANCELLED" in str(exc)


class _DropNoise(logging.Filter):
    """Drop what is not news to the user.

    - Beam's GCP extras log a warning at import when apitools is absent; it is not ours to fix.
    - With a portable runner (Flink) and LOOPBACK workers, the runner hangs up the data stream at the
      end of every bundle set and the worker logs the cancelled stream as an error with a traceback.
    - Beam announces, as warnings, each job server JVM it starts, waits for and stops.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "apitools not found" in message or message.startswith(
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
