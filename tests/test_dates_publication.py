"""Publication dates from the evidence files carry: datelines, paths, metadata, and the rules between
them (transforms/dates/publication.py), as pure functions."""

from __future__ import annotations

import datetime as dt

import pytest

from transforms.dates.publication import (
    Dateline,
    PubDate,
    choose_pub_date,
    compile_path_pattern,
    dateline_date,
    latest_possible_day,
    metadata_date,
    path_date,
)
from transforms.read import parse_header

D = dt.date


def day_of(line: Dateline | None) -> tuple[int | None, int, int] | None:
    return None if line is None else (line.year, line.month, line.day)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Grèce : le gouvernement\n\n21 juin 2012. - À la suite des élections", (2012, 6, 21)),
        ("Titre\n\n1er août 2012. - La Croatie a décidé", (2012, 8, 1)),
        ("Titre\n\n21 septembre 2012, France. - Selon une étude", (2012, 9, 21)),
        ("Titre\n\n2 juillet 2012. - Québec - Le tout premier Forum", (2012, 7, 2)),
        ("PARIS, 17 novembre 2018 (AFP) - Le gouvernement a annoncé", (2018, 11, 17)),
        ("SAINT-DENIS DE LA RÉUNION, 3 mars 2019 (AFP) - Un cyclone", (2019, 3, 3)),
        ("Paris, le 17 novembre 2018 - Le ministre", (2018, 11, 17)),
        ("WASHINGTON, Nov. 17, 2018 (Reuters) - The president said", (2018, 11, 17)),
        ("LOS ANGELES, November 17, 2018 (AP) — The fire", (2018, 11, 17)),
        (
            "Titre\nPar Jean Dupont\nPublié le 17/11/2018 à 10h32 - Mis à jour le 18/11/2018\n\nTexte",
            (2018, 11, 17),
        ),
        ("Titre\nPublié le samedi 17 novembre 2018 à 10:32\nTexte", (2018, 11, 17)),
        ("Title\nPublished: November 17, 2018\n\nText", (2018, 11, 17)),
        ("Title\nPosted on 2018-11-17\nText", (2018, 11, 17)),
        ("Samedi 17 novembre 2018\n\nLe texte commence ici.", (2018, 11, 17)),
        ("Titre\n17/11/2018 10:32\nLe texte", (2018, 11, 17)),
        ("PARIS, 17 novembre (AFP) - Le gouvernement", (None, 11, 17)),
    ],
)
def test_datelines_of_real_layouts(text: str, expected: tuple) -> None:
    assert day_of(dateline_date(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Le rapport, publié le 17 novembre 2018, dit que la dette augmente.",  # inside a sentence
        "C'était il y a 50 ans, le 5 juillet 1962. - Le général De Gaulle",  # a date inside a sentence
        "Vendredi 17 novembre 2018\n\nLe texte",  # 17 November 2018 is a Saturday
        "Titre\nMis à jour le 18/11/2018\nLe texte",  # an update is not the publication
        "Titre\n31 février 2012. - Texte",  # no such day
        "Aucune date ici.\n\nNi là.",
        "",
    ],
)
def test_no_dateline(text: str) -> None:
    assert dateline_date(text) is None


def test_dateline_is_only_searched_in_the_head() -> None:
    body = "\n\n".join(f"Paragraphe {i} sans date." for i in range(10))
    assert dateline_date(f"Titre\n\n{body}\n\n5 juillet 2012. - Texte") is None


def test_the_first_dateline_wins_over_a_date_line_further_down() -> None:
    text = "Titre\n\n21 juin 2012. - Texte.\n\n5 juillet 1962\n"
    assert day_of(dateline_date(text)) == (2012, 6, 21)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/archive/2018/11/17/slug.txt", (D(2018, 11, 17), "day")),
        ("gs://bucket/lemonde/2018/11/17/slug.txt.gz", (D(2018, 11, 17), "day")),
        ("/archive/2018-11-17_slug.txt", (D(2018, 11, 17), "day")),
        ("/archive/2018_11_17-slug.txt", (D(2018, 11, 17), "day")),
        ("/archive/20181117-slug.txt", (D(2018, 11, 17), "day")),
        ("/archive/2018/11/slug.txt", (D(2018, 11, 1), "month")),
        ("https://www.example.fr/politique/2018/11/17/un-titre_123.html", (D(2018, 11, 17), "day")),
        ("/archive/2018/11/17/2018-11-16_x.txt", (D(2018, 11, 16), "day")),
        ("C:\\archive\\2018\\11\\17\\slug.txt", (D(2018, 11, 17), "day")),
    ],
)
def test_dates_in_paths(path: str, expected: tuple) -> None:
    found = path_date(path)
    assert found is not None and (found.date, found.granularity, found.source) == (*expected, "path")


@pytest.mark.parametrize(
    "path",
    [
        "/data/wikinews/44545.txt",
        "/a/id20181117x.txt",  # digits inside an id
        "/a/2018/13/40/x.txt",  # no such month
        "/a/12345678-x.txt",  # 8 digits that are no date
        "/a/2018-02-30_x.txt",
    ],
)
def test_paths_without_a_date(path: str) -> None:
    assert path_date(path) is None


