"""Named entities with spaCy: the model is loaded once per worker process and fed in batches.

Only canonical (non-duplicate) segments reach the model: a copy's entities are its canonical
segment's. The components NER does not need (parser, lemmatizer, morphologizer, ...) are
excluded at load time, which leaves the entities unchanged (checked on the seeds) and loads
about 5 times faster.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.utils import shared

from transforms.records import cheap_pickle

#: Components of the spaCy news pipelines that NER does not listen to.
UNUSED_COMPONENTS = ("parser", "lemmatizer", "morphologizer", "attribute_ruler", "senter", "tagger")


@cheap_pickle
@dataclass(frozen=True, slots=True)
class NerInput:
    """What the NER step needs of a segment: where it is and its text."""

    doc_id: str
    segment_id: str
    start_char: int
    text: str
    pub_month: str | None


@cheap_pickle
@dataclass(frozen=True, slots=True)
class RawMention:
    """A mention as the model found it, with offsets into the document body."""

    doc_id: str
    segment_id: str
    text: str
    label: str
    start_char: int
    end_char: int
    pub_month: str | None


#: Texts per `nlp.pipe` batch. Segments are sentences (~30 tokens): 256 of them ran about 4 % faster
#: than spaCy's default 64 on 3,000 seed-like segments, same entities.
NER_BATCH_SIZE = 256

_LEADING_ARTICLE = re.compile(r"^(?:l['’]|les?\s+|la\s+|d['’])", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def normalize_mention(text: str) -> str:
    """A mention's text with typographic variants folded (NFC, apostrophes, spaces, leading article)."""
    text = unicodedata.normalize("NFC", text).replace("’", "'")
    text = _SPACES.sub(" ", text).strip(' \t\n«»"“”()[],.;:')
    stripped = _LEADING_ARTICLE.sub("", text)
    return stripped if stripped else text


_MODELS: dict[str, object] = {}
_MODELS_LOCK = threading.Lock()


def load_model(name: str):  # -> spacy.Language
    """Load a spaCy pipeline with only the NER components, once per process."""
    with _MODELS_LOCK:
        if name not in _MODELS:
            import spacy

            _MODELS[name] = spacy.load(name, exclude=list(UNUSED_COMPONENTS))
        return _MODELS[name]


def find_mentions(nlp, inputs: Sequence[NerInput], batch_size: int = NER_BATCH_SIZE) -> Iterator[RawMention]:
    """Run `nlp.pipe` over a batch of segments and yield their mentions with body offsets."""
    texts = (item.text for item in inputs)
    for item, doc in zip(inputs, nlp.pipe(texts, batch_size=batch_size), strict=True):
        for ent in doc.ents:
            yield RawMention(
                doc_id=item.doc_id,
                segment_id=item.segment_id,
                text=ent.text,
                label=ent.label_,
                start_char=item.start_char + ent.start_char,
                end_char=item.start_char + ent.end_char,
                pub_month=item.pub_month,
            )


class _Wrapper:
    """`shared.Shared` needs a weak-referenceable object; a spaCy Language is, but be explicit."""

    def __init__(self, nlp) -> None:
        self.nlp = nlp


def document_mentions(
    nlp, documents: Sequence[Sequence[NerInput]], batch_size: int = NER_BATCH_SIZE
) -> Iterator[tuple[RawMention, ...]]:
    """The mentions of each document (one tuple per document that has any), in input order.

    The segments of all documents go through one `nlp.pipe`, so spaCy batches across documents.
    """
    segments = [item for document in documents for item in document]
    found: dict[str, list[RawMention]] = {}
    for mention in find_mentions(nlp, segments, batch_size):
        found.setdefault(mention.doc_id, []).append(mention)
    for document in documents:
        if document and document[0].doc_id in found:
            yield tuple(found.pop(document[0].doc_id))


class _NerBatch(beam.DoFn):
    def __init__(self, model: str, handle: shared.Shared) -> None:
        self._model = model
        self._handle = handle
        self._mentions = Metrics.counter("newsbeam", "entities_raw")
        self._segments = Metrics.counter("newsbeam", "ner_segments")

    def setup(self) -> None:
        model = self._model
        self._nlp = self._handle.acquire(lambda: _Wrapper(load_model(model)), tag=model).nlp

    def process(self, batch: list[tuple[NerInput, ...]]) -> Iterator[tuple[RawMention, ...]]:
        self._segments.inc(sum(len(document) for document in batch))
        for mentions in document_mentions(self._nlp, batch):
            self._mentions.inc(len(mentions))
            yield mentions


class RecognizeEntities(beam.PTransform):
    """Documents' segments -> documents' mentions, through one shared spaCy model per worker process.

    An element is one document: the tuple of its NerInput segments in, the tuple of its RawMention
    out (documents without mentions emit nothing). Why per document and not per segment: every
    element crossing a stage boundary is encoded and decoded by Beam; a document is ~20 segments
    and ~50 mentions, so this cuts the elements of the NER stage and of the entity join ~20-fold.
    """

    def __init__(self, model: str, min_batch: int = 1, max_batch: int = 16) -> None:
        super().__init__()
        self._model = model
        self._min_batch = min_batch
        self._max_batch = max_batch

    def expand(self, documents: beam.PCollection) -> beam.PCollection:
        return (
            documents
            # NER is the costly stage: a reshuffle breaks fusion so that its input is spread over
            # all workers (--direct_num_workers, or a distributed runner), not kept on the reader's.
            | "Spread" >> beam.Reshuffle()
            | "Batch" >> beam.BatchElements(min_batch_size=self._min_batch, max_batch_size=self._max_batch)
            | "Ner" >> beam.ParDo(_NerBatch(self._model, shared.Shared()))
        )
