"""Whole copies in one run (`transforms/dedup/whole_copies.py`), through the real CLI: the newsroom
inbox's `relay/` folder re-files three Wikinews articles unchanged under other names.

The decision itself (derived verdicts equal those of the full decision, with an index and revisions)
is a property test in `test_properties.py`; this checks the wiring on real articles: each pair is
one canonical document and one copy, the copy's segments carry the verdicts the canonical's segments
imply, and the model and the date extractor read none of its copied sentences.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import last_manifest, query, table_sql


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
