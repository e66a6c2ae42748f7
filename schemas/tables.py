"""Schemas of the output tables, version 1.

Why explicit schemas: a schema inferred from the first row changes with the data (a column that
is null in one partition becomes `null` typed there), which breaks dataset unification in
DuckDB/pyarrow/Spark. Every file carries `newsbeam.schema_version` and `newsbeam.table` in its
Parquet key-value metadata so readers and later versions can tell what they read.

Offsets (`start_char`, `end_char`) are always Python string indices into `documents.text`
(the body, after the optional ` date ...` header), end exclusive.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = 1

#: Hive partition column of every dated table; stored in the path, not in the files.
PARTITION_COLUMN = "pub_month"
#: Hive's spelling of a NULL partition value; pyarrow, DuckDB, Polars and Spark read it as NULL.
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"

_DOCUMENTS = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("pub_date", pa.date32()),
        pa.field("pub_date_source", pa.string()),  # 'header' | 'content' | null
        pa.field("pub_date_granularity", pa.string()),  # 'day' | 'month' | null
        pa.field("language", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("clean_text", pa.string(), nullable=False),
        pa.field("n_segments", pa.int32(), nullable=False),
        pa.field("n_duplicate_segments", pa.int32(), nullable=False),
        pa.field("content_sha256", pa.string(), nullable=False),
        pa.field("encoding", pa.string(), nullable=False),
        pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)

_SEGMENTS = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("segment_id", pa.string(), nullable=False),
        pa.field("paragraph_index", pa.int32(), nullable=False),
        pa.field("sentence_index", pa.int32(), nullable=False),
        pa.field("start_char", pa.int32(), nullable=False),
        pa.field("end_char", pa.int32(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("content_hash", pa.string(), nullable=False),
        pa.field("is_duplicate", pa.bool_(), nullable=False),
        pa.field("duplicate_kind", pa.string()),  # 'exact' | 'near' | null
        pa.field("duplicate_of", pa.string()),  # segment_id of the canonical copy
        pa.field("similarity", pa.float32()),  # 1.0 for exact, verified similarity for near
        pa.field("language", pa.string()),
    ]
)

_ENTITIES = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("segment_id", pa.string(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("label", pa.string(), nullable=False),
        pa.field("start_char", pa.int32(), nullable=False),
        pa.field("end_char", pa.int32(), nullable=False),
        pa.field("canonical", pa.string(), nullable=False),
        pa.field("entity_id", pa.string()),
        pa.field("model_label", pa.string()),  # the label spaCy gave, before correction
        pa.field("score", pa.float32()),
    ]
)

_DATES = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("segment_id", pa.string(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("value", pa.string()),  # ISO 8601 / TimeML value; null when unresolved
        pa.field("granularity", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),  # 'DATE' | 'TIME'
        pa.field("resolved", pa.bool_(), nullable=False),
        pa.field("relative", pa.bool_(), nullable=False),
        pa.field("start_char", pa.int32(), nullable=False),
        pa.field("end_char", pa.int32(), nullable=False),
    ]
)

_REJECTED = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("detail", pa.string()),
        pa.field("size_bytes", pa.int64()),
        pa.field("rejected_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)


def _with_metadata(name: str, schema: pa.Schema) -> pa.Schema:
    return schema.with_metadata({"newsbeam.schema_version": str(SCHEMA_VERSION), "newsbeam.table": name})


TABLES: dict[str, pa.Schema] = {
    name: _with_metadata(name, schema)
    for name, schema in {
        "documents": _DOCUMENTS,
        "segments": _SEGMENTS,
        "entities": _ENTITIES,
        "dates": _DATES,
        "rejected": _REJECTED,
    }.items()
}

#: Tables partitioned by publication month; the others are written flat.
PARTITIONED_TABLES = frozenset({"documents", "segments", "entities", "dates"})

#: Columns that identify a row (used to sort rows and name files deterministically).
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "documents": ("doc_id",),
    "segments": ("segment_id",),
    "entities": ("segment_id", "start_char", "end_char"),
    "dates": ("segment_id", "start_char", "end_char"),
    "rejected": ("source",),
}


def schema_for(table: str) -> pa.Schema:
    """The schema of `table`, with its version metadata; KeyError for an unknown table."""
    return TABLES[table]
