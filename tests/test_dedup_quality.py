"""Dedup quality on a labelled set built from real French sentences (seeds + vendored Wikinews).

Why: the unit tests of `transforms/dedup` check the mechanics (canonical order, union-find); they say
nothing about whether the rules (word bigrams, max(Jaccard, containment) >= 0.8, LSH 32x4) flag the
copies editors really make and leave alone different sentences that share many words. This test
builds such copies with controlled edits, runs the real batch dedup (`DeduplicateDocuments`) on the
DirectRunner and asserts precision and recall of the duplicate flags.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import SEEDS, batch_dedup
from transforms.dedup import NearDedupConfig
from transforms.dedup.near import (
    Edge,
    Fingerprint,
    bucket_edges,
    fingerprint,
    near_edges,
    resolve_clusters,
    signature,
    signatures,
    verified_scores,
    verified_similarity,
    word_shingles,
)
from transforms.read import parse_document
from transforms.records import Document, Segment
from transforms.segment import normalize_for_hash, segment_document, split_body

#: Real French news vendored with the project (CC BY 2.5, tests/data/wikinews-fr-2012/README.md), so
#: the labelled set is the same on every machine, with or without ../shared.
WIKINEWS = Path(__file__).resolve().parent / "data" / "wikinews-fr-2012"
EDIT_TYPES = ("drop_one", "clause_append", "punct_case", "number_changed", "drop_two", "substitute")
ORIGINAL_DATE = dt.date(2019, 1, 1)
LATER_DATE = dt.date(2019, 3, 1)
MIN_ORIGINAL_WORDS = 10
#: Hard negatives must share less than this (max of Jaccard and containment of word bigrams) with any
#: other segment of the set, so that they are different content and not borderline copies.
MAX_NEGATIVE_OVERLAP = 0.6
_LETTERS = re.compile(r"[^\W\d_]+")
_DIGITS = re.compile(r"\d+")


# ---------------------------------------------------------------------------------------------------
# Corpus and labelled set
# ---------------------------------------------------------------------------------------------------


def real_sentences() -> list[str]:
    """Every sentence of the seeds and the vendored Wikinews articles, whitespace folded."""
    paths = [*sorted(SEEDS.glob("*.txt")), *sorted(WIKINEWS.glob("*.txt"))]
    bodies = [parse_document(str(p), p.read_bytes()).text for p in paths]
    return [" ".join(body[s.start : s.end].split()) for body in bodies for s in split_body(body)]


def bigrams(text: str) -> frozenset[str]:
    """The shingle set dedup compares (word bigrams of the normalized text)."""
    return frozenset(word_shingles(text, NearDedupConfig().shingle_size))


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """max(Jaccard, containment of the smaller set in the larger): the score dedup thresholds."""
    if not a or not b:
        return 0.0
    common = len(a & b)
    return max(common / len(a | b), common / min(len(a), len(b)))


def n_words(text: str) -> int:
    return len(normalize_for_hash(text).split())


def is_one_segment(text: str) -> bool:
    """True when the segmenter keeps `text` whole, so the edited copy is one segment like its original."""
    spans = split_body(text)
    return len(spans) == 1 and spans[0].start == 0 and spans[0].end == len(text)


@dataclass(frozen=True)
class Item:
    """One labelled sentence of the test set."""

    key: str
    text: str
    label: str  # 'original' | 'positive' | 'hard_negative' | 'unrelated'
    edit: str | None = None  # edit type of a positive
    original: str | None = None  # key of the original a positive copies


def _word_positions(tokens: list[str]) -> list[int]:
    """Indices of tokens that are exactly one word (no apostrophe, digit or punctuation inside)."""
    return [i for i, t in enumerate(tokens) if _LETTERS.fullmatch(t)]


def _edit(kind: str, text: str, rng: random.Random, donors: list[str], vocabulary: list[str]) -> str | None:
    """The edited copy of `text`, or None when this edit does not apply to it."""
    tokens = text.split()
    words = _word_positions(tokens)
    if kind == "drop_one":
        if not words:
            return None
        drop = {rng.choice(words)}
    elif kind == "drop_two":
        if len(words) < 2:
            return None
        drop = set(rng.sample(words, 2))
    elif kind == "substitute":
        if not words:
            return None
        i = rng.choice(words)
        present = {normalize_for_hash(t) for t in tokens}
        tokens[i] = rng.choice([w for w in vocabulary if w not in present])
        return " ".join(tokens)
    elif kind == "number_changed":
        numbered = [i for i, t in enumerate(tokens) if _DIGITS.search(t)]
        if not numbered:
            return None
        i = rng.choice(numbered)
        tokens[i] = _DIGITS.sub(lambda m: str(int(m.group()) + rng.randint(1, 9)), tokens[i], count=1)
        return " ".join(tokens)
    elif kind == "clause_append":
        donor = rng.choice(donors).split()
        size = min(rng.randint(5, 10), len(donor))
        start = rng.randint(0, len(donor) - size)
        clause = " ".join(donor[start : start + size]).rstrip('.!?…»"” ')
        return f"{text.rstrip('.!?… ')}, {clause[0].lower()}{clause[1:]}."
    elif kind == "punct_case":
        variant = rng.randrange(3)
        if variant == 0:
            return text.upper().replace("'", "’")
        if variant == 1:
            return text.replace(",", " ;").rstrip(".") + " !"
        return text.replace(",", "").replace("'", "’").lower().rstrip(".") + "..."
    else:
        raise ValueError(kind)
    return " ".join(t for i, t in enumerate(tokens) if i not in drop)


def build_labelled_set(n_originals: int = 300, n_hard: int = 120) -> list[Item]:
    """Originals, one edited copy of each (one edit type per original), hard and unrelated negatives.

    Why one edit per original: with several copies of one original, a copy that fails against the
    original could still be caught through another copy (union-find), which would hide misses.
    """
    rng = random.Random(13)
    sentences = list(dict.fromkeys(real_sentences()))
    # Distinct content: drop sentences that are (near-)copies of one already kept, so the originals are
    # really different from each other (the seeds repeat some sentences, e.g. the 004 lede).
    kept: list[tuple[str, frozenset[str]]] = []
    for text in sentences:
        shingles = bigrams(text)
        if n_words(text) >= 4 and all(overlap(shingles, other) < 0.5 for _, other in kept):
            kept.append((text, shingles))
    long_ones = [t for t, _ in kept if n_words(t) >= MIN_ORIGINAL_WORDS]
    short_ones = [t for t, _ in kept if n_words(t) < MIN_ORIGINAL_WORDS]
    rng.shuffle(long_ones)
    assert len(long_ones) >= n_originals + 20, len(long_ones)
    originals, spare = long_ones[:n_originals], long_ones[n_originals:]
    vocabulary = sorted(
        {w for t in originals for w in normalize_for_hash(t).split() if _LETTERS.fullmatch(w) and len(w) >= 4}
    )

    items = [Item(f"o{i:03d}", text, "original") for i, text in enumerate(originals)]
    # Number edits need a number: give them to the originals that have one, the other edits round-robin.
    with_number = [it for it in items if _DIGITS.search(it.text)]
    per_type = n_originals // len(EDIT_TYPES)
    assignment = {it.key: "number_changed" for it in with_number[:per_type]}
    others = [it for it in items if it.key not in assignment]
    cycle = [k for k in EDIT_TYPES if k != "number_changed"]
    assignment.update({it.key: cycle[i % len(cycle)] for i, it in enumerate(others)})

    positives = []
    for it in items:
        kind = assignment[it.key]
        for _ in range(20):  # a few tries until the edit applies and stays one segment
            copy = _edit(kind, it.text, rng, [t for t in originals if t != it.text], vocabulary)
            if copy and copy != it.text and is_one_segment(copy):
                positives.append(Item(f"p{it.key}", copy, "positive", kind, it.key))
                break
    assert len(positives) >= 0.98 * n_originals, len(positives)

    # Hard negatives: the first half of an original, the second half of another one.
    everything = [(x.key, bigrams(x.text)) for x in [*items, *positives]]
    hard: list[Item] = []
    for attempt in range(20 * n_hard):
        if len(hard) == n_hard:
            break
        a, b = rng.sample(originals, 2)
        ta, tb = a.split(), b.split()
        text = " ".join(ta[: len(ta) // 2] + tb[len(tb) // 2 :])
        shingles = bigrams(text)
        if n_words(text) < MIN_ORIGINAL_WORDS or not is_one_segment(text):
            continue
        if max(overlap(shingles, s) for _, s in everything) >= MAX_NEGATIVE_OVERLAP:
            continue
        hard.append(Item(f"h{attempt:04d}", text, "hard_negative"))
        everything.append((hard[-1].key, shingles))
    assert len(hard) == n_hard, len(hard)
    # Sharing words is the point: each hard negative shares a real part of an original.
    assert all(max(overlap(bigrams(h.text), bigrams(o)) for o in originals) >= 0.25 for h in hard), (
        "hard negatives must share a good part of an original"
    )

    unrelated = [Item(f"u{i:03d}", text, "unrelated") for i, text in enumerate(spare + short_ones)]
    labelled = [*items, *positives, *hard, *unrelated]
    for x in [*hard, *unrelated]:  # negatives really are different content from every other item
        shingles = bigrams(x.text)
        assert all(overlap(shingles, s) < MAX_NEGATIVE_OVERLAP for k, s in everything if k != x.key), x
    return labelled


def _document(source: str, texts: list[str], pub_date: dt.date) -> Document:
    """One document per group: a sentence per paragraph, so segmentation returns exactly these texts."""
    return Document(
        doc_id=source,
        source=source,
        text="\n\n".join(texts),
        content_sha256="x",
        encoding="utf-8",
        pub_date=pub_date,
    )


def build_documents(items: list[Item], per_doc: int = 10) -> list[tuple[Document, list[Item]]]:
    """The test documents, each with the items it holds (one sentence per paragraph).

    Originals go in early documents (earlier pub_date, sources sorting first); every copy and
    negative goes in later documents, shuffled, so no copy shares a document with its original.
    """
    rng = random.Random(13)
    originals = [x for x in items if x.label == "original"]
    later = [x for x in items if x.label != "original"]
    rng.shuffle(later)
    documents = []
    for prefix, group, date in (("a-orig", originals, ORIGINAL_DATE), ("b-later", later, LATER_DATE)):
        for d, start in enumerate(range(0, len(group), per_doc)):
            chunk = group[start : start + per_doc]
            documents.append((_document(f"{prefix}/{d:03d}.txt", [x.text for x in chunk], date), chunk))
    return documents


def build_segments(items: list[Item], per_doc: int = 10) -> tuple[list[Segment], dict[str, str]]:
    """Segments of the test documents (`build_documents`) and item key -> segment_id."""
    segments: list[Segment] = []
    where: dict[str, str] = {}
    for document, chunk in build_documents(items, per_doc):
        doc_segments = segment_document(document)
        assert [s.text for s in doc_segments] == [x.text for x in chunk]
        segments.extend(doc_segments)
        where.update((x.key, s.segment_id) for x, s in zip(chunk, doc_segments, strict=True))
    return segments, where


@dataclass
class Metrics:
    precision: float
    recall: float
    recall_by_edit: dict[str, tuple[int, int]]
    false_positives: list[tuple[Item, dict]]
    misses: list[tuple[Item, dict]]


def score(items: list[Item], where: dict[str, str], verdicts: dict[str, dict]) -> Metrics:
    """Precision and recall of the duplicate flags.

    A flag is correct only on a positive whose `duplicate_of` is its original's segment (or the
    segment the original is itself flagged as a copy of); any other flag is a false positive.
    """
    correct, false_positives, misses = 0, [], []
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for x in items:
        verdict = verdicts[where[x.key]]
        if x.label == "positive":
            total[x.edit] += 1
            original = verdicts[where[x.original]]
            targets = {where[x.original], original["duplicate_of"]} - {None}
            if verdict["is_duplicate"] and verdict["duplicate_of"] in targets:
                correct += 1
                found[x.edit] += 1
                continue
            misses.append((x, verdict))
        if verdict["is_duplicate"]:
            false_positives.append((x, verdict))
    flagged = correct + len(false_positives)
    n_positive = sum(total.values())
    return Metrics(
        precision=correct / flagged if flagged else 1.0,
        recall=correct / n_positive,
        recall_by_edit={k: (found[k], total[k]) for k in EDIT_TYPES},
        false_positives=false_positives,
        misses=misses,
    )


# ---------------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def labelled() -> list[Item]:
    return build_labelled_set()


def test_deduplicate_precision_and_recall_on_real_sentences(labelled: list[Item], tmp_path: Path) -> None:
    segments, where = build_segments(labelled)
    found = batch_dedup([doc for doc, _ in build_documents(labelled)], tmp_path)
    verdicts = {sid: dataclasses.asdict(v) for sid, v in found.items()}
    assert set(verdicts) == {s.segment_id for s in segments}, "exactly one verdict per segment"

    m = score(labelled, where, verdicts)
    counts = Counter(x.label for x in labelled)
    print(f"\ndedup quality: {len(segments)} segments {dict(counts)}")
    print(f"  precision {m.precision:.3f}  recall {m.recall:.3f}")
    for kind, (hit, n) in m.recall_by_edit.items():
        print(f"  recall {kind:<15} {hit:>3}/{n:<3} = {hit / n:.3f}")
    for x, v in m.misses:
        print(f"  MISS [{x.edit}] {x.text[:90]!r} -> {v['duplicate_of']}")
    for x, v in m.false_positives:
        print(f"  FALSE POSITIVE [{x.label}] {x.text[:90]!r} -> {v['duplicate_of']} ({v['similarity']})")
    assert m.precision >= 0.95
    assert m.recall >= 0.95
    punct = m.recall_by_edit["punct_case"]
    assert punct[0] == punct[1], "punctuation and case changes are exact copies"


def _seed_004() -> list[Segment]:
    path = next(SEEDS.glob("004_*.txt"))
    return segment_document(parse_document(str(path), path.read_bytes()))


def test_verified_similarity_on_the_004_lede_pair() -> None:
    """The 004 lede is repeated later with a clause appended: containment must catch it."""
    config = NearDedupConfig()
    segments = _seed_004()
    lede = segments[0]
    repeat = next(s for s in segments[1:] if s.text.startswith("Depuis des mois"))
    a = fingerprint(lede.segment_id, lede.order_key, lede.text, config)
    b = fingerprint(repeat.segment_id, repeat.order_key, repeat.text, config)
    assert a is not None and b is not None
    score_ = verified_similarity(b, a, config)
    assert score_ is not None and score_ >= 0.8


def test_verified_similarity_rejects_a_hard_negative(labelled: list[Item]) -> None:
    """Half of a sentence grafted on another sentence shares words but is not a copy."""
    config = NearDedupConfig()
    segments = _seed_004()
    first, other = segments[0].text.split(), segments[8].text.split()
    hybrid = " ".join(first[: len(first) // 2] + other[len(other) // 2 :])
    a = fingerprint("a", (0,), segments[0].text, config)
    h = fingerprint("h", (1,), hybrid, config)
    assert a is not None and h is not None
    assert verified_similarity(h, a, config) is None
    originals = [x for x in labelled if x.label == "original"]
    for x in [x for x in labelled if x.label == "hard_negative"][:20]:
        fx = fingerprint("x", (1,), x.text, config)
        assert fx is not None
        for o in originals:
            assert verified_similarity(fx, fingerprint("o", (0,), o.text, config), config) is None


def test_resolve_clusters_points_a_chain_at_its_root() -> None:
    """C copies B and A, B copies A: both point at A, the canonical one, never at B."""
    a, b, c = (1, 0), (1, 1), (1, 2)
    edges = [Edge("C", c, "B", b, 0.95), Edge("C", c, "A", a, 0.85), Edge("B", b, "A", a, 0.9)]
    clusters = resolve_clusters(edges)
    assert clusters == {"B": ("A", 0.9), "C": ("A", 0.85)}
    assert resolve_clusters(list(reversed(edges))) == clusters


def test_a_match_that_is_itself_a_duplicate_does_not_make_a_duplicate() -> None:
    """C only matches B, and B is a copy of A: C is not verified against A, so it stays canonical."""
    a, b, c = (1, 0), (1, 1), (1, 2)
    assert resolve_clusters([Edge("C", c, "B", b, 0.85), Edge("B", b, "A", a, 0.9)]) == {"B": ("A", 0.9)}


def test_near_edges_are_the_bucket_edges_of_every_shared_band_verified_once() -> None:
    """`near_edges` (one dict of buckets, each pair verified once) finds exactly the edges that
    `bucket_edges` finds bucket by bucket without the cache; buckets of only indexed segments add none."""
    config = NearDedupConfig()
    base = "La milice de la ville de Tarhouna a rejoint les troupes du maréchal Haftar ce jeudi soir."
    texts = [
        base,
        base.replace(" ce jeudi soir", ""),  # a near copy
        base,  # an exact copy (not filtered here: near_edges takes any fingerprints)
        "Le secrétaire général de l'ONU dit qu'il ne souhaite pas une confrontation armée à Tripoli.",
    ]
    prints = [fingerprint(f"d{i}-p0000-s0000", (1, i), t, config) for i, t in enumerate(texts)]
    indexed = Fingerprint("old-p0000-s0000", (0,), prints[3].shingles, prints[3].bands, True)
    also_indexed = Fingerprint("older-p0000-s0000", (0,), prints[3].shingles, prints[3].bands, True)
    everything = [*prints, indexed, also_indexed]
    buckets: dict[int, list[Fingerprint]] = {}
    for f in everything:
        for band in f.bands:
            buckets.setdefault(band, []).append(f)
    expected = {(e.later, e.earlier): e for m in buckets.values() for e in bucket_edges(m, config)}
    found = near_edges(everything, config)
    assert {(e.later, e.earlier): e for e in found} == expected
    assert len(found) == len(expected)  # one edge per pair, though each pair shares many bands
    assert {(e.later, e.earlier) for e in found} >= {
        ("d1-p0000-s0000", "d0-p0000-s0000"),
        ("d2-p0000-s0000", "d0-p0000-s0000"),
        ("d3-p0000-s0000", "old-p0000-s0000"),
    }
    assert not any(e.later.startswith("old") for e in found)  # indexed segments are never the copy
    assert near_edges([indexed, also_indexed], config) == []


def test_verified_scores_are_verified_similarity_pair_by_pair() -> None:
    """The vectorised verification gives, for every pair, exactly `verified_similarity`'s score
    (None as NaN): overlapping, contained, disjoint, identical and empty shingle sets, pairs in both
    orders, and sets that share hash values but not owners."""
    config = NearDedupConfig()
    rng = random.Random(5)
    pool = list(range(1, 60))
    sets = [tuple(sorted(rng.sample(pool, rng.randint(1, 30)))) for _ in range(40)]
    sets += [sets[0], sets[1][:-1], (), (), (*sets[2], 2**32 - 1), (2**32 - 1,)]  # copies, empties, max
    sets += [tuple(range(1, 11)), tuple(range(1, 9)), (*range(1, 9), 99)]  # 0.8 exactly, and not
    prints = [Fingerprint(f"d{i}-p0000-s0000", (1, i), hashes, ()) for i, hashes in enumerate(sets)]
    pairs = np.array([(i, j) for i in range(len(prints)) for j in range(len(prints)) if i != j])
    scores = verified_scores(prints, pairs, config, chunk=97)  # several chunks, one ragged
    expected = [verified_similarity(prints[i], prints[j], config) for i, j in pairs.tolist()]
    assert [None if np.isnan(x) else x for x in scores.tolist()] == expected
    assert 10 <= sum(x is not None for x in expected) < len(expected) / 2  # copies, containments pass
    assert verified_scores(prints, np.empty((0, 2), dtype=np.int64), config).shape == (0,)


def test_a_merged_sentence_does_not_make_its_two_halves_copies_of_each_other() -> None:
    """A = S1, B = S1 + S2 (a merged sentence, e.g. a missed boundary), C = S2: C must not copy A.

    A and C are both contained in B (containment 1.0), so both edges verify; a union-find would
    make A C's `duplicate_of` although A and C share no bigram. The ordered resolution does not:
    B is a copy of A, and C, whose only match is B, stays canonical.
    """
    config = NearDedupConfig()
    s1 = "La milice de la ville de Tarhouna a rejoint les troupes du maréchal Haftar."
    s2 = "Le secrétaire général de l'ONU dit qu'il ne souhaite pas une confrontation."
    merged = f"{s1[:-1]}, {s2[0].lower()}{s2[1:]}"
    prints = [
        fingerprint(name, (1, i), text, config)
        for i, (name, text) in enumerate((("A", s1), ("B", merged), ("C", s2)))
    ]
    assert all(f is not None for f in prints)
    assert verified_similarity(prints[2], prints[0], config) is None  # A and C: different content
    clusters = resolve_clusters(near_edges(prints, config))
    assert clusters.get("C", (None,))[0] != "A"


def test_document_signatures_are_datasketch_signatures_bit_for_bit() -> None:
    """`signatures` (one numpy pass per document) gives datasketch's MinHash values exactly, so band
    keys, and with them dedup against indexes written by earlier versions, do not change."""
    rng = random.Random(5)
    sets = [tuple(sorted({rng.getrandbits(32) for _ in range(rng.randint(1, 80))})) for _ in range(200)]
    sets.append((0, 2**32 - 1))  # the extremes of the 32-bit input range
    batch = signatures(sets, 128)
    assert batch.shape == (len(sets), 128)
    for row, hashes in zip(batch, sets, strict=True):
        assert np.array_equal(row, signature(hashes, 128))
