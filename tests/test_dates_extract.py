"""Unit tests of the rule-based French date tagger on real seed sentences."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.dates.content_date import infer_pub_date
from transforms.dates.extract import DateMention, extract_dates

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
HEADER = re.compile(r"^\s*date\s+(\d{4}-\d{2}(-\d{2})?)\s*")
D = datetime.date


def seed(prefix: str) -> str:
    """Body of the seed whose file name starts with `prefix` (header token removed)."""
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    text = path.read_text(encoding="utf-8")
    m = HEADER.match(text)
    return text[m.end() :] if m else text


def values(text: str, anchor: D | None = None, gran: str = "day") -> dict[str, str | None]:
    """Mention text -> value (last one wins; enough for short sentences)."""
    return {m.text: m.value for m in extract_dates(text, anchor, gran)}


def assert_well_formed(text: str, mentions: list[DateMention]) -> None:
    """Offsets slice back to the text, mentions are sorted and do not overlap."""
    prev_end = 0
    for m in mentions:
        assert text[m.start : m.end] == m.text
        assert m.start >= prev_end
        assert m.kind in ("DATE", "TIME")
        assert m.resolved == (m.value is not None)
        prev_end = m.end


# -- publication date inference ---------------------------------------------------------------------


def test_infer_pub_date_seed_001_from_weekday_and_tweet_dates() -> None:
    assert infer_pub_date(seed("001")) == (D(2019, 4, 5), "day")


def test_infer_pub_date_seed_004_has_no_year() -> None:
    assert infer_pub_date(seed("004")) is None


def test_infer_pub_date_ignores_bare_historical_dates() -> None:
    text = "Fernande est née à Cintrey le 21 janvier 1913. Elle épousa, le 23 septembre 1933, Georges."
    assert infer_pub_date(text) is None


def test_infer_pub_date_one_dated_event_is_no_evidence() -> None:
    """One event, however it is written, dates the event and not the article (measured on Wikinews)."""
    assert infer_pub_date("Les élections de 2019 approchent. Le scrutin aura lieu dimanche 26 mai.") is None
    assert infer_pub_date("Le sommet s'est ouvert vendredi 5 avril 2019 à Tunis.") is None


def test_infer_pub_date_two_mentions_of_one_day_confirm_each_other() -> None:
    text = "Le sommet s'est ouvert vendredi 5 avril 2019 à Tunis. Vendredi 5 avril, les délégués ont voté."
    assert infer_pub_date(text) == (D(2019, 4, 5), "day")
    mismatch = "Le sommet s'est ouvert jeudi 5 avril 2019 à Tunis. Jeudi 5 avril, les délégués ont voté."
    assert infer_pub_date(mismatch) is None  # 5 April 2019 is a Friday


def test_infer_pub_date_refuses_a_day_older_than_a_year_the_text_names() -> None:
    corroborated = "Le 5 juillet 1962, l'Algérie devint indépendante. Le jeudi 5 juillet, on fêta ce jour."
    assert infer_pub_date(corroborated) == (D(1962, 7, 5), "day")  # 5 July 1962 was a Thursday
    assert infer_pub_date(corroborated + " Une fête aura lieu en 2013.") is None


@pytest.mark.parametrize("text", ["", "Aucune date ici.", "Il est venu hier."])
def test_infer_pub_date_none_without_evidence(text: str) -> None:
    assert infer_pub_date(text) is None


# -- absolute dates -------------------------------------------------------------------------------------


def test_seed_001_mentions_resolve_against_inferred_date() -> None:
    text = seed("001")
    mentions = extract_dates(text, D(2019, 4, 5))
    assert_well_formed(text, mentions)
    by_text = [(m.text, m.value) for m in mentions]
    assert ("vendredi 5 avril", "2019-04-05") in by_text
    assert ("Jeudi", "2019-04-04") in by_text
    assert ("La veille", "2019-04-04") in by_text
    assert ("April 5, 2019", "2019-04-05") in by_text
    assert ("19h00", "2019-04-05T19:00") in by_text


def test_english_tweet_date_is_april_not_may() -> None:
    (m,) = extract_dates("— Rebecca Rambar (@RebeccaRambar) April 5, 2019")
    assert (m.text, m.value, m.granularity, m.relative) == ("April 5, 2019", "2019-04-05", "day", False)


@pytest.mark.parametrize(
    ("text", "span", "value"),
    [
        ("Ils ont eu lieu le 27 mai 1998, dans les bois.", "le 27 mai 1998", "1998-05-27"),
        ("Elle s'est mariée le 1er mai 1962.", "le 1er mai 1962", "1962-05-01"),
        ("Le drame du 10 novembre 93 reste dans les mémoires.", "10 novembre 93", "1993-11-10"),
        ("La réforme entre en vigueur en 2018.", "2018", "2018"),
        ("Cette milice collaborait depuis 2016 avec le gouvernement.", "2016", "2016"),
        ("Il a agi dès l'année 2001 sans attendre.", "l'année 2001", "2001"),
        ("Les chiffres d'avril 2019 sont connus.", "avril 2019", "2019-04"),
        ("Le rendez-vous est fixé au 05/04/2019.", "05/04/2019", "2019-04-05"),
    ],
)
def test_absolute_dates(text: str, span: str, value: str) -> None:
    mentions = extract_dates(text)
    assert_well_formed(text, mentions)
    assert [(m.text, m.value) for m in mentions] == [(span, value)]
    assert not mentions[0].relative


def test_prepositions_are_outside_spans() -> None:
    assert [m.text for m in extract_dates("Après la chute de Kadhafi en 2011, la Libye.")] == ["2011"]
    assert [m.text for m in extract_dates("à la suite des élections du 30 mai.", D(1999, 6, 8))] == ["30 mai"]


# -- relative dates -------------------------------------------------------------------------------------

ANCHOR = D(2019, 4, 5)  # a Friday


@pytest.mark.parametrize(
    ("text", "span", "value"),
    [
        ("Mais hier, les combattants ont été repoussés.", "hier", "2019-04-04"),
        ("Il est arrivé avant-hier à Tripoli.", "avant-hier", "2019-04-03"),
        ("La conférence s'ouvrira demain à Ghadamès.", "demain", "2019-04-06"),
        ("Il doit s'exprimer aujourd'hui.", "aujourd'hui", "2019-04-05"),
        ("La situation a commencé à se détériorer en Libye ce 4 avril.", "ce 4 avril", "2019-04-04"),
        ("Les pourparlers ont eu lieu mercredi dernier.", "mercredi dernier", "2019-04-03"),
        ("Un cessez-le-feu à compter de dimanche prochain.", "dimanche prochain", "2019-04-07"),
        ("Jeudi, l'Armée nationale libyenne avait pris position.", "Jeudi", "2019-04-04"),
        ("Le Conseil se réunira lundi à New York.", "lundi", "2019-04-08"),
        ("Le Conseil s'est réuni lundi à New York.", "lundi", "2019-04-01"),
        ("La partie sud a été conquise en mars dernier.", "mars dernier", "2019-03"),
        ("L'accueil en juillet prochain d'une conférence.", "juillet prochain", "2019-07"),
        ("Une conférence, prévue pour la mi-avril, est prévue.", "la mi-avril", "2019-04"),
        ("Le régiment achèvera début octobre son mandat.", "début octobre", "2019-10"),
        ("Il a été élu l'année dernière.", "l'année dernière", "2018"),
        ("Les travaux ont eu lieu cette semaine.", "cette semaine", "2019-W14"),
        ("Il est décédé hier matin.", "hier matin", "2019-04-04TMO"),
    ],
)
def test_relative_dates_with_anchor(text: str, span: str, value: str) -> None:
    mentions = extract_dates(text, ANCHOR)
    assert_well_formed(text, mentions)
    assert [(m.text, m.value) for m in mentions] == [(span, value)]
    assert mentions[0].relative and mentions[0].resolved


def test_bare_weekday_same_name_as_anchor_is_the_anchor() -> None:
    assert values("Les hommes ont été chassés vendredi du barrage.", ANCHOR) == {"vendredi": "2019-04-05"}


def test_mercredi_dernier_on_a_wednesday_is_a_week_before() -> None:
    assert values("Mercredi dernier, il a parlé.", D(2019, 4, 3)) == {"Mercredi dernier": "2019-03-27"}


@pytest.mark.parametrize(
    "text", ["Mais hier, ils ont reculé.", "Jeudi, ils ont avancé.", "ce 4 avril", "en mars"]
)
def test_relative_dates_unresolved_without_anchor(text: str) -> None:
    (m,) = extract_dates(text)
    assert m.value is None and not m.resolved and m.relative


def test_month_granularity_anchor_resolves_months_not_days() -> None:
    text = seed("003")
    got = {m.text: m for m in extract_dates(text, D(2020, 1, 1), "month")}
    assert got["Mercredi dernier"].value is None and not got["Mercredi dernier"].resolved
    assert got["dimanche prochain"].value is None
    assert values("conquise en mars dernier", D(2019, 4, 1), "month") == {"mars dernier": "2019-03"}
    assert values("Il a été élu l'an dernier.", D(2019, 4, 1), "month") == {"l'an dernier": "2018"}


# -- times ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "span", "value"),
    [
        ("Le Conseil doit se réunir à 19h00.", "19h00", "2019-04-05T19:00"),
        ("Il a été hospitalisé vers 21 h 45.", "21 h 45", "2019-04-05T21:45"),
        ("Le départ est fixé à 9 h place de la Gare.", "9 h", "2019-04-05T09:00"),
        ("Rendez-vous à 18 heures devant la mairie.", "18 heures", "2019-04-05T18:00"),
        ("Une femme est tombée vers midi.", "midi", "2019-04-05T12:00"),
    ],
)
def test_clock_times(text: str, span: str, value: str) -> None:
    assert [(m.text, m.kind, m.value) for m in extract_dates(text, ANCHOR)] == [(span, "TIME", value)]


def test_clock_time_takes_the_date_mentioned_before() -> None:
    got = values("Ses obsèques seront célébrées lundi 17 février, à 14 h 30 en l'église.", D(2003, 2, 16))
    assert got == {"lundi 17 février": "2003-02-17", "14 h 30": "2003-02-17T14:30"}


def test_date_a_time_is_one_time_expression() -> None:
    (m,) = extract_dates("Hier à 10 h, une dizaine de délégués.", D(1999, 9, 4))
    assert (m.text, m.kind, m.value) == ("Hier à 10 h", "TIME", "1999-09-03T10:00")


# -- false positives ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "le bras médiatique du maréchal sur sa page facebook",
        "« Je vole de Tripoli à Tobruk et à Benghazi. »",
        "un communiqué lu par son porte-parole",
        "Mais cette campagne est loin d'être une simple opération.",
        "sept personnes ont été blessées",
        "Une vidéo de 8 minutes montre le nombre de véhicules",
        "un barrage à 27 km à l'ouest de Tripoli",
        "les 2 500 mercenaires que la Russie aurait envoyé",
        "aux alentours de la porte 27 durant des affrontements",
        "une amende de 5.000 F et 2000 euros",
        "Il a attendu pendant 2 heures sous la pluie.",
        "Le Midi libre a publié un sondage.",
        "Il a été arrêté.",
        "La Planète Mars reste un mystère.",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert extract_dates(text, ANCHOR) == []


def test_seed_004_has_no_duration_or_distance_mentions() -> None:
    text = seed("004")
    spans = [m.text for m in extract_dates(text)]
    assert "8 minutes" not in " ".join(spans)
    assert spans == ["hier", "mars dernier", "la fin de l'année", "la mi-avril", "juillet prochain"]


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_every_seed_is_well_formed(prefix: str) -> None:
    text = seed(prefix)
    for anchor in (None, ANCHOR):
        assert_well_formed(text, extract_dates(text, anchor))


def test_empty_text() -> None:
    assert extract_dates("") == []


# -- robustness -----------------------------------------------------------------------------------------

_FRAGMENTS = [
    "le 5 avril 2019", "vendredi", "hier soir", "à 19h00", "en 2011", "mi-avril", "la veille", "İstanbul",
    "2 500", "sept", "Mais", "8 minutes", "les 6 et 13 avril", " ", ", ", "\n", "jeudi dernier", "12 h 30",
    "l'année dernière", "ce week-end", "April 5, 2019", "31 février", "99/99/2019", "24 h", "midi",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(_FRAGMENTS) | st.text(max_size=8), max_size=12),
    st.none() | st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 1, 1)),
    st.sampled_from(["day", "month", "year"]),
)
def test_random_text_is_well_formed(parts: list[str], anchor: D | None, gran: str) -> None:
    text = "".join(parts)
    mentions = extract_dates(text, anchor, gran)
    assert_well_formed(text, mentions)
    for m in mentions:
        if anchor is None and m.relative:
            assert m.value is None


def test_la_veille_of_an_absolute_date_needs_no_anchor() -> None:
    text = "Le 5 avril 2019, ils ont fui. La veille, rien."
    got = [(m.text, m.value, m.relative) for m in extract_dates(text)]
    assert got == [("Le 5 avril 2019", "2019-04-05", False), ("La veille", "2019-04-04", False)]


def test_unicode_case_mapping_that_changes_length_keeps_offsets() -> None:
    text = "İstanbul, le 5 avril 2019 à 19h00."
    got = [(m.text, m.value) for m in extract_dates(text, ANCHOR)]
    assert got == [("le 5 avril 2019 à 19h00", "2019-04-05T19:00")]


# -- numbers that are not years, idioms that are not dates (issue: real news) ------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Il y a 2000 éléments dans le lot.",
        "Le salaire va d'entre 1500 et 1700 francs par mois.",
        "2000 personnes ont manifesté.",
        "Il a du mal à joindre les deux bouts à la fin du mois.",
        "Chaque année, à la fin de l'année, il part en vacances.",
    ],
)
def test_quantities_and_habitual_periods_are_no_dates(text: str) -> None:
    assert extract_dates(text, D(2012, 7, 4)) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Le budget 2013 pour l'agriculture a été voté.", "2013"),  # a noun before: still a year
        ("Au début des primaires de 2008 face à Hillary Clinton.", "2008"),
        ("La marge était de 21 euros en 2010 et 15 euros en 2009.", "2010"),  # "en": a year, whatever follows
        ("2012 a été une année difficile.", "2012"),
        ("Le rapport sera publié à la fin du mois.", "2012-07"),
    ],
)
def test_years_and_periods_on_real_news_stay(text: str, value: str) -> None:
    assert extract_dates(text, D(2012, 7, 4))[0].value == value


def test_a_whole_copy_has_no_date_rows_and_its_original_has() -> None:
    """`dates` rows belong to canonical segments: a document whose every segment is a copy (a
    reprint) gets none, without extracting; the same text as an original gets its mentions."""
    from transforms.assemble import AssembledDocument
    from transforms.dates.stages import date_rows
    from transforms.records import DedupVerdict, Document
    from transforms.segment import SegmentConfig, segment_document

    body = "Jeudi, les combats ont repris au sud de Tripoli.\n\nLe 5 avril, Haftar a lancé son offensive."
    doc = Document("d", "d.txt", body, "x", "utf-8", datetime.date(2019, 4, 6))
    segments = tuple(segment_document(doc, SegmentConfig()))
    original = [DedupVerdict(s.segment_id, False) for s in segments]
    copy = [DedupVerdict(s.segment_id, True, "exact", f"o-{s.segment_id}", 1.0) for s in segments]
    found = date_rows(AssembledDocument(doc, segments, tuple(original)))
    assert [(row["text"], row["value"]) for row in found] == [
        ("Jeudi", "2019-04-04"),
        ("Le 5 avril", "2019-04-05"),
    ]
    assert date_rows(AssembledDocument(doc, segments, tuple(copy))) == []
