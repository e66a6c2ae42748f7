"""Property-based tests (hypothesis) of segmentation, dedup and clean_text on random text and edits.

Why properties: the example tests cover the seeds; these check the invariants every later table
relies on, for any Unicode input: offsets slice back to the segment text, segments are bounded and
cover every non-space character, clean_text only removes characters, and every duplicate points at
an existing canonical (non-duplicate) segment. The dedup driver below chains the same pure functions
as `transforms/dedup/transform.py::Deduplicate`, without Beam, so it runs in milliseconds.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transforms.assemble import clean_text
from transforms.dedup.documents import decide, dedup_keys, segment_document_for_dedup
from transforms.dedup.exact import pick_canonical
from transforms.dedup.near import NearDedupConfig, near_edges, resolve_clusters
from transforms.dedup.transform import apply_clusters, current_fingerprint, with_fingerprint
from transforms.read import make_doc_id
from transforms.records import DedupVerdict, Document, Segment
from transforms.segment import SegmentConfig, segment_document, split_body

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NEAR = NearDedupConfig()

#: Text with the characters segmentation cares about over-represented, plus any Unicode.
_TRICKY = [*' \n\n\t\r.!?…«»"“”’()[]#@-—MmJ.', "M. ", "Mme ", "\n\n", ". A", "\u00a0", "\u2028"]
texts = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(st.sampled_from(_TRICKY), st.text(min_size=1, max_size=8)), max_size=120).map("".join),
)
WORDS = ["le", "la", "Tripoli", "Haftar", "forces", "armée", "accord", "paix", "ministre", "gouvernement"]


def _check_spans(body: str, max_chars: int) -> None:
    spans = split_body(body, SegmentConfig(max_segment_chars=max_chars))
    covered = bytearray(len(body))
    previous_end, previous_index = 0, (-1, -1)
    for span in spans:
        assert previous_end <= span.start < span.end <= len(body)
        assert span.end - span.start <= max_chars
        piece = body[span.start : span.end]
        assert piece == piece.strip() and piece  # trimmed, never empty
        assert (span.paragraph_index, span.sentence_index) > previous_index
        previous_end, previous_index = span.end, (span.paragraph_index, span.sentence_index)
        covered[span.start : span.end] = b"\x01" * (span.end - span.start)
    missed = [i for i, char in enumerate(body) if not char.isspace() and not covered[i]]
    assert missed == [], [body[i] for i in missed]


@SETTINGS
@given(body=texts, max_chars=st.integers(min_value=1, max_value=300))
def test_split_body_spans_are_ordered_bounded_trimmed_and_cover_all_text(body: str, max_chars: int) -> None:
    _check_spans(body, max_chars)


@SETTINGS
@given(body=texts, max_chars=st.integers(min_value=5, max_value=300))
def test_segment_offsets_slice_back_to_the_segment_text(body: str, max_chars: int) -> None:
    doc = Document(make_doc_id("x.txt", body), "x.txt", body, "0" * 64, "utf-8")
    segments = segment_document(doc, SegmentConfig(max_segment_chars=max_chars))
    assert len({s.segment_id for s in segments}) == len(segments)
    for segment in segments:
        assert body[segment.start_char : segment.end_char] == segment.text


# --- dedup over random documents built from shared sentences with random edits -------------------


def _edit(draw: st.DrawFn, words: list[str]) -> list[str]:
    """A random edit of a sentence: drop, insert or replace a word, change case, or nothing."""
    words = list(words)
    kind = draw(st.sampled_from(["none", "none", "drop", "insert", "replace", "case", "unicode"]))
    at = draw(st.integers(min_value=0, max_value=max(0, len(words) - 1)))
    if kind == "drop" and len(words) > 1:
        del words[at]
    elif kind == "insert":
        words.insert(at, draw(st.sampled_from(WORDS)))
    elif kind == "replace" and words:
        words[at] = draw(st.text(min_size=1, max_size=6).filter(lambda w: not any(c.isspace() for c in w)))
    elif kind == "case":
        words = [w.upper() for w in words]
    elif kind == "unicode" and words:
        words[at] = words[at] + "’«»"
    return words


@st.composite
def corpora(draw: st.DrawFn) -> list[Document]:
    pool = draw(st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=14), min_size=1, max_size=6))
    docs = []
    for index in range(draw(st.integers(min_value=1, max_value=4))):
        sentences = []
        for _ in range(draw(st.integers(min_value=1, max_value=8))):
            if draw(st.booleans()):
                words = _edit(draw, draw(st.sampled_from(pool)))
            else:
                words = draw(st.text(max_size=40)).split() or ["vide"]
            sentences.append(" ".join(words) + draw(st.sampled_from([". ", "! ", " ", ".\n\n", "… "])))
        body = "".join(sentences)
        pub = draw(
            st.one_of(st.none(), st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 1, 1)))
        )
        source = f"in/{index:02d}.txt"
        docs.append(Document(make_doc_id(source, body), source, body, "0" * 64, "utf-8", pub))
    return docs


def dedup(segments: list[Segment]) -> dict[str, DedupVerdict]:
    """The pure chain of `Deduplicate` (exact, then near with LSH buckets), run in memory."""
    fingerprinted = [with_fingerprint(s, NEAR) for s in segments]
    by_hash: dict[str, list[Segment]] = defaultdict(list)
    verdicts: dict[str, tuple[Segment, DedupVerdict]] = {}
    for segment in fingerprinted:
        if segment.dedup_eligible:
            by_hash[segment.content_hash].append(segment)
        else:
            verdicts[segment.segment_id] = (segment, DedupVerdict(segment.segment_id, False))
    exact = [pair for copies in by_hash.values() for pair in pick_canonical(copies)]
    prints = [fp for pair in exact for fp in current_fingerprint(pair)]
    clusters = resolve_clusters(near_edges(prints, NEAR))
    for pair in exact:
        segment, verdict = apply_clusters(pair, clusters)
        verdicts[segment.segment_id] = (segment, verdict)
    return {sid: verdict for sid, (_, verdict) in verdicts.items()}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=corpora(), min_words=st.integers(min_value=1, max_value=5))
def test_every_duplicate_points_to_an_existing_earlier_canonical_segment(
    docs: list[Document], min_words: int
) -> None:
    config = SegmentConfig(max_segment_chars=200, min_dedup_words=min_words)
    segments = [s for doc in docs for s in segment_document(doc, config)]
    by_id = {s.segment_id: s for s in segments}
    verdicts = dedup(segments)
    assert set(verdicts) == set(by_id)
    for sid, verdict in verdicts.items():
        segment = by_id[sid]
        if not verdict.is_duplicate:
            assert verdict.duplicate_of is None and verdict.duplicate_kind is None
            continue
        assert segment.dedup_eligible
        canonical = verdict.duplicate_of
        assert canonical in by_id and canonical != sid
        assert not verdicts[canonical].is_duplicate  # points at a canonical segment, never a copy
        assert (by_id[canonical].order_key, canonical) < (segment.order_key, sid)  # the earlier copy
        if verdict.duplicate_kind == "exact":
            assert by_id[canonical].content_hash == segment.content_hash and verdict.similarity == 1.0
        else:
            assert verdict.duplicate_kind == "near" and verdict.similarity >= NEAR.threshold
    # Exact copies: one canonical per content hash among eligible segments.
    canon_per_hash: dict[str, set[str]] = defaultdict(set)
    for sid, verdict in verdicts.items():
        if by_id[sid].dedup_eligible and not verdict.is_duplicate:
            canon_per_hash[by_id[sid].content_hash].add(sid)
    assert all(len(ids) == 1 for ids in canon_per_hash.values())
    # clean_text: a subsequence of the body that keeps every canonical segment's text.
    for doc in docs:
        own = sorted((s for s in segments if s.doc_id == doc.doc_id), key=lambda s: s.start_char)
        cleaned = clean_text(doc.text, own, [verdicts[s.segment_id] for s in own])
        assert _is_subsequence(cleaned, doc.text)
        for segment in own:
            if not verdicts[segment.segment_id].is_duplicate:
                assert segment.text in cleaned


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=corpora(), min_words=st.integers(min_value=1, max_value=5))
def test_batch_dedup_per_document_decides_as_the_per_segment_chain(
    docs: list[Document], min_words: int
) -> None:
    """`decide` (segments stay in their documents) flags exactly what the per-segment chain flags."""
    config = SegmentConfig(max_segment_chars=200, min_dedup_words=min_words)
    segments = [s for doc in docs for s in segment_document(doc, config)]
    expected = {sid: v for sid, v in dedup(segments).items() if v.is_duplicate}
    keys = [key for doc in docs for key in dedup_keys(segment_document_for_dedup(doc, config, NEAR))]
    assert decide(keys, NEAR) == expected


@SETTINGS
@given(body=texts, flags=st.lists(st.booleans(), max_size=200))
def test_clean_text_is_a_subsequence_for_any_flags(body: str, flags: list[bool]) -> None:
    doc = Document("d", "x.txt", body, "0" * 64, "utf-8")
    segments = segment_document(doc, SegmentConfig(max_segment_chars=50))
    verdicts = [
        DedupVerdict(s.segment_id, flags[i] if i < len(flags) else False) for i, s in enumerate(segments)
    ]
    cleaned = clean_text(body, segments, verdicts)
    assert _is_subsequence(cleaned, body)
    if not any(v.is_duplicate for v in verdicts):
        assert cleaned == body.strip()


def _is_subsequence(small: str, big: str) -> bool:
    it = iter(big)
    return all(char in it for char in small)
