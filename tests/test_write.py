"""Partitioned Parquet writer: real files through Beam, read back with pyarrow and DuckDB."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import apache_beam as beam
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline

from schemas import NULL_PARTITION, SCHEMA_VERSION, schema_for
from tests.conftest import query
from transforms.write import PUBLIC_TABLES, WriteTables, partition_value, relative_path


def _doc_row(doc_id: str, month: str | None) -> dict:
    return {
        "doc_id": doc_id,
        "source": f"{doc_id}.txt",
        "pub_date": dt.date.fromisoformat(f"{month}-01") if month else None,
        "pub_date_source": "header" if month else None,
        "pub_date_granularity": "month" if month else None,
        "language": "fr",
        "text": "Texte.",
        "clean_text": "Texte.",
        "n_segments": 1,
        "n_duplicate_segments": 0,
        "is_duplicate": False,
        "duplicate_of": None,
        "revision": 1,
        "supersedes": None,
        "content_sha256": "0" * 64,
        "encoding": "utf-8",
        "ingested_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        "run_id": "r1",
        "pub_month": month,
    }


def _write(output: Path, rows: list[tuple[str, dict]], run_id: str = "r1") -> None:
    with TestPipeline() as p:
        _ = p | beam.Create([(table, [row]) for table, row in rows]) | WriteTables(str(output), run_id)


def test_partitions_null_partition_and_metadata(tmp_path: Path) -> None:
    rows = [
        ("documents", _doc_row(f"d{i}", m)) for i, m in enumerate(["2019-04", "2019-04", "2020-01", None])
    ]
    _write(tmp_path, rows)
    folders = sorted(p.name for p in (tmp_path / "documents").iterdir())
    assert folders == ["_delta_log", "pub_month=2019-04", "pub_month=2020-01", f"pub_month={NULL_PARTITION}"]
    assert not list((tmp_path / "_temporary").glob("*")), "temporary files left behind"

    table = ds.dataset(tmp_path / "documents", format="parquet", partitioning="hive").to_table()
    assert table.num_rows == 4
    months = sorted(table.column("pub_month").to_pylist(), key=str)
    assert months == ["2019-04", "2019-04", "2020-01", None]

    counts = query(
        f"select pub_month, count(*) "
        f"from read_parquet('{tmp_path}/documents/**/*.parquet', hive_partitioning=true)"
        " group by all order by 1 nulls last"
    )
    assert counts == [("2019-04", 2), ("2020-01", 1), (None, 1)]

    for file in (tmp_path / "documents").rglob("*.parquet"):
        schema = pq.read_schema(file)
        assert schema.metadata[b"newsbeam.schema_version"] == str(SCHEMA_VERSION).encode()
        assert schema.remove_metadata().equals(schema_for("documents").remove_metadata())
        assert pq.ParquetFile(file).metadata.row_group(0).column(0).compression == "ZSTD"


def test_rewriting_the_same_rows_replaces_the_same_files(tmp_path: Path) -> None:
    rows = [("documents", _doc_row("d1", "2019-04")), ("documents", _doc_row("d2", None))]
    _write(tmp_path, rows, run_id="first")
    first = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.parquet"))
    _write(tmp_path, list(reversed(rows)), run_id="second")
    second = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.parquet"))
    assert first == second
    assert len([p for p in first if p.parts[0] == "documents"]) == 2
    # the other public tables exist, empty (ensure_every_table)
    assert {p.parts[0] for p in first if p.name == "part-empty.parquet"} == set(PUBLIC_TABLES) - {"documents"}


def test_rows_that_do_not_fit_the_schema_fail_loudly(tmp_path: Path) -> None:
    bad = _doc_row("d1", "2019-04")
    bad["n_segments"] = "many"
    with pytest.raises(Exception, match=r"n_segments|int"):
        _write(tmp_path, [("documents", bad)])


def test_snapshot_tables_keep_only_the_latest_run(tmp_path: Path) -> None:
    def cluster(entity_id: str) -> tuple[str, dict]:
        return "entity_clusters", {"entity_id": entity_id, "canonical": entity_id, "label": "PER",
                                   "aliases": [entity_id], "mention_count": 1}  # fmt: skip

    _write(tmp_path, [cluster("a"), cluster("b")], run_id="first")
    _write(tmp_path, [cluster("a"), cluster("b"), cluster("c")], run_id="second")
    files = list((tmp_path / "entity_clusters").glob("*.parquet"))
    assert len(files) == 1
    assert sorted(pq.read_table(files[0]).column("entity_id").to_pylist()) == ["a", "b", "c"]


def test_partition_paths_come_from_validated_months_only() -> None:
    assert partition_value(None) == NULL_PARTITION
    assert relative_path("documents", "2019-04", "abc") == "documents/pub_month=2019-04/part-abc.parquet"
    assert relative_path("rejected", None, "abc") == "rejected/part-abc.parquet"


def test_pieces_merge_into_the_files_the_row_shuffle_writes(tmp_path: Path) -> None:
    """Rows written where they are made (`PieceWriter`, two bundles here) and merged at finalize
    give the files of the row shuffle (`rows_by_file` + `write_temp_file`) byte for byte in name
    and rows: same partitions (the null one too), shards, key order and digests."""
    from apache_beam.transforms.window import GlobalWindow

    from transforms.write import ConcatTables, PieceWriter, merge_pieces, rows_by_file, write_temp_file

    months = ["2019-04", "2020-01", None, "2019-04", "2020-01", None, "2019-04"]
    rows = [_doc_row(f"d{i:02d}", months[i % len(months)]) for i in range(40)]
    writer, window = PieceWriter(str(tmp_path / "pieces"), "r1"), GlobalWindow()
    pieces = []
    for bundle in (rows[:25], rows[25:]):  # two bundles, rows in no particular order
        writer.start()
        writer.add(window, "documents", bundle[::-1])
        pieces.extend(value.value for value in writer.flush())
    assert len(pieces) == 2 and all(Path(p.path).exists() for p in pieces)
    small = PieceWriter(str(tmp_path / "small"), "r1", max_rows=10)  # a piece every 10 rows waiting
    small.start()
    early = [
        v.value
        for batch in (rows[:6], rows[6:12], rows[12:15])
        for v in small.add(window, "documents", batch)
    ]
    late = [v.value for v in small.flush()]
    assert [p.rows for p in early] == [12] and [p.rows for p in late] == [3]
    merged = merge_pieces(str(tmp_path / "pieces"), pieces, shards=2)

    shuffled = []
    for key, table in rows_by_file(("documents", rows), shards=2):
        combine = ConcatTables()
        part = combine.extract_output(combine.add_input(combine.create_accumulator(), table))
        shuffled.append(write_temp_file(str(tmp_path / "rows"), str(tmp_path / "rows-tmp"), *key[:2], part))

    def files(written: list) -> dict[tuple, list[dict]]:
        return {
            (f.table, f.partition, Path(f.final_path).name): pq.read_table(f.temp_path).to_pylist()
            for f in written
        }

    assert len(merged) == len(shuffled) == 6  # 3 partitions x 2 shards
    assert files(merged) == files(shuffled)
    assert sum(f.rows for f in merged) == len(rows)


def test_a_run_with_two_shards_writes_the_rows_of_one_shard(tmp_path: Path, seeds_run, seeds_input) -> None:
    """`--shards 2` on the seeds: the run commits (a snapshot table stays one fixed-name file; two
    shards of it once collided at finalize), every table has the rows of the default run, and each
    file holds the rows of one shard (by the hash of their primary key) in one partition."""
    import zlib

    from schemas.tables import PRIMARY_KEYS, TABLE_DIRS
    from tests.conftest import run_cli
    from tests.test_crash_safety import table_rows
    from transforms.write import SNAPSHOT_TABLES

    default, _ = seeds_run
    output = tmp_path / "sharded"
    run_cli("run", "--input", str(seeds_input / "*.txt*"), "--output", str(output), "--shards", "2", ok=(3,))
    for table, folder in TABLE_DIRS.items():
        if table == "state_entity_names":  # its primary key holds the run id: rows differ by design
            continue
        assert table_rows(output, table) == table_rows(default, table), table
        for path in (output / folder).rglob("part-*.parquet"):
            shards = {
                zlib.crc32(repr(tuple(r[c] for c in PRIMARY_KEYS[table])).encode()) % 2
                for r in pq.read_table(path).to_pylist()
            }
            assert len(shards) <= 1 or table in SNAPSHOT_TABLES, path
    assert len(list((output / "segments").rglob("part-*.parquet"))) > len(
        list((default / "segments").rglob("part-*.parquet"))
    )
