"""The entity rules added for real news (Wikinews labels, tests/quality/), as pure functions:
span boundaries, type rules, places, and the evidence a cluster merge needs."""

from __future__ import annotations

import pytest

from transforms.entities.cluster import build_clusters, cluster_names, names_match
from transforms.entities.gazetteer import lookup_place
from transforms.entities.ner import RawMention
from transforms.entities.per_document import split_run_ons
from transforms.entities.records import Mention, summarize
from transforms.entities.resolve import place_sense, resolve_within_document
from transforms.entities.spans import country_test, fix_span
from transforms.entities.types import corrected_label, is_common_noun, is_demonym, is_event

IS_COUNTRY = country_test()


def fixed(text: str, name: str, label: str = "LOC") -> list[str]:
    start = text.index(name)
    return [text[s:e] for s, e in fix_span(text, start, start + len(name), label, IS_COUNTRY)]


@pytest.mark.parametrize(
    ("text", "span", "label", "expected"),
    [
        ("face à l'Espagne hier", "l'Espagne", "LOC", ["Espagne"]),
        ("la chaîne de France", "de France", "LOC", ["France"]),
        ("La France et l'Italie", "La France", "LOC", ["France"]),
        ("L'OTAN prévoit", "L'OTAN", "ORG", ["OTAN"]),
        ("selon Le Figaro", "Le Figaro", "ORG", ["Le Figaro"]),
        ("a dit Le Pen", "Le Pen", "PER", ["Le Pen"]),
        ("soutenu par Les Verts", "Les Verts", "ORG", ["Les Verts"]),
        ("a dit M. Romney", "M. Romney", "PER", ["Romney"]),
        ("le président Obama a", "président Obama", "PER", ["Obama"]),
        ("le groupe General Electric", "General Electric", "ORG", ["General Electric"]),
        ("Vendée Globe : Kito de Pavant abandonne", "Vendée Globe : Kito", "MISC", ["Vendée Globe", "Kito"]),
        ("Ouragan Sandy : 39 morts", "Ouragan Sandy : 39 morts", "MISC", ["Sandy"]),
        ("le New Jersey mercredi soir", "New Jersey mercredi", "LOC", ["New Jersey"]),
        ("devant l'Assemblée !", "Assemblée !", "ORG", ["Assemblée"]),
        (
            "le Parti populaire espagnol[1] a",
            "Parti populaire espagnol[1",
            "ORG",
            ["Parti populaire espagnol"],
        ),
        ("le Sénat pour les démocrates", "Sénat pour les démocrates", "ORG", ["Sénat"]),
        ("la ville de New York", "ville de New York", "LOC", ["New York"]),
        ("entre Haftar et al-Serraj pour", "al-Serraj", "LOC", ["al-Serraj"]),
        ("sur la place Tahrir hier", "Tahrir", "LOC", ["place Tahrir"]),
        ("le ministère de la Défense a", "Défense", "ORG", ["ministère de la Défense"]),
        ("l'agence Moody's a", "Moody's", "ORG", ["Moody's"]),
        ("George W. Bush", "George W.", "PER", ["George W."]),
    ],
)
def test_span_boundaries(text: str, span: str, label: str, expected: list[str]) -> None:
    assert fixed(text, span, label) == expected


def test_possessive_cut_by_the_tokenizer_is_joined() -> None:
    text = "L'agence Moody's a dégradé"
    start = text.index("Moody'")
    assert [text[s:e] for s, e in fix_span(text, start, start + 6, "ORG")] == ["Moody's"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Grecs", True), ("Américains", True), ("Camerounaise", True), ("Espagnols", True), ("Étrusques", True),
     ("Français", True), ("Paris", False), ("Nantes", False), ("Alpes", False), ("Adrien", False),
     ("Verts", False), ("Grèce", False), ("Athènes", False)],
)  # fmt: skip
def test_demonyms(name: str, expected: bool) -> None:
    assert is_demonym(name) is expected


