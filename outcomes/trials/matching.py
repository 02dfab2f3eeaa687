"""Does a trial measure a set's core outcomes? A pure function of the two outcome lists and the vocabulary.

Each core outcome of the set is compared with each outcome the trial registered, and gets the best verdict:

- *measured*: the trial outcome names the core outcome: the same words (`same outcome`), or the same words once
  abbreviations and equivalent phrases are read (`synonym`: "OS", "all-cause mortality"), or it names an instrument
  that measures the core outcome (`instrument named`: "KCCQ", "EPIC-26 urinary domain"), or it names the outcome's
  COMET domain when that domain holds no other outcome of the set (`domain`);
- *possibly*: a candidate that shares part of the words, or reads similarly (rapidfuzz), with its score;
- *missing*: nothing close.

Words are compared as the search engine compares them (outcomes.search.text: folding, British/American spelling,
stemming); the thresholds, the ignored and weak words, the equivalent phrases and the instruments the registry does
not list are data (outcomes/data/trial_matching.yaml), chosen on the labelled set in
tests/outcomes/trials/labelled_trials.yaml (docs/trials.md gives its precision and recall).

The Kirkham rule (Kirkham et al., BMJ 2017;357:j2262): a trial uses a set when every core outcome is measured.
An outcome that applies to one intervention only (`applies_to`) is shown but left out of the rule, since the
check does not know the trial's intervention.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from rapidfuzz import fuzz

from outcomes.search.text import stem, words

MATCHING_FILE = Path(__file__).resolve().parent.parent / "data" / "trial_matching.yaml"
SYNONYMS_FILE = Path(__file__).resolve().parent.parent / "data" / "search_synonyms.yaml"

MEASURED = "measured"
POSSIBLY = "possibly"
MISSING = "missing"
VERDICTS = (MEASURED, POSSIBLY, MISSING)

SAME = "same outcome"
SYNONYM = "synonym"
INSTRUMENT = "instrument named"
DOMAIN = "domain"
SIMILAR = "similar wording"

_CONCEPT = "~"  # prefix of a concept token: no stem starts with it


@dataclass(frozen=True)
class CoreOutcomeSpec:
    key: str
    name: str
    note: str = ""
    applies_to: str = ""
    instruments: tuple[tuple[str, str], ...] = ()  # (acronym, name)
    domains: tuple[str, ...] = ()  # COMET domain names


@dataclass(frozen=True)
class TrialOutcome:
    measure: str
    description: str = ""
    time_frame: str = ""
    kind: str = "primary"  # primary, secondary, other


@dataclass(frozen=True)
class Settings:
    measured: float
    possibly: float
    description_weight: float
    fuzzy_word: float
    fuzzy_min_length: int
    fuzzy_possibly: float
    ignored: frozenset[str]
    weak: frozenset[str]
    weak_weight: float
    # Stem sequences of an equivalent phrase -> (its concept token, the token of the concept it implies or "").
    phrases: tuple[tuple[tuple[str, ...], str, str], ...]
    # Instruments outside the registry: (acronym words, name stems, the stems of each outcome they measure).
    instruments: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, ...], ...]], ...]
    # COMET domain names the `domain` reason never uses.
    domains_not_matched: frozenset[str]
    # Concepts that, naming a core outcome alone, mean all of it ("Mortality": any death), and the concepts of
    # their all-inclusive forms ("all-cause death").
    broad: frozenset[str] = frozenset()
    broad_all: frozenset[str] = frozenset()


@dataclass
class OutcomeVerdict:
    key: str
    name: str
    applies_to: str
    verdict: str
    score: float = 0.0
    reason: str = ""
    trial_outcome: int | None = None  # index in the trial's outcome list
    explanation: str = ""


@dataclass
class CheckResult:
    verdicts: list[OutcomeVerdict]
    not_in_set: list[int]  # indices of trial outcomes that match no core outcome
    meets_kirkham: bool
    counts: dict[str, int] = field(default_factory=dict)


def _concept_token(name: str) -> str:
    return _CONCEPT + re.sub(r"\W+", "_", name.strip().casefold())


def _stems(text: str) -> tuple[str, ...]:
    return tuple(stem(word) for word in words(text))


@cache
def default_settings(path: Path = MATCHING_FILE) -> Settings:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    t = data["thresholds"]
    ignored = frozenset(stem(w) for word in data["ignored_words"] for w in words(str(word)))
    phrases = []
    for group in data["equivalents"]:
        token = _concept_token(group["concept"])
        implies = _concept_token(group["implies"]) if group.get("implies") else ""
        for phrase in group["phrases"]:
            # Phrases keep their ignored words: "overall survival" is not "survival".
            stems = _stems(phrase)
            if stems:
                phrases.append((stems, token, implies))
    instruments = []
    for entry in data["instruments"]:
        instruments.append(
            (
                tuple(words(entry["acronym"])),
                _stems(entry["name"]),
                tuple(_stems(measure) for measure in entry["measures"]),
            )
        )
    return Settings(
        measured=float(t["measured"]),
        possibly=float(t["possibly"]),
        description_weight=float(t["description_weight"]),
        fuzzy_word=float(t["fuzzy_word"]),
        fuzzy_min_length=int(t["fuzzy_min_length"]),
        fuzzy_possibly=float(t["fuzzy_possibly"]),
        ignored=ignored,
        weak=frozenset(stem(w) for word in data["weak_words"] for w in words(str(word))),
        weak_weight=float(data["weak_weight"]),
        phrases=tuple(sorted(phrases, key=lambda p: -len(p[0]))),
        instruments=tuple(instruments),
        domains_not_matched=frozenset(data.get("domains_not_matched") or ()),
        broad=frozenset(_concept_token(b["concept"]) for b in data.get("broad_alone") or ()),
        broad_all=frozenset(_concept_token(b["all"]) for b in data.get("broad_alone") or ()),
    )


def shipped_synonyms() -> dict[str, list[str]]:
    """The starter list of abbreviations (outcomes/data/search_synonyms.yaml) as term -> expansions. The registry
    itself uses the curators' list (SearchSynonym), which starts as this one."""
    entries = yaml.safe_load(SYNONYMS_FILE.read_text(encoding="utf-8"))
    return {entry["term"]: list(entry["expansions"]) for entry in entries}


