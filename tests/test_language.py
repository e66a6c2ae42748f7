"""Language per segment: the function-word fast path agrees with lingua and defers when unsure."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import SEEDS, TIMEBANK
from transforms.dates.timebank import parse_tml
from transforms.language import detect, quick_language
from transforms.language_id import detect_language, split_segments
from transforms.read import parse_document
from transforms.segment import segment_document


def _sentences() -> Iterator[str]:
    """Segments of the seeds and of the French TimeBank texts (real news, two decades apart)."""
    for path in sorted(SEEDS.glob("*.txt")):
        for segment in segment_document(parse_document(str(path), path.read_bytes())):
            yield segment.text
    for path in sorted(TIMEBANK.glob("*.tml")):
        body = parse_tml(path).text
        yield from (body[start:end] for start, end in split_segments(body))


def test_fast_path_never_contradicts_lingua_on_real_news() -> None:
    decided = total = 0
    for text in _sentences():
        total += 1
        quick = quick_language(text)
        if quick is not None:
            decided += 1
            assert detect_language(text) in (quick, None), text
    assert decided > 0.7 * total  # it does take most of the work off lingua (75 % here)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I am flying from Tripoli to Tobruk and Benghazi.", "en"),  # too few function words: lingua
        ("La casa de la ciudad es muy grande y los niños juegan en la calle.", "es"),  # not French
        ("Les forces du maréchal sont entrées dans la ville avec des blindés.", "fr"),
    ],
)
def test_detect_defers_to_lingua_when_the_fast_path_is_unsure(text: str, expected: str) -> None:
    assert detect(text) == expected


def test_a_document_of_copies_still_gets_its_language() -> None:
    """A reprint whose sentences are all duplicates is not enriched, but its language is known."""
    from transforms.assemble import AssembledDocument
    from transforms.language import with_languages
    from transforms.records import DedupVerdict

    path = sorted(SEEDS.glob("*.txt"))[0]
    doc = parse_document(str(path), path.read_bytes())
    segments = tuple(segment_document(doc))
    copies = tuple(DedupVerdict(s.segment_id, True, "exact", "elsewhere", 1.0) for s in segments)
    item = with_languages(AssembledDocument(doc, segments, copies))
    assert item.language == "fr"
    assert set(item.languages) == {"fr"}
