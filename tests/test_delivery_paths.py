"""Path independence: one corpus delivered as one `run`, as three `run`s in chunks, and through
`watch` in three drops gives the same tables, row by row (run ids and timestamps aside).

The corpus: the 100 vendored Wikinews articles, the seeds, and copies of them made the way wire
copy and syndication make them (whole articles with a later date, near copies with words dropped,
partial copies of a few paragraphs into a new article), in three batches. A copy is always
delivered with or after its original, and dated after it: the rule under which every delivery
must agree (README, "Deduplication"). Entities are compared through the clusters they belong to
now (`entity_clusters`, following `merged_into`): an `entities` row keeps the canonical name and
score its cluster had when it was written, and an id published early keeps its value.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import subprocess
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from deltalake import DeltaTable

from pipeline.stream import find_prism
from tests.conftest import NEWSBEAM, ROOT, SEEDS, run_cli

WIKINEWS = ROOT / "tests" / "data" / "wikinews-fr-2012"
DATELINE = re.compile(r"\d{1,2}(er)? \w+ \d{4}[.,]")
VOLATILE = {"run_id", "ingested_at", "rejected_at"}
#: Counters that must add up to the same totals however the corpus is delivered.
SUMMED = (
    "files_read", "records_read", "documents", "segments", "duplicates_exact", "duplicates_near",
    "entities", "entities_dropped", "dates", "rows_documents", "rows_segments", "rows_entities",
    "rows_dates", "rows_state_segments", "rows_state_documents", "rows_state_entity_ids",
)  # fmt: skip
KEYS = {
    "documents": ["doc_id"],
    "segments": ["segment_id"],
    "dates": ["segment_id", "start_char", "end_char"],
    "entities": ["segment_id", "start_char", "end_char"],
}


def _body(path: Path) -> tuple[str, str]:
    """(title, body) of a vendored Wikinews article (title line, blank line, dateline paragraph...)."""
    title, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    return title, body


def _drop_words(text: str, rng: random.Random) -> str:
    """A near copy: one word dropped from every sentence of more than 12 words."""
    out = []
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        words = sentence.split(" ")
        if len(words) > 12:
            del words[rng.randrange(1, len(words) - 1)]
        out.append(" ".join(words))
    return " ".join(out)


def build_corpus(root: Path) -> dict[str, list[tuple[str, str]]]:
    """Three batches of (file name, content); originals never after their copies."""
    rng = random.Random(19)
    articles = sorted(WIKINEWS.glob("*.txt"))
    first, second = articles[:35], articles[35:70]  # 70 of the 100: the third copy path costs minutes
    batches: dict[str, list[tuple[str, str]]] = {"b1": [], "b2": [], "b3": []}
    for path in first:
        batches["b1"].append((path.name, path.read_text(encoding="utf-8")))
    for path in sorted(SEEDS.glob("*.txt")):
        batches["b1"].append((path.name, path.read_text(encoding="utf-8")))
    for path in second:
        batches["b2"].append((path.name, path.read_text(encoding="utf-8")))
    later = dt.date(2012, 12, 20)  # after every article of the corpus
    # Only dated articles are copied: an undated original ranks after its dated copies in any one
    # delivery (undated last), while a later delivery cannot precede it: the rule's one exception.
    dated = [p for p in articles if DATELINE.match(_body(p)[1])]
    first_dated, second_dated = [p for p in first if p in dated], [p for p in second if p in dated]
    for n, path in enumerate(rng.sample(first_dated, 21)):  # copies of batch 1 in batches 2 and 3
        title, body = _body(path)
        day = later + dt.timedelta(days=n % 5)
        kind = n % 3
        if kind == 0:  # wire copy, word for word
            text = body
        elif kind == 1:  # near copy
            text = "\n\n".join(_drop_words(p, rng) for p in body.split("\n\n"))
        else:  # three paragraphs quoted into a new article
            paragraphs = [p for p in body.split("\n\n") if len(p.split()) > 8]
            quoted = "\n\n".join(paragraphs[:3])
            text = f"Revue de presse du jour, numéro {n}.\n\n{quoted}\n\nFin de la revue de presse {n}."
        batch = "b2" if n % 2 else "b3"
        batches[batch].append((f"copy-{n:03d}-{path.name}", f" date {day.isoformat()}\n{title}\n\n{text}\n"))
    for n, path in enumerate(rng.sample(second_dated, 10)):  # copies of batch 2 in batch 3
        title, body = _body(path)
        day = later + dt.timedelta(days=10 + n % 3)
        text = body if n % 2 else "\n\n".join(_drop_words(p, rng) for p in body.split("\n\n"))
        batches["b3"].append((f"recopy-{n:03d}-{path.name}", f" date {day.isoformat()}\n{title}\n\n{text}\n"))
    for batch, files in batches.items():
        folder = root / "staged" / batch
        folder.mkdir(parents=True)
        for name, content in files:
            (folder / name).write_text(content, encoding="utf-8")
    return batches


def _drop(root: Path, batch: str) -> None:
    """A batch arrives all at once (one directory rename: a poll sees all of it or none)."""
    (root / "staged" / batch).rename(root / "corpus" / batch)


def _committed(output: Path) -> int:
    """Documents committed so far (their `_state/documents` rows are written with them)."""
    files = [str(f) for f in (output / "_state" / "documents").glob("*.parquet")]
    return ds.dataset(files, format="parquet").count_rows() if files else 0


def _start_watch(root: Path, output: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [str(NEWSBEAM), "watch", "--input", str(root / "corpus" / "*" / "*.txt"), "--output", str(output),
         "--window-seconds", "3", "--poll-seconds", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip


def _wait_committed(proc: subprocess.Popen, output: Path, expected: int) -> None:
    deadline = time.monotonic() + 600
    while _committed(output) < expected:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, f"{expected} documents not committed within 600 s"
        time.sleep(0.5)


def watch_in_drops(root: Path, output: Path, batches: dict[str, list]) -> dict:
    """`newsbeam watch` on the corpus folder, the batches dropped one after the other, each once the
    previous one is committed; then SIGTERM. Returns the watch's manifest."""
    (root / "corpus").mkdir()
    proc = _start_watch(root, output)
    try:
        expected = 0
        for batch, files in batches.items():
            time.sleep(2)
            _drop(root, batch)
            expected += len(files)
            _wait_committed(proc, output, expected)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    manifests = sorted((output / "_runs").glob("*.json"))
    return json.loads(manifests[-1].read_text())