class Vocabulary:
    """Abbreviations and synonyms (term -> expansions, as SearchSynonym holds them) and the matching settings."""

    def __init__(self, synonyms: dict[str, Sequence[str]], settings: Settings | None = None) -> None:
        self.settings = settings or default_settings()
        self.synonyms: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for term, expansions in synonyms.items():
            key = tuple(words(term))
            if key:
                self.synonyms.setdefault(key, []).extend(_stems(e) for e in expansions if _stems(e))
        self._longest = max((len(k) for k in self.synonyms), default=0)

    def expand(self, text: str) -> tuple[list[str], list[str]]:
        """The stems of `text`, and the stems its abbreviations stand for (e.g. "OS" -> overall survival)."""
        text_words = words(text)
        extra: list[str] = []
        for i in range(len(text_words)):
            for n in range(min(self._longest, len(text_words) - i), 0, -1):
                key = tuple(text_words[i : i + n])
                if key in self.synonyms:
                    for expansion in self.synonyms[key]:
                        extra.extend(expansion)
                    break
        return [stem(w) for w in text_words], extra

    def concepts(self, stems: Sequence[str]) -> list[str]:
        """`stems` with each equivalent phrase replaced by its concept token (and the token of the concept it
        implies), then the ignored words dropped."""
        out: list[str] = []
        i = 0
        while i < len(stems):
            for phrase, token, implies in self.settings.phrases:
                if tuple(stems[i : i + len(phrase)]) == phrase:
                    out.append(token)
                    if implies:
                        out.append(implies)
                    i += len(phrase)
                    break
            else:
                if stems[i] not in self.settings.ignored:
                    out.append(stems[i])
                i += 1
        return out


@dataclass
class _Trial:
    measure_terms: set[str]
    measure_plain: set[str]  # without abbreviation expansion
    measure_synonyms: set[str]  # with abbreviations, before the instruments' outcomes are added
    description_terms: set[str]
    all_words: list[str]  # unstemmed words of measure and description, for instrument acronyms
    text: str


_ALTERNATIVE_SPLIT = re.compile(r",\s*|\s+or\s+", re.IGNORECASE)
_SLASHED = re.compile(r"\b(\w+)/(\w+)\b")
_ITEM_SPLIT = re.compile(r",|;|\s+and\s+|\s+&\s+|\s+or\s+", re.IGNORECASE)


