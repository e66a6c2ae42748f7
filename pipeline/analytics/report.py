"""`newsbeam report DIR -o report.html`: one self-contained HTML page of charts over an output folder.

Why self-contained: the page is mailed, archived and opened on machines without network access, so
plotly.js is embedded once in the page (about 4.7 MB) and nothing is fetched at view time.

Why the places chart is a plain longitude/latitude scatter and not `scatter_geo`: plotly.js draws
every geo subplot from a topojson basemap it downloads from its CDN when the page is opened (the
Python package does not ship it), so a geo chart is blank offline. The scatter puts each geocoded
place (`entity_clusters` LOC rows with latitude/longitude) at its coordinates on equal-scale axes
(an equirectangular projection) with a 10-degree graticule, sized by mentions and labelled, which
needs no basemap; hovering shows the country code and the counts.

Needs plotly (not a pipeline dependency: imported here only).
"""

from __future__ import annotations

import datetime as dt
import html
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.analytics import local_dir, read_table
from pipeline.analytics.stats import UNDATED, _month, _month_key, collect_stats, month_label, top_entities
from schemas.tables import PARTITION_COLUMN

#: The charts of the page, in order; also their div ids (tests look them up).
CHART_IDS = ("chart-documents", "chart-entities", "chart-places", "chart-dates")
_PLOT_CONFIG = {"displaylogo": False, "responsive": True}
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


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


def documents_chart(stats: dict[str, Any]) -> Any:
    """Documents per publication month (bars) and share of duplicate segments (line, right axis)."""
    go, make_subplots, _ = _plotly()
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    per_month = {m["month"]: m["documents"] for m in stats["dates"].get("documents_per_month", [])}
    dup = {m["month"]: m for m in stats["duplicates"].get("by_month", [])}
    months = sorted(set(per_month) | set(dup), key=_month_key)
    fig.add_trace(
        go.Bar(
            x=[month_label(m) for m in months],
            y=[per_month.get(m, 0) for m in months],
            name="documents",
            marker_color="#4c78a8",
        ),
        secondary_y=False,
    )
    fig.add_trace(
        go.Scatter(
            x=[month_label(m) for m in months],
            y=[100 * (dup[m]["rate"] or 0) if m in dup else None for m in months],
            name="duplicate segments (%)",
            mode="lines+markers",
            marker_color="#e45756",
            customdata=[
                [dup.get(m, {}).get("duplicate_segments"), dup.get(m, {}).get("segments")] for m in months
            ],
            hovertemplate="%{x}: %{y:.1f}% (%{customdata[0]} of %{customdata[1]} segments)<extra></extra>",
        ),
        secondary_y=True,
    )
    fig.update_layout(title="Documents and duplicate share per publication month", barmode="group")
    fig.update_xaxes(type="category", title_text=f"publication month ({UNDATED}: no publication date)")
    fig.update_yaxes(title_text="documents", secondary_y=False, rangemode="tozero")
    top_rate = max((100 * (m["rate"] or 0) for m in dup.values()), default=0.0)
    fig.update_yaxes(
        title_text="duplicate segments (%)", secondary_y=True, range=[0, max(1.0, top_rate * 1.2)]
    )
    return fig if months else _no_data(fig)


def entity_months(root: Path, entity_ids: list[str]) -> dict[str, dict[str, int]]:
    """Mentions per (entity_id, month) in `entities` for the given clusters."""
    entities = read_table(root, "entities", ["entity_id", PARTITION_COLUMN])
    if entities is None or not entity_ids:
        return {}
    entities = entities.filter(pc.is_in(entities["entity_id"], value_set=pa.array(entity_ids, pa.string())))
    if entities.num_rows == 0:
        return {}
    counted = entities.group_by(["entity_id", PARTITION_COLUMN]).aggregate([([], "count_all")])
    result: dict[str, dict[str, int]] = {}
    for row in counted.to_pylist():
        result.setdefault(row["entity_id"], {})[_month(row[PARTITION_COLUMN])] = row["count_all"]
    return result


def entities_chart(root: Path, top: int = 8) -> Any:
    """Mentions of the most mentioned entities per publication month, one line each."""
    go, _, _ = _plotly()
    fig = go.Figure()
    leaders = [e for e in top_entities(root, top) if e["entity_id"]]
    counts = entity_months(root, [e["entity_id"] for e in leaders])
    months = sorted({m for per in counts.values() for m in per}, key=_month_key)
    for entity in leaders:
        per = counts.get(entity["entity_id"], {})
        fig.add_trace(
            go.Scatter(
                x=[month_label(m) for m in months],
                y=[per.get(m, 0) for m in months],
                mode="lines+markers",
                name=f"{entity['canonical']} ({entity['label']})",
            )
        )
    fig.update_layout(
        title=f"Top {len(leaders)} entities: mentions per publication month", hovermode="x unified"
    )
    fig.update_xaxes(type="category", title_text="publication month")
    fig.update_yaxes(title_text="mentions", rangemode="tozero")
    return fig if months else _no_data(fig)


