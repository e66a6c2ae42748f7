"""Named entities with spaCy: the model is loaded once per worker process and fed in batches
(`transforms/enrich.py` calls it on batches of documents).

Only canonical (non-duplicate) segments reach the model: a copy's entities are its canonical
segment's. The components NER does not need (parser, lemmatizer, morphologizer, ...) are
excluded at load time, which leaves the entities unchanged (checked on the seeds) and loads
about 5 times faster. So is a shared `tok2vec` once nothing listens to it: in the French news
pipelines `ner` embeds its own Tok2Vec, and the shared one only fed the excluded morphologizer and
parser (same entities without it; NER about a third cheaper, `benchmarks/profile_notes.md`).
The loaded pipeline ends with `newsbeam_entity_spans` (`spans.py`): entity boundaries without the
determiners, titles and headline separators spaCy glues to names.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from transforms.entities.spans import add_to as add_entity_span_fixes
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

_MODELS: dict[str, object] = {}
_MODELS_LOCK = threading.Lock()


def unheard_embeddings(nlp) -> list[str]:
    """Shared embedding components (`tok2vec`, `transformer`) that no remaining component listens to.

    Why: spaCy runs every component of a pipeline, so a shared `tok2vec` whose listeners were
    excluded still embeds every token, for nobody. A component listening to it keeps it.
    """
    return [
        name
        for name, component in nlp.pipeline
        if hasattr(component, "listening_components") and not component.listening_components
    ]


def load_model(name: str):  # -> spacy.Language
    """Load a spaCy pipeline with only what its NER computes with, once per process."""
    with _MODELS_LOCK:
        if name not in _MODELS:
            import spacy

            nlp = spacy.load(name, exclude=list(UNUSED_COMPONENTS))
            for unheard in unheard_embeddings(nlp):
                nlp.remove_pipe(unheard)
            if "ner" in nlp.pipe_names:
                add_entity_span_fixes(nlp)
            _MODELS[name] = nlp
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


def mentions_by_document(
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
