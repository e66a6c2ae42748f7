"""Named entities: spaCy mentions, resolved within each document, clustered across documents.

Finding mentions:
- `ner.py`: the spaCy pipelines (only `ner` runs), mentions of a batch of segments;
- `gate.py`: `may_hold_entity`, the cheap test that keeps sentences with no possible name from the model;
- `spans.py`: span boundaries, without the determiners, prepositions and titles glued to a name;
Resolving them (plain functions over the records of `records.py`):
- `names.py`: normalization of surface forms (name keys), titles, typo-tolerant name matching;
- `resolve.py`: within one document (surnames to the nearest full name, acronym definitions);
- `cluster.py`: across documents (one cluster per entity, never two different entities merged);
- `types.py`, `gazetteer.py`: the label of a cluster and the place it names;
- `ids.py`: entity ids that stay stable once published;
Beam:
- `per_document.py`: resolution where a document is enriched;
- `state.py`: the per-run name delta and `_state/entity_names`;
- `stages.py`: `ResolveEntities`, the run-wide clusters and the `entities`/`entity_clusters` rows.
"""
