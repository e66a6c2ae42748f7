"""How every `newsbeam` command fails: one line on stderr saying what to do, and an exit code.

Why a click class rather than try/except in each command: a usage mistake (unknown option, missing
value) is detected by click before the command runs, and an unexpected exception can come from any
library under any command. Both end here: usage errors exit 2 with click's own message on one line,
anything else exits 1 with the exception's first line; the traceback only with `--verbose`.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import re
from collections.abc import Callable, Iterator, Sequence

import typer
from typer._click import exceptions as click  # typer 0.29 vendors click: its exceptions, not click's
from typer._click.core import Context
from typer.core import TyperCommand, TyperGroup

EXIT_FAILED = 1  # the run failed: nothing of it was committed (see Guarantees in the README)
EXIT_USAGE = 2  # a usage error: bad option, or a runner whose set-up is missing
EXIT_LOCKED = 75  # another run holds DIR/_lock (EX_TEMPFAIL: try again later)

#: Longest error line printed (a library's message can be a page long).
MAX_MESSAGE = 500


class UserError(Exception):
    """A mistake the user can fix (a path that is a file, a folder that is not an output...):
    printed as `error: <message>`, exit `code` (2 unless said otherwise), never a traceback."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


class DamagedFile(UserError):
    """A file of the output that cannot be read (cut footer, bad pages): names it, exit 1."""

    def __init__(self, path: object, error: BaseException, advice: str) -> None:
        super().__init__(f"{path}: damaged Parquet file ({one_line(error)}); {advice}", EXIT_FAILED)


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print `error: message` on stderr; returns the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def one_line(error: BaseException) -> str:
    """The first non-empty line of an exception's message, bounded."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = lines[0] if lines else type(error).__name__
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


#: What a user can do about the machine's faults, by errno (Beam re-raises a worker's OSError as a
#: RuntimeError whose message starts with it, hence the match on the text too).
_ENVIRONMENT = {
    errno.ENOSPC: "no space left on the device of {where}: free space and rerun (the output keeps what"
    " earlier runs committed; files of this run that were not committed are removed by the rerun,"
    " which ingests them again)",
    errno.EDQUOT: "disk quota exceeded on {where}: free space or raise the quota, then rerun",
    errno.EROFS: "{where} is on a read-only filesystem: give a writable --output",
    errno.EACCES: "permission denied writing {where}: give a folder you can write to",
}


def environment_message(error: BaseException, output: object = None) -> str | None:
    """A one-line diagnosis of a disk-full, quota or read-only failure anywhere in the chain."""
    where = f"the output {str(output)!r}" if output else "the output"
    seen: BaseException | None = error
    while seen is not None:
        code = getattr(seen, "errno", None)
        if code not in _ENVIRONMENT:
            found = re.search(r"\[Errno (\d+)\]", str(seen))
            code = int(found.group(1)) if found else None
        if code in _ENVIRONMENT:
            return _ENVIRONMENT[code].format(where=where)
        seen = seen.__cause__ or seen.__context__
    return None


class NewsbeamCommand(TyperCommand):
    """A typer command whose usage errors and failures are one line (see the module docstring)."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        with usage_errors_in_one_line(f"newsbeam {ctx.info_name}", _usage_message):
            return super().parse_args(ctx, args)

    def invoke(self, ctx: Context):
        from pipeline.logs import quiet_logging

        quiet_logging(bool(ctx.params.get("verbose")))  # before any command imports Beam (it logs at import)
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, click.ClickException, KeyboardInterrupt):
            raise
        except UserError as mistake:
            raise fail(one_line(mistake), mistake.code) from None
        except Exception as failure:
            if ctx.params.get("verbose"):
                raise
            hint = " (rerun with --verbose for the traceback)" if "verbose" in ctx.params else ""
            said = environment_message(failure, ctx.params.get("output"))
            if said:
                raise fail(said + hint, EXIT_FAILED) from None
            raise fail(f"{type(failure).__name__}: {one_line(failure)}{hint}", EXIT_FAILED) from None


class NewsbeamGroup(TyperGroup):
    """The `newsbeam` group: an unknown command is one line too."""

    def resolve_command(self, ctx: Context, args: list[str]):
        with usage_errors_in_one_line("newsbeam", click.UsageError.format_message):
            return super().resolve_command(ctx, args)


@contextlib.contextmanager
def usage_errors_in_one_line(command: str, describe: Callable[[click.UsageError], str]) -> Iterator[None]:
    """click's usage errors as `error: <describe(error)> (see `<command> --help`)`, exit 2 (help
    asked for by giving no arguments stays help)."""
    try:
        yield
    except click.NoArgsIsHelpError:
        raise
    except click.UsageError as mistake:
        raise fail(f"{describe(mistake)} (see `{command} --help`)") from None


def _usage_message(mistake: click.UsageError) -> str:
    """click's message, plus where Beam's own options go when the unknown one is Beam's."""
    message = mistake.format_message()
    if isinstance(mistake, click.NoSuchOption) and mistake.option_name.startswith("--"):
        from pipeline.logs import quiet_logging

        quiet_logging(False)  # before Beam is imported: it logs at import
        if not is_beam_option(mistake.option_name):
            return message
        return (
            f"{message}: it is a Beam pipeline option, which goes after `--` "
            f"(e.g. `newsbeam run -i 'in/*.txt' -o out -- {mistake.option_name}=...`)"
        )
    return message


def is_beam_option(name: str) -> bool:
    """True when Beam's PipelineOptions know the option `name` (`--runner`, `--flink_master`...)."""
    try:
        return not unknown_beam_options([name])
    except argparse.ArgumentError:  # known, but wants a value
        return True


def unknown_beam_options(beam_args: Sequence[str]) -> list[str]:
    """The options among `beam_args` that no Beam PipelineOptions class defines (Beam itself would
    drop them with a warning lost in its logs, and run without them)."""
    import apache_beam.runners.portability.flink_runner  # registers FlinkRunnerOptions
    import apache_beam.runners.portability.spark_runner  # noqa: F401 - registers SparkRunnerOptions
    from apache_beam.options.pipeline_options import PipelineOptions, _BeamArgumentParser

    parser = _BeamArgumentParser(allow_abbrev=False, exit_on_error=False)
    seen: dict[str, type] = {}
    for cls in PipelineOptions.__subclasses__():
        seen.setdefault(str(cls), cls)
    for cls in seen.values():
        cls._add_argparse_args(parser)  # how Beam itself collects them
    _, unknown = parser.parse_known_args(list(beam_args))
    options = [arg.split("=", 1)[0] for arg in unknown if arg.startswith("-")]
    return options or unknown  # a stray word (`-- FlinkRunner`) when no option is unknown


def check_beam_args(beam_args: Sequence[str]) -> list[str]:
    """The Beam arguments given after `--`, or a usage error naming what Beam does not know."""
    try:
        unknown = unknown_beam_options(beam_args)
    except argparse.ArgumentError as bad:
        raise fail(f"Beam pipeline option: {bad}") from None
    if unknown:
        raise fail(f"unknown Beam pipeline option(s): {', '.join(unknown)} (see Beam's PipelineOptions)")
    return list(beam_args)
