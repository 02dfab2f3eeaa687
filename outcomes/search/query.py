"""A search query: parsed into clauses, expanded with the curators' synonyms, corrected for typos.

What a query understands (docs/web.md "Search"):
- words, each of which must match somewhere in the set (any field): `heart failure`;
- "quoted phrases", whose words must follow each other: `"quality of life"`;
- `OR` between two words or phrases: `dementia OR alzheimer`; `-word` or `NOT word` excludes sets that match it;
- ICD-10 codes, code prefixes and parents (`I50`, `C92.0`; `C92` finds C92.0, `I50.9` finds I50) and SNOMED CT ids of
  the sets' conditions;
- `domain:N`: sets with an outcome in COMET domain N (a number alone is a word, never a domain);
- abbreviations and synonyms from `SearchSynonym` (`HF` also finds "heart failure");
- a word that is nowhere in the index is replaced by the most similar indexed word, when it looks like a slip of the
  keyboard: `dimentia` -> dementia, but `infection` is never searched as infarction (see `_closest_word`);
- a word no set holds anywhere (and not corrected) is left out, and named, when the query has other words.
"""

from __future__ import annotations

import difflib
import gzip
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.db import connection
from django.db.models import F
from rapidfuzz.distance import DamerauLevenshtein, Indel, Levenshtein

from outcomes.models import SearchSynonym, SearchWord
from outcomes.search.generation import kept
from outcomes.search.text import joined, stem, terms, words

ICD10_RE = re.compile(r"^[A-Za-z][0-9]{2}(?:\.[0-9A-Za-z]{0,4})?$")
SNOMED_RE = re.compile(r"^[0-9]{6,18}$")
DOMAIN_RE = re.compile(r"^domain:([0-9]{1,2})$", re.IGNORECASE)
_TOKEN_RE = re.compile(r'(-?)"([^"]*)"?|(\S+)')
MAX_CLAUSES = 12
# Words that say what every set is, or frame a question, rather than what to look for: "core outcome set for
# dementia", "heart failure trials", "what should I measure in AML". A query drops them when it has other words to
# search for (alone, they are searched as typed; quoted, they are part of the phrase).
FILLER_WORDS = frozenset(
    (
        *("core", "outcome", "outcomes", "set", "sets", "cos", "standard", "registry"),
        *("trial", "trials", "study", "studies", "measure", "measures"),
        *("what", "which", "should", "would", "could", "how", "do", "does", "can", "i", "we", "my", "our", "you"),
        *("use", "using", "need", "want", "recommended", "please"),
        # Who the outcomes are for, which every set is about: "pain in myeloma patients", "men with prostate cancer".
        *("patient", "patients", "people", "person", "persons", "adult", "adults", "men", "women"),
    )
)
# Words that name the code system of a code typed beside them ("ICD-10 code I50", "SNOMED CT 84114007"): left out
# when the query holds a code (folded: lower case, letters and digits only).
CODE_SYSTEM_WORDS = frozenset(("icd", "icd10", "icd11", "snomed", "snomedct", "sct", "ct", "code", "codes"))
# A word shorter than this is never corrected (too many near neighbours), nor is a word with a digit (a code, an
# instrument or its version: PHQ-9 is not PHQ-2, SF-36 not SF-12).
MIN_CORRECTED_LENGTH = 4
# How similar a correction must be (difflib's ratio, on both databases), and on PostgreSQL how the candidates are
# found first (pg_trgm similarity over the vocabulary's trigram index).
DIFFLIB_CUTOFF = 0.75
TRIGRAM_CANDIDATES = 20
# A word this long may be 2 edits from what was meant (`Leukämie`: leukemia); a shorter one 1 (two edits turn a
# short word into another too easily: `statins` is not `status`).
TWO_EDITS_FROM = 8
# How many of the most similar words (difflib) are checked for being a slip of the keyboard (`_a_slip`).
CLOSE_MATCHES = 5
# The English dictionary (`_a_slip`): from SCOWL, see english_words.COPYRIGHT beside it.
ENGLISH_WORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "english_words.txt.gz"


