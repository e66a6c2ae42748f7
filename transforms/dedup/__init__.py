"""Where duplicates are decided, by role:

- `exact.py`, `near.py`: the algorithms (content hash; MinHash LSH verified by Jaccard/containment).
- `whole_copies.py`: a body delivered twice in a run is segmented once; its copies' verdicts derive
  from the canonical copy's.
- `decide.py`: THE decision, one pure function for a delivery (a run or a window) against history.
- `batch.py`: the batch wrapper (a run's keys and the index in one combine, verdicts as a side input).
- `keyed.py`: the same decision keyed by content hash and LSH band, for distributed runners.
- `streaming.py`: the streaming wrapper (a window's keys, history from keyed Beam state + timers).
- `state.py`: the persistent history under `DIR/_state/` (documents ingested, canonical segments).
"""

from transforms.dedup.exact import pick_canonical
from transforms.dedup.near import NearDedupConfig

__all__ = ["NearDedupConfig", "pick_canonical"]
