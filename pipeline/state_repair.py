"""`DIR/_state/` rebuilt from the tables when it is missing, damaged or partial.

Why: `_state/` is a cache of what the tables already say (which documents were ingested, the
fingerprints of their canonical sentences, the entity statistics and published ids of every run).
Losing it must never make the next run ingest the same files again or forget the entity history,
so every run checks it under the output lock (`state_problems`) and rebuilds what is wrong
(`rebuild_state`) before reading it.

What counts as wrong, per state table:
- missing: no file, while the tables hold documents;
- damaged: a file whose Parquet footer cannot be read (moved aside to `_state/.damaged/`);
- partial: fewer rows for a run than its manifest (`_runs/<run_id>.json`, `counts.rows`) says it
  wrote, or (documents) a document of the tables without its state row.

How each table is rebuilt (pyarrow only, replaying the pipeline's own pure functions):
- `state_documents`: one row per `documents` row (doc_id, source, content hash, revision, run);
- `state_segments`: every non-duplicate segment long enough for dedup (the run's
  `min_dedup_words`, from its manifest) with its content hash and a fresh MinHash fingerprint;
- `state_entity_names` / `state_entity_ids`: each run's documents re-resolved from their `entities`
  rows and body (`resolve_document`), summed per name key (the run's delta), then the runs replayed
  in order through `build_entity_index` to register the ids each run published. Mentions that the
  run dropped as spurious are not in the tables, so a rebuilt delta can differ from the lost one
  where such a mention changed how another was resolved; published ids are taken from what the
  `entities` rows carry, so no id a reader has seen changes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.analytics import Partition, parquet_file, read_table
from pipeline.command import DamagedFile
from schemas.tables import TABLE_DIRS, schema_for

STATE_TABLES = ("state_documents", "state_segments", "state_entity_names", "state_entity_ids")
DAMAGED_DIRNAME = ".damaged"


def _files(root: Path, table: str) -> list[Path]:
    """The state table's data files, as every reader sees them (`Partition.files`)."""
    return Partition(table, None, root / TABLE_DIRS[table]).files()


def _footer_ok(path: Path) -> bool:
    try:
        parquet_file(path)
    except DamagedFile:
        return False
    return True


def _manifests(root: Path) -> list[dict]:
    """The readable run manifests (`DIR/_runs/*.json`) that name their run; the others say nothing."""
    found = []
    for path in sorted((root / "_runs").glob("*.json")):
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(manifest, dict) and isinstance(manifest.get("run_id"), str):
            found.append(manifest)
    return found


def manifest_rows(root: Path) -> dict[str, dict[str, int]]:
    """table -> run_id -> rows the run's manifest(s) say it wrote (a run's chunks and a stream's
    manifest included); runs without a readable manifest are absent (nothing to compare with)."""
    expected: dict[str, dict[str, int]] = defaultdict(dict)
    for manifest in _manifests(root):
        rows = (manifest.get("counts") or {}).get("rows") or {}
        for table in STATE_TABLES:
            if isinstance(rows.get(table), int):
                run_id = manifest["run_id"]
                expected[table][run_id] = expected[table].get(run_id, 0) + rows[table]
    return expected


