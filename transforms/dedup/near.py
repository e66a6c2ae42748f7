"""Near-duplicate segments: MinHash over word shingles, LSH banding, exact verification.

The approach of datatrove / dolma / cc_net, with one change that matters for news: candidates are
verified on the real shingle sets, and a pair counts when either its Jaccard similarity or its
containment (the share of the shorter segment's shingles found in the longer one) reaches the
threshold. Containment is what catches a lede repeated with a clause appended (seed 004), whose
Jaccard similarity is only about 0.6.

Pure functions only; `decide.py` calls them, `batch.py`, `keyed.py` and `streaming.py` wire that into Beam.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import MinHash

from transforms.records import cheap_pickle, doc_id_of_segment
from transforms.segment import normalize_for_hash


@dataclass(frozen=True, slots=True)
class NearDedupConfig:
    """MinHash/LSH settings.

    128 permutations in 32 bands of 4 rows: a pair with Jaccard 0.5 becomes a candidate with
    probability 0.87, one with Jaccard 0.3 with 0.23, an unrelated pair (0.05) almost never; the
    exact verification then decides. Word bigrams, because one dropped word in a short sentence
    must not destroy most of its shingles.
    """

    num_perm: int = 128
    bands: int = 32
    shingle_size: int = 2
    threshold: float = 0.8
    min_words: int = 8
    max_compare: int = 64  # earlier members of one LSH bucket a segment is compared with

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands


@cheap_pickle
@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What near-dedup keeps of a segment: its id, order, shingle hashes and LSH band keys."""

    segment_id: str
    order_key: tuple
    shingles: tuple[int, ...]  # sorted unique 32-bit shingle hashes
    bands: tuple[int, ...]
    from_index: bool = False  # ingested by an earlier run
    supersedes: str | None = None  # doc_id of the previous revision of this segment's document


def word_shingles(text: str, size: int) -> list[str]:
    """Word n-grams of the normalized text (the whole text when it is shorter than n).

    Readable strings for tests and quality checks (`tests/test_dedup_quality.py`); the pipeline hashes
    them (`shingle_hashes`)."""
    return _shingles_of(normalize_for_hash(text).split(), size)


def _shingles_of(words: list[str], size: int) -> list[str]:
    if len(words) <= size:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]


def shingle_hashes(shingles: Iterable[str]) -> tuple[int, ...]:
    """Sorted unique CRC32 of the shingles: a compact, process-independent set for verification."""
    return tuple(sorted({zlib.crc32(s.encode()) for s in shingles}))


@lru_cache(maxsize=8)
def _permutations(num_perm: int) -> np.ndarray:
    return MinHash(num_perm=num_perm, seed=1, scheme="affine32").permutations


def signature(hashes: Sequence[int], num_perm: int) -> np.ndarray:
    """MinHash signature (datasketch, fixed seed and permutations) of a shingle-hash set.

    The reference that `signatures` reproduces bit for bit (tests/test_dedup_quality.py); the
    pipeline calls `signatures`, which does a document's segments in one numpy pass.
    """
    minhash = MinHash(num_perm=num_perm, seed=1, permutations=_permutations(num_perm), scheme="affine32")
    minhash.update_batch([h.to_bytes(4, "little") for h in hashes])
    return minhash.hashvalues


@lru_cache(maxsize=1 << 18)
def _sha1_32(value: int) -> int:
    """datasketch's input hash (`sha1_hash32`) of a 4-byte shingle hash; cached, since the common
    bigrams of a language ("de la", "a été") recur in almost every document."""
    return int.from_bytes(hashlib.sha1(value.to_bytes(4, "little")).digest()[:4], "little")


