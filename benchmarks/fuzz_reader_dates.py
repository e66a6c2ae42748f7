"""Fuzz the reader and the date grammar with a seeded random mutator over the seed files.

    .venv/bin/python benchmarks/fuzz_reader_dates.py --seconds 180 [--seed 0] [--crash-dir DIR]

Why a mutator and not atheris: atheris is not installed (and cannot be here); a mutator seeded from
the real seeds, with mutations aimed at what the code parses (BOMs, legacy bytes, NULs, binary
signatures, ` date ...` headers, French date phrases, odd digits), reaches the interesting branches
in a few minutes, and `--seed` makes every run reproducible.

Targets and what counts as a failure:
- `transforms.read.parse_document(source, bytes)`: any exception other than `RejectInput` is a crash;
  a Document must satisfy the reader's invariants (known encoding, non-blank body, a validated
  publication date whose partition folder is `YYYY-MM`, stable doc_id and sha256, and the body
  segments with offsets that slice back to their text);
- `transforms.dates.extract.extract_dates(text, anchor, granularity)` on mutated text with random
  anchors: any exception is a crash; mentions must be sorted, non-overlapping, inside the text and
  `text[start:end] == mention.text`;
- `infer_pub_date(text)`: any exception is a crash; a result must be a date with a `YYYY-MM` partition
  value and granularity `day` or `month`.
Inputs slower than `--slow` seconds are reported too (a regex with catastrophic backtracking would
show up there first). Exit status 1 when anything was found.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import re
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from transforms.dates.content_date import infer_pub_date  # noqa: E402
from transforms.dates.extract import extract_dates  # noqa: E402
from transforms.read import ReadConfig, RejectInput, make_doc_id, parse_document  # noqa: E402
from transforms.segment import SegmentConfig, split_body  # noqa: E402

ENCODINGS = {"utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "cp1252"}
PARTITION = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
CONFIG = ReadConfig(max_document_bytes=256 * 1024)
SEGMENTS = SegmentConfig(max_segment_chars=300)

BYTE_TOKENS = [
    b"\x00", b"\xff", b"\xfe", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\xe9",
    b"\x92", b"\x9c", b"\x80", b"\x81", b"\xc3", b"\xc3\xa9", b"\xe2\x80\x99", b"\xf0\x9f\x98", b"\r\n",
    b"\n\n", b"\t", b"\x1b", b"\x7f", b"\x89PNG\r\n\x1a\n", b"PK\x03\x04", b"\x1f\x8b", b"%PDF-",
    b"\xff\xd8\xff", b" date ", b" date 2019-04\n", b" date 2019-13 ", b" date ../../etc ",
    b" date 0000-00 ", b" date 2019-02-29 ", b" date 2020-02-29\n", b" date 9999-12-31 ",
]  # fmt: skip
TEXT_TOKENS = [
    "le 31 février 2019", "le 29 février 1900", "le 29 février 2020", "lundi", "vendredi 5 avril",
    "vendredi 5 avril 2019", "April 5, 2019", "(@handle) April 5, 2019", "hier à 25 h", "hier à 10 h",
    "vers 0 h 40, jeudi", "à 23h59", "24h00", "2019-13-45", "05/04/2019", "31/02/2019", "l'an 0",
    "en 99999", "en 1799", "en 1800", "en 2019", "XIXe siècle", "IIIe siècle", "années 90",
    "années 1990", "mi-août", "fin avril", "début 2019", "la semaine dernière", "ce week-end",
    "le lendemain", "la veille", "cet été", "l'hiver dernier", "mars dernier", "juillet prochain",
    "il y a trois jours", "dans deux semaines", "désormais", "récemment", "aujourd'hui", "demain",
    "le 1er janvier", "1er", "0", "00", "32", "99", "1999", "10000", "janv.", "déc", "sept personnes",
    " ", "\n\n", ".", "«", "»", "’", "—", "\u00a0", "\u200b", "\ufeff", "é", "É", "ﬁ", "İ", "ß",
    "خليفة حفتر", "Мария", "🙂", "\u0301", "\ud7ff", "\U0010ffff",
]  # fmt: skip
WEIRD_CHARS = "0123456789 \n\t.,;:!?«»’'\"-—/()[]hHàéèçôûœÆİıßﬁ\u00a0\u2028\u0301🙂خ"


@dataclass
class Findings:
    """What the run found; `first` keeps one reproducer per distinct failure signature."""

    tried: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    crashes: Counter = field(default_factory=Counter)
    violations: Counter = field(default_factory=Counter)
    slow: Counter = field(default_factory=Counter)
    slowest: float = 0.0
    first: dict[str, object] = field(default_factory=dict)

    def record(self, bucket: Counter, signature: str, repro: object) -> None:
        bucket[signature] += 1
        self.first.setdefault(signature, repro)


def mutate_bytes(rng: random.Random, data: bytes, corpus: list[bytes]) -> bytes:
    """One to four random byte-level mutations."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(9)
        at = rng.randint(0, len(buf))
        if kind == 0 and buf:  # flip bits of one byte
            i = rng.randrange(len(buf))
            buf[i] ^= 1 << rng.randrange(8)
        elif kind == 1:  # insert an interesting token
            buf[at:at] = rng.choice(BYTE_TOKENS)
        elif kind == 2 and buf:  # delete a range
            buf[at : at + rng.randint(1, 64)] = b""
        elif kind == 3:  # random bytes
            buf[at:at] = rng.randbytes(rng.randint(1, 16))
        elif kind == 4:  # splice with another corpus entry
            other = rng.choice(corpus)
            cut = rng.randint(0, len(other))
            buf = buf[:at] + other[cut:]
        elif kind == 5:  # truncate
            buf = buf[:at]
        elif kind == 6:  # prepend a header or a BOM
            buf[0:0] = rng.choice(BYTE_TOKENS[3:7] + BYTE_TOKENS[-9:])
        elif kind == 7:  # re-encode as another encoding
            text = bytes(buf).decode("utf-8", "replace")
            encoding = rng.choice(["utf-16", "utf-16-be", "utf-32", "cp1252", "latin-1"])
            buf = bytearray(text.encode(encoding, "replace"))
        else:  # duplicate a chunk
            chunk = buf[at : at + rng.randint(1, 256)]
            buf[at:at] = chunk * rng.randint(1, 8)
    return bytes(buf)


