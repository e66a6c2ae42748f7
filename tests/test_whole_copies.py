"""Whole copies (`transforms/dedup/whole_copies.py`), through the real CLI: in one run (the newsroom
inbox's `relay/` folder re-files three Wikinews articles unchanged under other names), and copies
of bodies an earlier run ingested (fingerprints deferred, `Document.body_ingested`).

The decision itself (derived verdicts equal those of the full decision, with an index and revisions)
is a property test in `test_properties.py`; this checks the wiring on real articles: each pair is
one canonical document and one copy, the copy's segments carry the verdicts the canonical's segments
imply, and the model and the date extractor read none of its copied sentences.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyarrow.parquet as pq

from tests.conftest import ROOT, SEEDS, last_manifest, query, run_cli, table_sql
from transforms.dedup.state import body_key
from transforms.read import parse_document

WIKINEWS = ROOT / "tests" / "data" / "wikinews-fr-2012"
#: Every column of a table but those that name the run (and the hint this test takes away).
RUN_COLUMNS = {"run_id", "ingested_at", "body_hash"}


def test_a_body_filed_twice_in_one_run_is_one_canonical_and_one_copy(
    newsroom_run: tuple[Path, dict, object],
) -> None:
    output, counts, _ = newsroom_run
    documents, segments = table_sql(output, "documents"), table_sql(output, "segments")
    judged = table_sql(output, "_state/segments")  # canonical segments long enough to be judged
    assert last_manifest(output)["counters"]["whole_copies"] == counts["relay"]
    # Pairs of documents with one body; the canonical is the first by date, then path.
    pairs = query(
        f"select a.doc_id, b.doc_id, a.source, b.source from {documents} a join {documents} b "
        f"on a.text = b.text and a.source < b.source order by a.source"
    )
    assert len(pairs) == counts["relay"]
    assert all("/relay/" in canonical or "/relay/" in copy for _, _, canonical, copy in pairs)
    for canonical_id, copy_id, _, _ in pairs:
        # Each copy segment: the canonical segment's verdict where it is a duplicate, else an exact
        # copy of the canonical segment itself; never judged where the canonical was not.
        mismatched = query(
            f"select c.segment_id, c.is_duplicate, c.duplicate_kind, c.duplicate_of, c.similarity, "
            f"o.segment_id, o.is_duplicate, o.duplicate_kind, o.duplicate_of "
            f"from {segments} c join {segments} o using (paragraph_index, sentence_index) "
            f"where c.doc_id = '{copy_id}' and o.doc_id = '{canonical_id}' and not ("
            f"  (o.is_duplicate and c.is_duplicate and c.duplicate_kind = o.duplicate_kind"
            f"   and c.duplicate_of = o.duplicate_of and c.similarity = o.similarity)"
            f"  or (not o.is_duplicate and o.duplicate_kind is null and c.is_duplicate"
            f"   and c.duplicate_kind = 'exact' and c.duplicate_of = o.segment_id and c.similarity = 1.0)"
            f"  or (not o.is_duplicate and not c.is_duplicate"
            f"   and o.segment_id not in (select segment_id from {judged})))"
        )
        assert mismatched == []
        n_copy, n_canonical = query(
            f"select count(*) filter (where doc_id = '{copy_id}'), "
            f"count(*) filter (where doc_id = '{canonical_id}') from {segments}"
        )[0]
        assert n_copy == n_canonical > 3
        n_duplicates, language = query(
            f"select n_duplicate_segments, language from {documents} where doc_id = '{copy_id}'"
        )[0]
        assert n_duplicates > 0.8 * n_copy and language == "fr"
        for table in ("entities", "dates"):
            # None in the copy's copied sentences (its sentences under 4 words are never judged
            # copies, in any document, and keep theirs): they are read where they point.
            in_copied = query(
                f"select count(*) from {table_sql(output, table)} t join {segments} s using (segment_id) "
                f"where t.doc_id = '{copy_id}' and s.is_duplicate"
            )
            assert in_copied == [(0,)], table
    copies = "', '".join(copy_id for _, copy_id, _, _ in pairs)
    for table in ("entities", "dates"):  # the originals the copies point at do hold mentions
        pointed = query(
            f"select count(*) from {table_sql(output, table)} t join {segments} s "
            f"on t.segment_id = s.duplicate_of where s.doc_id in ('{copies}')"
        )
        assert pointed[0][0] > 0, table


def _table(output: Path, table: str) -> list[tuple]:
    """A table's rows, sorted, without the columns that name the run."""
    columns = pq.read_schema(next((output / table).glob("**/*.parquet"))).names
    kept = ", ".join(f'"{c}"' for c in columns if c not in RUN_COLUMNS)
    return sorted(query(f"select {kept} from {table_sql(output, table)}"), key=repr)


def _without_body_hashes(output: Path) -> None:
    """`_state/documents` as a version-4 run wrote it: no `body_hash` column."""
    for path in (output / "_state" / "documents").glob("*.parquet"):
        table = pq.read_table(path)
        pq.write_table(table.drop_columns(["body_hash"]), path)


def test_copies_of_bodies_an_earlier_run_ingested_defer_their_fingerprints_and_change_no_row(
    tmp_path: Path,
) -> None:
    """A second run re-files the first run's articles under other names (and other header dates):
    each is known as a copy of an ingested body (`ingested_bodies`) and segmented without
    fingerprints; its tables equal, row for row, those of the same second run into a copy of the
    output whose state does not say which bodies were ingested (as written before schema version 5),
    where every copy is fingerprinted up front. The seeds' lede repeated with one word dropped is a
    near duplicate, so a deferred fingerprint is made in the decision too."""
    first = tmp_path / "first"
    first.mkdir()
    for source in [*sorted(SEEDS.glob("*.txt")), *sorted(WIKINEWS.glob("*.txt"))[:3]]:
        shutil.copy(source, first / source.name)
    later = tmp_path / "later"
    later.mkdir()
    for index, source in enumerate(sorted(first.iterdir())):
        data = source.read_bytes()
        if data.startswith(b" date "):  # another header date, the same body
            data = re.sub(rb"^ date [0-9-]+", f" date 2021-06-{index + 1:02d}".encode(), data)
        (later / f"refiled-{index}.txt").write_bytes(data)
        assert parse_document("a", data).text == parse_document("b", source.read_bytes()).text
    output = tmp_path / "out"
    run_cli("run", "--input", str(first / "*.txt"), "--output", str(output))
    documents = query(f"select text from {table_sql(output, 'documents')}")
    hashes = query(f"select body_hash from {table_sql(output, '_state/documents')}")
    assert sorted(h for (h,) in hashes) == sorted(body_key(t).hex() for (t,) in documents)
    legacy = tmp_path / "legacy"
    shutil.copytree(output, legacy)
    _without_body_hashes(legacy)

    for out in (output, legacy):
        run_cli("run", "--input", str(later / "*.txt"), "--output", str(out))
    deferred, fingerprinted = last_manifest(output)["counters"], last_manifest(legacy)["counters"]
    refiled = len(list(later.iterdir()))
    assert deferred["documents"] == fingerprinted["documents"] == refiled
    assert deferred["ingested_bodies"] == refiled and "ingested_bodies" not in fingerprinted
    assert deferred["duplicates_near"] == fingerprinted["duplicates_near"] > 0
    for table in ("documents", "segments", "dates", "entities", "_state/segments", "_state/documents"):
        assert _table(output, table) == _table(legacy, table), table
