"""Schemas of the output tables (version in SCHEMA_VERSION).

Why explicit schemas: a schema inferred from the first row changes with the data (a column that
is null in one partition becomes `null` typed there), which breaks dataset unification in
DuckDB/pyarrow/Spark. Every file carries `newsbeam.schema_version` and `newsbeam.table` in its
Parquet key-value metadata so readers and later versions can tell what they read.

Offsets (`start_char`, `end_char`) are always Python string indices into `documents.text`
(the body, after the optional ` date ...` header), end exclusive.
"""

from __future__ import annotations

import pyarrow as pa

#: 1: first release. 2: `documents.title` and `documents.url` (JSON Lines metadata); `pub_date_source`
#: also 'metadata', 'dateline', 'path'. Readers of version 1 files see the new columns as NULL.
#: 3: `entity_clusters.merged_into` (a retired id's survivor) and `_state/entity_ids` (published ids).
#: 4: `_state/segments.pub_date` and `.source` (an ingested segment's canonical order; older rows
#: rank before them, as all history did).
#: 5: `_state/documents.body_hash` (copies of an ingested body defer their fingerprints; older rows
#: are NULL and their copies are fingerprinted as before).
SCHEMA_VERSION = 5

#: Hive partition column of every dated table; stored in the path, not in the files.
PARTITION_COLUMN = "pub_month"
#: Hive's spelling of a NULL partition value; pyarrow, DuckDB, Polars and Spark read it as NULL.
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"

_DOCUMENTS = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("pub_date", pa.date32()),
        pa.field("pub_date_source", pa.string()),  # header | metadata | dateline | path | content | null
        pa.field("pub_date_granularity", pa.string()),  # 'day' | 'month' | null
        pa.field("language", pa.string()),
        pa.field("text", pa.string(), nullable=False),
        pa.field("clean_text", pa.string(), nullable=False),
        pa.field("n_segments", pa.int32(), nullable=False),
        pa.field("n_duplicate_segments", pa.int32(), nullable=False),
        pa.field("is_duplicate", pa.bool_(), nullable=False),  # (nearly) all segments copy one document
        pa.field("duplicate_of", pa.string()),  # doc_id of that earlier document
        pa.field("revision", pa.int32(), nullable=False),  # 1, then 2, 3... when the source file changed
        pa.field("supersedes", pa.string()),  # doc_id of the previous revision of the same source
        pa.field("content_sha256", pa.string(), nullable=False),
        pa.field("encoding", pa.string(), nullable=False),
        pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("title", pa.string()),  # JSON Lines records: the title field (null for text files)
        pa.field("url", pa.string()),  # JSON Lines records: the url field
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
        pa.field("language", pa.string()),  # ISO 639-1, detected per segment
        # spaCy model whose NER covered it (read it, or its gate found no possible name: the same
        # rows as with --ner-all-segments); null: duplicate or no model for its language
        pa.field("ner_model", pa.string()),
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


_ENTITY_CLUSTERS = pa.schema(
    [
        pa.field("entity_id", pa.string(), nullable=False),
        pa.field("canonical", pa.string(), nullable=False),
        pa.field("label", pa.string(), nullable=False),
        pa.field("aliases", pa.list_(pa.string())),
        pa.field("mention_count", pa.int64(), nullable=False),
        pa.field("label_confidence", pa.float32()),
        pa.field("first_seen", pa.date32()),  # earliest pub_date of a document mentioning it
        pa.field("last_seen", pa.date32()),
        pa.field("country_code", pa.string()),
        pa.field("latitude", pa.float64()),
        pa.field("longitude", pa.float64()),
        pa.field("geonameid", pa.int64()),
        # An id once published never disappears: when two clusters merge, the id that lost is kept
        # as a row naming the survivor (canonical and label are the survivor's, mention_count 0).
        pa.field("merged_into", pa.string()),
    ]
)

# Cross-run dedup state (under DIR/_state/): what later runs must know of this run's output.
_STATE_SEGMENTS = pa.schema(
    [
        pa.field("segment_id", pa.string(), nullable=False),
        pa.field("content_hash", pa.string(), nullable=False),
        pa.field("shingles", pa.list_(pa.uint32())),  # sorted CRC32 of word shingles (verification)
        pa.field("bands", pa.list_(pa.uint32())),  # MinHash LSH band keys (candidate join)
        pa.field("run_id", pa.string(), nullable=False),
        # The segment's canonical order once ingested (records.ingested_order): its document's
        # publication date and source. NULL source in files written before version 4.
        pa.field("pub_date", pa.date32()),
        pa.field("source", pa.string()),
    ]
)

_STATE_DOCUMENTS = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("content_sha256", pa.string(), nullable=False),
        pa.field("revision", pa.int32(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        # blake2b-128 of the body (hex, `state.body_key`): a later copy of the body under another
        # name is known as one (`whole_copies.py`). NULL in files written before version 5.
        pa.field("body_hash", pa.string()),
    ]
)


# Cross-run entity state: per distinct name key and run, that run's statistics (a JSON delta, see
# transforms/entities/state.py); the sum over all runs rebuilds the whole history.
_STATE_ENTITY_NAMES = pa.schema(
    [
        pa.field("key", pa.string(), nullable=False),
        pa.field("stats", pa.string(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)


# Published entity ids: the id each name key was first written under (transforms/entities/ids.py).
_STATE_ENTITY_IDS = pa.schema(
    [
        pa.field("key", pa.string(), nullable=False),
        pa.field("entity_id", pa.string(), nullable=False),
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
        "entity_clusters": _ENTITY_CLUSTERS,
        "state_segments": _STATE_SEGMENTS,
        "state_documents": _STATE_DOCUMENTS,
        "state_entity_names": _STATE_ENTITY_NAMES,
        "state_entity_ids": _STATE_ENTITY_IDS,
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
    "state_segments": ("segment_id",),
    "state_documents": ("doc_id",),
    "entity_clusters": ("entity_id",),
    "state_entity_names": ("key", "run_id"),
    "state_entity_ids": ("key",),
}

#: Folder of each table under the output directory (state lives in `_state/`, which readers ignore).
TABLE_DIRS: dict[str, str] = {
    "documents": "documents",
    "segments": "segments",
    "entities": "entities",
    "dates": "dates",
    "rejected": "rejected",
    "state_segments": "_state/segments",
    "state_documents": "_state/documents",
    "entity_clusters": "entity_clusters",
    "state_entity_names": "_state/entity_names",
    "state_entity_ids": "_state/entity_ids",
}

#: Tables rewritten whole by every run (a snapshot): finalize removes the files of earlier runs.
SNAPSHOT_TABLES = frozenset({"entity_clusters"})


def schema_for(table: str) -> pa.Schema:
    """The schema of `table`, with its version metadata; KeyError for an unknown table."""
    return TABLES[table]


def dataset_schema(table: str) -> pa.Schema:
    """The schema of `table` as a dataset reader sees it: the declared columns, plus `pub_month`
    (a string, stored in the folder names) for partitioned tables. One definition for the readers
    (`pipeline.analytics.open_table`), the empty placeholder file and the Delta log."""
    schema = schema_for(table)
    if table in PARTITIONED_TABLES:
        schema = schema.append(pa.field(PARTITION_COLUMN, pa.string()))
    return schema