def mutate_text(rng: random.Random, text: str) -> str:
    """One to six random text-level mutations, biased towards date phrases."""
    for _ in range(rng.randint(1, 6)):
        at = rng.randint(0, len(text))
        kind = rng.randrange(5)
        if kind <= 1:
            text = f"{text[:at]} {rng.choice(TEXT_TOKENS)} {text[at:]}"
        elif kind == 2:
            text = text[:at] + "".join(rng.choice(WEIRD_CHARS) for _ in range(rng.randint(1, 12))) + text[at:]
        elif kind == 3:
            text = text[:at] + text[at + rng.randint(1, 40) :]
        else:
            text = (
                text[:at]
                + "".join(chr(rng.randint(1, 0x2FFFF)) for _ in range(rng.randint(1, 4)))
                + text[at:]
            )
    return text.encode("utf-8", "replace").decode("utf-8")  # no lone surrogates: files cannot hold them


def check_document(data: bytes, findings: Findings) -> str | None:
    """Run the reader on `data`; returns the body when a document came out (for the date targets)."""
    try:
        doc = parse_document("fuzz/input.txt", data, CONFIG)
    except RejectInput as err:
        findings.outcomes[f"rejected:{err.reason}"] += 1
        return None
    except Exception as err:  # finding these is the point
        findings.record(findings.crashes, f"reader {type(err).__name__}: {_where(err)}", data)
        return None
    findings.outcomes[f"document:{doc.encoding}"] += 1
    problems = []
    if doc.encoding not in ENCODINGS:
        problems.append(f"encoding {doc.encoding!r}")
    if not doc.text.strip():
        problems.append("blank body")
    if doc.pub_date is not None and not (
        PARTITION.fullmatch(f"{doc.pub_date:%Y-%m}") and doc.pub_date.year >= 1800
    ):
        problems.append(f"pub_date {doc.pub_date!r}")
    if doc.doc_id != make_doc_id("fuzz/input.txt", doc.text):
        problems.append("doc_id")
    if doc.content_sha256 != hashlib.sha256(data).hexdigest():
        problems.append("sha256")
    for span in split_body(doc.text, SEGMENTS):
        piece = doc.text[span.start : span.end]
        if not (0 <= span.start < span.end <= len(doc.text)) or not piece or piece != piece.strip():
            problems.append(f"segment span {span}")
            break
    for problem in problems:
        findings.record(findings.violations, f"reader invariant: {problem.split(' ')[0]}", data)
    return doc.text