def run_once(root: Path, output: Path) -> list[dict]:
    run_cli("run", "--input", str(root / "corpus" / "*" / "*.txt"), "--output", str(output))
    return [json.loads(p.read_text()) for p in sorted((output / "_runs").glob("*.json"))]


def run_in_chunks(root: Path, output: Path) -> list[dict]:
    for batch in ("b1", "b2", "b3"):
        run_cli("run", "--input", str(root / "corpus" / batch / "*.txt"), "--output", str(output))
    return [json.loads(p.read_text()) for p in sorted((output / "_runs").glob("*.json"))]


def _table(output: Path, name: str) -> list[dict]:
    dataset = ds.dataset(output / name, format="parquet", partitioning="hive")
    table: pa.Table = dataset.to_table()
    rows = [{k: v for k, v in row.items() if k not in VOLATILE} for row in table.to_pylist()]
    return sorted(rows, key=lambda r: [str(r[k]) for k in KEYS.get(name, sorted(r))])


def _clusters(output: Path) -> tuple[dict[str, tuple], list[tuple]]:
    """entity_id -> its current cluster (canonical, label), following `merged_into`; and the live
    clusters without their ids."""
    rows = {r["entity_id"]: r for r in _table(output, "entity_clusters")}
    resolved = {}
    for entity_id, row in rows.items():
        while row["merged_into"]:
            row = rows[row["merged_into"]]
        resolved[entity_id] = (row["canonical"], row["label"])
    live = sorted(
        (
            tuple(
                (k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(r.items()) if k != "entity_id"
            )
            for r in rows.values()
            if not r["merged_into"]
        ),
        key=repr,
    )
    return resolved, live


def comparable(output: Path) -> dict[str, object]:
    """Every table of an output, in a form equal across deliveries."""
    resolved, live = _clusters(output)
    entities = []
    for row in _table(output, "entities"):
        assert row["entity_id"] in resolved, f"{row['entity_id']} has no entity_clusters row"
        fixed = {k: v for k, v in row.items() if k not in {"entity_id", "canonical", "label", "score"}}
        entities.append({**fixed, "cluster": resolved[row["entity_id"]]})
    return {
        "documents": _table(output, "documents"),
        "segments": _table(output, "segments"),
        "dates": _table(output, "dates"),
        "entities": entities,
        "entity_clusters": live,
    }


def _summed(manifests: list[dict]) -> dict[str, int]:
    total: Counter = Counter()
    for manifest in manifests:
        total.update({k: manifest["counters"].get(k, 0) for k in SUMMED})
    return dict(total)


@pytest.mark.slow
@pytest.mark.skipif(find_prism() is None, reason="Prism is built by ./run_local.sh (needs Go)")
def test_one_run_chunked_runs_and_watch_give_the_same_tables(tmp_path: Path) -> None:
    batches = build_corpus(tmp_path)
    watched = watch_in_drops(tmp_path, tmp_path / "out-watch", batches)
    once = run_once(tmp_path, tmp_path / "out-once")
    chunks = run_in_chunks(tmp_path, tmp_path / "out-chunks")

    counts = _summed(once)
    print("counts of the one run:", counts)
    assert counts["documents"] == sum(len(files) for files in batches.values())
    # Not a vacuous comparison: copies of every kind, across batches.
    assert counts["duplicates_exact"] > 100 and counts["duplicates_near"] > 50, counts
    assert _summed(chunks) == counts
    assert _summed([watched]) == counts

    expected = comparable(tmp_path / "out-once")
    copies = [r for r in expected["documents"] if r["is_duplicate"]]
    assert len(copies) >= 15, "whole-article copies are flagged as duplicate documents"
    for name, output in (("chunks", tmp_path / "out-chunks"), ("watch", tmp_path / "out-watch")):
        actual = comparable(output)
        for table, rows in expected.items():
            assert len(actual[table]) == len(rows), (name, table)
            different = [(a, b) for a, b in zip(actual[table], rows, strict=True) if a != b]
            assert not different, (name, table, len(different), different[:2])
    # Each committed window of the stream is a Delta commit of its own (transforms/delta_log.py).
    history = DeltaTable(str(tmp_path / "out-watch" / "documents")).history()
    windows = [c for c in history if str(c.get("newsbeam.operation", "")).startswith("window w")]
    assert len(windows) >= len(batches), [c.get("newsbeam.operation") for c in history]


@pytest.mark.skipif(find_prism() is None, reason="Prism is built by ./run_local.sh (needs Go)")
def test_watch_killed_mid_stream_and_restarted_ingests_everything_once(tmp_path: Path) -> None:
    """SIGKILL while a window is in flight: the restart ingests what was not committed, nothing
    twice, and `entity_clusters` covers every entity_id; the committed windows are logged."""
    rng = random.Random(3)
    articles = rng.sample(sorted(WIKINEWS.glob("*.txt")), 24)
    for batch, chosen in (("b1", articles[:12]), ("b2", articles[12:])):
        folder = tmp_path / "staged" / batch
        folder.mkdir(parents=True)
        for path in chosen:
            (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "staged" / "b2" / "copy.txt").write_text(  # batch 1's first article, later
        " date 2012-12-24\n" + (tmp_path / "staged" / "b1" / articles[0].name).read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    (tmp_path / "corpus").mkdir()
    output = tmp_path / "out"
    proc = _start_watch(tmp_path, output)
    try:
        time.sleep(2)
        _drop(tmp_path, "b1")
        _wait_committed(proc, output, 12)
        _drop(tmp_path, "b2")
        time.sleep(4)  # matched and in flight, not committed (a window of 13 documents takes longer)
        committed_at_kill = _committed(output)
    finally:
        proc.kill()
        proc.communicate(timeout=60)
    assert committed_at_kill < 25, "the kill came too late to test anything"
    windows = list((output / "_runs").glob("*.windows/*.json"))
    assert (
        windows and sum(json.loads(w.read_text())["rows"]["documents"] for w in windows) == committed_at_kill
    )

    proc = _start_watch(tmp_path, output)
    try:
        _wait_committed(proc, output, 25)
        time.sleep(3)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    documents = _table(output, "documents")
    assert len(documents) == 25 == len({r["doc_id"] for r in documents})
    assert len({r["source"] for r in documents}) == 25
    (copy,) = [r for r in documents if r["source"].endswith("copy.txt")]
    assert copy["is_duplicate"] and copy["duplicate_of"]
    segments = _table(output, "segments")
    assert len(segments) == len({r["segment_id"] for r in segments})
    resolved, _ = _clusters(output)
    assert {r["entity_id"] for r in _table(output, "entities")} <= set(resolved)
    assert "documents               " in out