def name_alternatives(name: str) -> list[str]:
    """A core outcome's name, and the alternatives it lists: "Distant disease recurrence/metastases" is either
    word; "Ischaemic stroke, systemic embolism or unclassified stroke" is any of three events, each named by two
    words or more (a list whose parts are single words, "AMI, CABG or PCI", qualifies its outcome instead)."""
    alternatives = [name]
    slashed = _SLASHED.search(name)
    if slashed:
        alternatives += [name[: slashed.start()] + part + name[slashed.end() :] for part in slashed.groups()]
    parts = [p.strip() for p in _ALTERNATIVE_SPLIT.split(name) if p.strip()]
    if len(parts) > 1 and all(len(words(p)) >= 2 for p in parts):
        alternatives += parts
    return alternatives


def _contains(sequence: Sequence[str], part: Sequence[str]) -> bool:
    n = len(part)
    return n > 0 and any(tuple(sequence[i : i + n]) == tuple(part) for i in range(len(sequence) - n + 1))


class Matcher:
    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.settings = vocabulary.settings

    # --- analysis -----------------------------------------------------------------------------------------------

    def _terms(self, text: str) -> tuple[set[str], set[str]]:
        plain, extra = self.vocabulary.expand(text)
        concepts_plain = self.vocabulary.concepts(plain)
        expanded = set(concepts_plain) | set(self.vocabulary.concepts(extra))
        return expanded, set(concepts_plain)

    def _trial(self, outcome: TrialOutcome) -> _Trial:
        measure, plain = self._terms(outcome.measure)
        description, _ = self._terms(outcome.description)
        synonyms = set(measure)
        all_words = words(outcome.measure) + words(outcome.description)
        # Instruments the registry does not list name the outcomes they measure.
        for acronym, name, measures in self.settings.instruments:
            if _contains(all_words, acronym) or (len(name) > 1 and _contains([stem(w) for w in all_words], name)):
                for measured in measures:
                    measure |= set(self.vocabulary.concepts(measured))
        return _Trial(
            measure, plain, synonyms, description, all_words, f"{outcome.measure} {outcome.description}".strip()
        )

    def _weight(self, term: str) -> float:
        return self.settings.weak_weight if term in self.settings.weak else 1.0

    def _core_terms(self, text: str) -> list[str]:
        plain, _ = self.vocabulary.expand(text)
        return list(dict.fromkeys(self.vocabulary.concepts(plain)))

    def _word_matches(self, term: str, terms: set[str]) -> bool:
        if term in terms:
            return True
        s = self.settings
        if term.startswith(_CONCEPT) or len(term) < s.fuzzy_min_length:
            return False
        return any(
            len(other) >= s.fuzzy_min_length
            and not other.startswith(_CONCEPT)
            and fuzz.ratio(term, other) >= s.fuzzy_word
            for other in terms
        )

    def coverage(self, core: Sequence[str], measure: set[str], description: set[str] | None = None) -> float:
        """The weighted share of the core outcome's terms that the trial outcome names."""
        total = sum(self._weight(t) for t in core)
        if not total:
            return 0.0
        found = 0.0
        for term in core:
            if self._word_matches(term, measure):
                found += self._weight(term)
            elif description is not None and self._word_matches(term, description):
                found += self._weight(term) * self.settings.description_weight
        return found / total

    # --- instruments --------------------------------------------------------------------------------------------

    @staticmethod
    def _acronym_forms(acronym: str) -> list[tuple[str, ...]]:
        """How a trial names an instrument by acronym: as written (KCCQ-12), or without its item count (KCCQ)
        when what is left is still a distinctive word of three letters or more."""
        full = tuple(words(acronym))
        forms = [full] if full else []
        letters = tuple(w for w in full if not any(c.isdigit() for c in w))
        if letters and letters != full and len("".join(letters)) >= 3:
            forms.append(letters)
        return forms

    def _names_instrument(self, trial: _Trial, acronym: str, name: str) -> bool:
        if any(_contains(trial.all_words, form) for form in self._acronym_forms(acronym)):
            return True
        name_stems = _stems(re.sub(r"\([^)]*\)", " ", name))
        return len(name_stems) > 1 and _contains([stem(w) for w in trial.all_words], name_stems)

    def _instrument_residues(self, measure: str, acronym: str, name: str, shared: set[str]) -> list[set[str]]:
        """The trial outcome's own words once the instrument's words and the generic ones are set aside: what
        it says it measures with the instrument ("urinary" in "EPIC-26 urinary domain"), per item of a list
        ("EPIC-26 urinary, bowel and sexual domains" has three). A weak word stays when it names a core outcome
        measured with the same instrument (`shared`: "symptom" in "KCCQ total symptom score" is about symptom
        burden, not functional status), and goes otherwise ("clinical" in "KCCQ clinical summary score")."""
        instrument_terms = {stem(w) for w in words(acronym)} | set(_stems(name))
        text = re.sub(r"[()\[\]]", " ", measure)
        # The instrument's acronym with a suffix naming its version or subscale (KCCQ-TSS, EQ-5D-5L, NPI-Q).
        for form in self._acronym_forms(acronym):
            pattern = r"\b" + r"[-\s]?".join(re.escape(w) for w in form) + r"(?:-[0-9a-z]+)*\b"
            text = re.sub(pattern, " ", text, flags=re.IGNORECASE)
        residues = []
        for item in _ITEM_SPLIT.split(text):
            plain, _ = self.vocabulary.expand(item)
            residues.append(
                {
                    t
                    for t in self.vocabulary.concepts(plain)
                    if t not in instrument_terms
                    and (t not in self.settings.weak or t in shared)
                    and len(t) >= 3
                    and not any(ch.isdigit() for ch in t)
                }
            )
        return residues

    # --- the check ----------------------------------------------------------------------------------------------

    def check(self, core_outcomes: Sequence[CoreOutcomeSpec], trial_outcomes: Sequence[TrialOutcome]) -> CheckResult:
        trials = [self._trial(t) for t in trial_outcomes]
        names = [[self._core_terms(a) for a in name_alternatives(c.name)] for c in core_outcomes]
        vocabularies = [
            {t for alt in names[k] for t in alt} | set(self._core_terms(c.note)) for k, c in enumerate(core_outcomes)
        ]
        # Per core outcome, the words of the other core outcomes that it does not share.
        others = [
            {t for m, v in enumerate(vocabularies) if m != k for t in v} - vocabularies[k]
            for k in range(len(core_outcomes))
        ]
        # Per instrument, the words of every core outcome measured with it.
        shared: dict[str, set[str]] = {}
        for k, c in enumerate(core_outcomes):
            for acronym, _ in c.instruments:
                shared.setdefault(acronym, set()).update(vocabularies[k])
        domain_owners: dict[str, int] = {}
        for c in core_outcomes:
            for domain in c.domains:
                domain_owners[domain] = domain_owners.get(domain, 0) + 1
        matched_trials: set[int] = set()
        verdicts = []
        for k, core in enumerate(core_outcomes):
            best: OutcomeVerdict | None = None
            for j, trial in enumerate(trials):
                candidate = self._compare(
                    core, names[k], vocabularies[k], others[k], shared, domain_owners, trial, trial_outcomes[j], j
                )
                if candidate is not None and (best is None or _rank(candidate) > _rank(best)):
                    best = candidate
            if best is None:
                best = OutcomeVerdict(core.key, core.name, core.applies_to, MISSING)
            else:
                matched_trials.add(best.trial_outcome)  # type: ignore[arg-type]
            verdicts.append(best)
        # A trial outcome that is some core outcome's measured or possible match is "in the set".
        not_in_set = [j for j in range(len(trials)) if j not in matched_trials]
        counts = {v: sum(1 for x in verdicts if x.verdict == v) for v in VERDICTS}
        rule = [v for v in verdicts if not v.applies_to]
        meets = bool(rule) and all(v.verdict == MEASURED for v in rule)
        return CheckResult(verdicts=verdicts, not_in_set=not_in_set, meets_kirkham=meets, counts=counts)

    def _compare(
        self,
        core: CoreOutcomeSpec,
        alternatives: list[list[str]],
        vocabulary: set[str],
        others: set[str],
        shared: dict[str, set[str]],
        domain_owners: dict[str, int],
        trial: _Trial,
        outcome: TrialOutcome,
        index: int,
    ) -> OutcomeVerdict | None:
        s = self.settings

        def verdict(kind: str, score: float, reason: str, explanation: str) -> OutcomeVerdict:
            return OutcomeVerdict(
                core.key, core.name, core.applies_to, kind, round(score, 2), reason, index, explanation
            )

        def best(terms: set[str], description: set[str] | None = None) -> tuple[float, list[str]]:
            return max(((self.coverage(alt, terms, description), alt) for alt in alternatives), key=lambda x: x[0])

        def narrower(score: float, name_terms: list[str]) -> str:
            """Why a match by name is only possible: the trial outcome is a narrower one ("" when it is not)."""
            own = {t for t in trial.measure_plain if t not in s.weak and not any(ch.isdigit() for ch in t)}
            if set(name_terms) <= s.broad and own & s.broad and own - s.broad and not own & s.broad_all:
                return "Names a narrower form of this outcome (this outcome alone means all of it)."
            if score < 1 and (own - vocabulary) & others:
                return "Names something narrower, closer to another core outcome of the set."
            return ""

        # A match by name that names a narrower outcome is only possible, unless an instrument or the domain
        # says more below.
        demoted: OutcomeVerdict | None = None
        plain, name_terms = best(trial.measure_plain)
        synonym, synonym_terms = best(trial.measure_synonyms)
        expanded, _ = best(trial.measure_terms)
        if plain >= s.measured:
            literal = all(not t.startswith(_CONCEPT) for t in name_terms)
            if not (why := narrower(plain, name_terms)):
                return verdict(MEASURED, plain, SAME if literal else SYNONYM, "The trial outcome names this outcome.")
            demoted = verdict(POSSIBLY, plain, SIMILAR, why)
        elif synonym >= s.measured:
            if not (why := narrower(synonym, synonym_terms)):
                return verdict(MEASURED, synonym, SYNONYM, "Named by an abbreviation or a synonym.")
            demoted = verdict(POSSIBLY, synonym, SIMILAR, why)
        elif expanded >= s.measured:
            return verdict(MEASURED, expanded, INSTRUMENT, "Names an instrument that measures this outcome.")
        for acronym, name in core.instruments:
            if self._names_instrument(trial, acronym, name):
                residues = self._instrument_residues(outcome.measure, acronym, name, shared.get(acronym, set()))
                # The whole instrument, or a part of it that this outcome covers.
                if all(not r for r in residues) or any(r and r <= vocabulary for r in residues):
                    return verdict(
                        MEASURED, 1.0, INSTRUMENT, f"Measured with {acronym}, an instrument of this outcome."
                    )
        for domain in core.domains:
            if demoted is None and domain_owners.get(domain) == 1 and domain not in s.domains_not_matched:
                domain_terms = [t for t in self._core_terms(domain) if t != stem("outcomes")]
                if domain_terms and self.coverage(domain_terms, trial.measure_terms) >= s.measured:
                    return verdict(
                        MEASURED, 1.0, DOMAIN, f"Names the COMET domain {domain}, which holds only this outcome."
                    )
        if demoted is not None:
            return demoted
        with_description, _ = best(trial.measure_terms, trial.description_terms)
        score = max(expanded, with_description)
        similarity = max(
            fuzz.token_set_ratio(" ".join(alt), " ".join(sorted(trial.measure_terms))) / 100 for alt in alternatives
        )
        if score >= s.possibly:
            return verdict(POSSIBLY, score, SIMILAR, "Shares part of the outcome's words.")
        if similarity * 100 >= s.fuzzy_possibly:
            return verdict(POSSIBLY, similarity, SIMILAR, "Reads similarly.")
        return None


def _rank(v: OutcomeVerdict) -> tuple[int, float]:
    return (2 if v.verdict == MEASURED else 1 if v.verdict == POSSIBLY else 0, v.score)


def check(
    core_outcomes: Sequence[CoreOutcomeSpec],
    trial_outcomes: Sequence[TrialOutcome],
    *,
    synonyms: dict[str, Sequence[str]],
    settings: Settings | None = None,
) -> CheckResult:
    return Matcher(Vocabulary(synonyms, settings)).check(core_outcomes, trial_outcomes)


def kirkham_outcomes(verdicts: Iterable[OutcomeVerdict]) -> list[OutcomeVerdict]:
    """The verdicts the Kirkham rule counts: every core outcome that applies to all interventions."""
    return [v for v in verdicts if not v.applies_to]