def test_type_rules() -> None:
    assert is_event("Forum mondial de la langue française") and is_event("Guerre froide")
    assert not is_event("Forum") and not is_event("Conseil de sécurité")
    assert corrected_label("ORG", "Forum mondial de la langue française", False) == "MISC"
    assert corrected_label("LOC", "Grecs", False) == "MISC"
    assert corrected_label("LOC", "Philippines", True) == "LOC"  # a known place keeps its label
    assert corrected_label("LOC", "CERN", False) == "ORG"
    assert corrected_label("LOC", "place Tahrir", False) == "LOC"
    assert corrected_label("LOC", "ministère de la Défense", False) == "ORG"
    assert corrected_label("PER", "Tour Eiffel", False) == "PER"
    assert is_common_noun("État") and is_common_noun("Etat-clé") and is_common_noun("Xe")
    assert not is_common_noun("États-Unis") and not is_common_noun("État islamique")


@pytest.mark.parametrize(
    ("name", "kind", "country"),
    [("Libye", "country", "LY"), ("Malte", "country", "MT"), ("Etats-Unis", "country", "US"),
     ("Birmanie", "country", "MM"), ("Floride", "region", "US"), ("Caroline du Nord", "region", "US"),
     ("Kapisa", "region", "AF"), ("Tripoli", "city", "LY"), ("Amériques", "continent", ""),
     ("Afrique", "continent", "AF")],
)  # fmt: skip
def test_countries_regions_and_continents_are_places(name: str, kind: str, country: str) -> None:
    place = lookup_place(name)
    assert place is not None and (place.kind, place.country_code) == (kind, country)
    if kind in ("country", "region", "city"):
        assert place.latitude is not None and place.longitude is not None


def test_short_alternate_names_are_no_places() -> None:
    assert lookup_place("Ça") is None  # was a Honduran town's alternate name: a pronoun geocoded


def test_town_or_region_by_the_article_french_puts_before_regions() -> None:
    assert place_sense("Québec", "poursuivie hier ici à ") == "city"
    assert place_sense("Québec", "les enjeux de l'éducation au ") == "region"
    assert place_sense("Québec", "La première ministre du ") == "region"
    assert place_sense("Grèce", "la ") is None  # only a country: nothing to tell apart


def test_names_match_needs_shared_words() -> None:
    assert names_match(("kalifa", "haftar"), ("kahlifa", "haftar"))  # first name typo, surname shared
    assert names_match(("faiez", "saraj"), ("faiez", "seraj"))  # surname variant, first name shared
    assert not names_match(("jean", "martin"), ("paul", "martin"))
    assert not names_match(("kabul",), ("kabili",))  # one-word names: equality only (Kaboul/Kabylie)
    assert not names_match(("alger",), ("algeri",))
    assert not names_match(("marc", "haftar"), ("mark", "hafter"))  # two words differ


def _mention(doc: str, text: str, label: str, start: int, left: str = "") -> Mention:
    return Mention(doc, f"{doc}:{start}", text, label, start, start + len(text), left_context=left)


def test_initials_join_the_one_full_name_that_fits() -> None:
    resolved = resolve_within_document([_mention("a", "Barack Obama", "PER", 0)])
    resolved += resolve_within_document([_mention("b", "B. Obama", "PER", 0)])
    resolved += resolve_within_document(
        [_mention("c", "J. Martin", "PER", 0), _mention("c", "Jean Martin", "PER", 20)]
    )
    resolved += resolve_within_document([_mention("d", "Jacques Martin", "PER", 0)])
    result = cluster_names(resolved)
    ids = {rm.mention.text: result.assignments[rm.mention.mention_id].entity_id for rm in resolved}
    assert ids["B. Obama"] == ids["Barack Obama"]
    assert result.assignments["b:0"].canonical == "Barack Obama"
    assert ids["J. Martin"] not in (ids["Jean Martin"], ids["Jacques Martin"])  # ambiguous initials


def test_first_name_and_head_noun_short_forms_within_a_document() -> None:
    mentions = [
        _mention("a", "Jean-Marie Le Pen", "PER", 0),
        _mention("a", "Marine Le Pen", "PER", 30),
        _mention("a", "Assemblée nationale", "ORG", 60),
        _mention("a", "Marine", "ORG", 100),
        _mention("a", "Assemblée", "ORG", 120),
    ]
    resolved = {rm.mention.text: rm for rm in resolve_within_document(mentions)}
    assert resolved["Marine"].key == resolved["Marine Le Pen"].key
    assert resolved["Assemblée"].key == resolved["Assemblée nationale"].key