@dataclass(frozen=True)
class Alternative:
    """One way a clause matches: a sequence of terms (a phrase when more than one) or one code term."""

    terms: tuple[str, ...]
    prefix: bool = False  # the last term matches as a prefix
    code: bool = False  # an ICD-10 or SNOMED CT code term


@dataclass
class Clause:
    text: str  # as typed, for "showing results for"
    alternatives: list[Alternative]
    negated: bool = False
    quoted: bool = False
    expanded: bool = False  # by a synonym: never corrected
    corrected_to: str = ""  # the word searched instead of a typo (`_correct`), which synonyms then expand

    @property
    def single_word(self) -> str | None:
        if len(self.alternatives) == 1 and not self.quoted and not self.expanded and not self.negated:
            alternative = self.alternatives[0]
            if len(alternative.terms) == 1 and not alternative.code and not alternative.prefix:
                found = words(self.text)
                return found[0] if len(found) == 1 else None
        return None


@dataclass
class ParsedQuery:
    raw: str
    clauses: list[Clause] = field(default_factory=list)
    domains: list[int] = field(default_factory=list)
    corrections: dict[str, str] = field(default_factory=dict)  # typed text -> the word searched instead
    not_found: list[str] = field(default_factory=list)  # typed words no set holds anywhere, left out (_drop_absent)
    # Set by outcomes.search.engine.sets_matching: more sets match than it ranks and lists (its CANDIDATES).
    more_than_listed: bool = False
    # Set by sets_matching too: how many sets it lists (its candidates), so that no COUNT query is needed.
    listed_count: int | None = None

    @property
    def positive(self) -> list[Clause]:
        return [clause for clause in self.clauses if not clause.negated]

    @property
    def negative(self) -> list[Clause]:
        return [clause for clause in self.clauses if clause.negated]

    @property
    def is_empty(self) -> bool:
        return not self.positive and not self.domains

    @property
    def showing_results_for(self) -> str | None:
        """The query as searched, when a word was corrected."""
        if not self.corrections:
            return None
        left_out = set(self.not_found)
        return " ".join(self.corrections.get(token, token) for token in self.raw.split() if token not in left_out)


# Punctuation around a code typed in a list or in brackets: "(I50)", "I50,", "I48;".
_AROUND_CODE = "()[]{},;:!?'\"“”‘’"


def _code_alternatives(code: str) -> list[Alternative]:
    """An ICD-10 code and its prefixes (`C92` finds C92.0), and, for a code more specific than a set's condition
    holds, each parent code exactly (`I50.9` finds a condition coded I50, `C90.00` one coded C90.0), never a
    sibling (`I50.9` does not find I50.1)."""
    term = code.casefold().replace(".", "")
    return [Alternative((term,), prefix=True, code=True)] + [
        Alternative((term[:n],), code=True) for n in range(len(term) - 1, 2, -1)
    ]


def _word_clause(text: str, *, negated: bool = False, quoted: bool = False) -> Clause | None:
    code = text.strip(_AROUND_CODE)
    if not quoted and ICD10_RE.match(code):
        return Clause(code, _code_alternatives(code), negated)
    if not quoted and SNOMED_RE.match(code):
        return Clause(code, [Alternative((code,), code=True)], negated)
    found = terms(text)
    if not found:
        return None
    return Clause(text, [Alternative(tuple(found))], negated, quoted)


