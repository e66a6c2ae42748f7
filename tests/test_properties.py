"""Property-based tests (hypothesis) of segmentation, dedup and clean_text on random text and edits.

Why properties: the example tests cover the seeds; these check the invariants every later table
relies on, for any Unicode input: offsets slice back to the segment text, segments are bounded and
cover every non-space character, clean_text only removes characters, and every duplicate points at
an existing canonical (non-duplicate) segment, and a corpus delivered in parts (runs, windows) gets
the verdicts of one delivery. `decide` is the function batch and streaming both call, without Beam,
so it runs in milliseconds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transforms.assemble import clean_text
from transforms.dedup.decide import (
    DedupKey,
    decide,
    dedup_keys,
    segment_document_for_dedup,
    verdicts_for,
    with_deferred_fingerprints,
)
from transforms.dedup.near import NearDedupConfig
from transforms.dedup.whole_copies import delivery_verdicts, segment_bodies
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


def dedup(docs: list[Document], config: SegmentConfig) -> tuple[list[Segment], dict[str, DedupVerdict]]:
    """Every segment of `docs` and its verdict, `decide` on the whole corpus as one delivery."""
    segmented = [segment_document_for_dedup(doc, config, NEAR) for doc in docs]
    duplicates = decide([key for element in segmented for key in dedup_keys(element)], NEAR)
    segments = [s for _, doc_segments in segmented for s in doc_segments]
    return segments, dict(
        zip((s.segment_id for s in segments), verdicts_for(segments, duplicates), strict=True)
    )


def deliver_in_parts(docs: list[Document], config: SegmentConfig, cuts: list[int]) -> dict[str, DedupVerdict]:
    """The duplicates found when `docs` (in canonical order) arrive in parts cut at `cuts`: each part
    decided against the canonical keys of the earlier parts, as a later run (or window) is."""
    history: list[DedupKey] = []
    found: dict[str, DedupVerdict] = {}
    bounds = [0, *sorted(set(cuts)), len(docs)]
    for lo, hi in itertools.pairwise(bounds):
        keys = [k for doc in docs[lo:hi] for k in dedup_keys(segment_document_for_dedup(doc, config, NEAR))]
        duplicates = decide([*keys, *history], NEAR)
        found.update(duplicates)
        history.extend(k.as_history() for k in keys if k.segment_id not in duplicates)
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=corpora(), min_words=st.integers(min_value=1, max_value=5))
def test_every_duplicate_points_to_an_existing_earlier_canonical_segment(
    docs: list[Document], min_words: int
) -> None:
    config = SegmentConfig(max_segment_chars=200, min_dedup_words=min_words)
    segments, verdicts = dedup(docs, config)
    by_id = {s.segment_id: s for s in segments}
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
@given(docs=corpora(), min_words=st.integers(min_value=1, max_value=5), data=st.data())
def test_a_corpus_delivered_in_parts_gets_the_verdicts_of_one_delivery(
    docs: list[Document], min_words: int, data: st.DataObject
) -> None:
    """Path independence of the decision (README, "Deduplication"): when every part arrives no
    earlier than the parts holding its originals (here: parts cut from the canonical order), the
    parts find exactly the duplicates one delivery finds, with the same originals."""
    config = SegmentConfig(max_segment_chars=200, min_dedup_words=min_words)
    docs = sorted(docs, key=lambda d: (d.order_key, d.doc_id))
    cuts = data.draw(st.lists(st.integers(min_value=1, max_value=max(1, len(docs) - 1)), max_size=3))
    _, verdicts = dedup(docs, config)
    assert deliver_in_parts(docs, config, cuts) == {k: v for k, v in verdicts.items() if v.is_duplicate}


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


def test_a_tie_between_two_earlier_originals_goes_to_the_earlier_in_every_delivery() -> None:
    """Found by the property above: a segment equally similar (0.8) to two segments of two earlier
    documents of the same day points at the first of them (by source) in one delivery; delivered
    after them, it pointed at the other, since all of history had one rank and the tie fell to the
    segment ids. History keeps its canonical order (`records.history_order`)."""
    day = dt.date(2000, 1, 1)
    bodies = [
        ("in/00.txt", "vide. vide. le le le le accord accord le le Tripoli la le le la. ", None),
        ("in/01.txt", "vide. " * 6, None),
        ("in/02.txt", "le le le le le accord accord le le Tripoli le la le le la. " + "vide. " * 6, day),
        ("in/03.txt", "le le accord le la le Tripoli la Tripoli. " + "vide. " * 7, day),
    ]
    docs = [Document(make_doc_id(s, b), s, b, "0" * 64, "utf-8", p) for s, b, p in bodies]
    docs = sorted(docs, key=lambda d: (d.order_key, d.doc_id))
    config = SegmentConfig(max_segment_chars=200, min_dedup_words=1)
    _, verdicts = dedup(docs, config)
    one_delivery = {k: v for k, v in verdicts.items() if v.is_duplicate}
    tied = one_delivery[docs[2].doc_id + "-p0000-s0000"]
    assert (tied.duplicate_of, tied.similarity) == (docs[0].doc_id + "-p0000-s0000", 0.8)
    for cuts in ([1], [2], [3], [1, 2], [2, 3], [1, 2, 3]):
        assert deliver_in_parts(docs, config, cuts) == one_delivery, cuts


@st.composite
def deliveries_with_copies(draw: st.DrawFn) -> tuple[list[Document], list[Document]]:
    """(earlier delivery, this delivery): random documents, then whole copies of some of them under
    other paths and dates, some of the copies revisions of an earlier document (`supersedes`)."""
    docs = draw(corpora())
    earlier = draw(st.lists(st.sampled_from(docs), max_size=3, unique_by=lambda d: d.doc_id))
    earlier = [dataclasses.replace(d, source=f"old/{i}.txt", doc_id=f"old{i}") for i, d in enumerate(earlier)]
    current = list(docs)
    for index in range(draw(st.integers(min_value=1, max_value=5))):
        original = draw(st.sampled_from(docs))
        pub = draw(
            st.one_of(st.none(), st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 1, 1)))
        )
        supersedes = draw(st.one_of(st.none(), st.sampled_from([d.doc_id for d in earlier] or [None])))
        source = f"copies/{index:02d}.txt"
        current.append(
            Document(
                make_doc_id(source, original.text),
                source,
                original.text,
                "0" * 64,
                "utf-8",
                pub,
                supersedes=supersedes,
            )
        )
    return earlier, current


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    delivery=deliveries_with_copies(),
    min_words=st.integers(min_value=1, max_value=5),
    hints=st.sampled_from(["none", "ingested", "every body"]),
)
def test_whole_copies_segmented_once_get_the_verdicts_of_the_full_decision(
    delivery: tuple[list[Document], list[Document]], min_words: int, hints: str
) -> None:
    """`whole_copies.py`: segmenting a body once per delivery and deriving its copies' verdicts from
    the canonical copy's gives every segment the verdict `decide` gives when every document is
    segmented, fingerprinted and keyed, with an index of earlier runs and revisions among the copies.

    And deferring the fingerprints of documents whose body was ingested (`Document.body_ingested`:
    none, those of the earlier delivery, or wrongly every document) changes no verdict, and the
    canonical segments get the fingerprints `_state/segments` would have had."""
    earlier, current = delivery
    hinted = {
        "none": set(),
        "ingested": {doc.text for doc in earlier},
        "every body": {doc.text for doc in current},
    }[hints]
    config = SegmentConfig(max_segment_chars=200, min_dedup_words=min_words)
    old = [segment_document_for_dedup(doc, config, NEAR) for doc in earlier]
    old_verdicts = decide([k for element in old for k in dedup_keys(element)], NEAR)
    history = [k.as_history() for e in old for k in dedup_keys(e) if k.segment_id not in old_verdicts]

    full = [segment_document_for_dedup(doc, config, NEAR) for doc in current]
    full_duplicates = decide([*history, *(k for element in full for k in dedup_keys(element))], NEAR)
    expected = {
        s.segment_id: v for e in full for s, v in zip(e[1], verdicts_for(e[1], full_duplicates), strict=True)
    }

    bodies: dict[str, list[Document]] = defaultdict(list)
    for doc in current:
        bodies[doc.text].append(dataclasses.replace(doc, body_ingested=doc.text in hinted))
    grouped = [element for docs in bodies.values() for element in segment_bodies(docs, config, NEAR)]
    duplicates = decide([*history, *(k for element in grouped for k in dedup_keys(element))], NEAR)
    derived = {
        s.segment_id: v for e in grouped for s, v in zip(e[1], delivery_verdicts(e, duplicates), strict=True)
    }

    assert derived == expected
    prints = {s.segment_id: (s.shingles, s.bands) for e in full for s in e[1]}
    for doc, segments in grouped:
        verdicts = delivery_verdicts((doc, segments), duplicates)
        if doc.body_ingested:
            segments = with_deferred_fingerprints(segments, verdicts, NEAR)
        for s, verdict in zip(segments, verdicts, strict=True):
            if s.dedup_eligible and not verdict.is_duplicate:  # what `state_rows` writes
                assert (s.shingles, s.bands) == prints[s.segment_id]
    columns = ("segment_id", "start_char", "end_char", "text", "content_hash", "dedup_eligible", "doc_order")
    rows = {s.segment_id: tuple(getattr(s, c) for c in columns) for e in full for s in e[1]}
    assert {s.segment_id: tuple(getattr(s, c) for c in columns) for e in grouped for s in e[1]} == rows
    originals = [doc for doc in current if doc.supersedes is None]
    copies = sum(1 for doc, _ in grouped if doc.whole_copy_of)
    assert copies == len(originals) - len({doc.text for doc in originals})  # each body segmented once
