"""JSON Lines inputs and dated paths: pure parsing, then the real CLI end to end (DuckDB reads back)."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

from tests.conftest import SEEDS, last_manifest, query, run_cli, table_sql
from transforms.read_jsonl import JsonlFields, iter_lines, parse_field_options, parse_record
from transforms.records import RejectInput

WIKINEWS = Path(__file__).resolve().parent / "data" / "wikinews-fr-2012"


def test_record_with_scraper_fields() -> None:
    raw = json.dumps(
        {"id": 7, "title": " Un titre ", "url": "https://x.fr/a", "date": "2018-11-17T10:32:00+01:00",
         "text": "Le texte."}
    ).encode()  # fmt: skip
    doc = parse_record("/in/a.jsonl", 3, raw)
    assert (doc.source, doc.text, doc.title, doc.url) == (
        "/in/a.jsonl#7",
        "Le texte.",
        "Un titre",
        "https://x.fr/a",
    )
    assert (str(doc.pub_date), doc.pub_date_source, doc.pub_date_granularity) == (
        "2018-11-17",
        "metadata",
        "day",
    )


def test_record_without_id_is_named_by_its_line_and_news_please_keys_are_known() -> None:
    raw = json.dumps({"maintext": "Corps.", "date_publish": "2018-11-17 10:32:00"}).encode()
    doc = parse_record("/in/a.jsonl", 12, raw)
    assert doc.source == "/in/a.jsonl#L12" and doc.pub_date is not None and doc.title is None


def test_field_options_choose_other_and_nested_keys() -> None:
    fields = parse_field_options(["text=article.body", "date=meta.published,created"])
    raw = json.dumps({"article": {"body": "Corps."}, "meta": {"published": "2019-04-05"}}).encode()
    doc = parse_record("/in/a.jsonl", 1, raw, fields)
    assert doc.text == "Corps." and str(doc.pub_date) == "2019-04-05"
    assert fields.title == JsonlFields().title
    for bad in ["text", "colour=x", "date="]:
        with pytest.raises(ValueError, match="--jsonl-field"):
            parse_field_options([bad])


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"text": "a", ', "invalid_json"),
        (b'["a list"]', "invalid_json"),
        (b'{"title": "no text"}', "missing_text"),
        (b'{"text": "   "}', "missing_text"),
        (b'{"text": 42}', "missing_text"),
        (b'{"text": "a", "date": "il y a 2 heures"}', "invalid_metadata_date"),
        (b'{"text": "caf\xe9"}', "invalid_utf8"),
    ],
)
def test_bad_records_are_rejected_with_their_line(raw: bytes, reason: str) -> None:
    with pytest.raises(RejectInput) as caught:
        parse_record("/in/a.jsonl", 5, raw)
    assert caught.value.reason == reason and caught.value.detail.startswith("line 5:")


def test_lines_are_bounded_and_numbered() -> None:
    data = b'{"text": "a"}\n\n' + b"x" * 50 + b'\n{"text": "b"}'
    lines = list(iter_lines(io.BytesIO(data), limit=20))
    assert [(n, line) for n, line, _ in lines] == [(1, b'{"text": "a"}'), (3, None), (4, b'{"text": "b"}')]
    assert lines[1][2] == 51  # the long line's size is measured while it is skipped


# --------------------------------------------------------------------------------------- end to end
def _scraped(folder: Path) -> Path:
    """A scraper's output: 3 good records (metadata date, dated URL, Wikinews dateline), 2 bad lines."""
    wikinews = (WIKINEWS / "44269.txt").read_text(encoding="utf-8")
    seed = (SEEDS / "000_2223f7b8facbebef.txt").read_text(encoding="utf-8")
    lines = [
        json.dumps({"id": "a1", "title": "Haftar", "date": "2019-04-06T08:00:00+02:00", "text": seed}),
        json.dumps({"url": "https://www.example.fr/monde/2012/06/21/grece.html", "text": "Athènes vote."}),
        '{"text": "broken line',
        json.dumps({"title": "Grèce", "text": wikinews}),
        json.dumps({"title": "no text at all"}),
    ]
    path = folder / "scraped.jsonl.gz"
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    return path


