"""Language of every segment (lingua, offline) and of each document (majority by characters).

Why per segment: news quotes tweets and statements in other languages (seed 001 embeds an English
tweet); NER must run with a model of the segment's language, or not at all.
"""

from __future__ import annotations

import dataclasses

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.assemble import AssembledDocument
from transforms.entities.language import detect_language, majority_language


def with_languages(item: AssembledDocument) -> AssembledDocument:
    """The document with `languages` (one per segment) and `language` (majority) filled in.

    A segment too short to be recognised takes the document's language, and so does a duplicate
    (it is not enriched: its canonical copy is), which saves lingua a third of its work on wire copy.
    """
    detected = [
        None if verdict.is_duplicate else detect_language(segment.text)
        for segment, verdict in zip(item.segments, item.verdicts, strict=True)
    ]
    language = majority_language(
        (lang, segment.end_char - segment.start_char)
        for lang, segment in zip(detected, item.segments, strict=True)
    )
    languages = tuple(lang or language for lang in detected)
    return dataclasses.replace(item, languages=languages, language=language)


class DetectLanguages(beam.PTransform):
    """AssembledDocument -> AssembledDocument with segment and document languages."""

    def expand(self, docs: beam.PCollection) -> beam.PCollection:
        counter = Metrics.counter("newsbeam", "segments_not_majority_language")

        def _detect(item: AssembledDocument) -> AssembledDocument:
            result = with_languages(item)
            counter.inc(sum(1 for lang in result.languages if lang != result.language))
            return result

        return docs | "Detect" >> beam.Map(_detect)
