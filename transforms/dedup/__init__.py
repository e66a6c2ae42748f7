"""Where duplicates are decided.

- `exact.py`: hash of the normalized sentence; the earliest copy is canonical.
- `near.py`: MinHash LSH candidates verified by Jaccard / containment; clusters by union-find.
- `index.py`: the persistent cross-run index under `DIR/_state/`.
- `transform.py`: `Deduplicate`, the Beam composite that chains them.
"""

from transforms.dedup.exact import pick_canonical
from transforms.dedup.near import NearDedupConfig
from transforms.dedup.transform import Deduplicate

__all__ = ["Deduplicate", "NearDedupConfig", "pick_canonical"]
