"""Pure helpers to evaluate temporal taggers on French TimeBank (ISO-TimeML ``.tml`` files).

Kept free of Beam/spaCy so the benchmark and tests can run anywhere the venv runs.
"""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

GoldSpan = tuple[int, int, str, str, str]  # (start, end, type, value, text)
PredSpan = tuple[int, int, str | None]  # (start, end, value)

SCORED_TYPES: tuple[str, ...] = ("DATE", "TIME")


@dataclass(frozen=True, slots=True)
class TimebankDoc:
    """One TimeBank article: the tag-stripped <TEXT> body, its DCT and the gold TIMEX3 spans in it."""

    name: str
    dct: datetime.date
    text: str
    gold: list[GoldSpan] = field(default_factory=list)


def _walk(elem: ET.Element, parts: list[str], pos: int, gold: list[GoldSpan]) -> int:
    """Append the text of `elem` (tags removed) to `parts`, recording TIMEX3 offsets; return new offset.

    Walking the tree (instead of regex-stripping) keeps offsets right with nested EVENT/SIGNAL tags
    and decodes XML entities exactly once.
    """
    start = pos
    if elem.text:
        parts.append(elem.text)
        pos += len(elem.text)
    for child in elem:
        pos = _walk(child, parts, pos, gold)
        if child.tail:
            parts.append(child.tail)
            pos += len(child.tail)
    if elem.tag == "TIMEX3":
        gold.append((start, pos, elem.get("type", ""), elem.get("value", ""), ""))
    return pos


def parse_tml(path: str | Path) -> TimebankDoc:
    """Parse one ``.tml`` file: the text is the <TEXT> element with every tag stripped (README rule).

    Gold spans are every TIMEX3 inside <TEXT> with offsets into that stripped text; the DCT TIMEX3 lives
    outside <TEXT> and only provides the anchor date.
    """
    path = Path(path)
    root = ET.parse(path).getroot()
    dct_el = root.find("DCT/TIMEX3")
    if dct_el is None:
        raise ValueError(f"{path}: no <DCT><TIMEX3> element")
    dct = datetime.date.fromisoformat(dct_el.get("value", "")[:10])
    text_el = root.find("TEXT")
    if text_el is None:
        raise ValueError(f"{path}: no <TEXT> element")
    parts: list[str] = []
    raw: list[GoldSpan] = []
    _walk(text_el, parts, 0, raw)  # <TEXT> itself is no TIMEX3: only its content is recorded
    text = "".join(parts)
    gold = sorted((s, e, t, v, text[s:e]) for s, e, t, v, _ in raw)
    return TimebankDoc(name=path.stem, dct=dct, text=text, gold=gold)


def load_corpus(directory: str | Path) -> list[TimebankDoc]:
    """All ``*.tml`` documents of a directory, sorted by name for reproducible runs."""
    return [parse_tml(p) for p in sorted(Path(directory).glob("*.tml"))]


def _overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """True when two half-open spans share at least one character."""
    return a_start < b_end and b_start < a_end


def _same(s: int, e: int, v: str | None, g: tuple[int, int, str]) -> bool:
    """Value match: the prediction overlaps gold span `g` and carries exactly its value."""
    return _overlaps(s, e, g[0], g[1]) and v == g[2]


def _prf(tp_p: int, n_pred: int, tp_g: int, n_gold: int) -> tuple[float, float, float]:
    """Precision, recall, F1; precision and recall get their own TP counts (relaxed matching is not 1:1)."""
    p = tp_p / n_pred if n_pred else 0.0
    r = tp_g / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


@dataclass
class _Counts:
    """Running counters for one scoring run."""

    n_gold: int = 0
    n_pred: int = 0
    strict: int = 0
    relaxed_p: int = 0
    relaxed_g: int = 0
    value_p: int = 0
    value_g: int = 0


