"""The report's map: geocoded places on an offline basemap, labels that never overlap.

Why not plotly's `scatter_geo`: plotly.js fetches its geographic basemaps from a CDN when the page
is opened (the Python package does not ship them), so a geo chart is blank offline. Here the map is
an ordinary scatter on equal-scale longitude/latitude axes (equirectangular), over country outlines
drawn as filled polygons from `countryinfo`'s GeoJSON (Natural Earth's low-resolution countries,
already installed for the gazetteer's country centroids), embedded in the page like everything else.

Labels: plotly does not move a text label out of another's way, so `place_labels` chooses, most
mentioned place first, one of four positions around the marker whose box hits no label already
placed and no marker; a place with no free position keeps its marker and hover text, unlabelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from pipeline.analytics import read_table

#: The map figure's size in pixels (fixed: label placement computes in pixels).
MAP_WIDTH, MAP_HEIGHT = 1240, 640
_MARGIN = {"l": 56, "r": 16, "t": 64, "b": 48}
#: Marker diameters in pixels: the most mentioned place gets MAX, so no bubble covers a region.
MIN_MARKER, MAX_MARKER = 7.0, 30.0
_FONT_PX = 12
_CHAR_PX = 6.6  # mean width of a character at 12 px in the page's sans-serif font
_POSITIONS = ("top center", "bottom center", "middle right", "middle left")


@lru_cache(maxsize=1)
def country_outlines(decimals: int = 2) -> tuple[tuple[float | None, ...], tuple[float | None, ...]]:
    """Longitudes and latitudes of every country ring, rings separated by None (one plotly trace)."""
    from countryinfo._cache import load_countries  # the package's own loader of its JSON files

    lons: list[float | None] = []
    lats: list[float | None] = []
    for _name, info in sorted(load_countries()["countries"].items()):
        for feature in (info.get("geoJSON") or {}).get("features", []):
            geometry = feature.get("geometry") or {}
            polygons = geometry.get("coordinates") or []
            if geometry.get("type") == "Polygon":
                polygons = [polygons]
            elif geometry.get("type") != "MultiPolygon":
                continue
            for polygon in polygons:
                ring = polygon[0] if polygon else []  # outer ring; holes are not drawn at this scale
                for lon, lat, *_ in ring:
                    lons.append(round(lon, decimals))
                    lats.append(round(lat, decimals))
                lons.append(None)
                lats.append(None)
    return tuple(lons), tuple(lats)


def places(root: Path) -> list[dict[str, Any]]:
    """Geocoded places (live LOC clusters with coordinates), most mentioned first."""
    columns = ["canonical", "label", "mention_count", "country_code", "latitude", "longitude", "merged_into"]
    clusters = read_table(root, "entity_clusters", columns)
    if clusters is None:
        return []
    mask = pc.and_(pc.is_valid(clusters["latitude"]), pc.is_valid(clusters["longitude"]))
    mask = pc.and_(mask, pc.is_null(clusters["merged_into"]))
    rows = clusters.filter(mask).sort_by([("mention_count", "descending"), ("canonical", "ascending")])
    return rows.to_pylist()


def marker_sizes(mentions: list[int]) -> list[float]:
    """Diameters with area proportional to mentions, the largest MAX_MARKER pixels."""
    top = max(mentions, default=1) or 1
    return [max(MIN_MARKER, MAX_MARKER * math.sqrt(m / top)) for m in mentions]


@dataclass(frozen=True, slots=True)
class View:
    """The longitude/latitude window of the map and its pixel scale (equal on both axes)."""

    lon: tuple[float, float]
    lat: tuple[float, float]
    px_per_degree: float

    def to_px(self, lon: float, lat: float) -> tuple[float, float]:
        """Pixel position from the plot's lower-left corner (y up)."""
        return (lon - self.lon[0]) * self.px_per_degree, (lat - self.lat[0]) * self.px_per_degree