def parse(raw: str) -> ParsedQuery:
    """`raw` as clauses, without synonyms or corrections (no database access)."""
    query = ParsedQuery(raw=raw)
    pending_or = pending_not = False
    for match in _TOKEN_RE.finditer(raw):
        minus, phrase, word = match.groups()
        if word is not None and word in ("OR", "|"):
            pending_or = bool(query.clauses)
            continue
        if word == "NOT":  # as `-`: the next word or phrase excludes
            pending_not = True
            continue
        if word is not None and (domain := DOMAIN_RE.match(word)):
            number = int(domain.group(1))
            if 1 <= number <= 38:
                query.domains.append(number)
            continue
        if phrase is not None:
            clause = _word_clause(phrase, negated=bool(minus) or pending_not, quoted=True)
        elif word.startswith("-") and len(word) > 1:
            clause = _word_clause(word[1:], negated=True)
        else:
            clause = _word_clause(word, negated=pending_not)
        pending_not = False
        if clause is None:
            continue
        previous = query.clauses[-1] if query.clauses else None
        if pending_or and previous is not None and not previous.negated and not clause.negated:
            previous.alternatives += clause.alternatives
            previous.text = f"{previous.text} OR {clause.text}"
            previous.quoted = True  # a compound clause is neither corrected nor expanded
        elif len(query.clauses) < MAX_CLAUSES:
            query.clauses.append(clause)
        pending_or = False
    return query


def _synonyms() -> dict[tuple[str, ...], list[tuple[str, ...]]]:
    """Normalised term -> the term sequences of its expansions, kept for the search generation."""
    return kept("synonyms", _synonyms_read)


def _synonyms_read() -> dict[tuple[str, ...], list[tuple[str, ...]]]:
    table: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for synonym in SearchSynonym.objects.all():
        key = tuple(words(synonym.term))
        if key:
            expansions = [tuple(terms(expansion)) for expansion in synonym.expansion_list]
            table.setdefault(key, []).extend(expansion for expansion in expansions if expansion)
    return table


def _expand(query: ParsedQuery) -> None:
    """Replace each run of plain words that equals a synonym's term by one clause: the words, or any expansion."""
    table = _synonyms()
    if not table:
        return
    longest = max(len(key) for key in table)
    clauses, i = [], 0
    while i < len(query.clauses):
        for n in range(min(longest, len(query.clauses) - i), 0, -1):
            run = query.clauses[i : i + n]
            if any(
                c.negated or c.quoted or c.expanded or c.alternatives[0].code or len(c.alternatives) > 1 for c in run
            ):
                continue
            key = tuple(word for c in run for word in words(c.corrected_to or c.text))
            if key not in table and n == 1:
                # A hyphenated word whose synonym is written as one word: a-fib (afib), re-admission.
                key = next(((j,) for j in joined(run[0].text) if (j,) in table), key)
            if key not in table and key and len(key[-1]) > 2 and key[-1].endswith("s"):
                key = (*key[:-1], key[-1][:-1])  # a plural abbreviation: PROMs, AEs
            if key in table:
                own = Alternative(tuple(term for c in run for term in c.alternatives[0].terms))
                alternatives = [own] + [Alternative(e) for e in table[key] if Alternative(e) != own]
                clauses.append(Clause(" ".join(c.text for c in run), alternatives, expanded=True))
                i += n
                break
        else:
            clauses.append(query.clauses[i])
            i += 1
    query.clauses = clauses


