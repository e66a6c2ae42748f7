"""`newsbeam stats DIR`: what is in an output folder, at a glance or as JSON.

Why pyarrow only (no DuckDB/Polars): they are test extras, while pyarrow is what the pipeline
itself installs, so `stats` works wherever `run` works. Row and file counts come from Parquet
footers (no data read); the other figures scan only the few columns they need.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.analytics import iter_partitions, local_dir, parquet_file, read_table
from pipeline.analytics.breakdowns import language_stats, rejection_details, share, source_stats
from schemas.tables import NULL_PARTITION, PARTITION_COLUMN

RUNS_DIRNAME = "_runs"
#: How undated documents (the NULL partition) are labelled in summaries and charts.
UNDATED = "undated"


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _month(value: str | None) -> str | None:
    """A publication month, None for undated (the NULL partition): JSON null, never a label."""
    return None if value in (None, NULL_PARTITION) else str(value)


def _month_key(month: str | None) -> tuple[bool, str]:
    """Chronological order, undated last."""
    return (month is None, month or "")


def month_label(month: str | None) -> str:
    """How a month is written for people: undated documents have no month."""
    return UNDATED if month is None else month


def table_counts(root: Path) -> dict[str, dict[str, Any]]:
    """Rows, files and bytes per table and partition, from the Parquet footers."""
    tables: dict[str, dict[str, Any]] = {}
    for partition in iter_partitions(root):
        entry = tables.setdefault(partition.table, {"rows": 0, "files": 0, "bytes": 0, "partitions": []})
        files = partition.files()
        rows = sum(parquet_file(f).metadata.num_rows for f in files)
        size = sum(f.stat().st_size for f in files)
        entry["rows"] += rows
        entry["files"] += len(files)
        entry["bytes"] += size
        if partition.value is not None:
            entry["partitions"].append(
                {PARTITION_COLUMN: _month(partition.value), "rows": rows, "files": len(files)}
            )
    for entry in tables.values():
        entry["partitions"].sort(key=lambda part: _month_key(part[PARTITION_COLUMN]))
    return tables


def _group_count(table: pa.Table, keys: list[str], filter_mask: pa.Array | None = None) -> list[dict]:
    if filter_mask is not None:
        table = table.filter(filter_mask)
    if table.num_rows == 0:
        return []
    return table.group_by(keys).aggregate([([], "count_all")]).rename_columns([*keys, "n"]).to_pylist()


def duplicate_stats(root: Path) -> dict[str, Any]:
    """Duplicate segments and documents, overall and per publication month."""
    segments = read_table(root, "segments", ["is_duplicate", "duplicate_kind", PARTITION_COLUMN])
    documents = read_table(root, "documents", ["is_duplicate"])
    result: dict[str, Any] = {"segments": 0, "duplicate_segments": 0, "kinds": {}, "by_month": []}
    if segments is not None:
        n_dup = int(pc.sum(segments["is_duplicate"].cast(pa.int64())).as_py() or 0)
        result["segments"] = segments.num_rows
        result["duplicate_segments"] = n_dup
        result["kinds"] = {
            row["duplicate_kind"]: row["n"]
            for row in _group_count(segments, ["duplicate_kind"], segments["is_duplicate"])
        }
        months: dict[str | None, dict[str, int]] = {}
        for row in _group_count(segments, [PARTITION_COLUMN, "is_duplicate"]):
            month = months.setdefault(_month(row[PARTITION_COLUMN]), {"segments": 0, "duplicate_segments": 0})
            month["segments"] += row["n"]
            if row["is_duplicate"]:
                month["duplicate_segments"] += row["n"]
        result["by_month"] = [
            {"month": m, **v, "rate": _rate(v["duplicate_segments"], v["segments"])}
            for m, v in sorted(months.items(), key=lambda kv: _month_key(kv[0]))
        ]
    result["segment_rate"] = _rate(result["duplicate_segments"], result["segments"])
    if documents is not None:
        n_dup_docs = int(pc.sum(documents["is_duplicate"].cast(pa.int64())).as_py() or 0)
        result["documents"] = documents.num_rows
        result["duplicate_documents"] = n_dup_docs
        result["document_rate"] = _rate(n_dup_docs, documents.num_rows)
    return result


def top_entities(root: Path, top: int = 10, label: str | None = None) -> list[dict[str, Any]]:
    """Most mentioned entities: from `entity_clusters` (merged variants), else `entities` by canonical."""
    clusters = read_table(root, "entity_clusters", ["entity_id", "canonical", "label", "mention_count"])
    if clusters is not None and clusters.num_rows:
        if label:
            clusters = clusters.filter(pc.equal(clusters["label"], label))
        ordered = clusters.sort_by([("mention_count", "descending"), ("canonical", "ascending")])
        return [
            {
                "entity_id": r["entity_id"],
                "canonical": r["canonical"],
                "label": r["label"],
                "mentions": r["mention_count"],
            }
            for r in ordered.slice(0, top).to_pylist()
        ]
    entities = read_table(root, "entities", ["canonical", "label"])
    if entities is None:
        return []
    mask = pc.equal(entities["label"], label) if label else None
    counted = sorted(
        _group_count(entities, ["canonical", "label"], mask), key=lambda r: (-r["n"], r["canonical"])
    )
    return [
        {"entity_id": None, "canonical": r["canonical"], "label": r["label"], "mentions": r["n"]}
        for r in counted[:top]
    ]


def date_stats(root: Path, top: int = 10) -> dict[str, Any]:
    """Publication-date coverage of documents, and the date mentions found in the text."""
    result: dict[str, Any] = {"documents": 0, "dated": 0}
    documents = read_table(root, "documents", ["pub_date", "pub_date_source", PARTITION_COLUMN])
    if documents is not None and documents.num_rows:
        dated = documents.num_rows - documents["pub_date"].null_count
        result.update(
            documents=documents.num_rows,
            dated=dated,
            dated_share=_rate(dated, documents.num_rows),
            min_pub_date=_iso(pc.min(documents["pub_date"]).as_py()),
            max_pub_date=_iso(pc.max(documents["pub_date"]).as_py()),
            pub_date_source=sorted(
                (
                    {"source": r["pub_date_source"], "documents": r["n"]}
                    for r in _group_count(documents, ["pub_date_source"])
                ),
                key=lambda r: (r["source"] is None, -r["documents"], r["source"] or ""),
            ),
            documents_per_month=sorted(
                (
                    {"month": _month(r[PARTITION_COLUMN]), "documents": r["n"]}
                    for r in _group_count(documents, [PARTITION_COLUMN])
                ),
                key=lambda r: _month_key(r["month"]),
            ),
        )
    dates = read_table(root, "dates", ["value", "resolved", "kind"])
    if dates is not None and dates.num_rows:
        resolved = int(pc.sum(dates["resolved"].cast(pa.int64())).as_py() or 0)
        values = _group_count(dates, ["value"], pc.is_valid(dates["value"]))
        result.update(
            mentions=dates.num_rows,
            resolved_share=_rate(resolved, dates.num_rows),
            top_values=[
                {"value": r["value"], "mentions": r["n"]}
                for r in sorted(values, key=lambda r: (-r["n"], r["value"]))[:top]
            ],
        )
    return result


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def last_runs(root: Path, limit: int = 5) -> list[dict[str, Any]]:
    """The latest run manifests (`DIR/_runs/*.json`), newest first; unreadable ones are reported."""
    runs = []
    for path in sorted((root / RUNS_DIRNAME).glob("*.json"), reverse=True)[:limit]:
        try:
            manifest = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            runs.append({"run_id": path.stem, "error": str(error)})
            continue
        counts = manifest.get("counts", {})
        runs.append(
            {
                "run_id": manifest.get("run_id", path.stem),
                "started_at": manifest.get("started_at"),
                "wall_seconds": manifest.get("wall_seconds"),
                "files_read": counts.get("files_read"),
                "documents": counts.get("documents"),
                "skipped": counts.get("skipped_already_ingested"),
                "rejected": counts.get("rejected"),
            }
        )
    return runs


def rejected_reasons(root: Path) -> dict[str, int]:
    """Rejected inputs per reason, most frequent first (the report's rejection table, counts only)."""
    return {detail["reason"]: detail["inputs"] for detail in rejection_details(root)}


def collect_stats(output_dir: str | Path, top: int = 10, runs: int = 5) -> dict[str, Any]:
    """Everything `newsbeam stats` shows, as a JSON-ready dict (local output folder)."""
    root = local_dir(output_dir)
    return {
        "output": str(root),
        "tables": table_counts(root),
        "duplicates": duplicate_stats(root),
        "top_entities": top_entities(root, top),
        "dates": date_stats(root, top),
        "sources": source_stats(root, top),
        "languages": language_stats(root),
        "rejected": rejected_reasons(root),
        "runs": last_runs(root, runs),
    }


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{100 * rate:.1f}%"


def render_stats(stats: dict[str, Any]) -> str:
    """Readable text of `collect_stats` output, for people at a terminal."""
    out = [f"newsbeam stats {stats['output']}", "", "tables (rows / files)"]
    for table, entry in stats["tables"].items():
        out.append(
            f"  {table:<22}{entry['rows']:>9} rows {entry['files']:>5} files"
            f" {entry['bytes'] / 1024:>9.1f} KiB"
        )
        for part in entry["partitions"]:
            value = part[PARTITION_COLUMN] or f"NULL ({UNDATED})"
            out.append(f"    {PARTITION_COLUMN}={value:<28}{part['rows']:>9} rows {part['files']:>5} files")
    dup = stats["duplicates"]
    out += ["", "duplicates"]
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(dup.get("kinds", {}).items(), key=lambda kv: str(kv[0])))
    out.append(
        f"  segments   {dup['duplicate_segments']} of {dup['segments']} ({_pct(dup.get('segment_rate'))})"
        + (f"  [{kinds}]" if kinds else "")
    )
    if "documents" in dup:
        out.append(
            f"  documents  {dup['duplicate_documents']} of {dup['documents']}"
            f" ({_pct(dup.get('document_rate'))})"
        )
    for month in dup["by_month"]:
        out.append(
            f"    {month_label(month['month']):<10}{month['duplicate_segments']:>6} / {month['segments']:<6}"
            f" {_pct(month['rate'])}"
        )
    dates = stats["dates"]
    out += ["", "dates"]
    if dates.get("documents"):
        out.append(
            f"  documents dated   {dates['dated']} of {dates['documents']}"
            f" ({_pct(dates.get('dated_share'))}),"
            f" {dates.get('min_pub_date') or '-'} .. {dates.get('max_pub_date') or '-'}"
        )
        sources = ", ".join(
            f"{r['source']} {r['documents']}" for r in dates.get("pub_date_source", []) if r["source"]
        )
        out.append(f"  pub_date source   {sources or '-'}")
        per_month = dates.get("documents_per_month", [])
        months = ", ".join(f"{m['month']}: {m['documents']}" for m in per_month if m["month"])
        out.append(f"  documents/month   {months or '-'}")
        undated = sum(m["documents"] for m in per_month if m["month"] is None)
        out.append(f"  undated           {undated} (no publication date found)")
    if dates.get("mentions"):
        out.append(f"  date mentions     {dates['mentions']} ({_pct(dates.get('resolved_share'))} resolved)")
        top_values = ", ".join(f"{v['value']} ({v['mentions']})" for v in dates.get("top_values", [])[:5])
        out.append(f"  most mentioned    {top_values}")
    if stats.get("sources"):
        out += ["", "sources (documents / duplicates / undated)"]
        out += [
            f"  {s['documents']:>6} {s['duplicate_documents']:>6} {s['undated']:>6}  {s['origin']}"
            for s in stats["sources"]
        ]
    if stats.get("languages"):
        total = sum(lang["documents"] for lang in stats["languages"])
        out += ["", "languages (documents)"]
        out += [
            f"  {lang['language'] or 'unknown':<8}{share(lang['documents'], total)}"
            for lang in stats["languages"]
        ]
    out += ["", "top entities"]
    for entity in stats["top_entities"]:
        out.append(f"  {entity['mentions']:>6}  {entity['label']:<5} {entity['canonical']}")
    if stats["rejected"]:
        out += ["", "rejected"] + [f"  {reason:<22}{n:>6}" for reason, n in stats["rejected"].items()]
    out += ["", "last runs"]
    for run in stats["runs"]:
        if "error" in run:
            out.append(f"  {run['run_id']}  unreadable manifest: {run['error']}")
            continue
        out.append(
            f"  {run['run_id']}  {run.get('wall_seconds') or 0:>7.1f} s  read {run.get('files_read')}"
            f"  new {run.get('documents')}  skipped {run.get('skipped')}  rejected {run.get('rejected')}"
        )
    return "\n".join(out)