def view_for(points: list[tuple[float, float]], pad: float = 6.0) -> View:
    """The window around the points, widened on one axis to fill the plot at equal scale."""
    plot_w = MAP_WIDTH - _MARGIN["l"] - _MARGIN["r"]
    plot_h = MAP_HEIGHT - _MARGIN["t"] - _MARGIN["b"]
    if points:
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        lon0, lon1 = max(-180.0, min(lons) - pad), min(180.0, max(lons) + pad)
        lat0, lat1 = max(-85.0, min(lats) - pad), min(85.0, max(lats) + pad)
    else:
        lon0, lon1, lat0, lat1 = -180.0, 180.0, -60.0, 85.0
    lon_span, lat_span = max(lon1 - lon0, 10.0), max(lat1 - lat0, 10.0)
    scale = min(plot_w / lon_span, plot_h / lat_span)
    lon_mid, lat_mid = (lon0 + lon1) / 2, (lat0 + lat1) / 2
    half_w, half_h = plot_w / scale / 2, plot_h / scale / 2
    return View((lon_mid - half_w, lon_mid + half_w), (lat_mid - half_h, lat_mid + half_h), scale)


Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def label_box(x: float, y: float, radius: float, text: str, position: str) -> Box:
    """The pixel box of `text` placed at `position` (a plotly textposition) around a marker."""
    width, height = _CHAR_PX * len(text) + 2, _FONT_PX + 2
    if position == "top center":
        return (x - width / 2, y + radius, x + width / 2, y + radius + height)
    if position == "bottom center":
        return (x - width / 2, y - radius - height, x + width / 2, y - radius)
    if position == "middle right":
        return (x + radius, y - height / 2, x + radius + width, y + height / 2)
    return (x - radius - width, y - height / 2, x - radius, y + height / 2)


def place_labels(
    points: list[tuple[float, float, float, str]], width: float, height: float
) -> list[str | None]:
    """A textposition per point (x, y, radius in pixels, label), None where every position would
    overlap a label already placed or another marker, or leave the plot. Points come most important
    first: they get the first choice."""
    markers = [(x - r, y - r, x + r, y + r) for x, y, r, _ in points]
    taken: list[Box] = []
    chosen: list[str | None] = []
    for index, (x, y, radius, text) in enumerate(points):
        found = None
        for position in _POSITIONS:
            box = label_box(x, y, radius, text, position)
            inside = box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height
            clear = not any(_overlaps(box, other) for other in taken) and not any(
                _overlaps(box, marker) for i, marker in enumerate(markers) if i != index
            )
            if inside and clear:
                found = position
                taken.append(box)
                break
        chosen.append(found)
    return chosen


def places_chart(root: Path) -> Any:
    """Geocoded places over country outlines; marker area ~ mentions; non-overlapping labels."""
    import plotly.graph_objects as go

    rows = places(root)
    view = view_for([(r["longitude"], r["latitude"]) for r in rows])
    sizes = marker_sizes([r["mention_count"] for r in rows])
    pixels = [view.to_px(r["longitude"], r["latitude"]) for r in rows]
    plot_w = MAP_WIDTH - _MARGIN["l"] - _MARGIN["r"]
    plot_h = MAP_HEIGHT - _MARGIN["t"] - _MARGIN["b"]
    positions = place_labels(
        [(x, y, size / 2, r["canonical"]) for (x, y), size, r in zip(pixels, sizes, rows, strict=True)],
        plot_w,
        plot_h,
    )
    lons, lats = country_outlines()
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=lons, y=lats, mode="lines", fill="toself", fillcolor="#e9ecef", hoverinfo="skip",
            line={"color": "#b8bfc6", "width": 0.6}, name="countries", showlegend=False,
        )
    )  # fmt: skip
    if rows:
        labelled = sum(p is not None for p in positions)
        fig.add_trace(
            go.Scatter(
                x=[r["longitude"] for r in rows],
                y=[r["latitude"] for r in rows],
                mode="markers+text",
                text=[r["canonical"] if p else "" for r, p in zip(rows, positions, strict=True)],
                textposition=[p or "top center" for p in positions],
                textfont={"size": _FONT_PX, "color": "#1f3b1d"},
                marker={
                    "size": sizes,
                    "sizemode": "diameter",
                    "color": "#2e8b57",
                    "opacity": 0.65,
                    "line": {"width": 1, "color": "#1f5e3a"},
                },
                customdata=[[r["canonical"], r["country_code"] or "?", r["mention_count"]] for r in rows],
                hovertemplate="%{customdata[0]} (%{customdata[1]})<br>%{y:.2f}°N, %{x:.2f}°E"
                "<br>%{customdata[2]} mentions<extra></extra>",
                name="places",
                showlegend=False,
            )
        )
        title = (
            f"Geocoded places: {len(rows)} (marker area ~ mentions; {labelled} labelled, the others on hover)"
        )
    else:
        title = "Geocoded places: none"
        fig.add_annotation(
            text="no geocoded place", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper"
        )
    fig.update_xaxes(range=list(view.lon), title_text="longitude (°E)", showgrid=False, zeroline=False)
    fig.update_yaxes(
        range=list(view.lat), title_text="latitude (°N)", showgrid=False, zeroline=False,
        scaleanchor="x", scaleratio=1,
    )  # fmt: skip
    fig.update_layout(
        title=title, width=MAP_WIDTH, height=MAP_HEIGHT, margin=_MARGIN, autosize=False,
        plot_bgcolor="#f7fbff", showlegend=False,
    )  # fmt: skip
    return fig
