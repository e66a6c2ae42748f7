"""Dates: publication dates and date mentions normalized to ISO 8601.

- `extract.py`: the French/English date grammar (pure functions).
- `transform.py`: `InferPubDates` (a Beam transform) and `date_rows`.
- `timebank.py`: French TimeBank reader and scores for `newsbeam eval-dates`.
"""

from transforms.dates.transform import InferPubDates, date_rows

__all__ = ["InferPubDates", "date_rows"]
