"""`newsbeam report DIR -o report.html`: one self-contained HTML page over an output folder.

Why self-contained: the page is mailed, archived and opened on machines without network access, so
plotly.js is embedded once in the page (about 4.7 MB), the map's basemap too (see
`pipeline.analytics.placemap`), and nothing is fetched at view time.

What the page holds, top to bottom (README "Analytics" describes each with a screenshot):
key numbers; documents and duplicate share on a real time axis, the undated documents beside it;
documents per source; language share; mentions per month of the top entities; the map; the most
mentioned dates; then tables: entities with their aliases, the most copied documents, rejections.
Every percentage is shown with its count.

Needs plotly (not a pipeline dependency: imported here only).
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.analytics import local_dir, read_table
from pipeline.analytics.breakdowns import (
    entities_with_aliases,
    rejection_details,
    share,
    top_copied,
)
from pipeline.analytics.placemap import places_chart
from pipeline.analytics.stats import UNDATED, _month, _month_key, collect_stats, top_entities
from schemas.tables import PARTITION_COLUMN

#: The charts of the page, in order; also their div ids (tests look them up).
CHART_IDS = (
    "chart-documents",
    "chart-sources",
    "chart-languages",
    "chart-entities",
    "chart-places",
    "chart-dates",
)
#: The tables of the page, in order (their element ids).
TABLE_IDS = ("table-entities", "table-copies", "table-rejected")
_PLOT_CONFIG = {"displaylogo": False, "responsive": False}
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
#: Above this many months, per-point text labels would pile up: counts go to the hover only.
_LABELLED_MONTHS = 24


def _plotly():
    try:
        import plotly.graph_objects as go
        from plotly.offline import get_plotlyjs
        from plotly.subplots import make_subplots
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise RuntimeError("newsbeam report needs plotly: pip install plotly==7.1.0") from error
    return go, make_subplots, get_plotlyjs


def _no_data(fig: Any, message: str = "no data") -> Any:
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    return fig


def month_start(month: str) -> str:
    """'2019-04' -> '2019-04-01': a point on a real time axis (plotly centres it on the month)."""
    return f"{month}-01"


def month_range(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` ('2019-11', '2020-02' -> 4 months), both included."""
    year, month = map(int, first.split("-"))
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _rate_labels(rates: list[float | None], pairs: list[tuple[int, int]]) -> list[str]:
    """'42% (41/98)': the share with the counts it comes from."""
    return [f"{r:.0f}% ({d}/{n})" if r is not None else "" for r, (d, n) in zip(rates, pairs, strict=True)]


def documents_chart(stats: dict[str, Any]) -> Any:
    """Documents per publication month (bars) and duplicate share (line, right axis) on a real time
    axis, where gaps between months show as gaps; undated documents in their own panel beside it."""
    go, make_subplots, _ = _plotly()
    per_month = {m["month"]: m["documents"] for m in stats["dates"].get("documents_per_month", [])}
    dup = {m["month"]: m for m in stats["duplicates"].get("by_month", [])}
    months = sorted((m for m in set(per_month) | set(dup) if m is not None), key=_month_key)
    total = stats["dates"].get("documents", 0)
    undated = per_month.get(None, 0)
    fig = make_subplots(
        rows=1, cols=2, column_widths=[0.9, 0.1], horizontal_spacing=0.06,
        specs=[[{"secondary_y": True}, {}]],
        subplot_titles=("dated documents, by publication month", UNDATED),
    )  # fmt: skip
    if months:
        months = month_range(months[0], months[-1])  # every calendar month: a gap breaks the line
    labelled = len(months) <= _LABELLED_MONTHS
    x = [month_start(m) for m in months]
    counts = [per_month.get(m, 0) for m in months]
    fig.add_trace(
        go.Bar(
            x=x, y=counts, xperiod="M1", xperiodalignment="middle", name="documents",
            marker_color="#4c78a8", textposition="outside",
            text=[c or "" for c in counts] if labelled else None,
            hovertemplate="%{x|%B %Y}: %{y} documents<extra></extra>",
        ),
        row=1, col=1, secondary_y=False,
    )  # fmt: skip
    rates = [100 * (dup[m]["rate"] or 0) if m in dup else None for m in months]
    pairs = [(dup.get(m, {}).get("duplicate_segments", 0), dup.get(m, {}).get("segments", 0)) for m in months]
    fig.add_trace(
        go.Scatter(
            x=x, y=rates, xperiod="M1", xperiodalignment="middle",
            name="duplicate segments (%)", mode="lines+markers+text" if labelled else "lines+markers",
            marker_color="#e45756", line={"width": 1.5},
            text=_rate_labels(rates, pairs) if labelled else None,
            textposition="top center", textfont={"size": 10, "color": "#b03a38"},
            customdata=pairs,
            hovertemplate="%{x|%B %Y}: %{y:.1f}% of segments are duplicates"
            " (%{customdata[0]} of %{customdata[1]})<extra></extra>",
        ),
        row=1, col=1, secondary_y=True,
    )  # fmt: skip
    fig.add_trace(
        go.Bar(
            x=[UNDATED], y=[undated], name=UNDATED, marker_color="#9d9d9d",
            text=[share(undated, total)], textposition="outside",
            hovertemplate=f"{UNDATED}: %{{y}} documents (no publication date found)<extra></extra>",
        ),
        row=1, col=2,
    )  # fmt: skip
    top = max([*counts, undated, 1])
    fig.update_yaxes(title_text="documents", range=[0, top * 1.18], row=1, col=1, secondary_y=False)
    fig.update_yaxes(range=[0, top * 1.18], row=1, col=2, showticklabels=False)
    top_rate = max((r for r in rates if r is not None), default=0.0)
    fig.update_yaxes(
        title_text="duplicate segments (%)", range=[0, max(1.0, top_rate * 1.25)],
        row=1, col=1, secondary_y=True, showgrid=False,
    )  # fmt: skip
    fig.update_xaxes(type="date", title_text="publication month", row=1, col=1)
    fig.update_xaxes(type="category", row=1, col=2)
    fig.update_layout(
        title=f"Documents per publication month ({total} documents; undated: {share(undated, total)})"
        " and share of duplicate segments" + ("" if labelled else " (counts on hover)"),
        bargap=0.15, legend={"orientation": "h", "y": -0.18},
    )  # fmt: skip
    return fig if months or undated else _no_data(fig)


