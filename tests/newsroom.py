"""A newsroom inbox of a few hundred real documents, built from the vendored Wikinews articles.

Why: the seeds are five documents; the report, the quiet terminal of a multi-process run and the
readers must also hold on an output of real size and shape. The inbox is what a newsroom's folder
looks like after a week, every piece derived from real text (tests/data/wikinews-fr-2012, CC BY 2.5):

- `wikinews/`: the 100 articles as published (dated by their dateline, a few undated);
- `agences/AAAA/MM/JJ/`: a wire reprint of each article (its dateline dropped, so the folder's date
  is the publication date; the last paragraph cut), gzipped: near copies across sources;
- `scraped/*.jsonl`: 40 articles as two sites' scrapers deliver them (url, title, date fields),
  four records per crawl file, plus one broken line: exact copies of wikinews/ bodies;
- `wire-en/`: two short English dispatches (written for this test): another language;
- `relay/`: three articles re-filed unchanged under another name (a relay's folder): whole copies;
- `seeds/`: the project's five seeds;
- three files every inbox ends up holding: an empty one, an undecodable one, a PDF.

Deterministic: the same files every time (no randomness, sorted inputs).
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "wikinews-fr-2012"
SEEDS = Path(__file__).resolve().parent.parent / "seeds"

_MONTH_NAMES = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
    "novembre", "décembre",
)  # fmt: skip
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_DATELINE = re.compile(r"^\s*(\d{1,2})(?:er)? (\w+) (\d{4})\s*\.?\s*[-–—]\s*")
_SITES = ("https://actu-exemple.fr/monde", "https://www.journal-exemple.net/article")

ENGLISH = (
    "Port officials said on Tuesday that the harbour would reopen to container traffic next week, after "
    "repairs to the northern quay took longer than planned.\n\nShipping companies had diverted vessels "
    "to neighbouring ports since the storm, and freight rates on the route rose sharply.",
    "The city council voted on Monday to extend the night bus network to the eastern suburbs.\n\n"
    "The new lines will run every thirty minutes from midnight to five in the morning, the council said.",
)


def _article(path: Path) -> tuple[str, list[str]]:
    """Headline and paragraphs of one vendored article."""
    headline, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    return headline.strip(), [p for p in body.split("\n\n") if p.strip()]


def _dateline(paragraph: str) -> tuple[int, int, int] | None:
    match = _DATELINE.match(paragraph)
    if not match or match.group(2).lower() not in _MONTHS:
        return None
    return int(match.group(3)), _MONTHS[match.group(2).lower()], int(match.group(1))


def build_newsroom(inbox: Path) -> dict[str, int]:
    """Write the inbox under `inbox`; returns how many files and records of each kind it holds."""
    articles = sorted(DATA.glob("*.txt"))
    kinds = ("wikinews", "agences", "jsonl_records", "jsonl_files", "english", "relay", "seeds")
    counts = dict.fromkeys(kinds, 0)
    (inbox / "wikinews").mkdir(parents=True)
    for path in articles:
        shutil.copy(path, inbox / "wikinews" / path.name)
        counts["wikinews"] += 1
    for path in articles:
        headline, paragraphs = _article(path)
        date = _dateline(paragraphs[0]) if paragraphs else None
        if date is None or len(paragraphs) < 2:
            continue
        body = (
            [_DATELINE.sub("", paragraphs[0], count=1), *paragraphs[1:-1]]
            if len(paragraphs) > 2
            else [_DATELINE.sub("", paragraphs[0], count=1)]
        )
        folder = inbox / "agences" / f"{date[0]:04d}" / f"{date[1]:02d}" / f"{date[2]:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        text = headline + "\n\n" + "\n\n".join(body) + "\n"
        (folder / f"{path.stem}.txt.gz").write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
        counts["agences"] += 1
    (inbox / "scraped").mkdir()
    for crawl in range(10):
        lines = []
        for path in articles[crawl * 4 : crawl * 4 + 4]:
            headline, paragraphs = _article(path)
            date = _dateline(paragraphs[0])
            record = {
                "id": path.stem,
                "url": f"{_SITES[crawl % 2]}/{path.stem}.html",
                "title": headline,
                "date": f"{date[0]:04d}-{date[1]:02d}-{date[2]:02d}" if date else None,
                "text": "\n\n".join(paragraphs),
            }
            lines.append(json.dumps(record, ensure_ascii=False))
            counts["jsonl_records"] += 1
        if crawl == 9:
            lines.append('{"id": "broken", "text": "cut off mid-rec')
        (inbox / "scraped" / f"crawl-{crawl:02d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        counts["jsonl_files"] += 1
    (inbox / "wire-en").mkdir()
    for number, text in enumerate(ENGLISH):
        (inbox / "wire-en" / f"dispatch-{number}.txt").write_text(f" date 2012-06-0{number + 4}\n{text}\n")
        counts["english"] += 1
    (inbox / "relay").mkdir()
    for path in articles[:3]:
        shutil.copy(path, inbox / "relay" / f"relais-{path.name}")
        counts["relay"] += 1
    (inbox / "seeds").mkdir()
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copy(seed, inbox / "seeds" / seed.name)
        counts["seeds"] += 1
    (inbox / "misc").mkdir()
    (inbox / "misc" / "empty.txt").write_bytes(b"")
    (inbox / "misc" / "garbled.txt").write_bytes(b"\xff\xfe\x00\x00 caf\xe9 \x80\x81")
    (inbox / "misc" / "scan.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    counts["bad_files"] = 3
    return counts


def input_patterns(inbox: Path) -> list[str]:
    """The `--input` patterns that cover the inbox (one per folder level)."""
    return [
        str(inbox / "wikinews"),
        str(inbox / "agences" / "*" / "*" / "*" / "*.txt.gz"),
        str(inbox / "scraped"),
        str(inbox / "wire-en"),
        str(inbox / "relay"),
        str(inbox / "seeds"),
        str(inbox / "misc"),
    ]
