"""`stats`, `report` and `compact` on real pipeline output.

Why real output: these commands only make sense against what the pipeline actually writes (its
partitions, NULL partition, state tables, manifests), so they run on the session's seeds output
(conftest `seeds_run`), copied before anything is rewritten, and on 20 real incremental runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.analytics import iter_partitions, open_table
from pipeline.analytics.compact import COMPACTED_FROM_KEY, compact, file_digest
from pipeline.analytics.report import CHART_IDS, TABLE_IDS, write_report
from pipeline.analytics.stats import collect_stats, render_stats
from pipeline.lock import LockBusy, RunLock
from schemas.tables import NULL_PARTITION, PARTITION_COLUMN, PRIMARY_KEYS, TABLE_DIRS, TABLES
from transforms import delta_log

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="module")
def out_dir(seeds_run: tuple[Path, subprocess.CompletedProcess]) -> Path:
    """The session's seeds output; read only (tests that rewrite copy it first)."""
    return seeds_run[0]


def _contents(root: Path) -> dict[str, pa.Table]:
    """Every table's rows in primary-key order (declared schema), to compare before/after."""
    tables = {}
    for table in TABLES:
        dataset = open_table(root, table)
        if dataset is not None:
            tables[table] = dataset.to_table().sort_by([(c, "ascending") for c in PRIMARY_KEYS[table]])
    return tables


def _files(root: Path) -> dict[str, tuple[int, int]]:
    """Every data file (relative path) with its size and mtime: proof that nothing was rewritten."""
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*.parquet")
        if "_temporary" not in p.parts
    }