def check_dates(rng: random.Random, text: str, findings: Findings) -> None:
    anchor = (
        None
        if rng.random() < 0.2
        else dt.date(rng.randint(1800, 2100), rng.randint(1, 12), rng.randint(1, 28))
    )
    granularity = rng.choice(["day", "day", "month", "year"])
    repro = (text, anchor, granularity)
    try:
        mentions = extract_dates(text, anchor, granularity)
    except Exception as err:
        findings.record(findings.crashes, f"extract_dates {type(err).__name__}: {_where(err)}", repro)
        return
    findings.outcomes["date mentions"] += len(mentions)
    previous_end = 0
    for m in mentions:
        if not (previous_end <= m.start < m.end <= len(text)):
            findings.record(findings.violations, "extract_dates: offsets out of range or overlapping", repro)
        elif text[m.start : m.end] != m.text:
            findings.record(findings.violations, "extract_dates: text != body[start:end]", repro)
        elif m.resolved and m.value is None:
            findings.record(findings.violations, "extract_dates: resolved without a value", repro)
        previous_end = max(previous_end, m.end)
    try:
        inferred = infer_pub_date(text)
    except Exception as err:
        findings.record(findings.crashes, f"infer_pub_date {type(err).__name__}: {_where(err)}", text)
        return
    if inferred is not None:
        day, granularity = inferred
        if not (PARTITION.fullmatch(f"{day:%Y-%m}") and granularity in ("day", "month")):
            findings.record(findings.violations, f"infer_pub_date: {day!r} {granularity}", text)
        findings.outcomes["inferred pub dates"] += 1


def _where(err: BaseException) -> str:
    """The innermost frame of an exception inside the project: a crash's stable signature."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if str(ROOT) in f.filename]
    frame = frames[-1] if frames else traceback.extract_tb(err.__traceback__)[-1]
    return f"{Path(frame.filename).name}:{frame.lineno} {str(err)[:80]}"


def _timed(findings: Findings, label: str, slow: float, fn, *args):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = fn(*args)
    took = time.perf_counter() - started
    findings.slowest = max(findings.slowest, took)
    if took > slow:
        findings.record(findings.slow, f"slow {label} (> {slow} s)", args[0] if args else None)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="how long to fuzz (default 180)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same inputs)")
    parser.add_argument("--slow", type=float, default=2.0, help="report inputs slower than this (s)")
    parser.add_argument("--crash-dir", type=Path, default=None, help="write one reproducer per finding")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    seeds = [p.read_bytes() for p in sorted((ROOT / "seeds").glob("*.txt"))]
    corpus = [
        *seeds,
        "L’été « historique » : 5 € de plus, œuvre, déjà vu.".encode("cp1252"),
        b"\xef\xbb\xbf date 2019-04-05\n" + seeds[0][:400],
        b"\xff\xfe" + seeds[1][:300].decode("utf-8", "replace").encode("utf-16-le"),
    ]
    texts = [s.decode("utf-8") for s in seeds]
    findings = Findings()
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        base = rng.choice(corpus)
        data = mutate_bytes(rng, base, corpus) if rng.random() < 0.9 else rng.randbytes(rng.randint(0, 512))
        findings.tried["reader"] += 1
        body = _timed(findings, "reader", args.slow, check_document, data, findings)
        text = body if body is not None and rng.random() < 0.5 else mutate_text(rng, rng.choice(texts))
        findings.tried["dates"] += 1
        _timed(findings, "dates", args.slow, check_dates, rng, text, findings)

    if args.crash_dir is not None and findings.first:
        args.crash_dir.mkdir(parents=True, exist_ok=True)
        for index, (signature, repro) in enumerate(sorted(findings.first.items())):
            (args.crash_dir / f"finding-{index:03d}.txt").write_text(f"{signature}\n{repro!r}\n")
    for title, bucket in (("crashes", findings.crashes), ("violations", findings.violations),
                          ("slow inputs", findings.slow)):  # fmt: skip
        for signature, count in bucket.most_common():
            print(f"{title}: {count:>6} x {signature}\n    first input: {findings.first[signature]!r:.300}")
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(findings.outcomes.items())))
    total = sum(findings.tried.values())
    print(
        f"fuzz_reader_dates: {args.seconds:.0f} s, seed {args.seed}: {total} inputs tried "
        f"(reader {findings.tried['reader']}, dates {findings.tried['dates']}); "
        f"crashes {sum(findings.crashes.values())} ({len(findings.crashes)} distinct), "
        f"invariant violations {sum(findings.violations.values())} ({len(findings.violations)} distinct), "
        f"slow inputs {sum(findings.slow.values())}, slowest {findings.slowest:.2f} s"
    )
    return 1 if findings.crashes or findings.violations else 0


if __name__ == "__main__":
    sys.exit(main())