def sources_chart(stats: dict[str, Any]) -> Any:
    """Documents per source (site of the URL, else the input folder): originals, duplicates, undated."""
    go, _, _ = _plotly()
    sources = stats.get("sources", [])[::-1]  # plotly draws the first bar at the bottom
    names = [s["origin"] for s in sources]
    originals = [s["documents"] - s["duplicate_documents"] for s in sources]
    duplicates = [s["duplicate_documents"] for s in sources]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=names, x=originals, orientation="h", name="original", marker_color="#4c78a8"))
    fig.add_trace(
        go.Bar(y=names, x=duplicates, orientation="h", name="duplicate (copies an earlier document)",
               marker_color="#e45756")
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            y=names, x=[s["documents"] for s in sources], mode="text", showlegend=False,
            text=[
                f"  {s['documents']} docs, {share(s['duplicate_documents'], s['documents'])} duplicates,"
                f" {s['undated']} undated"
                for s in sources
            ],
            textposition="middle right", hoverinfo="skip",
        )
    )  # fmt: skip
    widest = max((s["documents"] for s in sources), default=1)
    fig.update_layout(
        barmode="stack", title=f"Documents per source (top {len(sources)})",
        legend={"orientation": "h", "y": -0.15}, height=max(300, 80 + 34 * len(sources)),
        margin={"l": 260},
    )  # fmt: skip
    fig.update_xaxes(title_text="documents", range=[0, widest * 1.9])
    fig.update_yaxes(type="category", automargin=True)
    return fig if sources else _no_data(fig)


def languages_chart(stats: dict[str, Any]) -> Any:
    """Documents per detected language, with counts and shares."""
    go, _, _ = _plotly()
    languages = stats.get("languages", [])
    total = sum(lang["documents"] for lang in languages)
    names = [lang["language"] or "unknown" for lang in languages][::-1]
    counts = [lang["documents"] for lang in languages][::-1]
    fig = go.Figure(
        go.Bar(
            y=names, x=counts, orientation="h", marker_color="#72b7b2",
            text=[share(n, total) for n in counts], textposition="outside", cliponaxis=False,
        )
    )  # fmt: skip
    fig.update_layout(
        title="Language of the documents (majority language of their sentences)",
        height=max(240, 110 + 40 * len(names)),
    )
    fig.update_xaxes(title_text="documents", range=[0, max(counts, default=1) * 1.25])
    fig.update_yaxes(type="category")
    return fig if languages else _no_data(fig)


def entity_months(root: Path, entity_ids: list[str]) -> dict[str, dict[str | None, int]]:
    """Mentions per (entity_id, month) in `entities` for the given clusters (None: undated)."""
    entities = read_table(root, "entities", ["entity_id", PARTITION_COLUMN])
    if entities is None or not entity_ids:
        return {}
    entities = entities.filter(pc.is_in(entities["entity_id"], value_set=pa.array(entity_ids, pa.string())))
    if entities.num_rows == 0:
        return {}
    counted = entities.group_by(["entity_id", PARTITION_COLUMN]).aggregate([([], "count_all")])
    result: dict[str, dict[str | None, int]] = {}
    for row in counted.to_pylist():
        result.setdefault(row["entity_id"], {})[_month(row[PARTITION_COLUMN])] = row["count_all"]
    return result


