"""Breakdowns an analyst asks for after the totals: per source, per language, who copies whom,
why files were rejected, and which names each entity goes by.

Shared by `stats` (text and JSON) and `report` (panels), so both show the same figures. Each
function reads only the columns it needs with pyarrow (see `pipeline.analytics.stats`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from pipeline.analytics import open_table, read_table

#: Trailing date folders (`…/2018/11/17`, `…/2018/11`, `…/2018`): the publication date of a file,
#: not another source, so `agences/2012/06/22` and `agences/2012/07/04` are one source `agences`.
_DATE_FOLDERS = re.compile(r"(?:/(?:19|20)\d{2}(?:/[01]?\d(?:/[0-3]?\d)?)?)$")


def origin(source: str, url: str | None) -> str:
    """Where a document came from, for per-source counts: the site of its URL (JSON Lines
    metadata), else the folder of its input file (`<file>#<id>` records: the file's folder), without
    the date folders a dated layout adds."""
    if url and "://" in url:
        return url.split("://", 1)[1].split("/", 1)[0].lower()
    path = source.split("#", 1)[0]
    folder = path.rsplit("/", 1)[0] if "/" in path else "."
    return _DATE_FOLDERS.sub("", folder) or folder


def source_stats(root: Path, top: int = 10) -> list[dict[str, Any]]:
    """Documents, duplicate documents and undated documents per origin (`origin`), largest first."""
    documents = read_table(root, "documents", ["source", "url", "is_duplicate", "pub_date"])
    if documents is None or not documents.num_rows:
        return []
    found: dict[str, dict[str, Any]] = {}
    rows = zip(
        documents["source"].to_pylist(),
        documents["url"].to_pylist(),
        documents["is_duplicate"].to_pylist(),
        documents["pub_date"].is_null().to_pylist(),
        strict=True,
    )
    for source, url, duplicate, undated in rows:
        entry = found.setdefault(
            origin(source, url), {"documents": 0, "duplicate_documents": 0, "undated": 0}
        )
        entry["documents"] += 1
        entry["duplicate_documents"] += int(bool(duplicate))
        entry["undated"] += int(undated)
    ranked = sorted(found.items(), key=lambda kv: (-kv[1]["documents"], kv[0]))
    return [{"origin": name, **entry} for name, entry in ranked[:top]]


def language_stats(root: Path) -> list[dict[str, Any]]:
    """Documents per detected language (null: too short or unknown), most frequent first."""
    documents = read_table(root, "documents", ["language"])
    if documents is None or not documents.num_rows:
        return []
    counted = documents.group_by(["language"]).aggregate([([], "count_all")]).to_pylist()
    counted.sort(key=lambda r: (-r["count_all"], r["language"] is None, r["language"] or ""))
    return [{"language": r["language"], "documents": r["count_all"]} for r in counted]


def rejection_details(root: Path, examples: int = 3) -> list[dict[str, Any]]:
    """Rejected inputs per reason: how many, and the first few sources with their detail."""
    rejected = read_table(root, "rejected", ["source", "reason", "detail"])
    if rejected is None or not rejected.num_rows:
        return []
    by_reason: dict[str, list[dict[str, Any]]] = {}
    for row in rejected.sort_by([("reason", "ascending"), ("source", "ascending")]).to_pylist():
        by_reason.setdefault(row["reason"], []).append(row)
    ranked = sorted(by_reason.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [
        {
            "reason": reason,
            "inputs": len(rows),
            "examples": [{"source": r["source"], "detail": r["detail"]} for r in rows[:examples]],
        }
        for reason, rows in ranked
    ]


def top_copied(root: Path, top: int = 10) -> list[dict[str, Any]]:
    """Documents whose sentences other documents copy, most copied first.

    A copy is a duplicate segment whose canonical segment belongs to another document (repeats
    inside one article are not copies). For each copied document: how many documents copy it, how
    many of their segments, and where the copies come from (`origin`).
    """
    segments = read_table(root, "segments", ["segment_id", "doc_id", "duplicate_of"])
    documents = read_table(root, "documents", ["doc_id", "source", "url", "title"])
    if segments is None or documents is None or not segments.num_rows:
        return []
    copies = segments.filter(pc.is_valid(segments["duplicate_of"])).select(["doc_id", "duplicate_of"])
    owners = segments.select(["segment_id", "doc_id"]).rename_columns(["duplicate_of", "canonical_doc"])
    joined = copies.join(owners, "duplicate_of", join_type="inner")
    joined = joined.filter(pc.not_equal(joined["doc_id"], joined["canonical_doc"]))
    if not joined.num_rows:
        return []
    per_pair = joined.group_by(["canonical_doc", "doc_id"]).aggregate([([], "count_all")])
    info = {r["doc_id"]: r for r in documents.to_pylist()}
    found: dict[str, dict[str, Any]] = {}
    for row in per_pair.to_pylist():
        entry = found.setdefault(row["canonical_doc"], {"copied_by": 0, "segments": 0, "origins": {}})
        entry["copied_by"] += 1
        entry["segments"] += row["count_all"]
        copier = info.get(row["doc_id"])
        where = origin(copier["source"], copier["url"]) if copier else "?"
        entry["origins"][where] = entry["origins"].get(where, 0) + 1
    ranked = sorted(found.items(), key=lambda kv: (-kv[1]["copied_by"], -kv[1]["segments"], kv[0]))[:top]
    texts = _texts(root, [doc_id for doc_id, _ in ranked if not (info.get(doc_id) or {}).get("title")])
    result = []
    for doc_id, entry in ranked:
        doc = info.get(doc_id) or {}
        result.append(
            {
                "doc_id": doc_id,
                "source": doc.get("source"),
                "title": doc.get("title") or first_words(texts.get(doc_id, "")),
                "copied_by": entry["copied_by"],
                "copied_segments": entry["segments"],
                "copier_origins": dict(sorted(entry["origins"].items(), key=lambda kv: (-kv[1], kv[0]))),
            }
        )
    return result


def _texts(root: Path, doc_ids: list[str]) -> dict[str, str]:
    """The bodies of a few documents only (the whole `text` column is most of an output's bytes)."""
    dataset = open_table(root, "documents") if doc_ids else None
    if dataset is None:
        return {}
    rows = dataset.to_table(columns=["doc_id", "text"], filter=pc.field("doc_id").isin(doc_ids))
    return dict(zip(rows["doc_id"].to_pylist(), rows["text"].to_pylist(), strict=True))


def first_words(text: str, limit: int = 80) -> str:
    """A document's first line, cut at a word boundary: what names it when it has no title."""
    line = text.strip().split("\n", 1)[0].strip()
    if len(line) <= limit:
        return line
    return line[:limit].rsplit(" ", 1)[0] + " …"


def entities_with_aliases(root: Path, top: int = 25, max_aliases: int = 12) -> list[dict[str, Any]]:
    """The most mentioned entity clusters with every name they were found under (live ids only:
    retired ids point at their survivor and carry no mentions)."""
    columns = ["entity_id", "canonical", "label", "aliases", "mention_count", "country_code", "merged_into"]
    clusters = read_table(root, "entity_clusters", columns)
    if clusters is None or not clusters.num_rows:
        return []
    live = clusters.filter(pc.is_null(clusters["merged_into"]))
    ordered = live.sort_by([("mention_count", "descending"), ("canonical", "ascending")]).slice(0, top)
    out = []
    for row in ordered.to_pylist():
        aliases = [a for a in (row["aliases"] or []) if a != row["canonical"]]
        out.append(
            {
                "entity_id": row["entity_id"],
                "canonical": row["canonical"],
                "label": row["label"],
                "mentions": row["mention_count"],
                "country_code": row["country_code"],
                "aliases": aliases[:max_aliases],
                "more_aliases": max(0, len(aliases) - max_aliases),
            }
        )
    return out


def share(part: int, whole: int) -> str:
    """'12 (4.8%)': a count with its share, so a percentage never stands without its count."""
    return f"{part} ({100 * part / whole:.1f}%)" if whole else str(part)


__all__ = [
    "entities_with_aliases",
    "first_words",
    "language_stats",
    "origin",
    "rejection_details",
    "share",
    "source_stats",
    "top_copied",
]
