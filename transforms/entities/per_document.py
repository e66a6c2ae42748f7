"""Entity resolution within one document, where the document is enriched (`transforms/enrich.py`).

Why per document and not after a join: `resolve_within_document` needs the whole body (mention
contexts, acronym definitions, the nearest full name of a surname), and the body is at hand while
the document is enriched, so documents and mentions never meet in a shuffle. Before resolution, the
spans spaCy runs together are taken apart (`split_run_ons`, `run_on_offset`). The run-wide step
(clusters over all documents and the history) is `stages.py`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from apache_beam.metrics import Metrics

from transforms.entities.names import TITLES
from transforms.entities.ner import RawMention
from transforms.entities.records import Mention, ResolvedMention
from transforms.entities.resolve import resolve_within_document

CONTEXT_CHARS = 40  # text kept on each side of a mention for title and acronym-definition detection


@dataclass(frozen=True, slots=True)
class DocumentEntities:
    """One document's resolved mentions, with what their rows and the cluster dates need."""

    doc_id: str
    pub_date: dt.date | None
    pub_month: str | None
    mentions: tuple[tuple[RawMention, ResolvedMention], ...]  # body order


_TITLE_WORDS = "|".join(re.escape(t).replace(r"\ ", r"\s+").replace("'", "['’]") for t in TITLES)
# A capitalized article followed by a lowercase title inside a span starts a new sentence: spaCy ran a
# photo credit into the next sentence ("© AP Photo / Mohammed El-Sheikhy Le maréchal Khalifa Haftar
# ordonne ..." -> one PER span). Institution names capitalize the title ("Fondation Le Roi Baudouin").
_RUN_ON_TITLE = re.compile(r"\s(?:Le|La|Les|L['’])\s*(?:" + _TITLE_WORDS + r")\s+(?=[A-ZÀ-Ý])")


def run_on_offset(text: str) -> int:
    """Where the name that follows a mid-span "Le <title>" starts in ``text``, else 0 (no run-on)."""
    matches = list(_RUN_ON_TITLE.finditer(text))
    return matches[-1].end() if matches else 0


def mentions_to_resolve(raw: Iterable[RawMention], body: str | None) -> list[tuple[RawMention, Mention]]:
    """(raw mention, Mention to resolve) of one document in body order, contexts cut from the body.

    The Mention is the name the raw span refers to: a run-on span is cut to the name after its inner
    title, so the title is seen in the left context (the entities row keeps the raw span). The
    mention id includes the end offset so two spans at the same start can never collide.
    """
    ordered = sorted(raw, key=lambda m: (m.start_char, m.end_char, m.segment_id, m.text, m.label))
    out: list[tuple[RawMention, Mention]] = []
    for m in ordered:
        cut = run_on_offset(m.text)
        if cut:
            Metrics.counter("newsbeam", "entities_run_on_cut").inc()
        start = m.start_char + cut
        left = body[max(0, start - CONTEXT_CHARS) : start] if body is not None else m.text[:cut]
        right = body[m.end_char : m.end_char + CONTEXT_CHARS] if body is not None else ""
        mention = Mention(
            doc_id=m.doc_id,
            mention_id=f"{m.segment_id}:{m.start_char}:{m.end_char}",
            text=m.text[cut:],
            label=m.label,
            start=start,
            end=m.end_char,
            left_context=left,
            right_context=right,
        )
        out.append((m, mention))
    return out


def split_run_ons(raw: list[RawMention]) -> list[RawMention]:
    """Split a span that is two names of the same document written side by side.

    spaCy runs an apposition into one span ("le fondateur de WikiLeaks Julian Assange" -> "WikiLeaks
    Julian Assange"). When the words before a space and the words after it are each, exactly, the text
    of another mention of the document ("WikiLeaks" and "Julian Assange"), the span is those two
    mentions, each with the label the document gives that text. Needs the evidence of both names
    elsewhere, so "Jean Martin" or "Banque de France" are never cut.
    """
    labels: dict[str, str] = {}
    for m in raw:
        labels.setdefault(m.text, m.label)
    out: list[RawMention] = []
    for m in raw:
        parts = m.text.split(" ")
        cut = next(
            (
                i
                for i in range(1, len(parts))
                if " ".join(parts[:i]) in labels and " ".join(parts[i:]) in labels
            ),
            None,
        )
        if cut is None:
            out.append(m)
            continue
        Metrics.counter("newsbeam", "entities_run_on_split").inc()
        first, second = " ".join(parts[:cut]), " ".join(parts[cut:])
        second_start = m.start_char + len(first) + 1
        out.append(
            dataclasses.replace(m, text=first, label=labels[first], end_char=m.start_char + len(first))
        )
        out.append(dataclasses.replace(m, text=second, label=labels[second], start_char=second_start))
    return out


def resolve_document(
    doc_id: str,
    raw: Iterable[RawMention],
    body: str,
    pub_date: dt.date | None,
    pub_month: str | None,
) -> DocumentEntities | None:
    """A document's raw mentions (of every model that read it) -> its resolved mentions (None if none).

    Runs where the document is (the enrichment step), since resolution needs the whole body: mention
    contexts, acronym definitions, the nearest full name of a surname.
    """
    raw = split_run_ons(list(raw))
    if not raw:
        return None
    pairs = mentions_to_resolve(raw, body)
    resolved = resolve_within_document([m for _, m in pairs], body)
    return DocumentEntities(
        doc_id=doc_id,
        pub_date=pub_date,
        pub_month=pub_month,
        mentions=tuple((r, rm) for (r, _), rm in zip(pairs, resolved, strict=True)),
    )