def entities_chart(root: Path, top: int = 8, document_months: set[str] | None = None) -> Any:
    """Mentions of the most mentioned entities per publication month (real time axis), one line each;
    mentions in undated documents are counted in the legend, not placed on the axis. A month with
    documents but no mention is 0; a month without documents is a gap in every line."""
    go, _, _ = _plotly()
    fig = go.Figure()
    leaders = [e for e in top_entities(root, top) if e["entity_id"]]
    counts = entity_months(root, [e["entity_id"] for e in leaders])
    mentioned = {m for per in counts.values() for m in per if m is not None}
    covered = mentioned | set(document_months or ())
    months = sorted(covered, key=_month_key)
    if months:
        months = month_range(months[0], months[-1])
    for entity in leaders:
        per = counts.get(entity["entity_id"], {})
        undated = per.get(None, 0)
        fig.add_trace(
            go.Scatter(
                x=[month_start(m) for m in months],
                y=[per.get(m, 0) if m in covered else None for m in months],
                xperiod="M1",
                xperiodalignment="middle",
                mode="lines+markers",
                name=f"{entity['canonical']} ({entity['label']})"
                + (f", +{undated} undated" if undated else ""),
                hovertemplate="%{x|%B %Y}: %{y} mentions<extra>"
                + html.escape(entity["canonical"])
                + "</extra>",
            )
        )
    fig.update_layout(
        title=f"Top {len(leaders)} entities: mentions per publication month", hovermode="closest"
    )
    fig.update_xaxes(type="date", title_text="publication month")
    fig.update_yaxes(title_text="mentions", rangemode="tozero")
    return fig if months else _no_data(fig)


def date_values(root: Path, top: int = 15) -> list[tuple[str, int]]:
    """Most mentioned resolved date values (ISO 8601 / TimeML), e.g. '2019-04-05': 7."""
    dates = read_table(root, "dates", ["value"])
    if dates is None:
        return []
    dates = dates.filter(pc.is_valid(dates["value"]))
    if dates.num_rows == 0:
        return []
    counted = dates.group_by(["value"]).aggregate([([], "count_all")]).to_pylist()
    counted.sort(key=lambda r: (-r["count_all"], r["value"]))
    return [(r["value"], r["count_all"]) for r in counted[:top]]


def dates_chart(root: Path, top: int = 15) -> Any:
    """Top date mentions (normalized values), most mentioned on top."""
    go, _, _ = _plotly()
    values = date_values(root, top)
    fig = go.Figure(
        go.Bar(
            x=[n for _, n in values][::-1],
            y=[v for v, _ in values][::-1],
            orientation="h",
            marker_color="#f58518",
            name="mentions",
            text=[n for _, n in values][::-1],
            textposition="outside",
        )
    )
    fig.update_layout(title=f"Top {len(values)} date mentions (normalized value)")
    fig.update_xaxes(title_text="mentions", rangemode="tozero")
    fig.update_yaxes(type="category", title_text="date value")
    return fig if values else _no_data(fig)


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _table(table_id: str, title: str, header: list[str], rows: list[list[str]], empty: str) -> str:
    """An HTML table section (cells already escaped)."""
    if not rows:
        body = f'<p class="note" id="{table_id}">{_esc(empty)}</p>'
    else:
        head = "".join(f"<th>{_esc(h)}</th>" for h in header)
        cells = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
        body = (
            f'<table class="data" id="{table_id}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{cells}</tbody></table>"
        )
    return f'<section class="table"><h2>{_esc(title)}</h2>{body}</section>'


def entities_table(root: Path, top: int = 25) -> str:
    rows = [
        [
            _esc(e["canonical"]),
            _esc(e["label"]),
            _esc(e["mentions"]),
            _esc(e["country_code"] or ""),
            _esc(", ".join(e["aliases"]) + (f" (+{e['more_aliases']} more)" if e["more_aliases"] else "")),
        ]
        for e in entities_with_aliases(root, top)
    ]
    return _table(
        TABLE_IDS[0], f"Top {len(rows)} entities and the names they were found under",
        ["entity", "type", "mentions", "country", "also written"], rows, "No entity.",
    )  # fmt: skip


