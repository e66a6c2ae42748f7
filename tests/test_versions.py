"""One place for the toolchain versions (`pipeline/toolchain.env`), and everything else agrees with it.

Why a test: the Flink version and the job server's Beam version are needed by shell (set-up and the
local cluster), by Maven (the POM's own coordinates cannot be read from a file) and by Python (the jar
name and `--flink_version` at run time). The scripts and Python read the file; this test catches a
version written by hand anywhere else.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from pipeline.flink import FLINK_VERSION, JOB_SERVER_BEAM_VERSION, toolchain_versions
from tests.conftest import ROOT

POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def test_python_reads_the_versions_file() -> None:
    versions = toolchain_versions()
    flink = {"FLINK_MINOR", "FLINK_VERSION", "JOB_SERVER_BEAM_VERSION"}
    assert set(versions) == flink | {"DELTA_SPARK_SPARK_MINOR", "DELTA_SPARK_VERSION"}
    assert versions["FLINK_MINOR"] == FLINK_VERSION and versions["FLINK_VERSION"].startswith(
        FLINK_VERSION + "."
    )
    assert versions["JOB_SERVER_BEAM_VERSION"] == JOB_SERVER_BEAM_VERSION


def test_the_pom_coordinates_and_defaults_agree() -> None:
    versions = toolchain_versions()
    pom = ET.parse(ROOT / "deploy" / "flink" / "job-server" / "pom.xml").getroot()
    assert (
        pom.findtext("m:artifactId", namespaces=POM_NS)
        == f"beam-runners-flink-{versions['FLINK_MINOR']}-job-server"
    )
    assert pom.findtext("m:version", namespaces=POM_NS) == versions["JOB_SERVER_BEAM_VERSION"]
    assert (
        pom.findtext("m:properties/m:beam.version", namespaces=POM_NS) == versions["JOB_SERVER_BEAM_VERSION"]
    )
    assert pom.findtext("m:properties/m:flink.minor", namespaces=POM_NS) == versions["FLINK_MINOR"]


def test_no_script_writes_a_version_of_its_own() -> None:
    versions = toolchain_versions()
    written = re.compile(
        "|".join(re.escape(v) for v in sorted(set(versions.values()), key=len, reverse=True))
    )
    for script in (
        "deploy/flink/setup.sh",
        "deploy/flink/cluster.sh",
        "pipeline/flink.py",
        "deploy/delta/setup.sh",
    ):
        text = (ROOT / script).read_text(encoding="utf-8")
        assert not written.search(text), f"{script} writes a version by hand: {written.search(text).group()}"
        assert "toolchain.env" in text, script


def test_the_pinned_spark_is_the_one_the_delta_jars_are_built_for() -> None:
    """delta-spark is built per Spark minor (`delta-spark_4.2_2.13`): the test extra's pyspark pin
    must be that minor, or Spark cannot read the Delta tables (tests/test_delta_log.py)."""
    versions = toolchain_versions()
    pin = re.search(r'"pyspark==([0-9.]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pin and pin.group(1).startswith(versions["DELTA_SPARK_SPARK_MINOR"] + ".")
