"""`pipeline.eval_dates.evaluate`: the real pipeline scored on French TimeBank, next to dateparser.

Why through the whole pipeline: the figures must be those of the `dates` Parquet table a user reads,
after the reader's header handling, segmentation and dedup, not of the grammar called in isolation.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline.eval_dates import EvalInputError, EvalReport, _check_documents, evaluate
from transforms.dates.timebank import TimebankDoc

from .conftest import TIMEBANK

CORPUS = TIMEBANK


def _check_report(report: EvalReport, docs: int) -> None:
    """Invariants of any report: every article came back, both systems scored on the same gold."""
    print("\n" + report.render())
    assert report.docs == docs
    assert report.gold > 0
    assert report.pipeline.scores["n_gold"] == report.baseline.scores["n_gold"] == report.gold
    assert report.pipeline.seconds > 0 and report.baseline.seconds > 0
    assert set(report.to_json()["systems"]) == {"pipeline", "baseline"}


def test_subset_pipeline_beats_dateparser(tmp_path: Path) -> None:
    """On 8 articles the pipeline beats the baseline on strict and value F1, offsets lined up."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in sorted(CORPUS.glob("*.tml"))[:8]:
        shutil.copy(path, corpus / path.name)
    report = evaluate(corpus, tmp_path / "work")  # raises EvalInputError if the offsets assumption broke
    _check_report(report, docs=8)
    ours, base = report.pipeline.scores, report.baseline.scores
    assert ours["strict_f1"] > base["strict_f1"]
    assert ours["value_f1"] > base["value_f1"]


def test_check_documents_fails_loudly_on_shifted_text() -> None:
    """A body that is not exactly the TimeBank text (e.g. header newline kept) must not be scored."""
    doc = TimebankDoc(name="a", dct=dt.date(1999, 5, 17), text="Le 3 mai 1999, rien.")
    row = {"doc_id": "x", "source": "/in/a.txt", "pub_date": doc.dct, "pub_date_source": "header"}
    ok = pa.Table.from_pylist([{**row, "text": doc.text}])
    assert _check_documents({"a": doc}, ok) == {"x": "a"}
    shifted = pa.Table.from_pylist([{**row, "text": "\n" + doc.text}])
    with pytest.raises(EvalInputError, match="offsets would not line up"):
        _check_documents({"a": doc}, shifted)
    with pytest.raises(EvalInputError, match="missing"):
        _check_documents({"a": doc, "b": doc}, ok)


@pytest.mark.slow
def test_full_dev_corpus(tmp_path: Path) -> None:
    """The whole dev corpus through the pipeline: the README's quality bar."""
    report = evaluate(CORPUS, tmp_path / "work")
    _check_report(report, docs=len(list(CORPUS.glob("*.tml"))))
    assert report.pipeline.scores["strict_f1"] >= 0.85
    assert report.pipeline.scores["value_f1"] >= 0.80
