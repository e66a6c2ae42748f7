"""Dedup on the seeds and across runs, through the real CLI and the persistent `_state/` index."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import SEEDS, last_manifest, query, run_cli, table_sql


def test_seeds_flag_exactly_the_azizia_exact_and_004_lede_near(
    seeds_run: tuple[Path, subprocess.CompletedProcess],
) -> None:
    output, _ = seeds_run
    segments, documents = table_sql(output, "segments"), table_sql(output, "documents")
    flagged = query(
        f"select regexp_extract(d.source, '(\\d{{3}})_', 1), s.duplicate_kind, s.similarity, s.text, c.text "
        f"from {segments} s join {documents} d using (doc_id) "
        f"join {segments} c on s.duplicate_of = c.segment_id where s.is_duplicate order by 1"
    )
    assert len(flagged) == 2, flagged
    (seed_a, kind_a, sim_a, text_a, canon_a), (seed_b, kind_b, sim_b, text_b, canon_b) = flagged
    assert (seed_a, kind_a, sim_a) == ("000", "exact", 1.0)
    assert text_a == canon_a and "Azizia" in text_a
    assert (seed_b, kind_b) == ("004", "near") and 0.8 <= sim_b < 1.0
    lede = "Depuis des mois, Khalifa Haftar essaie d'avancer ses pions dans le Nord-Ouest"
    assert canon_b.startswith(lede + " libyen, mais") and text_b.startswith(lede + ", mais")
    assert query(f"select count(*) from {table_sql(output, 'documents')} where is_duplicate")[0][0] == 0


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run 1 on three seeds; run 2 on all five plus a renamed copy of 000."""
    first_in = tmp_path_factory.mktemp("first")
    second_in = tmp_path_factory.mktemp("second")
    seeds = sorted(SEEDS.glob("*.txt"))
    for seed in seeds[:3]:
        shutil.copy(seed, first_in / seed.name)
    for seed in seeds:
        shutil.copy(seed, second_in / seed.name)
    shutil.copy(seeds[0], second_in / "wire_copy_of_000.txt")
    output = tmp_path_factory.mktemp("out") / "data"
    # The second run reads the first run's files from their original folder: same path, same doc_id.
    run_cli("run", "--input", str(first_in / "*.txt"), "--output", str(output))
    run_cli("run", "--input", str(first_in / "*.txt"), "--input", str(second_in / "00[34]_*.txt"),
            "--input", str(second_in / "wire_copy_of_000.txt"), "--output", str(output))  # fmt: skip
    return output


def test_second_run_skips_what_the_first_ingested(two_runs: Path) -> None:
    counts = last_manifest(two_runs)["counts"]
    assert counts["skipped_already_ingested"] == 3
    assert counts["documents"] == 3
    assert counts["files_read"] == 6
    sources = query(f"select source from {table_sql(two_runs, 'documents')}")
    assert len(sources) == 6 and len({s for (s,) in sources}) == 6  # nothing written twice
    per_doc = query(
        f"select doc_id, count(*) from {table_sql(two_runs, 'segments')} group by 1 having count(*) > 200"
    )
    assert per_doc == []


def test_renamed_copy_is_a_duplicate_document_of_the_first_runs_000(two_runs: Path) -> None:
    segments, documents = table_sql(two_runs, "segments"), table_sql(two_runs, "documents")
    rows = query(
        f"select c.source, c.is_duplicate, o.source, c.n_duplicate_segments, c.n_segments "
        f"from {documents} c join {documents} o on c.duplicate_of = o.doc_id"
    )
    assert len(rows) == 1
    copy_source, is_dup, original_source, n_dup, n_seg = rows[0]
    assert copy_source.endswith("wire_copy_of_000.txt") and is_dup
    assert original_source.endswith("000_2223f7b8facbebef.txt")
    assert n_dup == n_seg
    pointers = query(
        f"select count(*) filter (where o.segment_id is null), count(*) from {segments} s "
        f"join {documents} d using (doc_id) left join {segments} o "
        f"on s.duplicate_of = o.segment_id where d.source like '%wire_copy_of_000.txt' and s.is_duplicate"
    )
    assert pointers[0][0] == 0 and pointers[0][1] > 20  # every pointer lands in the first run's data


def test_third_run_on_everything_adds_nothing(two_runs: Path, tmp_path: Path) -> None:
    before = sorted(p.relative_to(two_runs) for p in two_runs.rglob("*.parquet"))
    rows_before = query(f"select count(*) from {table_sql(two_runs, 'segments')}")
    # same inputs as the second run, which already saw them all
    manifest = last_manifest(two_runs)
    run_cli("run", *[arg for pattern in manifest["inputs"] for arg in ("--input", pattern)],
            "--output", str(two_runs))  # fmt: skip
    after = sorted(p.relative_to(two_runs) for p in two_runs.rglob("*.parquet"))
    assert before == after
    assert query(f"select count(*) from {table_sql(two_runs, 'segments')}") == rows_before
    assert last_manifest(two_runs)["counts"]["documents"] == 0


def test_index_horizon_keeps_recent_rows_only() -> None:
    import datetime as dt

    from transforms.dedup.state import within_horizon

    old, recent = {"run_id": "20240101T000000Z-aaaaaa"}, {"run_id": "20261120T093000Z-bbbbbb"}
    cutoff = dt.date(2026, 11, 1)
    assert not within_horizon(old, cutoff) and within_horizon(recent, cutoff)
    assert within_horizon(old, None)  # no horizon: the whole history
    assert within_horizon({"run_id": "legacy"}, cutoff)  # undatable rows are kept, never dropped silently
