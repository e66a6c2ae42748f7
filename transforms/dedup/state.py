"""The persistent history of dedup under `DIR/_state/` (what earlier deliveries ingested).

Two small Parquet tables, written by the same finalize as the data they describe:
- `_state/documents`: doc_id, source, content hash of every ingested document, so a rerun skips
  what it already ingested (the doc_id hashes path and body: same file, same id), and the hash of
  its body, so a later copy of it under another name is known as one (`whole_copies.py`);
- `_state/segments`: for every canonical segment, its exact content hash, its shingle hashes and
  LSH band keys, so later runs flag exact and near copies of it with `duplicate_of` pointing into
  the earlier data.

The documents table is joined with a run's documents by source path (`SkipIngested`); the segments
table feeds the dedup decision (`batch.py` reads it as Arrow batches, `streaming.py` loads it into
keyed state at start).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import posixpath
from collections.abc import Iterable, Iterator

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from schemas.tables import TABLE_DIRS
from transforms.assemble import AssembledDocument
from transforms.records import Document


def body_key(text: str) -> bytes:
    """The key of a document's body (its exact text): whole copies are grouped by it in a run
    (`whole_copies.py`), and `_state/documents.body_hash` keeps it for later runs."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def state_pattern(output_dir: str, table: str) -> str | None:
    """Glob of a state table's files, or None when no earlier run wrote any."""
    pattern = posixpath.join(output_dir, TABLE_DIRS[table], "*.parquet")
    try:
        matched = FileSystems.match([pattern])[0].metadata_list
    except Exception:  # a missing folder is "no state", whatever the filesystem raises
        return None
    return pattern if matched else None


class ReadState(beam.PTransform):
    """Rows (dicts) of a state table, or with `batched` Arrow tables of rows (Beam's
    ReadFromParquetBatched: one element per record batch, for large tables such as the segment
    index); an empty PCollection on the first run."""

    def __init__(self, output_dir: str, table: str, batched: bool = False) -> None:
        super().__init__()
        self._pattern = state_pattern(output_dir, table)
        self._batched = batched

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection:
        if self._pattern is None:
            return pbegin | "NoState" >> beam.Create([])
        if self._batched:
            return pbegin | "ReadParquetBatches" >> beam.io.ReadFromParquetBatched(self._pattern)
        return pbegin | "ReadParquet" >> beam.io.ReadFromParquet(self._pattern)


def within_horizon(row: dict, cutoff: dt.date | None) -> bool:
    """True when an index row was written on or after `cutoff` (run ids start with the UTC date).

    Why: the index grows with history (about 200 MB per million segments); a horizon bounds what
    each run reads and joins, at the price of not flagging copies of content older than it.
    """
    if cutoff is None:
        return True
    try:
        written = dt.datetime.strptime(str(row["run_id"])[:8], "%Y%m%d").date()
    except ValueError:
        return True  # an id we cannot date is kept: losing dedup history silently is worse
    return written >= cutoff


def state_rows(item: AssembledDocument, run_id: str) -> Iterator[tuple[str, dict]]:
    """State rows of one ingested document: the document, and its canonical segments."""
    doc = item.doc
    yield (
        "state_documents",
        {
            "doc_id": doc.doc_id,
            "source": doc.source,
            "content_sha256": doc.content_sha256,
            "revision": doc.revision,
            "run_id": run_id,
            "body_hash": body_key(doc.text).hex(),
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
                "pub_date": doc.pub_date,
                "source": doc.source,
            },
        )


def against_history(doc: Document, known: Iterable[tuple[str, int]]) -> Document | None:
    """None when this exact document was ingested before; else the document, as a new revision
    of its source when that source was ingested before with other content.

    `known` = (doc_id, revision) of earlier documents with the same source path.
    """
    known = sorted(known, key=lambda item: (item[1], item[0]))
    if any(doc_id == doc.doc_id for doc_id, _ in known):
        return None
    if not known:
        return doc
    previous_id, previous_revision = known[-1]
    return dataclasses.replace(doc, revision=previous_revision + 1, supersedes=previous_id)


def _classified(doc: Document, known: Iterable[tuple[str, int]]) -> Iterator[Document]:
    """`against_history`, counted."""
    result = against_history(doc, known)
    if result is None:
        Metrics.counter("newsbeam", "skipped_already_ingested").inc()
        return
    Metrics.counter("newsbeam", "documents").inc()
    if result.supersedes:
        Metrics.counter("newsbeam", "revisions").inc()
    yield result


def _classify(element: tuple[str, dict[str, list]]) -> Iterator[Document]:
    _, grouped = element
    known = [(row["doc_id"], row.get("revision") or 1) for row in grouped["known"]]
    for doc in grouped["doc"]:
        yield from _classified(doc, known)


class SkipIngested(beam.PTransform):
    """Document -> Document: drops those already ingested, numbers revisions of changed sources.

    Joined with `_state/documents` on the source path (`CoGroupByKey`), so it scales with history;
    on a first run (`ingested` None: no state yet) there is nothing to join, and the documents are
    not shuffled.
    """

    def __init__(self, ingested: beam.PCollection | None) -> None:
        super().__init__()
        self._ingested = ingested

    def expand(self, docs: beam.PCollection) -> beam.PCollection:
        if self._ingested is None:
            return docs | "FirstRun" >> beam.FlatMap(_classified, ())
        return (
            {
                "doc": docs | "KeyDocs" >> beam.Map(lambda d: (d.source, d)),
                "known": self._ingested | "KeyKnown" >> beam.Map(lambda r: (r["source"], r)),
            }
            | "JoinState" >> beam.CoGroupByKey()
            | "Classify" >> beam.FlatMap(_classify)
        )
