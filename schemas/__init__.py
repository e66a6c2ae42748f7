"""Versioned pyarrow schemas of every table newsbeam writes: the single source of truth.

Every stage builds its rows against these schemas and the writer refuses rows that do not fit,
so a column added here is a column added everywhere (and a reader can trust the metadata).
"""

from schemas.tables import (
    NULL_PARTITION,
    PARTITION_COLUMN,
    PARTITIONED_TABLES,
    SCHEMA_VERSION,
    TABLES,
    dataset_schema,
    schema_for,
)

__all__ = [
    "NULL_PARTITION",
    "PARTITIONED_TABLES",
    "PARTITION_COLUMN",
    "SCHEMA_VERSION",
    "TABLES",
    "dataset_schema",
    "schema_for",
]
