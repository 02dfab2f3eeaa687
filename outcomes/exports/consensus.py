"""The consensus downloads: ratings, results and the COS-STAR report of a process, as CSV and as JSON.

Pure functions of what outcomes.selectors.consensus reads, shared by the facilitator pages and the API, so that a
page download and an API download are the same document. docs/consensus.md lists every column and field, with a
worked example to recompute by hand. Decimals are written as text with two places ("70.00"), as the tally stores
them; an empty CSV cell is JSON null.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse

from outcomes import cos_stad
from outcomes.exports import attachment, csv_text
from outcomes.models import ConsensusProcess, ItemResult, Round, RoundItem
from outcomes.selectors import consensus as consensus_reads
from outcomes.selectors.consensus import ReportData

# --- Ratings ------------------------------------------------------------------------------------------------------

RATING_COLUMNS = (
    "round",
    "round_kind",
    "round_item_id",
    "item_id",
    "item",
    "item_kind",
    "source",
    "panelist_code",
    "stakeholder_group",
    "score",
    "unable_to_score",
    "option_id",
    "option",
    "vote",
    "count",
    "submitted_at",
    "comment",
    "proposed_wording",
)
VOTES = ("include", "exclude", "abstain")


def rating_rows(ratings: Iterable[dict], live_counts: Iterable[RoundItem]) -> list[dict]:
    """One row per submitted answer (source "panelist", count 1), then per meeting item with a show of hands one
    row per vote (source "live", no panelist, count = hands). Summing `count` by round item and vote recomputes a
    meeting; the panelist rows alone recompute a Delphi round."""
    rows = [
        {
            "round": r["round"],
            "round_kind": r["round_kind"],
            "round_item_id": r["round_item_id"],
            "item_id": r["item_id"],
            "item": r["item"],
            "item_kind": r["item_kind"],
            "source": "panelist",
            "panelist_code": r["panelist_code"],
            "stakeholder_group": r["stakeholder_group"],
            "score": r["score"],
            "unable_to_score": r["unable_to_score"],
            "option_id": r["option_id"],
            "option": r["option_label"],
            "vote": r["vote"] or None,
            "count": 1,
            "submitted_at": r["submitted_at"].isoformat() if r["submitted_at"] else None,
            "comment": r["comment"],
            "proposed_wording": r["proposed_wording"],
        }
        for r in ratings
    ]
    for round_item in live_counts:
        for vote in VOTES:
            rows.append(
                {
                    "round": round_item.round.number,
                    "round_kind": round_item.round.kind,
                    "round_item_id": round_item.pk,
                    "item_id": round_item.item_id,
                    "item": round_item.item.name,
                    "item_kind": round_item.item.kind,
                    "source": "live",
                    "panelist_code": None,
                    "stakeholder_group": None,
                    "score": None,
                    "unable_to_score": False,
                    "option_id": None,
                    "option": None,
                    "vote": vote,
                    "count": getattr(round_item, f"live_{vote}") or 0,
                    "submitted_at": None,
                    "comment": "",
                    "proposed_wording": "",
                }
            )
    rows.sort(key=lambda row: (row["round"], row["source"] != "panelist"))  # stable: selector order kept
    return rows


# --- Results ------------------------------------------------------------------------------------------------------

RESULT_COLUMNS = (
    "round",
    "round_kind",
    "round_item_id",
    "item_id",
    "item",
    "item_kind",
    "group",
    "n",
    "n_unable",
    "n_1_3",
    "n_4_6",
    "n_7_9",
    "pct_1_3",
    "pct_4_6",
    "pct_7_9",
    "median",
    "q1",
    "q3",
    "n_include",
    "n_exclude",
    "n_abstain",
    "votes_cast",
    "pct_include",
    "distribution",
    "classification",
)


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def result_row(result: ItemResult) -> dict:
    """One result. Delphi rows fill the score columns and leave the vote columns empty; meeting rows the reverse,
    with n the votes cast (include + exclude) and pct_include = 100 * include / votes cast."""
    round_item = result.round_item
    meeting = round_item.round.kind == Round.Kind.MEETING
    scores = not meeting
    return {
        "round": round_item.round.number,
        "round_kind": round_item.round.kind,
        "round_item_id": round_item.pk,
        "item_id": round_item.item_id,
        "item": round_item.item.name,
        "item_kind": round_item.item.kind,
        "group": result.group.name if result.group_id else "All panelists",
        "n": result.n,
        "n_unable": result.n_unable if scores else None,
        "n_1_3": result.n_low if scores else None,
        "n_4_6": result.n_mid if scores else None,
        "n_7_9": result.n_high if scores else None,
        "pct_1_3": _decimal(result.pct_low) if scores else None,
        "pct_4_6": _decimal(result.pct_mid) if scores else None,
        "pct_7_9": _decimal(result.pct_high) if scores else None,
        "median": _decimal(result.median),
        "q1": _decimal(result.q1),
        "q3": _decimal(result.q3),
        "n_include": result.n_include,
        "n_exclude": result.n_exclude,
        "n_abstain": result.n_abstain,
        "votes_cast": result.votes_cast,
        "pct_include": _decimal(result.pct_high) if meeting else None,
        "distribution": result.distribution,
        "classification": result.classification,
    }


def definition_document(process: ConsensusProcess) -> dict:
    """The pre-specified consensus definition the results were classified by."""
    return {
        "rule_scope": process.rule_scope,
        "in_high_min_pct": process.in_high_min_pct,
        "in_low_max_pct": process.in_low_max_pct,
        "out_low_min_pct": process.out_low_min_pct,
        "out_high_max_pct": process.out_high_max_pct,
        "meeting_include_min_pct": process.meeting_include_min_pct,
        "definition_locked_at": process.definition_locked_at.isoformat() if process.definition_locked_at else None,
    }


def _process_head(process: ConsensusProcess) -> dict:
    return {"id": process.pk, "title": process.title, "status": process.status, "is_demo": process.is_demo}


# --- The COS-STAR report --------------------------------------------------------------------------------------------

REPORT_COLUMNS = ("section", "round", "group", "item", "measure", "value")


def report_document(data: ReportData) -> dict:
    process = data.process
    return {
        "process": {
            **_process_head(process),
            "core_outcome_set": process.core_outcome_set.slug,
            "version": process.draft_version.version,
        },
        "definition": definition_document(process),
        "rounds": [
            {
                "number": r.number,
                "kind": r.kind,
                "status": r.status,
                "opened_at": r.opened_at.isoformat() if r.opened_at else None,
                "closed_at": r.closed_at.isoformat() if r.closed_at else None,
                "items": r.item_count,
                "invited": r.invited,
                "completed": r.completed,
            }
            for r in data.rounds
        ],
        "participation": [
            {
                "round": round_.number,
                "group": row.group,
                "invited": row.invited,
                "started": row.started,
                "completed": row.completed,
                "response_rate_pct": _decimal(row.response_rate),
                "attrition_pct": _decimal(row.attrition),
            }
            for round_, rows in data.participation
            for row in rows
        ],
        "suggestions": [
            {
                "round": s.round.number,
                "name": s.name,
                "status": s.status,
                "merged_into": s.merged_into.name if s.merged_into_id else None,
                "reason": s.reason,
            }
            for s in data.suggestions
        ],
        "final_set": [
            {
                "outcome": outcome.name,
                "decided_in_round": outcome.evidence.round_item.round.number if outcome.evidence_id else None,
                "round_kind": outcome.evidence.round_item.round.kind if outcome.evidence_id else None,
                "n": outcome.evidence.n if outcome.evidence_id else None,
                "pct": _decimal(outcome.evidence.pct_high) if outcome.evidence_id else None,
                "n_abstain": outcome.evidence.n_abstain if outcome.evidence_id else None,
                "definition_agreed": outcome.definition_agreed,
                "measurement_agreed": outcome.measurement_agreed,
            }
            for outcome in data.final_outcomes
        ],
        "not_in_final_set": [
            {
                "item": item.name,
                "round": result.round_item.round.number,
                "round_kind": result.round_item.round.kind,
                "classification": result.classification,
                "n": result.n,
                "pct": _decimal(result.pct_high),
                "n_abstain": result.n_abstain,
            }
            for item, result in data.dropped
        ],
        "cos_stad": {
            "citation": cos_stad.CITATION,
            "doi_url": cos_stad.DOI_URL,
            "standards": [
                {
                    "number": s.number,
                    "domain": s.domain,
                    "standard": s.text,
                    "status": s.status,
                    "evidence": s.evidence,
                }
                for s in data.cos_stad
            ],
        },
    }


def _report_rows(document: dict) -> list[tuple]:
    """The report in long form: one measure per row, so any spreadsheet can filter it."""
    rows: list[tuple] = [("process", None, None, None, key, value) for key, value in document["process"].items()]
    rows += [("definition", None, None, None, key, value) for key, value in document["definition"].items()]
    for r in document["rounds"]:
        rows += [("round", r["number"], None, None, key, r[key]) for key in r if key != "number"]
    for p in document["participation"]:
        rows += [
            ("participation", p["round"], p["group"], None, key, p[key]) for key in p if key not in ("round", "group")
        ]
    for s in document["suggestions"]:
        rows += [
            ("suggestion", s["round"], None, s["name"], key, s[key]) for key in ("status", "merged_into", "reason")
        ]
    for f in document["final_set"]:
        rows += [("final_set", f["decided_in_round"], None, f["outcome"], key, f[key]) for key in f if key != "outcome"]
    for d in document["not_in_final_set"]:
        rows += [("not_in_final_set", d["round"], None, d["item"], key, d[key]) for key in d if key not in ("item",)]
    stad = document["cos_stad"]
    rows += [("cos_stad", None, None, None, key, stad[key]) for key in ("citation", "doi_url")]
    for standard in stad["standards"]:
        rows += [
            ("cos_stad", None, None, standard["standard"], key, standard[key])
            for key in ("number", "domain", "status", "evidence")
        ]
    return rows


def csv_download(process: ConsensusProcess, what: str) -> HttpResponse:
    """The CSV download `what` ("ratings", "results" or "report") of a process, read through the consensus
    selectors: the one file that the facilitator pages and the API both serve (access is the caller's check)."""
    if what == "ratings":
        body = ratings_csv(consensus_reads.pseudonymised_ratings(process), consensus_reads.meeting_live_counts(process))
    elif what == "results":
        body = results_csv(consensus_reads.process_results(process))
    elif what == "report":
        body = report_csv(consensus_reads.report_data(process))
    else:
        raise ValueError(f"No consensus download is called {what!r}.")
    return attachment(body, filename=download_filename(process, what, "csv"), content_type="text/csv; charset=utf-8")


def download_filename(process: ConsensusProcess, what: str, extension: str) -> str:
    return f"process-{process.pk}-{what}.{extension}"


# --- Documents ------------------------------------------------------------------------------------------------------


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return value  # csv_text escapes formula cells


def _csv(columns: Sequence[str], rows: Iterable[dict] | Iterable[tuple]) -> bytes:
    body = [[_csv_cell(value) for value in _values(row, columns)] for row in rows]
    return csv_text(columns, body).encode("utf-8")


def _values(row: dict | tuple, columns: Sequence[str]) -> Sequence:
    return [row[c] for c in columns] if isinstance(row, dict) else row


def ratings_csv(ratings: Iterable[dict], live_counts: Iterable[RoundItem]) -> bytes:
    return _csv(RATING_COLUMNS, rating_rows(ratings, live_counts))


def ratings_json(process: ConsensusProcess, ratings: Iterable[dict], live_counts: Iterable[RoundItem]) -> dict:
    return {"process": _process_head(process), "ratings": rating_rows(ratings, live_counts)}


def results_csv(results: Iterable[ItemResult]) -> bytes:
    return _csv(RESULT_COLUMNS, [result_row(r) for r in results])


def results_json(process: ConsensusProcess, results: Iterable[ItemResult]) -> dict:
    return {
        "process": _process_head(process),
        "definition": definition_document(process),
        "results": [result_row(r) for r in results],
    }


def report_csv(data: ReportData) -> bytes:
    return _csv(REPORT_COLUMNS, _report_rows(report_document(data)))
