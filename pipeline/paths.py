"""What the CLI checks of the paths it is given, before any pipeline starts.

Why up front: a mistyped folder given to a scheduled job must fail loudly (exit 2) instead of
"succeeding" on nothing forever, and an output path that is a file must not end in a traceback
after minutes of work.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from pipeline.command import UserError
from transforms.records import FOLDER_FILES


def _is_local(path: str) -> bool:
    return "://" not in path


def input_patterns(inputs: Sequence[str]) -> list[str]:
    """The globs to read: a local folder becomes the files in it (`FOLDER_FILES`); local paths are
    made absolute and normalized.

    Why absolute: a document's identity is its path, so `in/*.txt`, `./in/*.txt` and `/abs/in/*.txt`
    must name the same file the same way, and `in/a.txt` under two working directories (two
    different files) must not. Symlinks are kept as given (a link is the name the user chose).
    """
    patterns = []
    for path in inputs:
        if not _is_local(path):
            patterns.append(path)
            continue
        path = os.path.abspath(path)
        patterns.append(os.path.join(path, FOLDER_FILES) if os.path.isdir(path) else path)
    return patterns


def unmatched_inputs(patterns: Sequence[str]) -> list[str]:
    """The patterns that match no file now (a pattern on a filesystem that cannot be listed from
    here is not judged: the run reports it)."""
    from apache_beam.io.filesystems import FileSystems

    missing = []
    for pattern in patterns:
        try:
            (result,) = FileSystems.match([pattern])
        except Exception:  # an unreachable bucket, a missing filesystem extra
            continue
        if not any(not m.path.endswith("/") for m in result.metadata_list):
            missing.append(pattern)
    return missing


def check_output_path(output: str, table_format: str = "delta") -> None:
    """An output must be a folder we can write to, or not exist yet (it is created); a plain Parquet
    run must not write into an output whose tables keep a Delta log (the log would miss its files),
    and the Delta log is kept on local paths only."""
    if _is_local(output) and os.path.exists(output) and not os.path.isdir(output):
        raise UserError(f"--output {output!r} is a file; give a folder (it is created if missing)")
    if _is_local(output):
        _check_writable(output)
        from transforms.delta_log import has_log

        if table_format == "parquet" and has_log(output):
            raise UserError(
                f"--output {output!r} keeps a Delta Lake log (its tables' _delta_log/); "
                "drop --format parquet, or give a new output"
            )


def _check_writable(output: str) -> None:
    """Fail now, in one line, when the output (or the nearest folder that exists above it, where it
    would be created) cannot be written: a read-only or foreign folder must not fail mid-run. Creates
    nothing that stays (a usage error leaves no folder behind)."""
    folder = os.path.abspath(output)
    while not os.path.exists(folder):
        folder = os.path.dirname(folder)
    probe = os.path.join(folder, f".newsbeam-write-probe-{os.getpid()}")
    try:
        with open(probe, "wb"):
            pass
        os.unlink(probe)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise UserError(
            f"cannot write to --output {output!r}: {reason}; give a folder you can write to"
        ) from None


def existing_output(output: Path) -> Path:
    """An output folder to read (stats, report, compact): it must exist and look like one."""
    if not output.exists():
        raise UserError(f"{str(output)!r}: no such folder (give the --output folder of a newsbeam run)")
    if not output.is_dir():
        raise UserError(f"{str(output)!r} is a file, not an output folder")
    if not (output / "_runs").is_dir() and not (output / "documents").is_dir():
        raise UserError(f"{str(output)!r} is not a newsbeam output (no _runs/ or documents/ in it)")
    return output
