"""Language of every segment (lingua, offline) and of each document (majority by characters).

Why per segment: news quotes tweets and statements in other languages (seed 001 embeds an English
tweet); NER must run with a model of the segment's language, or not at all.
"""

from __future__ import annotations

import dataclasses
import re

from transforms.assemble import AssembledDocument
from transforms.language_id import detect_language, majority_language

#: Function words that only one of the languages met here uses (not Spanish, Italian or Portuguese
#: ones such as "de", "la", "il", "que"): enough of them, and none of the other list, settle a
#: sentence without the statistical detector.
_FRENCH_ONLY = frozenset((
    "les", "des", "du", "et", "est", "une", "qui", "dans", "pour", "sur", "aux", "cette", "avec",
    "sont", "ont", "été", "leur", "leurs", "mais", "selon", "était", "avait", "depuis", "dont",
    "aussi", "elle", "ils", "nous", "vous", "chez", "sous", "après", "très", "où", "ces", "ses",
    "au", "à", "lors", "déjà", "ainsi", "pas", "puis",
))  # fmt: skip
_ENGLISH_ONLY = frozenset((
    "the", "and", "of", "to", "is", "that", "with", "was", "were", "this", "from", "have", "has",
    "which", "their",
))  # fmt: skip
_WORDS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def quick_language(text: str) -> str | None:
    """'fr' or 'en' when the sentence's function words leave no doubt, else None (ask lingua).

    Why: lingua costs about 0.4 ms a sentence, 7 % of a run in the profile; most news sentences
    are settled by two unambiguous function words. Two, not three: on 3,472 sentences (seeds,
    French TimeBank, benchmark corpus) the 521 with exactly two French-only words and no English
    one were all French or undecided for lingua too, and this sends 10 % instead of 25 % to lingua.
    """
    words = {w.casefold() for w in _WORDS.findall(text)}
    french, english = len(words & _FRENCH_ONLY), len(words & _ENGLISH_ONLY)
    if french >= 2 and not english:
        return "fr"
    if english >= 3 and not french:
        return "en"
    return None


def detect(text: str) -> str | None:
    """Language of one segment: the function-word fast path, else lingua."""
    return quick_language(text) or detect_language(text)


#: How much of a document's text decides its language when no original sentence does.
FALLBACK_CHARS = 2000


def with_languages(item: AssembledDocument) -> AssembledDocument:
    """The document with `languages` (one per segment) and `language` (majority) filled in.

    A segment too short to be recognised takes the document's language, and so does a duplicate
    (it is not enriched: its canonical copy is), which saves lingua a third of its work on wire copy.
    A document with no original sentence long enough to tell is detected on its copied text, so a
    reprint is not of unknown language.
    """
    detected = [
        None if verdict.is_duplicate else detect(segment.text)
        for segment, verdict in zip(item.segments, item.verdicts, strict=True)
    ]
    language = majority_language(
        (lang, segment.end_char - segment.start_char)
        for lang, segment in zip(detected, item.segments, strict=True)
    )
    if language is None and item.segments:
        # Every readable sentence was a copy (wire reprints): the copies still say the language.
        language = detect(" ".join(segment.text for segment in item.segments)[:FALLBACK_CHARS])
    languages = tuple(lang or language for lang in detected)
    return dataclasses.replace(item, languages=languages, language=language)
