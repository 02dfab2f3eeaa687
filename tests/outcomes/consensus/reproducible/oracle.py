"""An independent recomputation of a consensus process from its downloads alone.

Written from docs/consensus.md, not from the tally code (which it must not import): it reads the ratings download
(rows as the CSV gives them: every value a string) and the consensus definition, and predicts every figure of the
results download, then what the published version holds (outcomes, agreed definitions, measurements with their
timing) from those results and the items. Arithmetic is exact (Fraction) and rounded half up to two places at the end.
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


def classify_choices(chosen: dict[str, int], d: Definition) -> tuple[str, int | None]:
    """Alternatives: "in when one option is chosen by at least in_high_min_pct% of those who chose; that option
    wins". Returns the classification and the winning option's id."""
    total = sum(chosen.values())
    winners = [o for o, k in chosen.items() if total and Fraction(k, total) >= Fraction(d.in_high_min_pct, 100)]
    assert len(winners) <= 1, "two options at the threshold: the guide does not say which wins"
    return ("in", int(winners[0])) if winners else ("none", None)


def delphi_figures(scores: list[int], unable: int, d: Definition, chosen: dict[str, int] | None = None) -> dict:
    """A Delphi row; `chosen` (option id -> how many chose it) for an alternatives item, else None."""
    n = len(scores)
    low = sum(1 for s in scores if s <= 3)
    high = sum(1 for s in scores if s >= 7)
    mid = n - low - high
    figures = {
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
        "distribution": {str(k): scores.count(k) for k in range(1, 10)},
        "classification": classify_scores(scores, d),
    }
    if chosen is not None:
        classification, winner = classify_choices(chosen, d)
        figures["distribution"] = {"options": dict(chosen), "winner": winner}
        figures["classification"] = classification
    return figures


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
        "distribution": {"include": include, "exclude": exclude, "abstain": abstain},
        "classification": classification,
    }


def recompute(
    ratings: list[dict],
    definition: Definition,
    groups: list[str],
    round_items: dict[tuple[int, int], tuple[str, str]],
) -> dict[tuple[int, int, str], dict]:
    """Every result row, keyed by (round, round item id, group name or "All panelists").

    `ratings`: rows of the ratings CSV (strings). `groups`: every stakeholder group of the process; each gets a row
    for every item, scored or not. `round_items`: (round, round item id) -> (round kind, item kind), for every item
    of every tallied round (an item nobody answered has no rating row but still has results)."""
    scores: dict[tuple, list[int]] = defaultdict(list)
    unable: dict[tuple, int] = defaultdict(int)
    chosen: dict[tuple, dict[str, int]] = defaultdict(dict)
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
            elif row["option_id"]:
                chosen[target][row["option_id"]] = chosen[target].get(row["option_id"], 0) + 1
    results = {}
    for (round_number, round_item_id), (kind, item_kind) in kinds.items():
        alternatives = item_kind == "alternatives"
        for group in [*groups, ALL]:
            key = (round_number, round_item_id, group)
            if kind == "meeting":
                results[key] = meeting_figures(votes[key], definition)
            else:
                results[key] = delphi_figures(
                    scores[key], unable[key], definition, chosen[key] if alternatives else None
                )
        overall = results[(round_number, round_item_id, ALL)]
        if kind == "delphi" and definition.rule_scope == "every_group" and overall["classification"] != "none":
            # Every group with at least one scorer (of an alternatives item: one who chose) must agree; a group
            # without scorers does not veto.
            answered = chosen if alternatives else scores
            scored = [
                results[(round_number, round_item_id, g)] for g in groups if answered[(round_number, round_item_id, g)]
            ]
            if any(r["classification"] != overall["classification"] for r in scored):
                overall["classification"] = "none"
    return results


def published_outcomes(results: dict[tuple[int, int, str], dict], rows: list[dict], items: list[dict]) -> dict:
    """What the published version holds, by outcome name: {"definition", "measurements": {(acronym, timing)}}.

    `results`: recompute()'s figures; `rows`: the results download (for each round item's item id); `items`: the
    process's items as the API lists them. Each item is decided by the overall result of the latest round it was in;
    outcome items in become outcomes; an item about an outcome that is in, and itself in, adds to it: a definition
    item its definition, an instrument item a measurement (its instrument at its timing), an alternatives item its
    winning option's definition and instrument (at the item's timing)."""
    item_of = {(int(r["round"]), int(r["round_item_id"])): int(r["item_id"]) for r in rows}
    latest: dict[int, dict] = {}
    for (number, round_item_id, group), figures in sorted(results.items(), key=lambda kv: kv[0][:2]):
        if group == ALL:
            latest[item_of[(number, round_item_id)]] = figures
    agreed = {i["id"] for i in items if latest.get(i["id"], {}).get("classification") == "in"}
    outcomes = {
        i["id"]: {"name": i["name"], "definition": i["definition"], "measurements": set()}
        for i in items
        if i["kind"] == "outcome" and i["id"] in agreed
    }
    for item in items:
        if item["kind"] == "outcome" or item["id"] not in agreed or item["outcome_item"] not in outcomes:
            continue
        outcome = outcomes[item["outcome_item"]]
        definition, instrument = item["definition"], item["instrument"]
        if item["kind"] == "alternatives":
            winner = latest[item["id"]]["distribution"]["winner"]
            option = next(o for o in item["options"] if o["id"] == winner)
            definition, instrument = option["definition"], option["instrument"]
        if item["kind"] in ("definition", "alternatives") and definition:
            outcome["definition"] = definition
        if item["kind"] in ("instrument", "alternatives") and instrument:
            outcome["measurements"].add((instrument, item["timing"]))
    return {o["name"]: {"definition": o["definition"], "measurements": o["measurements"]} for o in outcomes.values()}
