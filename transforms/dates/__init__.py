"""Dates: publication dates and date mentions normalized to ISO 8601.

The date grammar (pure functions), from words to values:
- `lexicon.py`: month, weekday, number, season and part-of-day words, and the compiled regular
  expressions of temporal expressions;
- `candidates.py`: a candidate span with its resolver, the resolution context (anchor, running
  reference date) and the calendar arithmetic the rules share;
- `rules.py`: one handler per grammar rule (a match -> candidates), `RULES` with priorities and triggers;
- `extract.py`: `extract_dates`, rules -> overlap resolution -> `DateMention`s of one text.
The publication date, from the evidence a file carries:
- `publication.py`: header, metadata, dateline, path/URL evidence and the choice among them;
- `content_date.py`: the last resort, a date read from the text itself.
Beam and evaluation:
- `stages.py`: `InferPubDates` (a Beam transform) and `date_rows` (the `dates` table);
- `timebank.py`: French TimeBank reader and scores for `newsbeam eval-dates`.
"""

from transforms.dates.stages import InferPubDates, date_rows

__all__ = ["InferPubDates", "date_rows"]
