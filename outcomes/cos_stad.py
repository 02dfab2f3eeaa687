"""The COS-STAD minimum standards for developing a core outcome set, and how one consensus process met each.

COS-STAD: Kirkham JJ, Davis K, Altman DG, et al. Core Outcome Set-STAndards for Development: The COS-STAD
recommendations. PLoS Med 2017;14(11):e1002447. doi:10.1371/journal.pmed.1002447

Eleven standards in three domains (scope specification, stakeholders involved, consensus process). Each is judged
from what this registry records about the process and its set: "met" or "not met" when the data says so, otherwise
"not recorded" (the standard may well be met; the registry cannot tell). docs/consensus.md lists the rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from outcomes.models import AuditEvent, ConsensusProcess, Item, StakeholderGroup, Suggestion

CITATION = (
    "Kirkham JJ, Davis K, Altman DG, et al. Core Outcome Set-STAndards for Development: The COS-STAD "
    "recommendations. PLoS Med 2017;14(11):e1002447."
)
DOI_URL = "https://doi.org/10.1371/journal.pmed.1002447"

MET, NOT_MET, NOT_RECORDED = "met", "not met", "not recorded"

# Stakeholder groups are named by the facilitator; a group counts for a standard when its name says so.
_RESEARCH_WORDS = ("research",)
_PROFESSIONAL_WORDS = ("health professional", "healthcare professional", "clinician", "doctor", "nurse", "physician")
_PATIENT_WORDS = ("patient", "carer", "caregiver")
# Settings that decide which outcomes are dropped or added between rounds (the consensus definition is locked).
_CRITERIA_SETTINGS = ("carry_forward", "next_round_invitees")


@dataclass(frozen=True)
class Standard:
    number: int
    domain: str
    text: str
    status: str  # MET, NOT_MET or NOT_RECORDED
    evidence: str


def _recorded(text: str) -> tuple[str, str]:
    return (MET, text.strip()) if text.strip() else (NOT_RECORDED, "Not recorded for this set.")


def _groups_matching(groups: list[StakeholderGroup], words: tuple[str, ...]) -> list[StakeholderGroup]:
    return [g for g in groups if any(word in g.name.lower() for word in words)]


def _stakeholders(groups: list[StakeholderGroup], words: tuple[str, ...]) -> tuple[str, str]:
    matching = _groups_matching(groups, words)
    if not matching:
        return NOT_RECORDED, "No stakeholder group of this process is named for them."
    described = "; ".join(f"“{g.name}”: {g.consented} consented panelists, {g.took_part} took part" for g in matching)
    return (MET if any(g.took_part for g in matching) else NOT_MET), described + "."


def process_cos_stad(process: ConsensusProcess) -> list[Standard]:
    """The eleven standards with this process's status and evidence, in the paper's order."""
    cos = process.core_outcome_set
    groups = list(
        process.groups.annotate(
            consented=Count("panelists", filter=Q(panelists__consented_at__isnull=False), distinct=True),
            took_part=Count(
                "panelists",
                filter=Q(panelists__participations__completed_at__isnull=False),
                distinct=True,
            ),
        )
    )
    conditions = ", ".join(cos.conditions.order_by("name").values_list("name", flat=True))
    scope, stakeholders, consensus = "Scope specification", "Stakeholders involved", "Consensus process"
    standards = [
        (scope, "The research or practice setting(s) in which the COS is to be applied"),
        (scope, "The health condition(s) covered by the COS"),
        (scope, "The population(s) covered by the COS"),
        (scope, "The intervention(s) covered by the COS"),
        (stakeholders, "Those who will use the COS in research"),
        (stakeholders, "Healthcare professionals with experience of patients with the condition"),
        (stakeholders, "Patients with the condition or their representatives"),
        (consensus, "The initial list of outcomes considered both healthcare professionals' and patients' views"),
        (consensus, "A scoring process and consensus definition were described a priori"),
        (consensus, "Criteria for including/dropping/adding outcomes were described a priori"),
        (consensus, "Care was taken to avoid ambiguity of language used in the list of outcomes"),
    ]
    judgements = [
        _recorded(cos.scope_setting),
        _recorded(conditions),
        _recorded(cos.scope_population),
        _recorded(cos.scope_intervention),
        _stakeholders(groups, _RESEARCH_WORDS),
        _stakeholders(groups, _PROFESSIONAL_WORDS),
        _stakeholders(groups, _PATIENT_WORDS),
        _initial_list(process, groups),
        _scoring_a_priori(process),
        _criteria_a_priori(process),
        _language(process),
    ]
    return [
        Standard(number=i, domain=domain, text=text, status=status, evidence=evidence)
        for i, ((domain, text), (status, evidence)) in enumerate(zip(standards, judgements, strict=True), start=1)
    ]


def _initial_list(process: ConsensusProcess, groups: list[StakeholderGroup]) -> tuple[str, str]:
    """The registry does not record where the candidate list came from; it records the outcomes that panelists
    suggested in round 1 and that were accepted into the list."""
    accepted = Suggestion.objects.filter(
        round__process=process, round__number=1, status__in=[Suggestion.Status.ACCEPTED, Suggestion.Status.MERGED]
    ).values_list("panelist__group_id", flat=True)
    by_group = set(accepted)
    professionals = {g.pk for g in _groups_matching(groups, _PROFESSIONAL_WORDS)}
    patients = {g.pk for g in _groups_matching(groups, _PATIENT_WORDS)}
    if by_group & professionals and by_group & patients:
        return MET, (
            f"{len(accepted)} outcomes suggested in round 1 were added to or merged into the list, from both "
            "healthcare professionals and patients."
        )
    return NOT_RECORDED, "The registry does not record whose views the initial candidate list drew on."


def _scoring_a_priori(process: ConsensusProcess) -> tuple[str, str]:
    if process.definition_locked_at is None:
        return NOT_RECORDED, "Round 1 has not opened; the consensus definition is not yet locked."
    return MET, (
        "Outcomes were scored 1-9 (1-3 not important, 4-6 important but not critical, 7-9 critical). The consensus "
        f"definition (in: at least {process.in_high_min_pct}% scoring 7-9 and fewer than {process.in_low_max_pct}% "
        f"scoring 1-3; out: at least {process.out_low_min_pct}% scoring 1-3 and fewer than "
        f"{process.out_high_max_pct}% scoring 7-9; {process.get_rule_scope_display().lower()}; meeting: at least "
        f"{process.meeting_include_min_pct}% of votes cast include) was locked when round 1 opened, on "
        f"{process.definition_locked_at:%d %B %Y}."
    )


def _criteria_a_priori(process: ConsensusProcess) -> tuple[str, str]:
    if process.definition_locked_at is None:
        return NOT_RECORDED, "Round 1 has not opened; the criteria are not yet fixed."
    changes = [
        event
        for event in AuditEvent.objects.filter(
            process=process, action="consensus.process_update", created_at__gt=process.definition_locked_at
        ).order_by("created_at")
        if any(name in (event.after or {}) for name in _CRITERIA_SETTINGS)
    ]
    if changes:
        return NOT_MET, (
            "Which outcomes are carried into the next round, or who is invited to it, changed after round 1 opened "
            f"(on {changes[0].created_at:%d %B %Y})."
        )
    suggestion_rounds = list(process.rounds.filter(allow_suggestions=True).values_list("number", flat=True))
    added = f"panelists could suggest outcomes in round(s) {', '.join(map(str, suggestion_rounds))}"
    return MET, (
        "Including and dropping followed the consensus definition, locked when round 1 opened; items carried "
        f"forward: {process.get_carry_forward_display().lower()} (unchanged after round 1 opened); "
        f"{added if suggestion_rounds else 'no round took suggestions'}."
    )


def _language(process: ConsensusProcess) -> tuple[str, str]:
    rated = Item.objects.filter(process=process, kind=Item.Kind.OUTCOME, round_items__round__number=1).distinct()
    total = rated.count()
    if not total:
        return NOT_RECORDED, "No outcome has been rated yet."
    without = rated.filter(definition="").count()
    if without:
        return NOT_RECORDED, f"{without} of {total} outcomes rated in round 1 were shown without a definition."
    return MET, f"Every outcome rated in round 1 ({total}) was shown to panelists with a definition."
