"""Unit tests of the TimeBank parsing and scoring helpers."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from tests.conftest import TIMEBANK
from transforms.dates.timebank import load_corpus, parse_tml, score

CORPUS = TIMEBANK

TML = """<?xml version='1.0' encoding='UTF-8'?>
<TimeML>
<DOCID>x</DOCID>
<DCT><TIMEX3 functionInDocument="CREATION_TIME" tid="t1" type="DATE" value="1999-05-20" /></DCT>
<TEXT>
Il a été <EVENT eid="e1">hospitalisé</EVENT> \
<TIMEX3 tid="t2" type="DATE" value="1999-05-18">mardi</TIMEX3> vers \
<TIMEX3 tid="t3" type="TIME" value="1999-05-18T21:45">21 h 45</TIMEX3> &amp; \
<TIMEX3 tid="t4" type="TIME" value="1999-05-18TEV">ce <SIGNAL sid="s1">même</SIGNAL> soir</TIMEX3>, \
pendant <TIMEX3 tid="t5" type="DURATION" value="PT2H">deux heures</TIMEX3>.
</TEXT>
</TimeML>
"""


@pytest.fixture
def tml(tmp_path: Path) -> Path:
    path = tmp_path / "doc.tml"
    path.write_text(TML, encoding="utf-8")
    return path


def test_parse_tml_strips_tags_and_keeps_offsets(tml: Path) -> None:
    doc = parse_tml(tml)
    assert doc.name == "doc"
    assert doc.dct == datetime.date(1999, 5, 20)
    assert "<" not in doc.text and "&amp;" not in doc.text and " & " in doc.text
    assert [(g[2], g[3], g[4]) for g in doc.gold] == [
        ("DATE", "1999-05-18", "mardi"),
        ("TIME", "1999-05-18T21:45", "21 h 45"),
        ("TIME", "1999-05-18TEV", "ce même soir"),
        ("DURATION", "PT2H", "deux heures"),
    ]
    for start, end, _, _, text in doc.gold:
        assert doc.text[start:end] == text


def test_parse_real_corpus_offsets() -> None:
    docs = load_corpus(CORPUS)
    assert len(docs) == 54
    for doc in docs:
        for start, end, _, _, text in doc.gold:
            assert doc.text[start:end] == text
    assert sum(1 for d in docs for g in d.gold if g[2] in ("DATE", "TIME")) > 100


GOLD = {
    "a": [
        (0, 5, "DATE", "1999-05-18", "mardi"),
        (10, 17, "TIME", "1999-05-18T21:45", "21 h 45"),
        (30, 41, "DURATION", "PT2H", "deux heures"),
    ]
}


def test_score_perfect() -> None:
    s = score(GOLD, {"a": [(0, 5, "1999-05-18"), (10, 17, "1999-05-18T21:45")]})
    assert s["strict_f1"] == s["relaxed_f1"] == s["value_f1"] == 1.0


def test_score_relaxed_and_value_on_overlap() -> None:
    # "mardi soir" overlaps "mardi" (relaxed hit, wrong value); "21 h" overlaps with the right value.
    s = score(GOLD, {"a": [(0, 10, "1999-05-18TEV"), (10, 14, "1999-05-18T21:45")]})
    assert s["strict_f1"] == 0.0
    assert s["relaxed_p"] == s["relaxed_r"] == 1.0
    assert s["value_p"] == 0.5 and s["value_r"] == 0.5


def test_score_false_positive_and_missing() -> None:
    s = score(GOLD, {"a": [(0, 5, "1999-05-18"), (50, 55, "2000")]})
    assert s["strict_p"] == 0.5 and s["strict_r"] == 0.5
    assert s["n_pred"] == 2 and s["n_gold"] == 2


def test_score_ignores_predictions_on_unscored_types() -> None:
    s = score(GOLD, {"a": [(0, 5, "1999-05-18"), (30, 41, "PT2H")]})
    assert s["n_pred"] == 1
    assert s["strict_p"] == 1.0


def test_score_unresolved_value_never_counts() -> None:
    s = score(GOLD, {"a": [(0, 5, None)]})
    assert s["strict_p"] == 1.0 and s["value_p"] == 0.0


def test_score_empty() -> None:
    s = score({}, {})
    assert s["strict_f1"] == 0.0 and s["n_gold"] == 0
