"""Reader: header parsing, decoding and rejection reasons (pure functions)."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest

from tests.conftest import SEEDS
from transforms.read import RejectInput, decode_text, make_doc_id, parse_document, parse_header


def test_header_month_is_metadata_not_body() -> None:
    pub_date, granularity, body = parse_header(" date 2019-04 L'Armée nationale libyenne")
    assert (pub_date, granularity) == (dt.date(2019, 4, 1), "month")
    assert body == "L'Armée nationale libyenne"


def test_header_day_on_its_own_line() -> None:
    pub_date, granularity, body = parse_header(" date 2019-04-05\nTexte.")
    assert (pub_date, granularity, body) == (dt.date(2019, 4, 5), "day", "Texte.")


def test_no_header_leaves_text_untouched() -> None:
    assert parse_header("Depuis des mois, ...") == (None, None, "Depuis des mois, ...")
    assert parse_header("dates et faits") == (None, None, "dates et faits")


@pytest.mark.parametrize(
    "header", [" date 2019-13 x", " date 2019-02-30 x", " date ../../etc x", " date 01-01 x"]
)
def test_impossible_header_date_is_rejected(header: str) -> None:
    with pytest.raises(RejectInput) as err:
        parse_header(header)
    assert err.value.reason == "invalid_header_date"


def test_seed_headers() -> None:
    docs = {p.name[:3]: parse_document(str(p), p.read_bytes()) for p in sorted(SEEDS.glob("*.txt"))}
    assert docs["002"].pub_date == dt.date(2019, 4, 1) and docs["002"].pub_date_granularity == "month"
    assert docs["003"].pub_date == dt.date(2020, 1, 1)
    assert docs["002"].text.startswith("L'Armée nationale libyenne (ANL)")
    assert docs["000"].pub_date is None and docs["000"].pub_date_source is None


def test_doc_id_is_stable_and_content_derived() -> None:
    path = SEEDS / "000_2223f7b8facbebef.txt"
    first = parse_document(str(path), path.read_bytes())
    again = parse_document(str(path), path.read_bytes())
    assert first.doc_id == again.doc_id == make_doc_id(str(path), first.text)
    edited = parse_document(str(path), path.read_bytes() + b" Fin.")
    assert edited.doc_id != first.doc_id


def test_decode_rejects_invalid_utf8_with_offset() -> None:
    with pytest.raises(RejectInput) as err:
        decode_text(b"caf\xe9")
    assert err.value.reason == "invalid_utf8" and "byte 3" in str(err.value)


def test_decode_drops_bom_and_rejects_nul() -> None:
    assert decode_text("\ufeffÉté".encode()) == ("Été", "utf-8-sig")
    with pytest.raises(RejectInput) as err:
        decode_text(b"abc\x00def")
    assert err.value.reason == "binary_content"


@pytest.mark.parametrize("data", [b"", b"  \n\t\n", b" date 2019-04  \n  "])
def test_empty_documents_are_rejected(data: bytes) -> None:
    with pytest.raises(RejectInput) as err:
        parse_document("x.txt", data)
    assert err.value.reason == "empty"


def test_too_large_is_rejected() -> None:
    from transforms.read import ReadConfig

    with pytest.raises(RejectInput) as err:
        parse_document("x.txt", b"a" * 101, ReadConfig(max_document_bytes=100))
    assert err.value.reason == "too_large"


def test_gzip_bytes_are_not_text() -> None:
    # The reader decompresses .gz by extension before parse_document; raw gzip bytes are binary.
    with pytest.raises(RejectInput):
        parse_document("x.txt", gzip.compress(b"Bonjour."))
