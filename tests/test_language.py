"""Language per segment: the function-word fast path agrees with lingua and defers when unsure."""

from __future__ import annotations

import pytest

from tests.conftest import SEEDS
from transforms.entities.language import detect_language
from transforms.language import detect, quick_language
from transforms.read import parse_document
from transforms.segment import segment_document


def test_fast_path_never_contradicts_lingua_on_the_seeds() -> None:
    decided = 0
    for path in sorted(SEEDS.glob("*.txt")):
        for segment in segment_document(parse_document(str(path), path.read_bytes())):
            quick = quick_language(segment.text)
            if quick is not None:
                decided += 1
                assert detect_language(segment.text) in (quick, None), segment.text
    assert decided > 20  # it does take most of the work off lingua


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
