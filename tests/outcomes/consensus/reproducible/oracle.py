"""An independent recomputation of a consensus process from its downloads alone.

Written from docs/consensus.md, not from the tally code (which it must not import): it reads the ratings download
(rows as the CSV gives them: every value a string) and the consensus definition, and predicts every figure of the
results download. Arithmetic is exact (Fraction) and rounded half up to two places at the end.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction

ALL = "All panelists"


def two_places(value: Fraction) -> str:
    """Round half up to 2 decimals, as text: 200/3 -> "66.67", 7/8*100 -> "87.50"."""
    hundredths = value * 100
    whole = math.floor(hundredths + Fraction(1, 2))
    return f"{whole // 100}.{whole % 100:02d}"


def percent(part: int, whole: int) -> str:
    return "0.00" if whole == 0 else two_places(Fraction(100 * part, whole))


def quantile(scores: list[int], p: Fraction) -> str:
    """R type 7: position h = (n - 1) p in the sorted scores, linear between the neighbours."""
    ordered = sorted(scores)
    h = (len(ordered) - 1) * p
    lower = math.floor(h)
    upper = min(lower + 1, len(ordered) - 1)
    return two_places(ordered[lower] + (h - lower) * (ordered[upper] - ordered[lower]))


@dataclass(frozen=True)
class Definition:
    rule_scope: str
    in_high_min_pct: int
    in_low_max_pct: int
    out_low_min_pct: int
    out_high_max_pct: int
    meeting_include_min_pct: int


def classify_scores(scores: list[int], d: Definition) -> str:
    n = len(scores)
    if n == 0:
        return "none"
    high = sum(1 for s in scores if s >= 7)
    low = sum(1 for s in scores if s <= 3)
    # Exact comparisons of shares (a Fraction is exact; 14/20 is exactly 70%).
    if Fraction(high, n) >= Fraction(d.in_high_min_pct, 100) and Fraction(low, n) < Fraction(d.in_low_max_pct, 100):
        return "in"
    if Fraction(low, n) >= Fraction(d.out_low_min_pct, 100) and Fraction(high, n) < Fraction(d.out_high_max_pct, 100):
        return "out"
    return "none"


def delphi_figures(scores: list[int], unable: int, d: Definition) -> dict:
    n = len(scores)
    low = sum(1 for s in scores if s <= 3)
    high = sum(1 for s in scores if s >= 7)
    mid = n - low - high
    return {
        "n": n,
        "n_unable": unable,
        "n_1_3": low,
        "n_4_6": mid,
        "n_7_9": high,
        "pct_1_3": percent(low, n),
        "pct_4_6": percent(mid, n),
        "pct_7_9": percent(high, n),
        "median": quantile(scores, Fraction(1, 2)) if n else None,
        "q1": quantile(scores, Fraction(1, 4)) if n else None,
        "q3": quantile(scores, Fraction(3, 4)) if n else None,
        "n_include": None,
        "n_exclude": None,
        "n_abstain": None,
        "votes_cast": None,
        "pct_include": None,
        "classification": classify_scores(scores, d),
    }


def meeting_figures(votes: dict[str, int], d: Definition) -> dict:
    include, exclude, abstain = votes["include"], votes["exclude"], votes["abstain"]
    cast = include + exclude
    if cast == 0:
        classification = "none"
    elif Fraction(include, cast) >= Fraction(d.meeting_include_min_pct, 100):
        classification = "in"
    else:
        classification = "out"
    return {
        "n": cast,
        "n_unable": None,
        "n_1_3": None,
        "n_4_6": None,
        "n_7_9": None,
        "pct_1_3": None,
        "pct_4_6": None,
        "pct_7_9": None,
        "median": None,
        "q1": None,
        "q3": None,
        "n_include": include,
        "n_exclude": exclude,
        "n_abstain": abstain,
        "votes_cast": cast,
        "pct_include": percent(include, cast),
        "classification": classification,
    }


def recompute(
    ratings: list[dict], definition: Definition, groups: list[str], round_items: dict[tuple[int, int], str]
) -> dict[tuple[int, int, str], dict]:
    """Every result row, keyed by (round, round item id, group name or "All panelists").

    `ratings`: rows of the ratings CSV (strings). `groups`: every stakeholder group of the process; each gets a row
    for every item, scored or not. `round_items`: (round, round item id) -> round kind, for every item of every
    tallied round (an item nobody answered has no rating row but still has results)."""
    scores: dict[tuple, list[int]] = defaultdict(list)
    unable: dict[tuple, int] = defaultdict(int)
    votes: dict[tuple, dict[str, int]] = defaultdict(lambda: {"include": 0, "exclude": 0, "abstain": 0})
    kinds = dict(round_items)
    for row in ratings:
        key = (int(row["round"]), int(row["round_item_id"]))
        if key not in kinds:
            continue  # a round not tallied (still open)
        targets = [(*key, ALL)]
        if row["source"] == "panelist" and row["stakeholder_group"]:
            targets.append((*key, row["stakeholder_group"]))
        for target in targets:
            if row["round_kind"] == "meeting":
                if row["vote"]:
                    votes[target][row["vote"]] += int(row["count"])
            elif row["unable_to_score"] == "true":
                unable[target] += 1
            elif row["score"]:
                scores[target].append(int(row["score"]))
    results = {}
    for (round_number, round_item_id), kind in kinds.items():
        for group in [*groups, ALL]:
            key = (round_number, round_item_id, group)
            if kind == "meeting":
                results[key] = meeting_figures(votes[key], definition)
            else:
                results[key] = delphi_figures(scores[key], unable[key], definition)
        overall = results[(round_number, round_item_id, ALL)]
        if kind == "delphi" and definition.rule_scope == "every_group" and overall["classification"] != "none":
            # Every group with at least one scorer must agree; a group without scorers does not veto.
            scored = [
                results[(round_number, round_item_id, g)] for g in groups if scores[(round_number, round_item_id, g)]
            ]
            if any(r["classification"] != overall["classification"] for r in scored):
                overall["classification"] = "none"
    return results