def split_partitions(root: Path, pieces: int = 3) -> None:
    """Split every single-file partition into `pieces` files, named like the writer names them,
    as several small runs would have left it."""
    for partition in iter_partitions(root):
        for path in partition.files():
            rows = pq.ParquetFile(path).read()
            if rows.num_rows < pieces:
                continue
            path.unlink()
            step = -(-rows.num_rows // pieces)
            for start in range(0, rows.num_rows, step):
                chunk = rows.slice(start, step)
                pq.write_table(chunk, partition.path / f"part-{file_digest(partition.table, chunk)}.parquet")


# --- stats ---------------------------------------------------------------------------------------------


def test_stats_count_every_table_and_partition(out_dir: Path) -> None:
    import duckdb

    stats = collect_stats(out_dir)
    json.dumps(stats)  # --json must serialize as is
    con = duckdb.connect()
    for table in ("documents", "segments", "entities", "dates", "rejected"):
        glob = f"{(out_dir / TABLE_DIRS[table]).as_posix()}/**/*.parquet"
        [(rows,)] = con.sql(f"SELECT count(*) FROM read_parquet('{glob}')").fetchall()
        assert stats["tables"][table]["rows"] == rows, table
    partitions = stats["tables"]["documents"]["partitions"]
    assert partitions[-1]["pub_month"] is None  # the NULL partition: JSON null, last
    assert all(p["pub_month"] for p in partitions[:-1])
    [(segments, dups)] = con.sql(
        f"SELECT count(*), count(*) FILTER (WHERE is_duplicate)"
        f" FROM read_parquet('{out_dir.as_posix()}/segments/**/*.parquet')"
    ).fetchall()
    assert (stats["duplicates"]["segments"], stats["duplicates"]["duplicate_segments"]) == (segments, dups)
    assert dups > 0
    dates = stats["dates"]
    assert 0 < dates["dated"] < dates["documents"] and dates["min_pub_date"] <= dates["max_pub_date"]
    assert dates["documents_per_month"][-1]["month"] is None  # undated: null, after every month
    undated = dates["documents"] - dates["dated"]
    assert dates["documents_per_month"][-1]["documents"] == undated
    assert {"source": None, "documents": undated} in dates["pub_date_source"]
    assert '"None"' not in json.dumps(stats)
    [source] = stats["sources"]  # the seeds' one folder
    assert source["documents"] == dates["documents"] and source["undated"] == undated
    text = render_stats(stats)
    assert f"  undated           {undated} (no publication date found)" in text
    assert "None" not in text
    assert (
        stats["top_entities"]
        and stats["top_entities"][0]["mentions"] >= stats["top_entities"][-1]["mentions"]
    )
    assert set(stats["rejected"]) >= {"empty", "invalid_utf8"}
    manifests = sorted((out_dir / "_runs").glob("*.json"))
    assert [r["run_id"] for r in stats["runs"]] == [m.stem for m in manifests[::-1]]
    text = render_stats(stats)
    for heading in (
        "tables",
        "duplicates",
        "dates",
        "top entities",
        "last runs",
        stats["top_entities"][0]["canonical"],
    ):
        assert heading in text


# --- report --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_html(out_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(out_dir, tmp_path_factory.mktemp("report") / "report.html")


def test_report_is_self_contained(report_html: Path) -> None:
    page = report_html.read_text(encoding="utf-8")
    for element_id in (*CHART_IDS, *TABLE_IDS):
        assert f'id="{element_id}"' in page
    assert not re.search(r"<script[^>]+src=", page), "every script must be inline"
    assert not re.search(r"""<link[^>]+href=["']https?:""", page), "no external stylesheet"
    assert "Plotly.newPlot" in page and len(page) > 1_000_000  # plotly.js is embedded
    assert "None" not in re.sub(r"<script.*?</script>", "", page, flags=re.S)


def test_map_draws_country_outlines_without_network(out_dir: Path) -> None:
    """Geo subplots fetch their topojson basemap from a CDN when viewed: the map is plain axes with
    the countries drawn as filled outlines from the installed countryinfo data."""
    from pipeline.analytics.placemap import places_chart

    figure = places_chart(out_dir).to_plotly_json()
    outlines, points = figure["data"]
    assert outlines["fill"] == "toself" and sum(v is None for v in outlines["x"]) > 150  # countries
    assert len(points["x"]) > 0 and "geo" not in figure["layout"]
    assert max(points["marker"]["size"]) <= 30  # no bubble covers a region


def test_undated_documents_sit_beside_the_time_axis(out_dir: Path) -> None:
    """The time axis is a date axis of every calendar month; undated documents are their own panel,
    and the duplicate line breaks over months without documents instead of running across them."""
    from pipeline.analytics.report import documents_chart, month_range

    stats = collect_stats(out_dir)
    figure = documents_chart(stats).to_plotly_json()
    bars, line, undated = figure["data"]
    assert figure["layout"]["xaxis"]["type"] == "date" and bars["xaxis"] == "x"
    assert undated["x"] == ["undated"] and undated["xaxis"] == "x2"
    per_month = {m["month"]: m["documents"] for m in stats["dates"]["documents_per_month"]}
    assert undated["y"] == [per_month[None]]
    months = sorted(m for m in per_month if m)
    assert len(bars["x"]) == len(month_range(months[0], months[-1])) > len(months)  # the seeds' gaps
    assert None in line["y"]
    assert month_range("2019-11", "2020-02") == ["2019-11", "2019-12", "2020-01", "2020-02"]
    from pipeline.analytics.report import entities_chart

    lines = entities_chart(out_dir, 3, {m for m in per_month if m}).to_plotly_json()["data"]
    assert all(len(line["x"]) == len(bars["x"]) and None in line["y"] for line in lines)  # gaps, not lines


def test_labels_never_overlap_each_other_or_a_marker() -> None:
    from pipeline.analytics.placemap import label_box, place_labels

    spread = [(100.0 * i, 100.0, 5.0, "Tripoli") for i in range(1, 6)]
    assert all(place_labels(spread, 800, 300))  # room for every label
    crowd = [(300.0 + i, 150.0 + i, 4.0, f"Ville {i}") for i in range(12)]  # a dozen places in 12 px
    points = spread + crowd
    positions = place_labels(points, 800, 300)
    boxes = [label_box(x, y, r, t, p) for (x, y, r, t), p in zip(points, positions, strict=True) if p]
    assert len(boxes) < len(points)  # some of the crowd go unlabelled (hover still names them)
    for i, a in enumerate(boxes):
        assert a[0] >= 0 and a[1] >= 0 and a[2] <= 800 and a[3] <= 300
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)


def test_breakdowns_of_a_newsroom_output(newsroom_run: tuple[Path, dict, object]) -> None:
    """Per source (date folders are not sources), languages, copies, rejections, aliases."""
    from pipeline.analytics.breakdowns import (
        entities_with_aliases,
        language_stats,
        rejection_details,
        source_stats,
        top_copied,
    )

    output, counts, _ = newsroom_run
    sources = {s["origin"].rsplit("/", 1)[-1]: s for s in source_stats(output, top=50)}
    assert sources["agences"]["documents"] == counts["agences"]  # not one source per day folder
    assert sources["wikinews"]["documents"] == counts["wikinews"]
    assert sources["actu-exemple.fr"]["documents"] + sources["www.journal-exemple.net"]["documents"] == 40
    languages = {row["language"]: row["documents"] for row in language_stats(output)}
    assert languages.get("en") == counts["english"] and None not in languages  # reprints have one too
    copied = top_copied(output, top=5)
    assert copied and all(c["copied_by"] >= 2 for c in copied)  # a wikinews article, reprint and scrape
    assert {r["reason"]: r["inputs"] for r in rejection_details(output)} == {
        "empty": 1, "invalid_utf8": 1, "unsupported_extension": 1, "invalid_json": 1,
    }  # fmt: skip
    haftar = next(e for e in entities_with_aliases(output, top=50) if e["canonical"] == "Khalifa Haftar")
    assert {"Haftar", "Kahlifa Haftar", "Khaftar"} <= set(haftar["aliases"])


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    command = [
        CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--virtual-time-budget=10000", *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed: run .ci/install-chromium.sh")