def copies_table(root: Path, top: int = 10) -> str:
    rows = [
        [
            _esc(c["title"]),
            f"<code>{_esc(c['source'])}</code>",
            _esc(c["copied_by"]),
            _esc(c["copied_segments"]),
            _esc(", ".join(f"{where} ({n})" for where, n in c["copier_origins"].items())),
        ]
        for c in top_copied(root, top)
    ]
    return _table(
        TABLE_IDS[1], "Most copied documents (other documents repeating their sentences)",
        ["document", "source", "copied by (documents)", "sentences copied", "copies come from"],
        rows, "No document copies another.",
    )  # fmt: skip


def rejected_table(root: Path) -> str:
    details = rejection_details(root)
    total = sum(d["inputs"] for d in details)
    rows = [
        [
            _esc(d["reason"]),
            _esc(share(d["inputs"], total)),
            "<br>".join(f"<code>{_esc(e['source'])}</code>: {_esc(e['detail'])}" for e in d["examples"]),
        ]
        for d in details
    ]
    return _table(
        TABLE_IDS[2], f"Rejected inputs ({total}), by reason", ["reason", "inputs", "examples"],
        rows, "Nothing was rejected.",
    )  # fmt: skip


def _summary_html(stats: dict[str, Any]) -> str:
    tables = stats["tables"]
    dup, dates = stats["duplicates"], stats["dates"]
    documents = dates.get("documents", 0)
    facts = [
        ("documents", documents),
        ("segments", tables.get("segments", {}).get("rows", 0)),
        ("duplicate segments", share(dup["duplicate_segments"], dup["segments"])),
        ("duplicate documents", share(dup.get("duplicate_documents", 0), documents)),
        ("entities", tables.get("entities", {}).get("rows", 0)),
        ("date mentions", tables.get("dates", {}).get("rows", 0)),
        ("documents dated", share(dates.get("dated", 0), documents)),
        ("documents undated", share(documents - dates.get("dated", 0), documents)),
        ("publication dates", f"{dates.get('min_pub_date') or '-'} .. {dates.get('max_pub_date') or '-'}"),
        ("sources", len(stats.get("sources", []))),
        ("rejected inputs", tables.get("rejected", {}).get("rows", 0)),
        ("runs", len(stats["runs"])),
    ]
    cells = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in facts)
    return f'<table class="facts">{cells}</table>'


def render_report(output_dir: str | Path, top: int = 8) -> str:
    """The report page as an HTML string (plotly.js inline)."""
    _go, _, get_plotlyjs = _plotly()
    root = local_dir(output_dir)
    stats = collect_stats(root, top=max(top, 12))
    figures = [
        documents_chart(stats),
        sources_chart(stats),
        languages_chart(stats),
        entities_chart(
            root, top, {m["month"] for m in stats["dates"].get("documents_per_month", []) if m["month"]}
        ),
        places_chart(root),
        dates_chart(root),
    ]
    blocks = []
    for div_id, fig in zip(CHART_IDS, figures, strict=True):
        fig.update_layout(template="plotly_white", font_family=_FONT)
        if fig.layout.height is None:
            fig.update_layout(height=480)
        if fig.layout.width is None:
            fig.update_layout(width=1240)
        fig.update_layout(margin={"t": 70})
        blocks.append(
            '<section class="chart">'
            + fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=_PLOT_CONFIG)
            + "</section>"
        )
    tables = [entities_table(root), copies_table(root), rejected_table(root)]
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    title = f"newsbeam report: {root.name}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: {_FONT}; margin: 24px auto; max-width: 1260px; color: #222; }}
table.facts {{ border-collapse: collapse; margin: 12px 0 24px; }}
table.facts th {{ text-align: left; padding: 3px 16px 3px 0; font-weight: 600; }}
table.facts td {{ padding: 3px 0; font-variant-numeric: tabular-nums; }}
table.data {{ border-collapse: collapse; width: 100%; font-size: 0.92em; }}
table.data th, table.data td {{ text-align: left; padding: 4px 10px 4px 0; border-bottom: 1px solid #e3e3e3;
  vertical-align: top; }}
table.data td:nth-child(3) {{ font-variant-numeric: tabular-nums; }}
section.chart, section.table {{ margin-bottom: 28px; }}
h2 {{ font-size: 1.1em; }}
code {{ font-size: 0.9em; color: #555; }}
.note {{ color: #666; font-size: 0.9em; }}
</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p class="note">{html.escape(str(root))} &middot; generated {generated} &middot; self-contained page
(plotly.js and the basemap embedded, no network needed)</p>
{_summary_html(stats)}
{"".join(blocks)}
{"".join(tables)}
</body>
</html>
"""


def write_report(output_dir: str | Path, out_html: str | Path, top: int = 8) -> Path:
    """Write the report page to `out_html` (parent folders created); returns its path."""
    out = Path(out_html)
    out.parent.mkdir(parents=True, exist_ok=True)
    page = render_report(output_dir, top)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)  # never leave a half-written page behind
    return out
