"""`newsbeam eval-dates`: score the real pipeline's `dates` table on French TimeBank, next to dateparser.

Why run the whole pipeline instead of calling `extract_dates` (as `benchmarks/bench_dates.py` does):
the figures a user cares about are those of what lands in Parquet, after reading (header parsing),
segmentation and dedup (mentions inside duplicate segments are left to their canonical copy). Each
article is written as a real input file whose ` date <DCT>` header line gives the anchor date, exactly
as a news file would, and the output is read back with pyarrow like any consumer would.
"""

from __future__ import annotations

import posixpath
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transforms.dates.timebank import (
    SCORED_TYPES,
    GoldSpan,
    PredSpan,
    TimebankDoc,
    dateparser_baseline,
    parse_tml,
    score,
)

PIPELINE_NAME = "newsbeam pipeline"
BASELINE_NAME = "dateparser.search_dates"
_METRICS = ("strict", "relaxed", "value")


class EvalInputError(RuntimeError):
    """The pipeline's view of the corpus differs from TimeBank's (text, DCT or document set).

    Why fail instead of scoring anyway: every predicted offset is an index into `documents.text`; if
    that text is not the tag-stripped TimeBank text the scores would be silently meaningless.
    """


@dataclass
class SystemResult:
    """Scores (as returned by `timebank.score`) and wall time of one system on the corpus."""

    name: str
    scores: dict[str, float]
    seconds: float
    predictions: int  # raw predicted spans, before `score` drops those on unscored (DURATION/SET) gold

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON view; floats rounded so the output diffs cleanly between runs."""
        return {
            "name": self.name,
            "seconds": round(self.seconds, 3),
            "predictions": self.predictions,
            "scored_predictions": int(self.scores["n_pred"]),
            **{k: round(v, 4) for k, v in self.scores.items() if k not in ("n_gold", "n_pred")},
        }


@dataclass
class EvalReport:
    """Both systems' scores on one corpus, with the counts a reader needs to interpret them."""

    corpus: str
    docs: int
    gold: int  # gold DATE/TIME spans
    pipeline: SystemResult
    baseline: SystemResult
    run_id: str
    segments: int
    duplicate_segments: int
    gold_in_duplicates: int  # gold DATE/TIME spans inside duplicate segments (the pipeline skips them)
    types: tuple[str, ...] = field(default=SCORED_TYPES)

    @property
    def systems(self) -> tuple[SystemResult, SystemResult]:
        """Pipeline first, baseline second: the table's row order."""
        return self.pipeline, self.baseline

    def render(self) -> str:
        """Aligned text table (same layout as `benchmarks/bench_dates.py`) plus the dedup caveat."""
        types = "/".join(self.types)
        lines = [
            f"French TimeBank {self.corpus}: {self.docs} docs, {self.gold} gold {types} (run {self.run_id})",
            f"dedup: {self.duplicate_segments} of {self.segments} segments flagged duplicate, "
            f"holding {self.gold_in_duplicates} gold spans the pipeline leaves to their canonical copy",
        ]
        head = (
            f"{'system':24} {'pred':>5} {'strict P/R/F1':>16} {'relaxed P/R/F1':>16} "
            f"{'value P/R/F1':>16} {'seconds':>8}"
        )
        lines += [head, "-" * len(head)]
        for system in self.systems:
            s = system.scores
            cells = [f"{s[k + '_p']:.2f}/{s[k + '_r']:.2f}/{s[k + '_f1']:.2f}" for k in _METRICS]
            lines.append(
                f"{system.name:24} {int(s['n_pred']):>5} {cells[0]:>16} {cells[1]:>16} {cells[2]:>16} "
                f"{system.seconds:>8.1f}"
            )
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """Machine-readable report for `--json` (CI trend tracking)."""
        return {
            "corpus": self.corpus,
            "run_id": self.run_id,
            "types": list(self.types),
            "counts": {
                "docs": self.docs,
                "gold": self.gold,
                "segments": self.segments,
                "duplicate_segments": self.duplicate_segments,
                "gold_in_duplicate_segments": self.gold_in_duplicates,
            },
            "systems": {"pipeline": self.pipeline.to_json(), "baseline": self.baseline.to_json()},
        }


def write_inputs(docs: Sequence[TimebankDoc], input_dir: Path) -> None:
    """One `<name>.txt` per article: a ` date <DCT>` header line, then exactly the stripped text.

    The reader consumes the header line with its newline, so the document body is `doc.text` and the
    pipeline's offsets are offsets into the TimeBank text (checked after the run by `_check_documents`).
    """
    input_dir.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        (input_dir / f"{doc.name}.txt").write_bytes(f" date {doc.dct.isoformat()}\n{doc.text}".encode())


def _read_table(path: Path, columns: list[str]) -> Any:
    """A hive-partitioned output table as a pyarrow Table (empty when the run wrote no file for it).

    The partition column is declared as a string so `pub_month=1999-05` is never type-inferred.
    """
    import pyarrow as pa
    import pyarrow.dataset as ds

    if not path.exists():
        return pa.table({c: pa.array([], pa.string()) for c in columns})
    partitioning = ds.partitioning(pa.schema([("pub_month", pa.string())]), flavor="hive")
    return ds.dataset(str(path), format="parquet", partitioning=partitioning).to_table(columns=columns)


