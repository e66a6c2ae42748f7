"""The batch wrapper's pieces: fingerprints once per text in a document, index keys column by column."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from schemas import schema_for
from transforms.dedup import NearDedupConfig
from transforms.dedup.batch import index_key_batch, index_keys_of
from transforms.dedup.decide import decide, dedup_keys, segment_document_for_dedup
from transforms.dedup.state import within_horizon
from transforms.records import INDEX_ORDER, DedupVerdict, Document, history_order
from transforms.segment import SegmentConfig

NEAR = NearDedupConfig()


def test_repeats_inside_a_document_are_fingerprinted_once() -> None:
    sentence = "Les forces du maréchal Haftar ont repris le contrôle de la ville de Gharyan jeudi."
    doc = Document("d", "d.txt", f"{sentence}\n\n{sentence}\n\nCourt.", "x", "utf-8")
    _, segments = segment_document_for_dedup(doc, SegmentConfig(), NEAR)
    assert [bool(s.bands) for s in segments] == [True, False, False]
    duplicates = decide(dedup_keys((doc, segments)), NEAR)
    assert list(duplicates.values()) == [
        DedupVerdict(segments[1].segment_id, True, "exact", segments[0].segment_id, 1.0)
    ]


def test_index_keys_are_the_rows_within_the_horizon_column_by_column() -> None:
    """`index_key_batch` keeps the rows `within_horizon` keeps (undatable run ids included) and
    `index_keys_of` reads them back as canonical, earlier-than-this-run keys, lists as tuples."""
    rows = [
        {"segment_id": f"d{i}-p0000-s0000", "content_hash": f"h{i % 3}", "shingles": [i, i + 7],
         "bands": [i * 11, i * 13] if i % 2 else None, "run_id": run_id}
        for i, run_id in enumerate(["20240101T000000Z-aaaaaa", "20261120T093000Z-bbbbbb", "legacy"] * 3)
    ]  # fmt: skip
    table = pa.Table.from_pylist(rows, schema=schema_for("state_segments"))
    cutoff = dt.date(2026, 11, 1)
    (kept,) = index_key_batch(table, cutoff)
    keys = list(index_keys_of(kept))
    assert [k.segment_id for k in keys] == [r["segment_id"] for r in rows if within_horizon(r, cutoff)]
    assert len(keys) == 6
    assert all(k.from_index and k.order_key == keys[0].order_key < (1,) for k in keys)
    assert keys[0].shingles == (1, 8) and keys[0].bands == (11, 13) and keys[1].bands == ()
    assert len(list(index_keys_of(next(index_key_batch(table, None))))) == len(rows)
    (legacy,) = index_key_batch(table, dt.date(2030, 1, 1))  # only the undatable rows are left
    assert [k.segment_id[:2] for k in index_keys_of(legacy)] == ["d2", "d5", "d8"]


def test_index_keys_keep_the_canonical_order_they_were_delivered_in() -> None:
    """Read back from `_state/segments`, an ingested segment ranks before every segment of a later
    delivery and, among ingested ones, where one delivery of everything ranks it
    (`history_order`): ties between two originals then go the same way whatever the delivery.
    Rows of files written before the order columns rank first, as all of history did."""
    body = "Les forces du maréchal Haftar ont repris Gharyan.\n\nLe gouvernement a répondu jeudi soir."
    docs = [
        Document("b", "z/b.txt", body, "x", "utf-8", dt.date(2020, 1, 2)),
        Document("a", "a.txt", body, "x", "utf-8"),
        Document("c", "c.txt", body, "x", "utf-8", dt.date(2019, 5, 1)),
    ]
    rows, expected = [], []
    for doc in docs:
        _, segments = segment_document_for_dedup(doc, SegmentConfig(), NEAR)
        for s in segments:
            row = {"segment_id": s.segment_id, "content_hash": s.content_hash, "shingles": list(s.shingles)}
            rows.append(
                {**row, "bands": list(s.bands), "run_id": "r", "pub_date": doc.pub_date, "source": doc.source}
            )
            expected.append(history_order(s.order_key))
    keys = list(
        index_keys_of(next(index_key_batch(pa.Table.from_pylist(rows, schema_for("state_segments")), None)))
    )
    assert [k.order_key for k in keys] == expected
    assert all(INDEX_ORDER < k.order_key < (1,) for k in keys)
    assert sorted(keys, key=lambda k: k.order_key)[0].segment_id == "c-p0000-s0000"
    assert sorted(keys, key=lambda k: k.order_key)[-1].segment_id == "a-p0001-s0000"
    legacy = pa.Table.from_pylist(
        [{k: v for k, v in r.items() if k not in ("pub_date", "source")} for r in rows]
    )
    assert {k.order_key for k in index_keys_of(next(index_key_batch(legacy, None)))} == {INDEX_ORDER}
