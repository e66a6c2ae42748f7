"""Dates: publication dates and date mentions normalized to ISO 8601.

- `extract.py`: the French/English date grammar (pure functions).
- `transform.py`: the Beam transforms `InferPubDates` and `ExtractDates`.
- `timebank.py`: French TimeBank reader and scores for `newsbeam eval-dates`.
"""

from transforms.dates.transform import ExtractDates, InferPubDates

__all__ = ["ExtractDates", "InferPubDates"]