def _name_of(source: str) -> str:
    """TimeBank article name from a document's `source` path (`.../input/<name>.txt`)."""
    base = posixpath.basename(source)
    return base[: -len(".txt")] if base.endswith(".txt") else base


def _check_documents(docs: dict[str, TimebankDoc], documents: Any) -> dict[str, str]:
    """Map doc_id -> article name, failing loudly unless each article came back once, intact.

    Checks the set of articles (none rejected or skipped), the body (offsets assumption) and the
    publication date (the DCT must come from the header, not from content inference).
    """
    doc_ids: dict[str, str] = {}
    seen: set[str] = set()
    for row in documents.to_pylist():
        name = _name_of(row["source"])
        if name not in docs or name in seen:
            raise EvalInputError(f"unexpected or repeated document {row['source']!r} in the output")
        seen.add(name)
        doc_ids[row["doc_id"]] = name
        expected = docs[name]
        if row["text"] != expected.text:
            at = next(
                (i for i, (a, b) in enumerate(zip(row["text"], expected.text, strict=False)) if a != b),
                min(len(row["text"]), len(expected.text)),
            )
            raise EvalInputError(
                f"{name}: documents.text differs from the TimeBank text at char {at} "
                f"(lengths {len(row['text'])} vs {len(expected.text)}): offsets would not line up"
            )
        if row["pub_date"] != expected.dct or row["pub_date_source"] != "header":
            raise EvalInputError(
                f"{name}: pub_date {row['pub_date']} ({row['pub_date_source']}) is not the DCT {expected.dct}"
            )
    missing = sorted(set(docs) - seen)
    if missing:
        raise EvalInputError(f"{len(missing)} articles missing from documents (rejected?): {missing[:5]}")
    return doc_ids


def _in_any(span: GoldSpan, ranges: list[tuple[int, int]]) -> bool:
    """True when the gold span starts inside one of the (start, end) segment ranges."""
    return any(start <= span[0] < end for start, end in ranges)


def evaluate(corpus_dir: Path, work_dir: Path, beam_args: Sequence[str] = ()) -> EvalReport:
    """Run the real pipeline on a TimeBank folder and score its dates and dateparser's against the gold.

    `work_dir/input` and `work_dir/out` are deleted and recreated first: the pipeline skips documents a
    previous run into the same output already ingested (cross-run state), which would empty the
    evaluation on a second call.
    """
    from pipeline.runner import run_batch

    corpus_dir, work_dir = Path(corpus_dir), Path(work_dir)
    paths = sorted(corpus_dir.glob("*.tml"))
    if not paths:
        raise EvalInputError(f"no .tml files in {corpus_dir}")
    docs = {doc.name: doc for doc in map(parse_tml, paths)}
    input_dir, out_dir = work_dir / "input", work_dir / "out"
    for folder in (input_dir, out_dir):
        shutil.rmtree(folder, ignore_errors=True)
    write_inputs(list(docs.values()), input_dir)

    summary = run_batch(inputs=[str(input_dir / "*.txt")], output=str(out_dir), beam_args=beam_args)

    doc_columns = ["doc_id", "source", "text", "pub_date", "pub_date_source"]
    documents = _read_table(out_dir / "documents", doc_columns)
    doc_ids = _check_documents(docs, documents)
    predicted: dict[str, list[PredSpan]] = {name: [] for name in docs}
    dates = _read_table(out_dir / "dates", ["doc_id", "start_char", "end_char", "value"])
    for row in dates.to_pylist():
        predicted[doc_ids[row["doc_id"]]].append((row["start_char"], row["end_char"], row["value"]))
    segments = _read_table(out_dir / "segments", ["doc_id", "start_char", "end_char", "is_duplicate"])
    duplicates: dict[str, list[tuple[int, int]]] = {name: [] for name in docs}
    n_segments = 0
    for row in segments.to_pylist():
        n_segments += 1
        if row["is_duplicate"]:
            duplicates[doc_ids[row["doc_id"]]].append((row["start_char"], row["end_char"]))

    gold = {name: doc.gold for name, doc in docs.items()}
    clock = time.perf_counter()
    baseline = {name: dateparser_baseline(doc) for name, doc in docs.items()}
    baseline_seconds = time.perf_counter() - clock

    scored = [(name, g) for name, spans in gold.items() for g in spans if g[2] in SCORED_TYPES]
    return EvalReport(
        corpus=corpus_dir.name or str(corpus_dir),
        docs=len(docs),
        gold=len(scored),
        pipeline=SystemResult(
            PIPELINE_NAME, score(gold, predicted), summary.wall_seconds, sum(map(len, predicted.values()))
        ),
        baseline=SystemResult(
            BASELINE_NAME, score(gold, baseline), baseline_seconds, sum(map(len, baseline.values()))
        ),
        run_id=summary.run_id,
        segments=n_segments,
        duplicate_segments=sum(map(len, duplicates.values())),
        gold_in_duplicates=sum(1 for name, g in scored if _in_any(g, duplicates[name])),
    )
