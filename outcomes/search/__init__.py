"""The registry's one search engine, used by the search page, the set list API's `q` and the search API.

- `text`: normalisation shared by indexing and querying (case, accents, apostrophes, hyphens, British/American
  spelling, stop words, stemming).
- `query`: a query string parsed into clauses (words, "phrases", OR, -exclusions, ICD-10 and SNOMED CT codes,
  `domain:N`), expanded with the curators' synonyms and corrected for typos against the index's vocabulary.
- `engine`: the query applied to a queryset of sets (PostgreSQL full text or SQLite FTS5, ranked), why each set
  matched, and typed hits (sets, outcomes, instruments).

The index itself (outcomes.models.search) is written by outcomes.services.search.
"""

# How many sets each tier of ranking candidates holds at most (outcomes.search.engine; the benchmark's floor uses it
# too, hence here, with no Django import).
CANDIDATES = 100