def test_a_multi_word_short_form_needs_a_person() -> None:
    mentions = [_mention("a", "Bourse de New York", "ORG", 0), _mention("a", "New York", "LOC", 40)]
    resolved = {rm.mention.text: rm for rm in resolve_within_document(mentions)}
    assert resolved["New York"].key != resolved["Bourse de New York"].key


def test_an_edit_at_the_first_letter_is_another_name() -> None:
    mentions = [_mention("a", "Abdel Basset Sayda", "PER", 0), _mention("a", "Al-Qaïda", "PER", 40)]
    resolved = {rm.mention.text: rm for rm in resolve_within_document(mentions)}
    assert resolved["Al-Qaïda"].kind == "name"


def test_run_on_span_is_split_when_both_names_are_in_the_document() -> None:
    def raw(text: str, label: str, start: int) -> RawMention:
        return RawMention("d", "d-p0000-s0000", text, label, start, start + len(text), None)

    mentions = [
        raw("WikiLeaks", "ORG", 0),
        raw("Julian Assange", "PER", 20),
        raw("WikiLeaks Julian Assange", "ORG", 50),
    ]
    split = split_run_ons(mentions)
    assert [(m.text, m.label, m.start_char, m.end_char) for m in split[2:]] == [
        ("WikiLeaks", "ORG", 50, 59),
        ("Julian Assange", "PER", 60, 74),
    ]
    alone = [raw("Banque de France", "ORG", 0)]
    assert split_run_ons(alone) == alone


def test_build_clusters_is_order_free() -> None:
    docs = [
        [_mention("a", "Fayez al-Sarraj", "PER", 0)],
        [_mention("b", "Fayez al-Serraj", "LOC", 0)],
        [_mention("c", "Québec", "LOC", 10, "ici à "), _mention("c", "Québec", "LOC", 40, "au ")],
    ]
    resolved = [rm for doc in docs for rm in resolve_within_document(doc)]
    one = build_clusters(summarize(resolved))
    two = build_clusters(summarize(list(reversed(resolved))))
    assert one == two
    assert one.key_to_entity["fayez al saraj"] == one.key_to_entity["fayez al seraj"]
    assert one.key_to_entity["quebec#city"] != one.key_to_entity["quebec#region"]


def _place_of(name: str, countries: dict[str, int] | None = None, sense: str | None = None):
    """The geo of a one-name LOC cluster, as `build_clusters` computes it."""
    from transforms.entities.cluster import _geo
    from transforms.entities.names import name_key
    from transforms.entities.records import FormStats, NameStats

    key = name_key(name)
    form = FormStats(mentions=3, labels={"LOC": 3.0}, surfaces={name: 3}, full_forms={name: 3})
    form.countries.update(countries or {})
    return _geo(NameStats({key: form}), [key], name, sense)


@pytest.mark.parametrize(
    ("name", "countries"),
    [("US", None), ("RDC", None), ("RER", None), ("Ça", None), ("UE", None), ("Gao", {"ML": 2}),
     ("Sud", None), ("Nord", {"FR": 1}), ("Ain", None), ("Tyr", {"LB": 1})],
)  # fmt: skip
def test_acronyms_short_words_and_directions_are_not_placed(name: str, countries: dict | None) -> None:
    """Short names are placed only without doubt: Gao is in Mali and in Burkina Faso, "Sud" is a
    Haitian region and a direction, "Ain" matched "El Ain" (Tunisia) through its skeleton."""
    assert _place_of(name, countries) is None


@pytest.mark.parametrize(
    ("name", "country"), [("Lyon", "FR"), ("Iran", "IR"), ("Oman", "OM"), ("Cuba", "CU"), ("Ohio", "US")]
)
def test_four_letter_places_are_still_placed(name: str, country: str) -> None:
    geo = _place_of(name)
    assert geo is not None and geo.country_code == country


def test_a_country_read_as_a_town_is_still_the_country() -> None:
    """ "à Mali" (a town's preposition) took Mary, Turkmenistan, whose alternate name is Mali."""
    geo = _place_of("Mali", sense="city")
    assert geo is not None and geo.country_code == "ML"
    assert _place_of("Québec", sense="city").country_code == "CA"  # the sense still picks the town
