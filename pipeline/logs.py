"""Logging set-up of the CLI: set before Beam is imported, since Beam logs at import time."""

from __future__ import annotations

import logging


class _DropNoise(logging.Filter):
    """Beam's GCP extras log a warning at import when apitools is absent; it is not ours to fix."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "apitools not found" not in record.getMessage()


def quiet_logging(verbose: bool) -> None:
    """WARNING and above only (Beam logs every stage at INFO), unless --verbose."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s"
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(_DropNoise())
    if not verbose:
        logging.getLogger("apache_beam").setLevel(logging.WARNING)
