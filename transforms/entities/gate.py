"""NER gating: a sentence that cannot hold a named entity does not go to the model.

Why: NER is most of a run's CPU, and in French news a good part of the sentences has no name at
all ("Le gouvernement a annoncé une hausse des prix."). The pipeline keeps only mentions written
with a capital letter or a digit (`resolve.spurious_reason` drops lowercase and calendar words),
so a sentence whose every word is lowercase, after its first, cannot yield a mention we keep.

The test, per word (elisions split: `d'Haftar` is `Haftar`, `l'ONU` is `ONU`):
- a capitalised word that does not open the sentence (or a quotation, a parenthesis, a clause
  after a dash or colon) may be a name: keep the sentence;
- the word that opens it may be a name too ("Haftar a dit"), unless it is a function word
  ("Le", "Selon", "Mais": spaCy's French stop words) or a weekday or month name;
- a word mixing letters and digits (`G20`, `COVID-19`, `A380`) may be a name, and so may a word
  with a capital inside it (`al-Serraj`, `el-Khamis`: Arabic names with their lowercase article).
Nothing else reaches the model's attention here: a sentence without any of these is skipped.
Measured against ungated NER on real news in `benchmarks/eval_ner_gate.py` (README, Performance).
"""

from __future__ import annotations

import re
from functools import lru_cache

#: A word: letters/digits, with inner apostrophes, hyphens and dots ("aujourd'hui", "Al-Sarraj").
_WORD = re.compile(r"[^\W_](?:[\w'’.\-]*[^\W_])?")
#: French elided prefixes, split off a word before its first letter is looked at.
_ELISION = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu)['’](?=\w)", re.IGNORECASE)
#: Cheap pre-test: without a capital letter or a digit, no word can start a kept mention.
_CANDIDATE = re.compile(r"[^\W\d_a-zß-ÿ]|\d")
#: What may open a new sentence-like unit inside a segment: after these, a capital is no evidence.
_OPENERS = frozenset('«“"([—–-:.!?;…')
_CALENDAR = frozenset(
    {
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "janvier", "février",
        "fevrier", "mars", "avril", "mai", "juin", "juillet", "août", "aout", "septembre", "octobre",
        "novembre", "décembre", "decembre",
    }
)  # fmt: skip


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    from spacy.lang.fr.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS) | _CALENDAR


def _opens_unit(text: str, start: int) -> bool:
    """Whether the word at `start` opens the segment or a unit inside it (quote, dash, colon...)."""
    i = start - 1
    while i >= 0 and text[i].isspace():
        i -= 1
    return i < 0 or text[i] in _OPENERS


def may_hold_entity(text: str) -> bool:
    """False only when no word of `text` can start a mention the pipeline keeps (module docstring).

    About 20 µs a sentence (measured on the benchmark corpus): a sentence without a capital or a
    digit is settled by one regex scan."""
    if not _CANDIDATE.search(text):
        return False  # no capital letter and no digit anywhere: the common case is one scan
    function_words = _function_words()
    for match in _WORD.finditer(text):
        word = match.group()
        core = _ELISION.sub("", word) if "'" in word or "’" in word else word
        first = core[:1]
        if first.isupper():
            if not _opens_unit(text, match.start()) or core.lower() not in function_words:
                return True
        elif any(c.isupper() for c in core) or (
            any(c.isdigit() for c in core) and any(c.isalpha() for c in core)
        ):
            return True  # a capital inside the word ("al-Serraj", "el-Khamis") or a digit-letter mix
    return False
