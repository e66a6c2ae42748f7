"""Segmentation: paragraphs, sentences, offsets, bounds (pure functions)."""

from __future__ import annotations

from tests.conftest import SEEDS
from transforms.read import parse_document
from transforms.segment import (
    SegmentConfig,
    content_hash,
    normalize_for_hash,
    segment_document,
    sentence_spans,
    split_body,
)


def _seed(prefix: str):
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    return parse_document(str(path), path.read_bytes())


def test_offsets_slice_back_to_segment_text_on_every_seed() -> None:
    for path in sorted(SEEDS.glob("*.txt")):
        doc = parse_document(str(path), path.read_bytes())
        segments = segment_document(doc)
        assert segments, path
        for segment in segments:
            assert doc.text[segment.start_char : segment.end_char] == segment.text
            assert segment.text == segment.text.strip()
        starts = [s.start_char for s in segments]
        assert starts == sorted(starts)


def test_single_line_seed_is_split_into_sentences() -> None:
    segments = segment_document(_seed("000"))
    assert len(segments) > 20
    assert {s.paragraph_index for s in segments} == {0}
    azizia = [s for s in segments if "Azizia" in s.text]
    assert len(azizia) == 2 and azizia[0].content_hash == azizia[1].content_hash


def test_paragraphs_follow_blank_lines() -> None:
    segments = segment_document(_seed("002"))
    assert max(s.paragraph_index for s in segments) == 8
    first_of_paragraph_1 = next(s for s in segments if s.paragraph_index == 1)
    assert first_of_paragraph_1.text.startswith("«Pour le moment")


def test_abbreviations_and_initials_do_not_end_sentences() -> None:
    text = "M. Dupont a vu Mme. Martin et J. Smith. Puis il est parti."
    spans = sentence_spans(text, 0, len(text))
    assert [text[s:e] for s, e in spans] == ["M. Dupont a vu Mme. Martin et J. Smith.", "Puis il est parti."]


def test_quotes_close_sentences_and_open_the_next() -> None:
    text = "Il a dit « avancer ». « Je vole de Tripoli à Tobruk. Mon objectif reste le même »."
    spans = [text[s:e] for s, e in sentence_spans(text, 0, len(text))]
    assert spans == [
        "Il a dit « avancer ».",
        "« Je vole de Tripoli à Tobruk.",
        "Mon objectif reste le même ».",
    ]


def test_long_sentence_without_punctuation_is_bounded() -> None:
    body = " ".join(["mot"] * 5000)
    spans = split_body(body, SegmentConfig(max_segment_chars=200))
    assert all(span.end - span.start <= 200 for span in spans)
    assert "".join(body[s.start : s.end] for s in spans).replace(" ", "") == body.replace(" ", "")


def test_normalization_folds_case_punctuation_and_width() -> None:
    a = "L’Armée nationale libyenne, l'ANL !"
    b = "l'armée   NATIONALE libyenne l’anl"
    assert normalize_for_hash(a) == normalize_for_hash(b)
    assert content_hash(a) == content_hash(b)
    assert content_hash("Le maréchal Haftar") != content_hash("Le maréchal Sarraj")


def test_short_segments_are_not_dedup_eligible() -> None:
    doc = _seed("003")
    by_text = {s.text: s for s in segment_document(doc)}
    assert by_text["Haftar persiste et signe…"].dedup_eligible is True
    segments = segment_document(doc, SegmentConfig(min_dedup_words=5))
    assert not next(s for s in segments if s.text.startswith("Haftar persiste")).dedup_eligible