def test_report_of_a_few_hundred_documents_renders_in_headless_chromium(
    newsroom_run: tuple[Path, dict, object], tmp_path: Path
) -> None:
    """The newsroom output (a few hundred real documents): every chart draws, every table is filled,
    and the screenshot is not blank. The screenshot is kept beside the test's files (README shows it)."""
    from PIL import Image

    output, _, _ = newsroom_run
    report = write_report(output, tmp_path / "report.html")
    url = report.resolve().as_uri()
    dom = _chromium("--dump-dom", url, profile=tmp_path / "profile-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    sections = dom.stdout.split('<section class="chart">')[1:]
    assert len(sections) == len(CHART_IDS)
    for div_id, section in zip(CHART_IDS, sections, strict=True):
        assert f'id="{div_id}"' in section
        assert 'class="main-svg"' in section, f"{div_id} did not render"
        assert "<path" in section or "<rect" in section  # drawn marks, not just an empty frame
    for table_id in TABLE_IDS:
        table = dom.stdout.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
        assert table.count("<tr>") >= 3, table_id
    png = tmp_path / "report.png"
    shot = _chromium(f"--screenshot={png}", "--window-size=1300,4800", url, profile=tmp_path / "profile-png")
    assert shot.returncode == 0 and png.is_file(), shot.stderr[-2000:]
    with Image.open(png) as image:
        assert image.size == (1300, 4800)
        colors = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
        assert len(colors) > 50, "screenshot looks blank"
        white = max(count for count, _ in colors)
        assert white < 0.97 * image.size[0] * image.size[1], "screenshot is (almost) one color"


# --- compact -------------------------------------------------------------------------------------------


@pytest.fixture
def split_copy(out_dir: Path, tmp_path: Path) -> Path:
    """A copy of the seeds output whose partitions hold 3 files each."""
    root = tmp_path / "dataset"
    shutil.copytree(out_dir, root)
    split_partitions(root)
    delta_log.commit_all(root, "split", "test")  # the Delta log in step with the split files
    return root


def test_compact_leaves_one_sorted_file_per_partition_with_the_same_rows(split_copy: Path) -> None:
    from transforms.write import file_digest as writer_digest

    before = _contents(split_copy)
    result = compact(split_copy)
    assert result.files_before > result.files_after and not result.skipped
    after = _contents(split_copy)
    assert before.keys() == after.keys()
    for table, rows in before.items():
        assert after[table].equals(rows), table
    assert not (split_copy / "_temporary").exists() and not (split_copy / "_lock").exists()
    for partition in iter_partitions(split_copy):
        [path] = partition.files()
        parquet = pq.ParquetFile(path)
        rows = parquet.read()
        keys = PRIMARY_KEYS[partition.table]
        assert rows.equals(rows.sort_by([(k, "ascending") for k in keys])), partition.label
        assert path.name == f"part-{writer_digest(partition.table, rows)}.parquet"  # same naming as runs
        assert rows.schema.equals(TABLES[partition.table], check_metadata=False)
        metadata = rows.schema.metadata
        for key, value in (TABLES[partition.table].metadata or {}).items():
            assert metadata[key] == value
        column = parquet.metadata.row_group(0).column(0)
        assert column.compression == "ZSTD" and column.statistics is not None


def test_compact_twice_changes_nothing(split_copy: Path) -> None:
    compact(split_copy)
    files = _files(split_copy)
    again = compact(split_copy)
    assert {p.action for p in again.partitions} == {"unchanged"}
    assert _files(split_copy) == files


def test_compact_removes_what_a_killed_compact_left_in_temporary(split_copy: Path) -> None:
    """A SIGKILLed compact leaves its half-written merged file under _temporary/compact-<id>/."""
    left = split_copy / "_temporary" / "compact-20261203T000000Z-dead00" / "documents" / "part-x.parquet"
    left.parent.mkdir(parents=True)
    left.write_bytes(b"PAR1 half written")
    compact(split_copy)
    assert not (split_copy / "_temporary").exists()


def test_compact_waits_for_the_run_lock(split_copy: Path) -> None:
    files = _files(split_copy)
    with RunLock(str(split_copy), "a-live-run"), pytest.raises(LockBusy):
        compact(split_copy)
    assert _files(split_copy) == files


def test_compact_recovers_from_a_crash_between_rename_and_delete(split_copy: Path) -> None:
    """Old files still next to the compacted one (crash before the delete) are removed, not merged."""
    folder = split_copy / "segments" / f"{PARTITION_COLUMN}={NULL_PARTITION}"
    saved = {p.name: p.read_bytes() for p in folder.glob("*.parquet")}
    before = _contents(split_copy)["segments"]
    compact(split_copy)
    [compacted] = folder.glob("*.parquet")
    assert sorted(json.loads(pq.read_schema(compacted).metadata[COMPACTED_FROM_KEY.encode()])) == sorted(
        saved
    )
    for name, data in saved.items():  # the state a crash right after the rename leaves
        (folder / name).write_bytes(data)
    result = compact(split_copy)
    label = f"segments/{PARTITION_COLUMN}={NULL_PARTITION}"
    assert [p.action for p in result.partitions if p.partition == label] == ["recovered"]
    assert [p.name for p in folder.glob("*.parquet")] == [compacted.name]
    assert _contents(split_copy)["segments"].equals(before)


def test_compact_upgrades_old_files_and_skips_what_it_cannot_fill(out_dir: Path, tmp_path: Path) -> None:
    from tests.test_readers import write_two_schema_versions

    column, v1_rows, total = write_two_schema_versions(out_dir, tmp_path)
    result = compact(tmp_path)
    assert not result.skipped
    merged = pq.read_table(tmp_path / "segments", partitioning=None)
    assert merged.num_rows == total and merged.schema.equals(TABLES["segments"], check_metadata=False)
    assert merged[column].null_count >= v1_rows

    # A file lacking a *required* column cannot be completed: the partition is left as it is.
    folder = tmp_path / "segments" / f"{PARTITION_COLUMN}=2019-04"
    rows = pq.read_table(next(folder.glob("*.parquet")), partitioning=None)
    pq.write_table(rows.slice(0, 1).drop_columns(["content_hash"]), folder / "part-broken.parquet")
    files = _files(tmp_path)
    result = compact(tmp_path)
    assert [p.partition for p in result.skipped] == [f"segments/{PARTITION_COLUMN}=2019-04"]
    assert "content_hash" in result.skipped[0].note and _files(tmp_path) == files


@pytest.mark.slow
def test_incremental_runs_then_compact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """8 real runs of one small file each (one process: the spaCy model loads once), then compact."""
    from pipeline.logs import quiet_logging
    from pipeline.runner import run_batch

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    quiet_logging(False)
    text = " ".join(
        re.sub(r"^ date \S+ ", "", p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))
    )
    sentences = [s for s in re.split(r"(?<=[.!?»])\s+", text) if len(s.split()) >= 6]
    headers = [" date 2019-04-0{} ", " date 2019-05 ", " date 2020-01-1{} ", ""]  # 4 months, one NULL
    inputs, output = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    for i in range(8):
        body = " ".join(sentences[(3 * i + k) % len(sentences)] for k in range(3))
        path = inputs / f"inc_{i:02d}.txt"
        path.write_text(headers[i % 4].format(i % 9 + 1) + body + "\n", encoding="utf-8")
        summary = run_batch(inputs=[str(path)], output=str(output))
        assert summary.documents == 1, summary.render()
    before = _contents(output)
    assert before["documents"].num_rows == 8
    many = {p.label: len(p.files()) for p in iter_partitions(output)}
    assert many[f"documents/{PARTITION_COLUMN}={NULL_PARTITION}"] == 2

    result = compact(output)
    assert not result.skipped and result.files_after < result.files_before
    assert all(len(p.files()) <= 1 for p in iter_partitions(output))
    after = _contents(output)
    for table, rows in before.items():
        assert after[table].equals(rows), table

    # The pipeline keeps working on compacted output: a known file is skipped, a new one ingested.
    (inputs / "new.txt").write_text(" date 2019-05 " + " ".join(sentences[-4:]) + "\n", encoding="utf-8")
    summary = run_batch(inputs=[str(inputs / "inc_00.txt"), str(inputs / "new.txt")], output=str(output))
    assert (summary.documents, summary.skipped) == (1, 1), summary.render()
