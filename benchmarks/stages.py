"""Wall time per fused stage of a DirectRunner run, from the stage log `newsbeam` writes when
NEWSBEAM_STAGE_LOG is set (pipeline/logs.py).

Why: py-spy says which functions cost CPU; it cannot say how long the cores waited between stages
or which stage ran on one core only. The FnApiRunner runs fused stages one after another, so the
time from one stage's start to the next one's is that stage's wall time.

    NEWSBEAM_STAGE_LOG=/tmp/stages.log newsbeam run --input ... --output ...
    python benchmarks/stages.py /tmp/stages.log
"""

from __future__ import annotations

import itertools
import re
import sys
from collections import Counter
from collections.abc import Iterable

from pipeline.logs import PIPELINE_END, PIPELINE_START

STAGE = "Running bundle for stage "

_NAME = re.compile(r"(?:ref_AppliedPTransform_)?([A-Za-z][\w\[\]/-]*)")
_BEAM_PARTS = ("ref_PCollection", "Impulse")


def stage_label(fused: str) -> str:
    """A readable label for a fused stage: the top-level transforms it runs, in order.

    `(((Dedup/GroupByHash/.../Read)+(ref_AppliedPTransform_Dedup-ResolveExact_59))+(...))` ->
    `Dedup/GroupByHash`; a stage spanning transforms -> `Assemble/JoinOnDocId > Language > ...`.
    """
    seen: list[str] = []
    for part in re.split(r"[()+]+", fused):
        if not part or part.startswith(_BEAM_PARTS):
            continue
        match = _NAME.match(part)
        if match is None:
            continue
        name = re.sub(r"_\d+$", "", match.group(1))
        # The stage's first transform with its sub-step (which join or combine), the others top-level.
        top = "/".join(p for p in re.split(r"[/\-\[\]]+", name)[: 1 if seen else 2] if p)
        if top not in seen:
            seen.append(top)
    return " > ".join(seen) if seen else fused[:60]


def stage_times(lines: Iterable[str]) -> list[tuple[str, float]]:
    """(label, seconds) per stage, summed over repeats (chunks), largest first.

    `lines` are `<unix time> <message>` records. Start-up (pipeline start to first stage) and the
    tail (last stage start to pipeline end: the last stage and the commit) get their own labels.
    """
    events: list[tuple[float, str]] = []
    for line in lines:
        stamp, _, message = line.rstrip("\n").partition(" ")
        try:
            events.append((float(stamp), message))
        except ValueError:
            continue  # a continuation line of a multi-line record
    totals: Counter[str] = Counter()
    for (start, message), (end, _) in itertools.pairwise(events):
        if message.startswith(STAGE):
            totals[stage_label(message[len(STAGE) :])] += end - start
        elif message == PIPELINE_START:
            totals["(start-up: before the first stage)"] += end - start
        elif message == PIPELINE_END:
            totals["(between pipeline runs)"] += end - start
    return totals.most_common()


def main(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        rows = stage_times(handle)
    total = sum(seconds for _, seconds in rows)
    for label, seconds in rows:
        print(f"{seconds:8.1f} s {100 * seconds / total:5.1f} %  {label}")
    print(f"{total:8.1f} s total")


if __name__ == "__main__":
    main(sys.argv[1])
