"""Hostile input: real files of every awkward kind through the real CLI, asserted file by file.

One `newsbeam run` reads a folder holding all the cases (so the run has to survive all of them
together), then each file is checked: ingested with the right text and encoding, or in `rejected/`
with a precise reason. The counts must add up (matched files = documents + rejected + skipped) and
the printed summary must show them. The decode rules themselves are also checked on bytes, which is
cheap, so every rule of `transforms/read.py::decode_text` has a direct test.
"""

from __future__ import annotations

import gzip
import io
import re
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from tests.conftest import SEEDS, last_manifest, query, run_cli, table_sql
from transforms.read import RejectInput, decode_text, parse_document

FRENCH_CP1252 = (
    "L’Élysée a annoncé jeudi un accord « historique » : 5 € de plus par mois, "
    "a déclaré le ministre de l’Économie. Œuvre collective… Les syndicats restent prudents."
)
FRENCH_LATIN1 = "Le président français a reçu à Paris le maréchal libyen. Il a évoqué la sécurité de l'été."
ARABIC = (
    "Le maréchal Khalifa Haftar (خليفة حفتر) a rencontré Fayez al-Sarraj (فائز السراج) à Abou Dhabi. "
    "Les deux hommes ont discuté d'un cessez-le-feu à طرابلس."
)
LONG_WORDS = ["gouvernement", "ministre", "armée", "paix", "ville", "accord", "région", "capitale", "forces"]
#: A sentence of 30 000 characters without a single punctuation mark.
LONG_SENTENCE = " ".join(LONG_WORDS[i % len(LONG_WORDS)] + str(i % 97) for i in range(3000))
HUGE_BYTES = 50 * 1024 * 1024