def test_user_path_pattern_comes_first_and_must_name_its_groups() -> None:
    pattern = r"/(?P<day>\d\d)\.(?P<month>\d\d)\.(?P<year>\d{4})/"
    assert path_date("/depeches/17.11.2018/a.txt", (pattern,)) == PubDate(D(2018, 11, 17), "day", "path")
    with pytest.raises(ValueError, match="year"):
        compile_path_pattern(r"/(?P<month>\d\d)/")
    with pytest.raises(ValueError, match="path date pattern"):
        compile_path_pattern(r"/(?P<year>\d{4}/")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2018-11-17", (D(2018, 11, 17), "day")),
        ("2018-11-17T23:30:00-05:00", (D(2018, 11, 17), "day")),  # the newsroom's local day
        ("2018-11-17 10:32:00", (D(2018, 11, 17), "day")),
        ("2018-11", (D(2018, 11, 1), "month")),
        ("Sat, 17 Nov 2018 10:32:00 +0100", (D(2018, 11, 17), "day")),
        ("17/11/2018", (D(2018, 11, 17), "day")),
        ("17 novembre 2018", (D(2018, 11, 17), "day")),
        ("November 17, 2018", (D(2018, 11, 17), "day")),
    ],
)
def test_metadata_dates(value: str, expected: tuple) -> None:
    found = metadata_date(value)
    assert found is not None and (found.date, found.granularity, found.source) == (*expected, "metadata")


@pytest.mark.parametrize("value", ["il y a 2 heures", "2018-02-30", "demain", 1542412800, True, ["2018"]])
def test_metadata_values_that_are_not_dates(value: object) -> None:
    with pytest.raises(ValueError):
        metadata_date(value)


def test_empty_metadata_date_is_no_date() -> None:
    assert metadata_date(None) is None and metadata_date("") is None


def test_latest_possible_day_is_the_day_somewhere_on_earth() -> None:
    assert latest_possible_day(dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)) == D(2026, 12, 2)
    assert latest_possible_day(dt.datetime(2026, 12, 2, 11, 0, tzinfo=dt.UTC)) == D(2026, 12, 3)


LATEST = D(2026, 12, 2)


def line(year: int | None, month: int, day: int) -> Dateline:
    return Dateline(day, month, year, 0, 10)


def test_sources_in_order_of_strength() -> None:
    header = PubDate(D(2019, 4, 5), "day", "header")
    path = PubDate(D(2018, 1, 1), "day", "path")
    content = PubDate(D(2017, 1, 1), "day", "content")
    assert choose_pub_date(latest=LATEST, given=header, dateline=line(2012, 6, 21), path=path)[0] == header
    chosen, _ = choose_pub_date(latest=LATEST, dateline=line(2012, 6, 21), path=path, content=content)
    assert chosen == PubDate(D(2012, 6, 21), "day", "dateline")
    assert choose_pub_date(latest=LATEST, path=path, content=content)[0] == path
    assert choose_pub_date(latest=LATEST, content=content)[0] == content
    assert choose_pub_date(latest=LATEST) == (None, [])


def test_content_is_only_computed_when_nothing_stronger_decides() -> None:
    def boom() -> PubDate:
        raise AssertionError("content inference ran although a dateline decided")

    assert choose_pub_date(latest=LATEST, dateline=line(2012, 6, 21), content=boom)[0] is not None


def test_a_future_date_is_refused_from_every_source() -> None:
    future = D(2035, 1, 1)
    for source in ("header", "metadata", "path", "content"):
        evidence = PubDate(future, "day", source)
        kwargs = {"given": evidence} if source in ("header", "metadata") else {source: evidence}
        assert choose_pub_date(latest=LATEST, **kwargs) == (None, [f"future_{source}"])
    assert choose_pub_date(latest=LATEST, dateline=line(2035, 1, 1)) == (None, ["future_dateline"])


def test_a_future_header_falls_back_to_the_next_evidence() -> None:
    chosen, refused = choose_pub_date(
        latest=LATEST, given=PubDate(D(2035, 1, 1), "day", "header"), dateline=line(2012, 6, 21)
    )
    assert chosen == PubDate(D(2012, 6, 21), "day", "dateline") and refused == ["future_header"]


def test_headers_out_of_range_at_either_end_are_refused_alike() -> None:
    """Year 9999 and year 0001 are both real dates and both impossible publication dates: both fall
    back to the next evidence (neither a partition `9999-12` nor a rejected document)."""
    for year, reason in ((9999, "future_header"), (1, "too_old_header")):
        header = parse_header(f" date {year:04d}-12-31\nTexte.")
        assert header[0] == D(year, 12, 31)
        chosen, refused = choose_pub_date(
            latest=LATEST, given=PubDate(header[0], "day", "header"), dateline=line(2012, 6, 21)
        )
        assert chosen == PubDate(D(2012, 6, 21), "day", "dateline") and refused == [reason]


def test_a_yearless_dateline_takes_the_year_of_the_path_when_the_month_agrees() -> None:
    path = PubDate(D(2018, 11, 1), "month", "path")
    chosen, _ = choose_pub_date(latest=LATEST, dateline=line(None, 11, 17), path=path)
    assert chosen == PubDate(D(2018, 11, 17), "day", "dateline")
    other_month = PubDate(D(2018, 10, 1), "month", "path")
    assert choose_pub_date(latest=LATEST, dateline=line(None, 11, 17), path=other_month)[0] == other_month


def test_content_may_not_contradict_a_yearless_dateline() -> None:
    agreeing = PubDate(D(2019, 4, 5), "day", "content")
    assert choose_pub_date(latest=LATEST, dateline=line(None, 4, 5), content=agreeing)[0] == agreeing
    other = PubDate(D(1962, 7, 5), "day", "content")
    assert choose_pub_date(latest=LATEST, dateline=line(None, 4, 5), content=other) == (
        None,
        ["contradicts_dateline"],
    )
