"""Defaults for Beam's FlinkRunner: the job server jar comes from set-up, never from a run.

Why: given `--runner=FlinkRunner` alone, Beam's Python SDK downloads the Flink job server jar from
Maven Central at run time (into ~/.apache_beam/cache). Here nothing may download at run time: the
jar is the one `deploy/flink/setup.sh` put in `.tools/flink/` (Beam's own at the SDK's version when the
registry serves it, else assembled from its parts at the Beam version of `pipeline/toolchain.env`,
see docs/scaling.md). So a
FlinkRunner run is given that jar and that Flink version unless the user named their own jar, job
endpoint or version; without any jar the run stops with a clear error before Beam tries to fetch one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from pipeline.command import UserError


def toolchain_versions() -> dict[str, str]:
    """`pipeline/toolchain.env`: the versions the Flink (and Delta Spark) set-up scripts use (one
    place for them)."""
    import importlib.resources

    text = importlib.resources.files("pipeline").joinpath("toolchain.env").read_text(encoding="utf-8")
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


#: The Flink minor version and Beam version of the job server `deploy/flink/setup.sh` builds.
FLINK_VERSION = toolchain_versions()["FLINK_MINOR"]
JOB_SERVER_BEAM_VERSION = toolchain_versions()["JOB_SERVER_BEAM_VERSION"]


class FlinkSetupMissing(UserError):
    """FlinkRunner was asked for but no job server jar is available locally (a usage error, exit 2)."""


def job_server_jar_name(beam_version: str) -> str:
    """The file name Beam's Maven artifact has, and the one set-up gives the jar it assembles."""
    return f"beam-runners-flink-{FLINK_VERSION}-job-server-{beam_version}.jar"


def find_job_server_jar() -> str | None:
    """The job server jar: $NEWSBEAM_FLINK_JOB_SERVER_JAR when set (and only it); else in the
    project's `.tools/flink/` Beam's own jar at the SDK's version if set-up could fetch it, then the
    one set-up assembled; None when there is none."""
    if os.environ.get("NEWSBEAM_FLINK_JOB_SERVER_JAR"):
        candidates = [os.environ["NEWSBEAM_FLINK_JOB_SERVER_JAR"]]
    else:
        from apache_beam.version import __version__ as sdk_version

        tools = Path(__file__).resolve().parent.parent / ".tools" / "flink"
        candidates = [str(tools / job_server_jar_name(v)) for v in (sdk_version, JOB_SERVER_BEAM_VERSION)]
    return next((c for c in candidates if os.path.isfile(c)), None)


def _given(beam_args: Sequence[str], name: str) -> bool:
    return any(arg == f"--{name}" or arg.startswith(f"--{name}=") for arg in beam_args)


def runner_name(beam_args: Sequence[str]) -> str | None:
    """The `--runner` the Beam arguments name, as given; None if they name none."""
    for i, arg in enumerate(beam_args):
        if arg.startswith("--runner="):
            return arg.split("=", 1)[1]
        if arg == "--runner" and i + 1 < len(beam_args):
            return beam_args[i + 1]
    return None


def is_flink(beam_args: Sequence[str]) -> bool:
    """True when the arguments ask for Beam's FlinkRunner (by any of the names Beam accepts)."""
    runner = (runner_name(beam_args) or "").lower()
    return runner in ("flinkrunner", "flink") or runner.endswith(".flinkrunner")


def with_flink_defaults(beam_args: Sequence[str], jar: str | None = None) -> list[str]:
    """The arguments, plus the local job server jar and Flink version when FlinkRunner is asked
    for and the user did not choose them; unchanged for any other runner.

    Raises FlinkSetupMissing when FlinkRunner would otherwise download a job server at run time.
    """
    args = list(beam_args)
    if not is_flink(args):
        return args
    if not _given(args, "flink_version"):
        args.append(f"--flink_version={FLINK_VERSION}")
    if not (_given(args, "flink_job_server_jar") or _given(args, "job_endpoint")):
        jar = jar or find_job_server_jar()
        if jar is None:
            raise FlinkSetupMissing(
                "FlinkRunner needs Beam's Flink job server jar, and newsbeam never downloads one at run "
                "time: run `bash deploy/flink/setup.sh` (builds it with Maven into .tools/flink/), or pass "
                "--flink_job_server_jar=PATH, or --job_endpoint=HOST:PORT of a running job server"
            )
        args.append(f"--flink_job_server_jar={jar}")
    return args