def places(root: Path) -> list[dict[str, Any]]:
    """Geocoded places (LOC clusters with coordinates), most mentioned first."""
    columns = ["canonical", "label", "mention_count", "country_code", "latitude", "longitude"]
    clusters = read_table(root, "entity_clusters", columns)
    if clusters is None:
        return []
    mask = pc.and_(pc.is_valid(clusters["latitude"]), pc.is_valid(clusters["longitude"]))
    rows = clusters.filter(mask).sort_by([("mention_count", "descending"), ("canonical", "ascending")])
    return rows.to_pylist()


def places_chart(root: Path) -> Any:
    """Geocoded places on longitude/latitude axes (equirectangular, no basemap: works offline)."""
    go, _, _ = _plotly()
    rows = places(root)
    fig = go.Figure()
    if rows:
        fig.add_trace(
            go.Scatter(
                x=[r["longitude"] for r in rows],
                y=[r["latitude"] for r in rows],
                mode="markers+text",
                text=[r["canonical"] for r in rows],
                textposition="top center",
                marker={
                    "size": [8 + 6 * math.sqrt(r["mention_count"]) for r in rows],
                    "color": "#54a24b",
                    "opacity": 0.7,
                    "line": {"width": 1, "color": "#2f5d2c"},
                },
                customdata=[[r["country_code"] or "?", r["mention_count"]] for r in rows],
                hovertemplate="%{text} (%{customdata[0]})<br>%{y:.2f}°, %{x:.2f}°"
                "<br>%{customdata[1]} mentions<extra></extra>",
                name="places",
            )
        )
        lons = [r["longitude"] for r in rows]
        lats = [r["latitude"] for r in rows]
        pad = 8.0
        x_range = [max(-180.0, min(lons) - pad), min(180.0, max(lons) + pad)]
        y_range = [max(-90.0, min(lats) - pad), min(90.0, max(lats) + pad)]
    else:
        x_range, y_range = [-180.0, 180.0], [-90.0, 90.0]
    grid = {
        "showgrid": True,
        "gridcolor": "#dddddd",
        "dtick": 10,
        "zeroline": True,
        "zerolinecolor": "#999999",
    }
    fig.update_xaxes(range=x_range, title_text="longitude (°E)", **grid)
    fig.update_yaxes(range=y_range, title_text="latitude (°N)", scaleanchor="x", scaleratio=1, **grid)
    fig.update_layout(
        title=f"Geocoded places ({len(rows)}), marker area ~ mentions; plain lon/lat axes, no basemap",
        showlegend=False,
        plot_bgcolor="#f4f8fb",
    )
    return fig if rows else _no_data(fig, "no geocoded place")


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
        )
    )
    fig.update_layout(title=f"Top {len(values)} date mentions (normalized value)")
    fig.update_xaxes(title_text="mentions", rangemode="tozero")
    fig.update_yaxes(type="category", title_text="date value")
    return fig if values else _no_data(fig)


def _summary_html(stats: dict[str, Any]) -> str:
    tables = stats["tables"]
    dup, dates = stats["duplicates"], stats["dates"]
    facts = [
        ("documents", tables.get("documents", {}).get("rows", 0)),
        ("segments", tables.get("segments", {}).get("rows", 0)),
        ("duplicate segments", f"{dup['duplicate_segments']} ({100 * (dup.get('segment_rate') or 0):.1f}%)"),
        ("entities", tables.get("entities", {}).get("rows", 0)),
        ("date mentions", tables.get("dates", {}).get("rows", 0)),
        ("documents dated", f"{dates.get('dated', 0)} of {dates.get('documents', 0)}"),
        ("publication dates", f"{dates.get('min_pub_date') or '-'} .. {dates.get('max_pub_date') or '-'}"),
        ("rejected files", tables.get("rejected", {}).get("rows", 0)),
        ("runs", len(stats["runs"])),
    ]
    cells = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in facts)
    return f'<table class="facts">{cells}</table>'


def render_report(output_dir: str | Path, top: int = 8) -> str:
    """The report page as an HTML string (plotly.js inline)."""
    _go, _, get_plotlyjs = _plotly()
    root = local_dir(output_dir)
    stats = collect_stats(root, top=top)
    figures = [
        documents_chart(stats),
        entities_chart(root, top),
        places_chart(root),
        dates_chart(root),
    ]
    blocks = []
    for div_id, fig in zip(CHART_IDS, figures, strict=True):
        fig.update_layout(template="plotly_white", font_family=_FONT, height=520, margin={"t": 60})
        blocks.append(
            '<section class="chart">'
            + fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=_PLOT_CONFIG)
            + "</section>"
        )
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    title = f"newsbeam report: {root.name}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>
body {{ font-family: {_FONT}; margin: 24px auto; max-width: 1300px; color: #222; }}
table.facts {{ border-collapse: collapse; margin: 12px 0 24px; }}
table.facts th {{ text-align: left; padding: 3px 16px 3px 0; font-weight: 600; }}
table.facts td {{ padding: 3px 0; font-variant-numeric: tabular-nums; }}
section.chart {{ margin-bottom: 28px; }}
.note {{ color: #666; font-size: 0.9em; }}
</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p class="note">{html.escape(str(root))} &middot; generated {generated} &middot; self-contained page
(plotly.js embedded, no network needed)</p>
{_summary_html(stats)}
{"".join(blocks)}
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
