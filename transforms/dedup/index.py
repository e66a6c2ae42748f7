"""The persistent cross-run dedup index under `DIR/_state/`.

Two small Parquet tables, written by the same finalize as the data they describe:
- `_state/documents`: doc_id, source, content hash of every ingested document, so a rerun skips
  what it already ingested (the doc_id hashes path and body: same file, same id);
- `_state/segments`: for every canonical segment, its exact content hash, its shingle hashes and
  LSH band keys, so later runs flag exact and near copies of it with `duplicate_of` pointing into
  the earlier data.

The index is read as a PCollection (`ReadFromParquet`) and joined by key (content hash, band key,
doc_id): nothing is held in one worker's memory, and the same code runs on a distributed runner.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from schemas.tables import TABLE_DIRS
from transforms.assemble import AssembledDocument


def state_pattern(output_dir: str, table: str) -> str | None:
    """Glob of a state table's files, or None when no earlier run wrote any."""
    pattern = posixpath.join(output_dir, TABLE_DIRS[table], "*.parquet")
    try:
        matched = FileSystems.match([pattern])[0].metadata_list
    except Exception:  # a missing folder is "no state", whatever the filesystem raises
        return None
    return pattern if matched else None


class ReadState(beam.PTransform):
    """Rows (dicts) of a state table; an empty PCollection on the first run."""

    def __init__(self, output_dir: str, table: str) -> None:
        super().__init__()
        self._pattern = state_pattern(output_dir, table)

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection:
        if self._pattern is None:
            return pbegin | "NoState" >> beam.Create([])
        return pbegin | "ReadParquet" >> beam.io.ReadFromParquet(self._pattern)


def state_rows(item: AssembledDocument, run_id: str) -> Iterator[tuple[str, dict]]:
    """State rows of one ingested document: the document, and its canonical segments."""
    doc = item.doc
    yield (
        "state_documents",
        {
            "doc_id": doc.doc_id,
            "source": doc.source,
            "content_sha256": doc.content_sha256,
            "run_id": run_id,
        },
    )
    for segment, verdict in zip(item.segments, item.verdicts, strict=True):
        if verdict.is_duplicate or not segment.dedup_eligible:
            continue
        yield (
            "state_segments",
            {
                "segment_id": segment.segment_id,
                "content_hash": segment.content_hash,
                "shingles": list(segment.shingles),
                "bands": list(segment.bands),
                "run_id": run_id,
            },
        )