def _score_doc(
    gold: Sequence[Sequence], pred: Iterable[Sequence], types: tuple[str, ...], c: _Counts
) -> None:
    """Accumulate the counts of one document into `c` (see `score` for the definitions)."""
    scored = [(g[0], g[1], g[3]) for g in gold if g[2] in types]
    ignored = [(g[0], g[1]) for g in gold if g[2] not in types]
    kept: list[tuple[int, int, str | None]] = []
    for p in pred:
        s, e, v = p[0], p[1], p[2]
        hits_scored = any(_overlaps(s, e, gs, ge) for gs, ge, _ in scored)
        if not hits_scored and any(_overlaps(s, e, gs, ge) for gs, ge in ignored):
            continue  # overlaps only a DURATION/SET gold: neither right nor wrong for DATE/TIME scoring
        kept.append((s, e, v))
    c.n_gold += len(scored)
    c.n_pred += len(kept)
    gold_spans = {(gs, ge) for gs, ge, _ in scored}
    c.strict += sum(1 for s, e, _ in kept if (s, e) in gold_spans)
    c.relaxed_p += sum(1 for s, e, _ in kept if any(_overlaps(s, e, gs, ge) for gs, ge, _ in scored))
    c.relaxed_g += sum(1 for gs, ge, _ in scored if any(_overlaps(s, e, gs, ge) for s, e, _ in kept))
    valued = [(s, e, v) for s, e, v in kept if v is not None]
    c.value_p += sum(1 for s, e, v in valued if any(_same(s, e, v, g) for g in scored))
    c.value_g += sum(1 for g in scored if any(_same(s, e, v, g) for s, e, v in valued))


def score(
    gold: dict[str, Sequence[Sequence]],
    pred: dict[str, Iterable[Sequence]],
    types: tuple[str, ...] = SCORED_TYPES,
) -> dict[str, float]:
    """Micro-averaged span and value scores over documents (TempEval-3 / HeidelTime style).

    - gold: doc name -> [(start, end, type, value, text)]; pred: doc name -> [(start, end, value)].
    - Only gold spans whose type is in `types` are scored. A prediction that overlaps no scored gold span
      but overlaps a gold span of another type (DURATION, SET) is dropped from the prediction count: the
      tagger found a real temporal expression we simply do not score, so it is not a false positive.
    - strict: exact (start, end) match. relaxed: any character overlap; precision counts predictions that
      overlap some gold span, recall counts gold spans overlapped by some prediction.
    - value: a prediction is correct when it overlaps (relaxed) a gold span AND its value equals the gold
      value (string equality); precision over all kept predictions, recall over all scored gold spans,
      so value F1 folds in span recall as in TempEval-3 "value accuracy x span F1" reporting.
    """
    c = _Counts()
    for name in set(gold) | set(pred):
        _score_doc(gold.get(name, []), pred.get(name, []), types, c)
    out: dict[str, float] = {"n_gold": float(c.n_gold), "n_pred": float(c.n_pred)}
    for key, tp_p, tp_g in (
        ("strict", c.strict, c.strict),
        ("relaxed", c.relaxed_p, c.relaxed_g),
        ("value", c.value_p, c.value_g),
    ):
        p, r, f = _prf(tp_p, c.n_pred, tp_g, c.n_gold)
        out[f"{key}_p"], out[f"{key}_r"], out[f"{key}_f1"] = p, r, f
    return out


def _dateparser_value(dt: datetime.datetime, substring: str) -> str:
    """Best-effort TimeML value for a dateparser hit: a time when the substring has a digit-h-digit form."""
    has_time = dt.hour or dt.minute or any(ch in substring for ch in ":h")
    if has_time and any(ch.isdigit() for ch in substring) and (":" in substring or "h" in substring.lower()):
        return dt.strftime("%Y-%m-%dT%H:%M")
    return dt.date().isoformat()


def dateparser_baseline(doc: TimebankDoc) -> list[PredSpan]:
    """Predictions of ``dateparser.search.search_dates`` (fr+en, DCT as RELATIVE_BASE) as offset spans.

    search_dates returns substrings, not offsets; each one is located by scanning forward from the end
    of the previous hit, which maps repeated strings to successive occurrences.
    """
    from dateparser.search import search_dates  # local import: heavy and only needed for the baseline

    base = datetime.datetime.combine(doc.dct, datetime.time())
    found = search_dates(doc.text, languages=["fr", "en"], settings={"RELATIVE_BASE": base}) or []
    out: list[PredSpan] = []
    cursor = 0
    for substring, dt in found:
        idx = doc.text.find(substring, cursor)
        if idx < 0:
            idx = doc.text.find(substring)
            if idx < 0:
                continue
        else:
            cursor = idx + len(substring)
        out.append((idx, idx + len(substring), _dateparser_value(dt, substring)))
    return out