def test_jsonl_and_dated_paths_end_to_end(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    dated = inbox / "2018" / "11" / "17"
    dated.mkdir(parents=True)
    (dated / "slug.txt").write_text("Un article sans date dans son texte, rangé dans un dossier daté.\n")
    (inbox / "2019-04-05_depeche.txt").write_text("Une dépêche datée par son nom de fichier.\n")
    scraped = _scraped(inbox)
    output = tmp_path / "out"
    proc = run_cli(
        "run", "-i", str(inbox / "**" / "*.txt"), "-i", str(inbox / "*.txt"), "-i", str(scraped),
        "-o", str(output), "--no-counters", ok=(3,),
    )  # fmt: skip
    counts = last_manifest(output)["counts"]
    assert (counts["files_read"], counts["records_read"], counts["documents"], counts["rejected"]) == (
        3,
        7,
        5,
        2,
    )
    assert "records read             7   (= documents + skipped + rejected: ok)" in proc.stdout

    docs = query(
        f"select source, pub_date::varchar, pub_date_source, pub_month, title, url "
        f"from {table_sql(output, 'documents')} order by source"
    )
    by_name = {source.rsplit("/", 1)[-1]: tuple(rest) for source, *rest in docs}
    assert by_name["slug.txt"][:3] == ("2018-11-17", "path", "2018-11")
    assert by_name["2019-04-05_depeche.txt"][:2] == ("2019-04-05", "path")
    assert by_name["scraped.jsonl.gz#a1"] == ("2019-04-06", "metadata", "2019-04", "Haftar", None)
    assert by_name["scraped.jsonl.gz#L2"][:2] == ("2012-06-21", "path")  # from the record's URL
    assert by_name["scraped.jsonl.gz#L4"][:2] == ("2012-06-21", "dateline")
    assert by_name["scraped.jsonl.gz#L4"][3] == "Grèce"  # the title column

    rejected = query(f"select source, reason, detail from {table_sql(output, 'rejected')} order by source")
    assert [(s.rsplit("/", 1)[-1], r) for s, r, _ in rejected] == [
        ("scraped.jsonl.gz#L3", "invalid_json"),
        ("scraped.jsonl.gz#L5", "missing_text"),
    ]
    assert all(detail.startswith(("line 3:", "line 5:")) for _, _, detail in rejected)

    # The seed inside the JSON record is deduplicated like the file: its Azizia sentence repeats.
    [(dups,)] = query(
        f"select count(*) from {table_sql(output, 'segments')} s join {table_sql(output, 'documents')} d "
        "using (doc_id) where d.source like '%#a1' and s.is_duplicate"
    )
    assert dups >= 1

    # A second run over the same inputs skips every record already ingested; the bad lines are
    # rejected again (they never became documents), so the counts still add up.
    again = last_manifest_after(run_cli("run", "-i", str(scraped), "-o", str(output), ok=(3,)), output)
    assert (again["records_read"], again["skipped_already_ingested"], again["rejected"]) == (5, 3, 2)


def last_manifest_after(_proc: object, output: Path) -> dict:
    return last_manifest(output)["counts"]


def test_bad_jsonl_field_option_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_cli(
        "run", "-i", "x.jsonl", "-o", str(tmp_path / "o"), "--jsonl-field", "colour=x", check=False
    )
    assert proc.returncode == 2 and "--jsonl-field" in proc.stderr
    proc = run_cli(
        "run", "-i", "x.txt", "-o", str(tmp_path / "o"), "--path-date-pattern", "(?P<x>", check=False
    )
    assert proc.returncode == 2 and "path date pattern" in proc.stderr