def _fmix32(hv: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, datasketch's pre-mix of the affine32 scheme (uint32 wraps)."""
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


def signatures(hash_sets: Sequence[Sequence[int]], num_perm: int) -> np.ndarray:
    """`signature` of several non-empty shingle-hash sets at once: one row per set.

    Why not datasketch per set: a document has ~20 segments, and a MinHash object per segment costs
    more in Python overhead (permutation checks, small arrays) than the arithmetic itself; here the
    (shingles x permutations) matrix of the whole document is one numpy expression and a
    `minimum.reduceat` per segment. Same seed, permutations and arithmetic, so the same values.
    """
    if not hash_sets:
        return np.empty((0, num_perm), dtype=np.uint32)
    if any(len(hashes) == 0 for hashes in hash_sets):
        raise ValueError("signatures() needs non-empty shingle sets")
    a, b = _permutations(num_perm)
    flat = np.fromiter((_sha1_32(h) for hashes in hash_sets for h in hashes), dtype=np.uint32)
    products = _fmix32(flat).reshape(-1, 1) * a + b
    starts = np.cumsum([0] + [len(hashes) for hashes in hash_sets[:-1]])
    return np.minimum.reduceat(products, starts, axis=0)


@lru_cache(maxsize=8)
def _salts(bands: int) -> tuple[bytes, ...]:
    return tuple(band.to_bytes(2, "little") for band in range(bands))


def band_keys(sig: np.ndarray, bands: int) -> tuple[int, ...]:
    """One 32-bit key per LSH band (band index mixed in, so bands never collide with each other)."""
    data = sig.tobytes()
    width = len(data) // bands
    salts = _salts(bands)
    return tuple(
        int.from_bytes(
            hashlib.blake2b(data[i * width : (i + 1) * width], digest_size=4, salt=salts[i]).digest(),
            "little",
        )
        for i in range(bands)
    )


def fingerprints(
    segments: Sequence[tuple[str, tuple, str]], config: NearDedupConfig = NearDedupConfig()
) -> list[Fingerprint | None]:
    """The fingerprints of (segment_id, order_key, text) items, None for those too short to be judged."""
    found: list[tuple[int, tuple[int, ...]]] = []
    for index, (_, _, text) in enumerate(segments):
        words = normalize_for_hash(text).split()
        if len(words) >= config.min_words:
            found.append((index, shingle_hashes(_shingles_of(words, config.shingle_size))))
    out: list[Fingerprint | None] = [None] * len(segments)
    sigs = signatures([hashes for _, hashes in found], config.num_perm)
    for (index, hashes), sig in zip(found, sigs, strict=True):
        segment_id, order_key, _ = segments[index]
        out[index] = Fingerprint(segment_id, order_key, hashes, band_keys(sig, config.bands))
    return out


def fingerprint(
    segment_id: str, order_key: tuple, text: str, config: NearDedupConfig = NearDedupConfig()
) -> Fingerprint | None:
    """The fingerprint of a segment, or None when it is too short to be judged a near-duplicate."""
    return fingerprints([(segment_id, order_key, text)], config)[0]


def similarity(a: Collection[int], b: Collection[int]) -> tuple[float, float]:
    """(Jaccard, containment of the smaller set in the larger) of two shingle-hash sets (sorted
    unique tuples). `near_edges` scores its pairs with `verified_scores` instead, the same
    arithmetic vectorised over all pairs."""
    if not a or not b:
        return 0.0, 0.0
    common = len(set(a).intersection(b))  # on ~25 hashes ~10x cheaper than numpy's intersect1d
    return common / (len(a) + len(b) - common), common / min(len(a), len(b))


def verified_score(a: Collection[int], b: Collection[int], config: NearDedupConfig) -> float | None:
    """max(Jaccard, containment) of two shingle sets when it reaches the threshold, else None."""
    score = max(similarity(a, b))
    return score if score >= config.threshold else None


def verified_similarity(a: Fingerprint, b: Fingerprint, config: NearDedupConfig) -> float | None:
    """`verified_score` of two fingerprints."""
    return verified_score(a.shingles, b.shingles, config)


@cheap_pickle
@dataclass(frozen=True, slots=True)
class Edge:
    """A verified near-duplicate pair: `later` is a copy of `earlier`."""

    later: str
    later_order: tuple
    earlier: str
    earlier_order: tuple
    similarity: float


def bucket_edges(
    members: Iterable[Fingerprint],
    config: NearDedupConfig,
    verified: dict[tuple[str, str], float | None] | None = None,
) -> list[Edge]:
    """Verified edges inside one LSH bucket: each new segment against the earlier members.

    A segment is compared with at most `max_compare` earlier members (bounded work on buckets of
    boilerplate) and keeps every verified match, so the resolution step can pick a canonical one.
    Segments from the index are only ever the earlier side. `verified` caches pair scores across
    buckets: a true copy shares most of its 32 bands with its original, and one check is enough.
    """
    ordered = sorted(members, key=lambda f: (f.order_key, f.segment_id))
    scores = {} if verified is None else verified
    edges = []
    for j, later in enumerate(ordered):
        if later.from_index:
            continue
        for earlier in ordered[max(0, j - config.max_compare) : j]:
            if earlier.segment_id == later.segment_id:
                continue  # two of its bands collided: it is in this bucket twice
            if later.supersedes and doc_id_of_segment(earlier.segment_id) == later.supersedes:
                continue  # a new revision does not copy its own previous revision
            pair = (later.segment_id, earlier.segment_id)
            if pair not in scores:
                scores[pair] = verified_similarity(later, earlier, config)
            score = scores[pair]
            if score is not None:
                edges.append(
                    Edge(later.segment_id, later.order_key, earlier.segment_id, earlier.order_key, score)
                )
    return edges


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """`np.unique` by sorting: on millions of random 64-bit integers numpy 2.4's hash-based unique
    took 3.2 s (2M) and 7.7 s (5M) here, a sort and a comparison of neighbours 0.05 and 0.11 s."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values


def candidate_pairs(prints: Sequence[Fingerprint], max_compare: int) -> np.ndarray:
    """(later, earlier) positions in `prints` (in canonical order) that `bucket_edges` would compare.

    In every LSH bucket (band key), each segment of this run meets the at most `max_compare` members
    just before it in canonical order. With all (band key, position) entries sorted, that is every
    pair at distance d <= max_compare in the sorted array whose two entries share a key: one
    vectorised comparison per d instead of a dict of 32 x n Python lists. Unique pairs, as int64 rows.
    """
    n = len(prints)
    lengths = np.fromiter((len(p.bands) for p in prints), dtype=np.int64, count=n)
    keys = np.fromiter((band for p in prints for band in p.bands), dtype=np.uint64, count=int(lengths.sum()))
    owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
    order = np.lexsort((owner, keys))
    keys, owner = keys[order], owner[order]
    from_index = np.fromiter((p.from_index for p in prints), dtype=bool, count=n)
    found = np.empty(0, dtype=np.int64)
    pending: list[np.ndarray] = []
    for distance in range(1, max_compare + 1):
        if distance >= len(keys):
            break
        same = keys[distance:] == keys[:-distance]
        if not same.any():  # no bucket has more than `distance` members
            break
        later, earlier = owner[distance:][same], owner[:-distance][same]
        keep = ~from_index[later] & (later != earlier)
        pending.append(later[keep] * n + earlier[keep])
        if sum(len(codes) for codes in pending) > 1 << 22:  # bound memory on boilerplate-heavy input
            found = _sorted_unique(np.concatenate([found, *pending]))
            pending = []
    codes = _sorted_unique(np.concatenate([found, *pending]))
    return np.stack(np.divmod(codes, n), axis=1) if n else np.empty((0, 2), dtype=np.int64)


def verified_scores(
    prints: Sequence[Fingerprint], pairs: np.ndarray, config: NearDedupConfig, chunk: int = 1 << 17
) -> np.ndarray:
    """`verified_score` of each (i, j) row of `pairs` (positions in `prints`): NaN where it does not
    reach the threshold.

    Why vectorised: near_edges verifies about 5 candidate pairs per fingerprint (1M pairs for 200k
    fingerprints once the index is in), and one Python set intersection per pair was most of the
    one-worker dedup decision. All shingles are numbered (print << 32 | hash), sorted once; each
    pair looks the smaller set's numbers up in the other's with one `searchsorted`. The same integer
    counts divided as float64, as Python divides ints, so the same scores as `similarity`.
    """
    scores = np.full(len(pairs), np.nan)
    if not len(pairs):
        return scores
    n = len(prints)
    lengths = np.fromiter((len(p.shingles) for p in prints), dtype=np.int64, count=n)
    owner = np.repeat(np.arange(n, dtype=np.uint64), lengths)
    hashes = np.fromiter((h for p in prints for h in p.shingles), dtype=np.uint64, count=int(lengths.sum()))
    keys = _sorted_unique((owner << np.uint64(32)) | hashes)  # sets: a duplicate counts once
    sizes = np.bincount((keys >> np.uint64(32)).astype(np.int64), minlength=n)
    starts = np.cumsum(sizes) - sizes
    for lo in range(0, len(pairs), chunk):
        a, b = pairs[lo : lo + chunk, 0], pairs[lo : lo + chunk, 1]
        a_smaller = sizes[a] <= sizes[b]
        small, large = np.where(a_smaller, a, b), np.where(a_smaller, b, a)
        count = sizes[small]
        total = int(count.sum())
        if not total:
            continue
        within = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
        mine = keys[np.repeat(starts[small], count) + within] & np.uint64(0xFFFFFFFF)
        query = (np.repeat(large.astype(np.uint64), count) << np.uint64(32)) | mine
        found = keys[np.minimum(np.searchsorted(keys, query), len(keys) - 1)] == query
        common = np.bincount(np.repeat(np.arange(len(a)), count), weights=found, minlength=len(a))
        size_a, size_b = sizes[a], sizes[b]
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.maximum(common / (size_a + size_b - common), common / np.minimum(size_a, size_b))
        keep = (size_a > 0) & (size_b > 0) & (score >= config.threshold)
        scores[lo : lo + chunk] = np.where(keep, score, np.nan)
    return scores


def near_edges(fingerprints: Iterable[Fingerprint], config: NearDedupConfig) -> list[Edge]:
    """Every verified edge among `fingerprints`: the pairs `bucket_edges` compares in each LSH
    bucket (`candidate_pairs`), each pair verified once, one edge per pair.

    Why in one place rather than a shuffle by band key: emitting every fingerprint once per band
    (32 copies, shingles included) made the band shuffle the largest PCollection of a run, in
    elements (Beam's per-element cost) and in memory; the fingerprints of a run fit in one process.
    """
    prints = sorted(fingerprints, key=lambda f: (f.order_key, f.segment_id))
    pairs = candidate_pairs(prints, config.max_compare)
    scores = verified_scores(prints, pairs, config)
    verified = np.flatnonzero(~np.isnan(scores))
    edges: dict[tuple[str, str], Edge] = {}
    passing = zip(pairs[verified].tolist(), scores[verified].tolist(), strict=True)
    for (later_at, earlier_at), score in passing:
        later, earlier = prints[later_at], prints[earlier_at]
        if later.supersedes and doc_id_of_segment(earlier.segment_id) == later.supersedes:
            continue  # a new revision does not copy its own previous revision
        edge = Edge(later.segment_id, later.order_key, earlier.segment_id, earlier.order_key, score)
        edges.setdefault((edge.later, edge.earlier), edge)
    return [edges[pair] for pair in sorted(edges)]


def resolve_clusters(edges: Iterable[Edge]) -> dict[str, tuple[str, float]]:
    """Decide near-duplicates from verified edges: segment -> (canonical it copies, similarity).

    Segments are decided in canonical order. A segment is a duplicate when one of its verified
    matches is canonical (not itself flagged); it points at the most similar such match (then the
    earliest). Why not union-find: similarity is not transitive. With containment, a merged sentence
    B = A + C matches both A and C, and a union would make C a "copy" of A although they share no
    words; here C's only match, B, is itself a duplicate, so C stays canonical and its content is
    kept in clean_text. `duplicate_of` therefore always names a canonical segment that was verified
    similar to the duplicate, never a transitive neighbour.
    """
    by_later: dict[str, list[Edge]] = {}
    order: dict[str, tuple] = {}
    for edge in edges:
        by_later.setdefault(edge.later, []).append(edge)
        order[edge.later] = edge.later_order
    flagged: dict[str, tuple[str, float]] = {}
    for later in sorted(by_later, key=lambda node: (order[node], node)):
        canonical = [e for e in by_later[later] if e.earlier not in flagged]
        if canonical:
            best = min(canonical, key=lambda e: (-e.similarity, e.earlier_order, e.earlier))
            flagged[later] = (best.earlier, round(best.similarity, 4))
    return flagged