def _rows_per_run(files: list[Path]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for path in files:
        run_ids = pq.read_table(path, columns=["run_id"])["run_id"]
        for run_id, n in zip(*_value_counts(run_ids), strict=True):
            counts[run_id] += n
    return counts


def _value_counts(column: pa.ChunkedArray) -> tuple[list[str], list[int]]:
    counted = pc.value_counts(column)
    return counted.field("values").to_pylist(), counted.field("counts").to_pylist()


def state_problems(root: Path) -> dict[str, str]:
    """What is wrong with each state table (missing, damaged, partial), as one phrase; {} if nothing.

    Reads Parquet footers and the `run_id` column of the state tables (plus `doc_id` of documents),
    so the check costs a fraction of a run even on a large output.
    """
    documents = read_table(root, "documents", ["doc_id"])
    if documents is None or documents.num_rows == 0:
        return {}
    expected = manifest_rows(root)
    problems: dict[str, str] = {}
    for table in STATE_TABLES:
        files = _files(root, table)
        damaged = [p for p in files if not _footer_ok(p)]
        if damaged:
            problems[table] = f"damaged file {damaged[0].name}"
            continue
        wanted = expected.get(table, {})
        if not files:
            if table == "state_documents" or any(wanted.values()):
                problems[table] = "missing"
            continue
        have = _rows_per_run(files)
        short = sorted(run for run, n in wanted.items() if have.get(run, 0) < n)
        if short:
            problems[table] = f"partial (run {short[0]}: {have.get(short[0], 0)} of {wanted[short[0]]} rows)"
            continue
        if table == "state_documents":
            known = pa.concat_tables(pq.read_table(p, columns=["doc_id"]) for p in files)["doc_id"]
            absent = pc.sum(pc.invert(pc.is_in(documents["doc_id"], value_set=known.combine_chunks())))
            if (absent.as_py() or 0) > 0:
                problems[table] = f"partial ({absent.as_py()} documents without their state row)"
    return problems


# ------------------------------------------------------------------------------------------- rebuild
def document_state(root: Path) -> list[dict]:
    """Rows of `_state/documents`: what `transforms.dedup.state.state_rows` wrote for every document
    (`body_hash` recomputed from `documents.text`, the body it hashed)."""
    from transforms.dedup.state import body_key

    columns = ["doc_id", "source", "content_sha256", "revision", "run_id"]
    documents = read_table(root, "documents", [*columns, "text"])
    if documents is None:
        return []
    rows = documents.select([*columns, "text"]).to_pylist()
    for row in rows:
        text = row.pop("text")
        row["body_hash"] = body_key(text).hex()
    return rows


def segment_state(root: Path) -> list[dict]:
    """Rows of `_state/segments`: what `transforms.dedup.state.state_rows` wrote for every canonical
    segment long enough for dedup (the threshold of the run that wrote it)."""
    from transforms.dedup.near import fingerprint
    from transforms.segment import SegmentConfig, normalize_for_hash

    segments = read_table(root, "segments", ["segment_id", "doc_id", "text", "content_hash", "is_duplicate"])
    documents = read_table(root, "documents", ["doc_id", "run_id", "pub_date", "source"])
    if segments is None or documents is None:
        return []
    of_doc = {row["doc_id"]: row for row in documents.to_pylist()}
    options = {manifest["run_id"]: manifest.get("options") or {} for manifest in _manifests(root)}
    default_words = SegmentConfig().min_dedup_words
    rows = []
    canonical = segments.filter(pc.invert(segments["is_duplicate"]))
    for row in canonical.to_pylist():
        doc = of_doc.get(row["doc_id"])
        if doc is None:
            continue
        run_id = doc["run_id"]
        min_words = int(options.get(run_id, {}).get("min_dedup_words") or default_words)
        if len(normalize_for_hash(row["text"]).split()) < min_words:
            continue
        found = fingerprint(row["segment_id"], (), row["text"])
        rows.append(
            {
                "segment_id": row["segment_id"],
                "content_hash": row["content_hash"],
                "shingles": list(found.shingles) if found else [],
                "bands": list(found.bands) if found else [],
                "run_id": run_id,
                "pub_date": doc["pub_date"],
                "source": doc["source"],
            }
        )
    return rows


def entity_state(root: Path) -> tuple[list[dict], list[dict]]:
    """Rows of `_state/entity_names` and `_state/entity_ids`, replaying each run (module docstring)."""
    from transforms.entities.ner import RawMention
    from transforms.entities.per_document import resolve_document
    from transforms.entities.stages import build_entity_index
    from transforms.entities.state import EntityStats, document_stats, split_by_key, state_row

    columns = ["doc_id", "segment_id", "text", "model_label", "label", "start_char", "end_char", "entity_id"]
    entities = read_table(root, "entities", [*columns, "pub_month"])
    documents = read_table(root, "documents", ["doc_id", "text", "pub_date", "run_id", "pub_month"])
    if entities is None or documents is None or not entities.num_rows:
        return [], []
    by_doc: dict[str, list[dict]] = defaultdict(list)
    for row in entities.to_pylist():
        by_doc[row["doc_id"]].append(row)
    deltas: dict[str, EntityStats] = defaultdict(EntityStats)
    published_by_run: dict[str, dict[str, str]] = defaultdict(dict)
    for doc in documents.sort_by([("doc_id", "ascending")]).to_pylist():
        rows = by_doc.get(doc["doc_id"])
        if not rows:
            continue
        raw = [
            RawMention(
                r["doc_id"], r["segment_id"], r["text"], r["model_label"] or r["label"], r["start_char"],
                r["end_char"], doc["pub_month"],
            )
            for r in rows
        ]  # fmt: skip
        resolved = resolve_document(doc["doc_id"], raw, doc["text"], doc["pub_date"], doc["pub_month"])
        if resolved is None:
            continue
        deltas[doc["run_id"]].update(document_stats(resolved))
        ids = {(r["segment_id"], r["start_char"], r["end_char"]): r["entity_id"] for r in rows}
        for raw_mention, rm in resolved.mentions:
            entity_id = ids.get((raw_mention.segment_id, raw_mention.start_char, raw_mention.end_char))
            if rm.key and entity_id:
                published_by_run[doc["run_id"]].setdefault(rm.key, entity_id)
    name_rows: list[dict] = []
    id_rows: list[dict] = []
    history = EntityStats()
    published: dict[str, str] = {}
    for run_id in sorted(deltas):
        delta = deltas[run_id]
        name_rows += [state_row(element, run_id)[1] for element in split_by_key(delta)]
        history.update(delta)
        index = build_entity_index(history, published)
        for key in sorted(index.registrations):
            entity_id = published_by_run[run_id].get(key, index.registrations[key])
            id_rows.append({"key": key, "entity_id": entity_id, "run_id": run_id})
            published[key] = entity_id
    return name_rows, id_rows


def _replace_table(root: Path, table: str, rows: list[dict]) -> int:
    """Swap the table's folder for one file of `rows`, never leaving it half written: the new file is
    written beside, the old files are moved aside, the new one renamed in, the old ones removed."""
    from transforms.write import file_digest, sort_by_key, write_parquet

    folder = root / TABLE_DIRS[table]
    folder.mkdir(parents=True, exist_ok=True)
    # What a killed rebuild left (under the lock nothing live owns it): its new file, half written,
    # and the old files it had moved aside; the tables are the truth, so both go.
    for stale in folder.glob(".rebuild-*.parquet.tmp"):
        stale.unlink()
    for stale in folder.parent.glob(f".{folder.name}-replaced-*"):
        shutil.rmtree(stale)
    damaged = root / "_state" / DAMAGED_DIRNAME
    for path in _files(root, table):
        if not _footer_ok(path):
            damaged.mkdir(parents=True, exist_ok=True)
            os.replace(path, damaged / f"{table}-{path.name}")
    if not rows:
        for path in _files(root, table):
            path.unlink()
        return 0
    data = sort_by_key(table, pa.Table.from_pylist(rows, schema=schema_for(table)))
    final = folder / f"part-{file_digest(table, data)}.parquet"
    temp = folder / f".rebuild-{os.getpid()}.parquet.tmp"
    write_parquet(str(temp), data)
    aside = folder.parent / f".{folder.name}-replaced-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}"
    aside.mkdir()
    for path in _files(root, table):
        os.replace(path, aside / path.name)
    os.replace(temp, final)
    shutil.rmtree(aside)
    return data.num_rows


def rebuild_state(root: Path, tables: list[str] | None = None) -> dict[str, int]:
    """Rebuild the given state tables (default: all) from the tables; returns rows written per table.
    Call under the output lock."""
    tables = list(tables or STATE_TABLES)
    written: dict[str, int] = {}
    if "state_documents" in tables:
        written["state_documents"] = _replace_table(root, "state_documents", document_state(root))
    if "state_segments" in tables:
        written["state_segments"] = _replace_table(root, "state_segments", segment_state(root))
    if {"state_entity_names", "state_entity_ids"} & set(tables):
        names, ids = entity_state(root)
        written["state_entity_names"] = _replace_table(root, "state_entity_names", names)
        written["state_entity_ids"] = _replace_table(root, "state_entity_ids", ids)
    return written