@cache
def english_words() -> frozenset[str]:
    """The English dictionary's words (folded, American spelling, 4 letters or more)."""
    with gzip.open(ENGLISH_WORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _a_slip(word: str, match: str) -> bool:
    """Whether `word` could be a slip of the keyboard for `match` (a letter missing, extra, wrong or two swapped:
    Damerau-Levenshtein edits), not a different word: at most 1 edit in a word of up to 7 letters, 2 in a longer
    one. A word of the English dictionary (`infection`, `bleeding`, `cell`) is what the user meant even when the
    registry does not hold it, unless it is one letter missing, one extra or two swapped away (`prostrate` ->
    prostate, `hart` -> heart): a wrong letter turns one real word into another too easily (`cell` -> well), and
    two edits even more (`infection` -> infarction)."""
    edits = DamerauLevenshtein.distance(word, match)
    if word in english_words():
        # One letter missing or extra (Indel 1), or two neighbours swapped (Levenshtein counts 2): not a wrong letter.
        return edits == 1 and (Indel.distance(word, match) == 1 or Levenshtein.distance(word, match) == 2)
    return edits <= (1 if len(word) < TWO_EDITS_FROM else 2)


def _closest(word: str, candidates: list[str]) -> str | None:
    """The most similar of `candidates` (difflib ratio, at least DIFFLIB_CUTOFF) that `word` is a slip for."""
    for match in difflib.get_close_matches(word, candidates, n=CLOSE_MATCHES, cutoff=DIFFLIB_CUTOFF):
        if _a_slip(word, match):
            return match
    return None


def _closest_word(word: str, synonym_words: list[str]) -> str | None:
    """`_closest_indexed_word`, or a one-word synonym term (`kidny` -> kidney, which is not in the index but finds
    renal), whichever is the more similar."""
    indexed, synonym = _closest_indexed_word(word), _closest(word, synonym_words)
    if indexed and synonym:
        ratio = lambda other: difflib.SequenceMatcher(None, word, other).ratio()  # noqa: E731
        return synonym if ratio(synonym) > ratio(indexed) else indexed
    return indexed or synonym


def _closest_indexed_word(word: str) -> str | None:
    """The indexed word most like `word`, if `word` looks like a slip of the keyboard for it: the highest difflib
    ratio (at least DIFFLIB_CUTOFF) among the words it is a slip for (`_a_slip`; trigram similarity alone ranks
    short words poorly: "alphabeta" is as close to "alpha" as "dimentia" is to "dementia"). On PostgreSQL the
    vocabulary's trigram index (pg_trgm) offers a few of the most similar words first; when none of them is close
    enough, and on SQLite, the whole vocabulary is looked at (kept for the search generation), so that both
    databases correct the same words ("Leukämie" shares few trigrams with "leukemia")."""
    if connection.vendor == "postgresql":
        from django.contrib.postgres.lookups import TrigramSimilar
        from django.contrib.postgres.search import TrigramSimilarity

        candidates = list(
            # `trigram_similar` is pg_trgm's % operator (similarity >= 0.3, its default threshold): the GIN index.
            SearchWord.objects.filter(TrigramSimilar(F("word"), word))
            .annotate(similarity=TrigramSimilarity("word", word))
            .order_by("-similarity", "word")
            .values_list("word", flat=True)[:TRIGRAM_CANDIDATES]
        )
        found = _closest(word, sorted(candidates))
        if found:
            return found
    vocabulary = kept("vocabulary words", lambda: sorted(SearchWord.objects.values_list("word", flat=True)))
    return _closest(word, vocabulary)


def _correct(query: ParsedQuery, known: frozenset[str]) -> None:
    """Replace each plain word whose stem is not in the index (`known`) by the closest indexed word, if one is
    close."""
    candidates = {clause.single_word: clause for clause in query.clauses if clause.single_word}
    candidates = {
        word: c
        for word, c in candidates.items()
        if len(word) >= MIN_CORRECTED_LENGTH and not any(char.isdigit() for char in word)
    }
    if not candidates:
        return
    synonym_words = sorted(key[0] for key in _synonyms() if len(key) == 1)
    for word, clause in candidates.items():
        if stem(word) in known:
            continue
        closest = _closest_word(word, synonym_words)
        if closest and closest != word:
            clause.alternatives = [Alternative((stem(closest),))]
            clause.corrected_to = closest
            query.corrections[clause.text] = closest


def _known_stems() -> frozenset[str]:
    """The stems of the index's vocabulary, kept for the search generation."""
    return kept("vocabulary stems", lambda: frozenset(SearchWord.objects.values_list("stem", flat=True)))


def _can_match(clause: Clause, known: frozenset[str]) -> bool:
    """Whether some set could hold `clause`: one of its alternatives is a code, a prefix, or made of indexed terms
    (a number counts as indexed: numbers are not in the vocabulary)."""
    return any(
        a.code or a.prefix or all(term in known or term.isdigit() for term in a.terms) for a in clause.alternatives
    )


def _drop_absent(query: ParsedQuery, known: frozenset[str]) -> None:
    """Leave out the words (after corrections) that no set holds anywhere, and name them (`not_found`): every word
    must match, so one the registry does not hold would leave nothing at all ("heart failure in elderly patients").
    Only while they are at most half of the words: a query mostly of words no set holds finds nothing, rather than
    a guess from what is left of it."""
    positive = query.positive
    absent = [clause for clause in positive if not _can_match(clause, known)]
    if absent and 2 * len(absent) <= len(positive):
        query.clauses = [clause for clause in query.clauses if clause not in absent]
        query.not_found = [clause.text for clause in absent]


# A stem is its word less at most this many letters ("hospitalization" -> "hospit").
MAX_STEM_CUT = 9


def _still_typing(alternative: Alternative, typed: list[str]) -> list[Alternative]:
    """`alternative` when its last word is only partly typed: the indexed stem of the whole word starts with what
    is typed ("demen" -> dementia), or what is typed starts with the stem ("locali" -> local, from localized)."""
    if alternative.code or not typed:
        return [alternative]
    head, partial = alternative.terms[:-1], typed[-1]
    found = [Alternative((*head, alternative.terms[-1]), prefix=True), Alternative((*head, partial), prefix=True)]
    found += [Alternative((*head, partial[:k])) for k in range(max(3, len(partial) - MAX_STEM_CUT), len(partial))]
    return list(dict.fromkeys(found))


def _add_joined(query: ParsedQuery) -> None:
    """A hyphenated compound is also found written as one word, as the index holds both ("well-being" finds
    "wellbeing"; after synonyms, which match the words as typed)."""
    for clause in query.clauses:
        if clause.quoted or any(a.code for a in clause.alternatives):
            continue
        for compound in joined(clause.text):
            alternative = Alternative((stem(compound),))
            if alternative not in clause.alternatives:
                clause.alternatives.append(alternative)


def _names_a_code_system(clause: Clause) -> bool:
    plain = not (clause.quoted or clause.negated or clause.expanded) and len(clause.alternatives) == 1
    return plain and re.sub(r"[^0-9a-z]", "", clause.text.casefold()) in CODE_SYSTEM_WORDS


def _drop_fillers(query: ParsedQuery) -> None:
    """Leave out the plain words of FILLER_WORDS, unless nothing else would be searched for, and the words of
    CODE_SYSTEM_WORDS when the query holds a code."""
    if any(a.code for c in query.positive for a in c.alternatives):
        query.clauses = [c for c in query.clauses if not _names_a_code_system(c)]
    filler = [c for c in query.clauses if c.single_word in FILLER_WORDS]
    if filler and (len(filler) < len(query.positive) or query.domains):
        query.clauses = [c for c in query.clauses if c not in filler]


def search_query(raw: str, *, prefix: bool = False) -> ParsedQuery:
    """`raw` parsed, expanded with synonyms, without filler words, with compounds also as one word, corrected, and
    without the words no set holds. `prefix` (search-as-you-type): the last word, if the user is still typing it,
    also matches as the start of a word, and is not corrected."""
    query = parse(raw)
    _expand(query)
    _drop_fillers(query)
    typing = prefix and raw and not raw[-1].isspace() and query.clauses
    if typing:
        last = query.clauses[-1]
        if not last.negated and not last.quoted:
            last.alternatives = [
                alternative for a in last.alternatives for alternative in _still_typing(a, words(last.text))
            ]
    _add_joined(query)
    known = _known_stems() if query.positive else frozenset()  # read once for both
    _correct(query, known)
    if query.corrections:  # a corrected word may be a synonym, or complete one: `hart attack`, `kidny`
        _expand(query)
    _drop_absent(query, known)
    return query