def _png() -> bytes:
    """A real, valid 1x1 PNG image."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("article.txt", "Un article dans une archive.")
    return buffer.getvalue()


def _truncated_gzip(size: int) -> bytes:
    """The first half of a gzip file of `size` bytes of text (no end-of-stream marker)."""
    text = " ".join(f"{LONG_WORDS[i % len(LONG_WORDS)]}{i % 997}" for i in range(size // 10)).encode()
    whole = gzip.compress(text)
    return whole[: len(whole) // 2]


#: name -> (bytes, expected). Expected: ("doc", encoding, body text) or ("rejected", reason, detail regex).
CASES: dict[str, tuple[bytes, tuple[str, str, str]]] = {
    "invalid_utf8.txt": (
        b"Le texte commence bien puis \x81\x8d\x90 des octets impossibles.",
        ("rejected", "invalid_utf8", r"invalid start byte at byte 28.*undefined in cp1252"),
    ),
    "cp1252_french.txt": (FRENCH_CP1252.encode("cp1252"), ("doc", "cp1252", FRENCH_CP1252)),
    "latin1_french.txt": (FRENCH_LATIN1.encode("latin-1"), ("doc", "cp1252", FRENCH_LATIN1)),
    "utf8_bom.txt": (
        b"\xef\xbb\xbf date 2019-04-05\n" + FRENCH_LATIN1.encode(),
        ("doc", "utf-8", FRENCH_LATIN1),
    ),
    "utf16le_bom.txt": (
        b"\xff\xfe" + (" date 2019-04\n" + FRENCH_CP1252).encode("utf-16-le"),
        ("doc", "utf-16-le", FRENCH_CP1252),
    ),
    "utf16be_bom.txt": (b"\xfe\xff" + ARABIC.encode("utf-16-be"), ("doc", "utf-16-be", ARABIC)),
    "nul_bytes.txt": (
        b"Un texte\x00\x00 avec des NUL.",
        ("rejected", "binary_content", r"NUL byte at offset 8"),
    ),
    "image.txt": (_png(), ("rejected", "binary_content", r"^png ")),
    "archive.txt": (_zip(), ("rejected", "binary_content", r"^zip ")),
    "empty.txt": (b"", ("rejected", "empty", r"no text")),
    "whitespace_only.txt": (b" \n\t  \r\n\n   ", ("rejected", "empty", r"no text")),
    "huge_single_line.txt": (b"", ("rejected", "too_large", r"more than 10485760 bytes")),  # written below
    "truncated.txt.gz": (_truncated_gzip(2_000), ("rejected", "unreadable", r"EOFError: .*end-of-stream")),
    # Beam's own gzip reader would return the first half of this one as if it were the whole article.
    "truncated_big.txt.gz": (_truncated_gzip(500_000), ("rejected", "unreadable", r"EOFError")),
    "valid.txt.gz": (gzip.compress(FRENCH_LATIN1.encode(), mtime=0), ("doc", "utf-8", FRENCH_LATIN1)),
    "bad_month.txt": (b" date 2019-13 Un article.", ("rejected", "invalid_header_date", r"2019-13")),
    "traversal.txt": (b" date ../../etc Un article.", ("rejected", "invalid_header_date", r"\.\./\.\./etc")),
    "long_sentence.txt": (LONG_SENTENCE.encode(), ("doc", "utf-8", LONG_SENTENCE)),
    "arabic_names.txt": (ARABIC.encode(), ("doc", "utf-8", ARABIC)),
    "notes.csv": (b"a,b\n1,2\n", ("rejected", "unsupported_extension", r"\.txt")),
}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    """One real CLI run over a folder holding every hostile case plus one normal seed."""
    inbox = tmp_path_factory.mktemp("hostile")
    for name, (data, _) in CASES.items():
        (inbox / name).write_bytes(data)
    with (inbox / "huge_single_line.txt").open("wb") as handle:  # 50 MB, one line, no newline
        block = b"mot " * (1024 * 1024 // 4)
        for _ in range(HUGE_BYTES // len(block)):
            handle.write(block)
    seed = next(SEEDS.glob("002_*.txt"))
    (inbox / seed.name).write_bytes(seed.read_bytes())
    output = tmp_path_factory.mktemp("hostile_out") / "a" / "b" / "dataset"
    proc = run_cli("run", "--input", str(inbox / "*"), "--output", str(output), ok=(3,))
    return inbox, output, proc


def test_counts_add_up_and_summary_prints_them(
    hostile_run: tuple[Path, Path, subprocess.CompletedProcess],
) -> None:
    inbox, output, proc = hostile_run
    matched = len(list(inbox.iterdir()))
    counts = last_manifest(output)["counts"]
    n_docs = sum(1 for _, (_, (kind, _, _)) in CASES.items() if kind == "doc") + 1  # + the seed
    n_rejected = len(CASES) - n_docs + 1
    assert (counts["files_read"], counts["documents"], counts["rejected"]) == (matched, n_docs, n_rejected)
    assert matched == counts["documents"] + counts["rejected"] + counts["skipped_already_ingested"]
    assert re.search(rf"files read\s+{matched}\n", proc.stdout)
    assert re.search(rf"records read\s+{matched}\s+\(= documents \+ skipped \+ rejected: ok\)", proc.stdout)
    assert re.search(rf"documents\s+{n_docs}\b", proc.stdout)
    assert re.search(rf"rejected\s+{n_rejected}\b", proc.stdout)
    assert f"{n_rejected} input(s) rejected" in proc.stderr
    tables = {
        t: query(f"select count(*) from {table_sql(output, t)}")[0][0] for t in ("documents", "segments")
    }
    assert tables["documents"] == n_docs and tables["segments"] > n_docs
    assert query(f"select count(*) from read_parquet('{output}/rejected/*.parquet')") == [(n_rejected,)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_hostile_file_is_ingested_correctly_or_rejected_precisely(
    hostile_run: tuple[Path, Path, subprocess.CompletedProcess], name: str
) -> None:
    _, output, _ = hostile_run
    kind, first, second = CASES[name][1]
    documents = query(
        f"select encoding, text from {table_sql(output, 'documents')} where source like '%/{name}'"
    )
    rejected = query(
        f"select reason, detail, size_bytes from read_parquet('{output}/rejected/*.parquet') "
        f"where source like '%/{name}'"
    )
    if kind == "doc":
        assert rejected == [] and documents == [(first, second)]
    else:
        assert documents == [] and len(rejected) == 1
        reason, detail, size = rejected[0]
        assert reason == first and re.search(second, detail or ""), (reason, detail)
        assert size == (HUGE_BYTES if name == "huge_single_line.txt" else len(CASES[name][0]))


def test_header_dates_give_partitions_and_bom_does_not_hide_the_header(
    hostile_run: tuple[Path, Path, subprocess.CompletedProcess],
) -> None:
    _, output, _ = hostile_run
    months = dict(
        query(
            f"select regexp_extract(source, '[^/]+$'), pub_month from {table_sql(output, 'documents')} "
            "where pub_date_source = 'header'"
        )
    )
    assert months["utf8_bom.txt"] == "2019-04" and months["utf16le_bom.txt"] == "2019-04"


def test_no_input_writes_outside_the_output_folder(
    hostile_run: tuple[Path, Path, subprocess.CompletedProcess],
) -> None:
    """Partition folders come only from validated dates: ` date ../../etc` cannot escape DIR."""
    inbox, output, _ = hostile_run
    root = output.parent.parent.parent  # the fixture's temporary folder
    outside = [p for p in root.rglob("*") if output not in (p, *p.parents) and p not in output.parents]
    assert outside == []
    assert not [p for p in inbox.parent.rglob("etc")]
    partition = re.compile(r"pub_month=(\d{4}-(0[1-9]|1[0-2])|__HIVE_DEFAULT_PARTITION__)")
    for table in ("documents", "segments", "entities", "dates"):
        for folder in (output / table).iterdir():
            if folder.name == "_delta_log":  # the table's Delta log (transforms/delta_log.py)
                assert {p.suffix for p in folder.iterdir()} <= {".json", ".parquet", ".checkpoint"}, folder
                continue
            assert partition.fullmatch(folder.name), folder
            assert {p.suffix for p in folder.iterdir()} == {".parquet"}


def test_long_unpunctuated_and_arabic_text_give_bounded_slicing_segments(
    hostile_run: tuple[Path, Path, subprocess.CompletedProcess],
) -> None:
    _, output, _ = hostile_run
    rows = query(
        f"select regexp_extract(d.source, '[^/]+$'), s.start_char, s.end_char, s.text, "
        f"substr(d.text, s.start_char + 1, s.end_char - s.start_char) "
        f"from {table_sql(output, 'segments')} s join {table_sql(output, 'documents')} d using (doc_id) "
        "where d.source like '%/long_sentence.txt' or d.source like '%/arabic_names.txt' "
        "order by 1, 2"
    )
    long_rows = [r for r in rows if r[0] == "long_sentence.txt"]
    assert len(long_rows) >= len(LONG_SENTENCE) // 2000
    assert all(end - start <= 2000 and text == sliced for _, start, end, text, sliced in rows)
    assert " ".join(r[3] for r in long_rows) == LONG_SENTENCE  # cut at spaces only, nothing lost
    arabic = " ".join(r[3] for r in rows if r[0] == "arabic_names.txt")
    assert "خليفة حفتر" in arabic and "طرابلس" in arabic


@pytest.mark.slow
def test_raised_limit_ingests_a_12_mb_unpunctuated_line_in_bounded_segments(tmp_path: Path) -> None:
    """Above the default 10 MiB limit a file is rejected (huge_single_line.txt); with a raised limit a
    12 MB line without punctuation is ingested, cut into segments of at most --max-segment-chars.

    The line repeats a few names: its segments are then copies of a handful of texts, so dedup sends
    only those few to spaCy. Why: NER over 12 MB of distinct text takes many minutes on two cores
    (3 MB of distinct words: 105 s), and it is the reader, cutter and writer that are under test here.
    """
    inbox = tmp_path / "in"
    inbox.mkdir()
    unit = "Tripoli Haftar Benghazi Sarraj Misrata "
    text = (unit * (12 * 1000 * 1000 // len(unit))).strip()
    (inbox / "big.txt").write_text(text)
    output = tmp_path / "out"
    proc = run_cli(
        "run", "--input", str(inbox / "*.txt"), "--output", str(output),
        "--max-document-bytes", str(16 * 1024 * 1024), "--max-segment-chars", "2000",
    )  # fmt: skip
    assert re.search(r"documents\s+1\b", proc.stdout)
    ((n, longest, covered, distinct),) = query(
        "select count(*), max(end_char - start_char), sum(end_char - start_char), "
        f"count(distinct content_hash) from {table_sql(output, 'segments')}"
    )
    assert longest <= 2000 and n >= len(text) // 2000 and distinct < 10
    assert covered == len(text) - (n - 1)  # cut at single spaces: every other character is in a segment
    ((length, clean_length, dup),) = query(
        f"select length(text), length(clean_text), n_duplicate_segments from {table_sql(output, 'documents')}"
    )
    assert length == len(text) and dup >= n - distinct and clean_length < 20_000


def test_pure_cut_of_a_12_mb_line_is_bounded_and_fast() -> None:
    """The 12 MB case without the pipeline: segmentation alone stays linear and bounded."""
    import time

    from transforms.segment import SegmentConfig, split_body

    body = ("mot " * (12 * 1024 * 1024 // 4)).strip()
    started = time.perf_counter()
    spans = split_body(body, SegmentConfig(max_segment_chars=2000))
    assert time.perf_counter() - started < 20
    assert max(s.end - s.start for s in spans) <= 2000
    assert spans[0].start == 0 and spans[-1].end == len(body)


# --- decode rules on bytes (cheap, one per rule of decode_text) ---------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Été à Paris".encode(), ("Été à Paris", "utf-8")),
        (b"\xef\xbb\xbf" + "Été".encode(), ("Été", "utf-8-sig")),
        (b"\xff\xfe" + "Été à Paris".encode("utf-16-le"), ("Été à Paris", "utf-16-le")),
        (b"\xfe\xff" + "Été à Paris".encode("utf-16-be"), ("Été à Paris", "utf-16-be")),
        (b"\xff\xfe\x00\x00" + "Été".encode("utf-32-le"), ("Été", "utf-32-le")),
        (b"\x00\x00\xfe\xff" + "Été".encode("utf-32-be"), ("Été", "utf-32-be")),
        (FRENCH_CP1252.encode("cp1252"), (FRENCH_CP1252, "cp1252")),
        ("Мария Захарова, مرحبا".encode(), ("Мария Захарова, مرحبا", "utf-8")),
    ],
)
def test_decode_accepts(data: bytes, expected: tuple[str, str]) -> None:
    assert decode_text(data) == expected


@pytest.mark.parametrize(
    ("data", "reason", "detail"),
    [
        (b"\x89PNG\r\n\x1a\n....", "binary_content", "png"),
        (b"PK\x03\x04....", "binary_content", "zip"),
        (gzip.compress(b"Bonjour.", mtime=0), "binary_content", "gzip"),  # mtime=0: same id everywhere
        (b"%PDF-1.7\n...", "binary_content", "pdf"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "binary_content", "jpeg"),
        (b"texte\x00texte", "binary_content", "NUL byte at offset 5"),
        (b"\xff\xfe\x00garbage", "binary_content", "utf-16-le BOM, but not text"),  # CJK noise
        (b"\xff\xfe" + "a\x01b\x02c".encode("utf-16-le"), "binary_content", "control character"),
        (b"\xfe\xff\xd8\x00", "invalid_utf8", "utf-16-be BOM"),  # unpaired surrogate
        (b"a\x1b\x1b\x1bb", "binary_content", "control characters"),
        (b"caf\xe9", "invalid_utf8", "byte 3"),  # too short to trust a cp1252 guess
        (b"caf\xe9 \xff\xfe invalid utf-8 but long enough text", "invalid_utf8", "'\xfe'"),
        (("Un texte français assez long, é" + "\x01").encode("cp1252"), "invalid_utf8", "control"),
        (bytes(range(1, 256)), "invalid_utf8", "undefined in cp1252"),
    ],
)
def test_decode_rejects(data: bytes, reason: str, detail: str) -> None:
    with pytest.raises(RejectInput) as err:
        decode_text(data)
    assert err.value.reason == reason and detail in (err.value.detail or ""), err.value


def test_too_large_is_checked_before_decoding() -> None:
    from transforms.read import ReadConfig

    with pytest.raises(RejectInput) as err:
        parse_document("x.txt", b"\x00" * 101, ReadConfig(max_document_bytes=100))
    assert err.value.reason == "too_large"


def test_pyarrow_reads_every_table_of_the_hostile_run(
    hostile_run: tuple[Path, Path, subprocess.CompletedProcess],
) -> None:
    _, output, _ = hostile_run
    for table in ("documents", "segments", "entities", "dates"):
        assert ds.dataset(output / table, format="parquet", partitioning="hive").count_rows() > 0, table
