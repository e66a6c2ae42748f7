"""The hand-labelled Wikinews sets (tests/data/wikinews-fr-2012/labels/): loading and checking.

This is test oracle code: it never imports newsbeam. `python tests/quality/gold.py check [DOC...]`
validates label files while annotating (mentions found in order, labels and entities consistent) and
lists what to double-check for exhaustiveness (unlabelled occurrences of labelled names, capitalised
words outside every mention). See the GUIDELINES.md next to the labels.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "wikinews-fr-2012"
LABELS = DATA / "labels"
LABEL_SET = ("PER", "LOC", "ORG", "MISC")


@dataclass(frozen=True, slots=True)
class GoldMention:
    doc: str
    start: int
    end: int
    text: str
    label: str
    entity: str


@dataclass(frozen=True, slots=True)
class GoldEntity:
    entity: str
    label: str
    accept: tuple[str, ...]


def fold(text: str) -> str:
    """Case- and accent-folded, apostrophes and spaces unified: how canonical names are compared."""
    text = text.replace("’", "'").replace("\u00a0", " ")
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().split())


def doc_text(doc: str) -> str:
    return (DATA / f"{doc}.txt").read_text(encoding="utf-8")


def _word_pattern(text: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(text) + r"(?!\w)")


def locate(doc: str, rows: list[dict], text: str | None = None) -> list[GoldMention]:
    """Offsets of a document's labelled mentions: each searched on word boundaries after the previous."""
    body = doc_text(doc) if text is None else text
    cursor = 0
    out: list[GoldMention] = []
    for number, row in enumerate(rows, 1):
        match = _word_pattern(row["text"]).search(body, cursor)
        if match is None:
            raise ValueError(f"{doc}: mention {number} {row['text']!r} not found after offset {cursor}")
        out.append(GoldMention(doc, match.start(), match.end(), row["text"], row["label"], row["entity"]))
        cursor = match.end()
    return out


def mention_files() -> list[Path]:
    return sorted((LABELS / "entities").glob("*.jsonl"))


def load_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_mentions(docs: list[str] | None = None) -> list[GoldMention]:
    """Every labelled mention (of `docs`, default all labelled documents), with offsets."""
    out: list[GoldMention] = []
    for path in mention_files():
        if docs is None or path.stem in docs:
            out.extend(locate(path.stem, load_rows(path)))
    return out


def load_entities() -> dict[str, GoldEntity]:
    """The entity registry: canonical name -> label and accepted canonical names."""
    out: dict[str, GoldEntity] = {}
    path = LABELS / "entities.jsonl"
    for row in load_rows(path) if path.exists() else []:
        out[row["entity"]] = GoldEntity(row["entity"], row["label"], tuple(row.get("accept", ())))
    return out


def load_pub_dates() -> dict[str, str | None]:
    """doc -> gold publication date (ISO) or None (the file prints none)."""
    out: dict[str, str | None] = {}
    lines = (LABELS / "pub_dates.tsv").read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:
        doc, value, _evidence = line.split("\t", 2)
        out[doc] = None if value == "none" else value
    return out


_CAPITALISED = re.compile(r"(?<![\w'’-])[A-ZÀ-ÖØ-Þ][\w'’-]*")
_SENTENCE_START = re.compile(r"(?:^|[.!?:»«–—-]\s+|\n\s*|\(\s*|«\s*|\"\s*)$")


def check(doc: str, registry: dict[str, GoldEntity] | None = None) -> list[str]:
    """Problems (errors first, then things to double-check) of one document's label file."""
    path = LABELS / "entities" / f"{doc}.jsonl"
    body = doc_text(doc)
    notes: list[str] = []
    try:
        rows = load_rows(path)
        mentions = locate(doc, rows, body)
    except (ValueError, KeyError, json.JSONDecodeError) as err:
        return [f"ERROR {err}"]
    labels: dict[str, set[str]] = {}
    for m in mentions:
        if m.label not in LABEL_SET:
            notes.append(f"ERROR {m.text!r}: label {m.label!r} not in {LABEL_SET}")
        labels.setdefault(m.entity, set()).add(m.label)
        if registry is not None and m.entity in registry and registry[m.entity].label != m.label:
            notes.append(
                f"ERROR {m.text!r}: label {m.label} but entity {m.entity!r} is {registry[m.entity].label}"
            )
    for entity, found in labels.items():
        if len(found) > 1:
            notes.append(f"ERROR entity {entity!r} has several labels {sorted(found)}")
    covered = [(m.start, m.end) for m in mentions]

    def inside(start: int, end: int) -> bool:
        return any(s <= start and end <= e for s, e in covered)

    for text in sorted({m.text for m in mentions}):
        for match in _word_pattern(text).finditer(body):
            if not inside(match.start(), match.end()):
                notes.append(f"CHECK unlabelled occurrence of {text!r} at {match.start()}")
    for match in _CAPITALISED.finditer(body):
        if inside(match.start(), match.end()):
            continue
        if _SENTENCE_START.search(body[max(0, match.start() - 3) : match.start()]) or match.start() == 0:
            continue
        notes.append(f"CHECK capitalised {match.group()!r} at {match.start()} is in no mention")
    return notes


def main(argv: list[str]) -> int:
    if len(argv) < 1 or argv[0] != "check":
        print(__doc__)
        return 2
    registry = load_entities() or None
    docs = argv[1:] or [p.stem for p in mention_files()]
    errors = 0
    for doc in docs:
        notes = check(doc, registry)
        errors += sum(n.startswith("ERROR") for n in notes)
        count = (
            len(load_rows(LABELS / "entities" / f"{doc}.jsonl"))
            if (LABELS / "entities" / f"{doc}.jsonl").exists()
            else 0
        )
        print(f"== {doc}: {count} mentions, {len(notes)} notes")
        for note in notes:
            print("  " + note)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
