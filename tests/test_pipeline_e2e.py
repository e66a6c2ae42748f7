"""End to end: the real CLI on the seeds (+ bad files), real spaCy, real Parquet read back."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq

from schemas import SCHEMA_VERSION, TABLES
from schemas.tables import TABLE_DIRS
from tests.conftest import last_manifest, query, run_cli, table_sql

AZIZIA = "La presse libyenne fait, par ailleurs, état de combats au sud-ouest de Tripoli"


def test_summary_counts_add_up(seeds_run: tuple[Path, subprocess.CompletedProcess]) -> None:
    output, proc = seeds_run
    assert "documents                5" in proc.stdout
    assert "rejected                 2" in proc.stdout
    manifest = last_manifest(output)
    counts = manifest["counts"]
    assert counts["files_read"] == 7 == counts["documents"] + counts["rejected"]
    assert counts["skipped_already_ingested"] == 0
    assert counts["rows"]["documents"] == 5
    assert counts["rows"]["segments"] == counts["segments"]
    assert manifest["counts_add_up"] is True


def test_documents_and_partitions(seeds_run: tuple[Path, subprocess.CompletedProcess]) -> None:
    output, _ = seeds_run
    rows = query(
        f"select regexp_extract(source, '(\\d{{3}})_', 1) as seed, pub_month, pub_date_source "
        f"from {table_sql(output, 'documents')} order by seed"
    )
    by_seed = {seed: (month, src) for seed, month, src in rows}
    assert sorted(by_seed) == ["000", "001", "002", "003", "004"]
    assert by_seed["002"] == ("2019-04", "header")
    assert by_seed["003"] == ("2020-01", "header")
    assert by_seed["004"][0] is None  # no date in header nor a year in the text
    assert (output / "documents" / "pub_month=2019-04").is_dir()
    assert (output / "documents" / "pub_month=2020-01").is_dir()
    assert (output / "documents" / "pub_month=__HIVE_DEFAULT_PARTITION__").is_dir()


def test_azizia_sentence_is_an_exact_duplicate_kept_in_text_removed_from_clean_text(
    seeds_run: tuple[Path, subprocess.CompletedProcess],
) -> None:
    output, _ = seeds_run
    text, clean, n_dup = query(
        f"select text, clean_text, n_duplicate_segments from {table_sql(output, 'documents')} "
        "where source like '%000_2223f7b8facbebef.txt'"
    )[0]
    assert text.count(AZIZIA) == 2
    assert clean.count(AZIZIA) == 1
    assert n_dup == 1
    segs = query(
        f"select segment_id, is_duplicate, duplicate_kind, duplicate_of from {table_sql(output, 'segments')} "
        f"where starts_with(text, '{AZIZIA}') order by segment_id"
    )
    assert len(segs) == 2
    (first_id, first_dup, _, _), (_, second_dup, kind, of) = segs
    assert (first_dup, second_dup, kind, of) == (False, True, "exact", first_id)


def test_every_duplicate_points_to_an_existing_canonical_segment(
    seeds_run: tuple[Path, subprocess.CompletedProcess],
) -> None:
    output, _ = seeds_run
    dangling = query(
        f"select d.segment_id from {table_sql(output, 'segments')} d "
        f"left join {table_sql(output, 'segments')} c on d.duplicate_of = c.segment_id "
        "where d.is_duplicate and (c.segment_id is null or c.is_duplicate)"
    )
    assert dangling == []


def test_offsets_slice_document_text(seeds_run: tuple[Path, subprocess.CompletedProcess]) -> None:
    output, _ = seeds_run
    for table in ("segments", "entities", "dates"):
        bad = query(
            f"select t.text, substr(d.text, t.start_char + 1, t.end_char - t.start_char) "
            f"from {table_sql(output, table)} t join {table_sql(output, 'documents')} d using (doc_id) "
            "where t.text <> substr(d.text, t.start_char + 1, t.end_char - t.start_char)"
        )
        assert bad == [], table


def test_entities_come_from_spacy_on_canonical_segments_only(
    seeds_run: tuple[Path, subprocess.CompletedProcess],
) -> None:
    output, _ = seeds_run
    labels = dict(query(f"select label, count(*) from {table_sql(output, 'entities')} group by all"))
    assert labels.get("PER", 0) > 20 and labels.get("LOC", 0) > 20
    on_duplicates = query(
        f"select count(*) from {table_sql(output, 'entities')} e join {table_sql(output, 'segments')} s "
        "using (segment_id) where s.is_duplicate"
    )[0][0]
    assert on_duplicates == 0
    haftar = query(f"select count(*) from {table_sql(output, 'entities')} where canonical like '%Haftar%'")[
        0
    ][0]
    assert haftar >= 20


def test_absolute_dates_are_normalized(seeds_run: tuple[Path, subprocess.CompletedProcess]) -> None:
    output, _ = seeds_run
    values = query(f"select text, value, granularity from {table_sql(output, 'dates')}")
    assert ("April 5, 2019", "2019-04-05", "day") in values
    assert any(text.endswith("2018") and value == "2018" and g == "year" for text, value, g in values)


def test_rejected_dataset_has_source_and_reason(seeds_run: tuple[Path, subprocess.CompletedProcess]) -> None:
    output, _ = seeds_run
    rows = dict(
        query(
            f"select regexp_extract(source, '[^/]+$'), reason "
            f"from read_parquet('{output}/rejected/*.parquet')"
        )
    )
    assert rows == {"900_empty.txt": "empty", "901_latin1_garbage.txt": "invalid_utf8"}


def test_every_file_matches_its_versioned_schema(seeds_run: tuple[Path, subprocess.CompletedProcess]) -> None:
    output, _ = seeds_run
    for table, schema in TABLES.items():
        files = list((output / TABLE_DIRS[table]).rglob("*.parquet"))
        assert files, table  # every table, state included, is written by a run on the seeds
        for file in files:
            written = pq.read_schema(file)
            assert written.metadata[b"newsbeam.schema_version"] == str(SCHEMA_VERSION).encode()
            assert written.metadata[b"newsbeam.table"] == table.encode()
            assert written.remove_metadata().equals(schema.remove_metadata()), file
    total = sum(
        ds.dataset(output / t, format="parquet", partitioning="hive").count_rows()
        for t in ("documents", "segments", "entities", "dates")
    )
    assert total > 0
    assert not (output / "_temporary").exists()


def test_pyarrow_and_duckdb_agree_including_null_partition(
    seeds_run: tuple[Path, subprocess.CompletedProcess],
) -> None:
    output, _ = seeds_run
    for table in ("documents", "segments", "entities", "dates"):
        arrow = ds.dataset(output / table, format="parquet", partitioning="hive").to_table()
        arrow_nulls = arrow.column("pub_month").null_count
        duck_total, duck_nulls = query(
            f"select count(*), count(*) filter (where pub_month is null) from {table_sql(output, table)}"
        )[0]
        assert (arrow.num_rows, arrow_nulls) == (duck_total, duck_nulls), table


def test_rerun_on_the_same_files_adds_no_rows(seeds_input: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    run_cli("run", "--input", str(seeds_input / "0*.txt"), "--output", str(output))
    first = {p.relative_to(output): p.read_bytes() for p in output.rglob("*.parquet")}
    rows_first = query(f"select segment_id, is_duplicate from {table_sql(output, 'segments')} order by 1")
    run_cli("run", "--input", str(seeds_input / "0*.txt"), "--output", str(output))
    second = {p.relative_to(output): p.read_bytes() for p in output.rglob("*.parquet")}
    assert first == second  # not one file added or changed
    rows_second = query(f"select segment_id, is_duplicate from {table_sql(output, 'segments')} order by 1")
    assert rows_first == rows_second
    assert len(list((output / "_runs").glob("*.json"))) == 2
    counts = last_manifest(output)["counts"]
    assert counts["skipped_already_ingested"] == 5 and counts["documents"] == 0


def test_cli_help_lists_commands_and_options() -> None:
    top = run_cli("--help").stdout
    assert "run" in top
    help_run = run_cli("run", "--help").stdout
    for option in ("--input", "--output", "--spacy-model", "--max-document-bytes", "--allow-empty"):
        assert option in help_run, option
    assert "-- --runner=FlinkRunner" in " ".join(help_run.split())  # where Beam's options go


def test_content_inferred_pub_date_and_relative_dates_in_the_output(
    seeds_run: tuple[Path, subprocess.CompletedProcess],
) -> None:
    output, _ = seeds_run
    rows = query(
        "select pub_date, pub_date_source, pub_date_granularity, pub_month "
        f"from {table_sql(output, 'documents')} "
        "where source like '%001_a3a98238d863d090.txt'"
    )
    assert [(str(d), src, g, m) for d, src, g, m in rows] == [("2019-04-05", "content", "day", "2019-04")]
    jeudi = query(
        f"select t.value, t.resolved, t.relative from {table_sql(output, 'dates')} t "
        f"join {table_sql(output, 'documents')} d using (doc_id) "
        "where d.source like '%001_a3a98238d863d090.txt' and t.text = 'Jeudi'"
    )
    assert jeudi == [("2019-04-04", True, True)]


def test_entity_clusters_in_the_output(seeds_run: tuple[Path, subprocess.CompletedProcess]) -> None:
    output, _ = seeds_run
    haftar = query(
        f"select count(distinct entity_id), min(canonical), min(label) from {table_sql(output, 'entities')} "
        "where text in ('Khalifa Haftar', 'Haftar', 'Kahlifa Haftar', 'Khaftar', 'Khalifar Haftar')"
    )
    assert haftar == [(1, "Khalifa Haftar", "PER")]
    sarraj = query(
        f"select count(distinct entity_id), min(label) from {table_sql(output, 'entities')} "
        "where text in ('Fayez al-Sarraj', 'Fayez El Sarraj', 'Fayez al-Serraj', 'El sarradj')"
    )
    assert sarraj == [(1, "PER")]
    places = dict(
        (name, (label, country, lat is not None))
        for name, label, country, lat in query(
            "select canonical, label, country_code, latitude "
            f"from read_parquet('{output}/entity_clusters/*.parquet') "
            "where canonical in ('Benghazi', 'Tripoli', 'Misrata', 'Zawiya')"
        )
    )
    assert places == {p: ("LOC", "LY", True) for p in ("Benghazi", "Tripoli", "Misrata", "Zawiya")}
    tweet = query(
        f"select language, ner_model from {table_sql(output, 'segments')} "
        "where text like 'I am flying from Tripoli%'"
    )
    assert tweet == [("en", None)]
