"""Where duplicates are decided.

- `exact.py`: hash of the normalized sentence; the earliest copy is canonical.
"""

from transforms.dedup.exact import ExactDedup, pick_canonical

__all__ = ["ExactDedup", "pick_canonical"]
