"""Where duplicates are decided.

- `exact.py`: hash of the normalized sentence; the earliest copy is canonical.
- `near.py`: MinHash LSH candidates verified by Jaccard / containment; clusters by union-find.
- `index.py`: the persistent cross-run index under `DIR/_state/`.
- `documents.py`: `DeduplicateDocuments`, the batch composite: segments stay in their documents,
  one global decision (exact, then near) reaches them as a side input.
- `transform.py`: `Deduplicate`, the per-segment composite (streaming, within a window).
- `stream.py`: exact dedup across the windows of a stream (Beam state).
"""

from transforms.dedup.exact import pick_canonical
from transforms.dedup.near import NearDedupConfig
from transforms.dedup.transform import Deduplicate

__all__ = ["Deduplicate", "NearDedupConfig", "pick_canonical"]
