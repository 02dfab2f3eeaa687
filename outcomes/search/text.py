"""Text normalisation shared by the index and the queries, so that both backends compare the same tokens.

A text becomes a sequence of *words* (lower case, accents folded, possessive 's and apostrophes dropped, split at
hyphens and any other punctuation, stop words dropped, British spellings rewritten to American ones by the rules of
outcomes/data/search_spelling.yaml) and then of *terms* (each word stemmed by the Snowball English stemmer, the
stemmer of PostgreSQL's `english` configuration). Both backends index terms with no further processing of their
own (PostgreSQL's `simple` configuration, SQLite FTS5's `unicode61` tokenizer), so they agree by construction.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

import snowballstemmer
import yaml

SPELLING_FILE = Path(__file__).resolve().parent.parent / "data" / "search_spelling.yaml"

# Words too common to narrow a search; dropped from the index and from queries alike (so "quality of life" is the
# phrase "quality life" on both sides).
STOP_WORDS = frozenset(
    (
        *"a an and are as at be by for from in into is it its of on or the to with without".split(),  # noqa: SIM905
        # Words that say how, not what: "complications after PCI", "any outcomes for AML", "other than survival",
        # "not eligible for" (a set's scope): searched, they made every other word's set required to hold them too.
        *"after all any not other over than that these this those".split(),  # noqa: SIM905
    )
)

_APOSTROPHES = re.compile(r"['\u2019\u02bc`\u00b4]")
_POSSESSIVE = re.compile(r"['\u2019\u02bc`\u00b4]s\b")
_SPLIT = re.compile(r"[^0-9a-z]+")
# Two or more word characters joined by hyphens or slashes (EQ-5D, quality-of-life, KCCQ-12).
_COMPOUND = re.compile(r"[0-9a-z]+(?:[-/][0-9a-z]+)+")


@cache
def _spelling() -> tuple[dict[str, str], list[tuple[str, str]], list[tuple[str, str]]]:
    rules = yaml.safe_load(SPELLING_FILE.read_text(encoding="utf-8"))
    by_length = lambda items: sorted(items, key=lambda item: -len(item[0]))  # noqa: E731 - the longest key wins
    return (
        dict(rules.get("words") or {}),
        by_length((rules.get("prefixes") or {}).items()),
        by_length((rules.get("suffixes") or {}).items()),
    )


@lru_cache(maxsize=65536)
def american(word: str) -> str:
    """`word` with its British spelling rewritten to the American one (unchanged when no rule applies)."""
    words, prefixes, suffixes = _spelling()
    if word in words:
        return words[word]
    for british, us in prefixes:
        if word.startswith(british):
            word = us + word[len(british) :]
            break
    for british, us in suffixes:
        if word.endswith(british) and len(word) > len(british) + 2:
            word = word[: -len(british)] + us
            break
    return word


def fold(text: str) -> str:
    """Lower case, accents removed, possessive 's and apostrophes dropped."""
    if text.isascii():  # nothing to fold but the case (most texts: skips a loop over every character)
        text = text.casefold()
    else:
        text = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in text if not unicodedata.combining(char)).casefold()
    return _APOSTROPHES.sub("", _POSSESSIVE.sub("", text))


def words(text: str) -> list[str]:
    """The words of `text`, in order (see the module docstring)."""
    return [american(word) for word in _SPLIT.split(fold(text)) if word and word not in STOP_WORDS]


def joined(text: str) -> list[str]:
    """Hyphenated compounds of `text` written as one word (EQ-5D -> eq5d), so that either spelling is found."""
    return [_SPLIT.sub("", compound) for compound in _COMPOUND.findall(fold(text))]


# Index sources (SetSearchIndex.sources) whose text is a code, matched whole, not words.
CODE_FIELDS = frozenset(("ICD-10", "SNOMED CT"))

_stemmer = snowballstemmer.stemmer("english")


@cache
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def terms(text: str) -> list[str]:
    """The stemmed words of `text`, in order: what the index holds and what queries look for."""
    return [stem(word) for word in words(text)]


def index_terms(text: str) -> list[str]:
    """`terms`, then the joined forms of its compounds: the phrase order is kept for the terms themselves."""
    return list(source_terms(text))


# "Why it matched" looks at every source text of every result; the same texts (outcome names, domains,
# instruments, conditions) recur across sets, so their terms are kept (bounded: least recently used go first).
@lru_cache(maxsize=32768)
def source_terms(text: str) -> tuple[str, ...]:
    """`index_terms` of `text`, as a tuple, remembered."""
    folded = fold(text)  # `terms` and `joined` of the text, folding it once
    found = [stem(american(word)) for word in _SPLIT.split(folded) if word and word not in STOP_WORDS]
    return tuple(found + [stem(_SPLIT.sub("", compound)) for compound in _COMPOUND.findall(folded)])


def vocabulary_words(text: str) -> dict[str, str]:
    """The search vocabulary's words of `text` (word -> stem, outcomes.models.SearchWord): its words and its
    hyphenated compounds written as one word (the index holds both, `index_terms`), so that neither is "corrected"
    in a query."""
    return {word: stem(word) for word in [*words(text), *joined(text)] if len(word) <= 100 and not word.isdigit()}
