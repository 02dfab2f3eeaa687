from __future__ import annotations

from outcomes.trials.matching import (
    DOMAIN,
    INSTRUMENT,
    MEASURED,
    MISSING,
    POSSIBLY,
    SAME,
    SYNONYM,
    CoreOutcomeSpec,
    TrialOutcome,
    check,
    name_alternatives,
    shipped_synonyms,
)

EPIC = ("EPIC-26", "Expanded Prostate Cancer Index Composite (26-item short form)")


def _one(core: CoreOutcomeSpec, *measures: str):
    result = check([core], [TrialOutcome(measure=m) for m in measures], synonyms=shipped_synonyms())
    return result.verdicts[0], result


def test_the_same_words_in_british_spelling_are_the_same_outcome():
    verdict, _ = _one(CoreOutcomeSpec("1", "Tumour size"), "Tumor size at 12 months")
    assert (verdict.verdict, verdict.reason) == (MEASURED, SAME)


def test_an_abbreviation_from_the_synonym_list_names_the_outcome():
    verdict, _ = _one(CoreOutcomeSpec("1", "Progression-free survival"), "PFS")
    assert (verdict.verdict, verdict.reason) == (MEASURED, SYNONYM)


def test_overall_survival_is_death_from_any_cause_but_not_death_from_the_disease():
    any_cause, _ = _one(CoreOutcomeSpec("1", "Death from any cause"), "Overall survival")
    disease, _ = _one(CoreOutcomeSpec("1", "Death from prostate cancer"), "Overall survival")
    assert any_cause.verdict == MEASURED
    assert disease.verdict != MEASURED


def test_progression_free_survival_is_not_a_survival_outcome():
    verdict, _ = _one(CoreOutcomeSpec("1", "Overall survival"), "Event-free survival")
    assert verdict.verdict != MEASURED


def test_a_registry_instrument_named_by_acronym_without_its_item_count_measures_the_outcome():
    core = CoreOutcomeSpec(
        "1", "Symptom burden", instruments=(("KCCQ-12", "Kansas City Cardiomyopathy Questionnaire"),)
    )
    verdict, _ = _one(core, "KCCQ clinical summary score")
    assert (verdict.verdict, verdict.reason) == (MEASURED, INSTRUMENT)


def test_an_instrument_subscale_about_another_outcome_does_not_measure_this_one():
    core = CoreOutcomeSpec("1", "Bowel symptoms", instruments=(EPIC,))
    verdict, _ = _one(core, "EPIC-26 urinary incontinence domain score")
    assert verdict.verdict != MEASURED


def test_an_instrument_outside_the_registry_names_what_it_measures():
    verdict, _ = _one(CoreOutcomeSpec("1", "Cognition"), "MMSE score at 6 months")
    assert (verdict.verdict, verdict.reason) == (MEASURED, INSTRUMENT)


def test_a_domain_that_holds_only_this_outcome_of_the_set_names_it():
    core = CoreOutcomeSpec("1", "Burden of care", domains=("Hospital",))
    verdict, _ = _one(core, "Hospital admissions for heart failure")
    assert (verdict.verdict, verdict.reason) == (MEASURED, DOMAIN)


def test_a_partial_match_is_possibly_with_its_candidate_and_score():
    verdict, _ = _one(CoreOutcomeSpec("1", "Local disease recurrence"), "Biochemical recurrence")
    assert verdict.verdict == POSSIBLY
    assert verdict.trial_outcome == 0
    assert 0 < verdict.score < 1


def test_an_unrelated_outcome_leaves_the_core_outcome_missing_and_is_listed_as_not_in_the_set():
    verdict, result = _one(CoreOutcomeSpec("1", "Pain"), "Serum potassium")
    assert verdict.verdict == MISSING
    assert result.not_in_set == [0]


def test_a_misspelt_word_still_matches():
    verdict, _ = _one(CoreOutcomeSpec("1", "Urinary incontinence"), "Urinary incontinance")
    assert verdict.verdict == MEASURED


def test_the_kirkham_rule_needs_every_core_outcome_that_applies_to_all_interventions():
    cores = [
        CoreOutcomeSpec("1", "Overall survival"),
        CoreOutcomeSpec("2", "Positive surgical margin", applies_to="surgery"),
    ]
    met = check(cores, [TrialOutcome("Overall survival")], synonyms={})
    unmet = check([*cores, CoreOutcomeSpec("3", "Pain")], [TrialOutcome("Overall survival")], synonyms={})
    assert met.meets_kirkham is True
    assert unmet.meets_kirkham is False


def test_a_name_listing_events_of_two_words_each_is_read_as_alternatives():
    assert "systemic embolism" in name_alternatives("Ischaemic stroke, systemic embolism or unclassified stroke")
    assert name_alternatives("Acute complications within 30 days of AMI, CABG or PCI") == [
        "Acute complications within 30 days of AMI, CABG or PCI"
    ]


def test_an_outcome_named_by_death_alone_is_all_cause_so_a_cause_specific_death_is_only_possibly_it():
    cardiovascular, _ = _one(CoreOutcomeSpec("1", "Mortality"), "Cardiovascular death")
    any_cause, _ = _one(CoreOutcomeSpec("1", "Mortality"), "Death from any cause at 12 months")
    assert cardiovascular.verdict == POSSIBLY
    assert any_cause.verdict == MEASURED


def test_a_narrower_outcome_that_another_core_outcome_names_is_only_possibly_the_broader_one():
    cores = [CoreOutcomeSpec("1", "Urinary function"), CoreOutcomeSpec("2", "Stress urinary incontinence")]
    result = check(cores, [TrialOutcome("Urinary incontinence")], synonyms={})
    assert result.verdicts[0].verdict == POSSIBLY
    alone = check(cores[:1], [TrialOutcome("Urinary incontinence")], synonyms={})
    assert alone.verdicts[0].verdict == MEASURED


def test_an_instrument_acronym_with_a_subscale_suffix_still_names_the_instrument():
    kccq = ("KCCQ-12", "Kansas City Cardiomyopathy Questionnaire (12-item)")
    cores = [
        CoreOutcomeSpec("1", "Symptom burden", instruments=(kccq,)),
        CoreOutcomeSpec("2", "Functional status", instruments=(kccq,)),
    ]
    result = check(cores, [TrialOutcome("Change From Baseline in KCCQ-TSS Total Symptom Score")], synonyms={})
    assert result.verdicts[0].verdict == MEASURED
    assert result.verdicts[1].verdict != MEASURED  # the symptom score does not measure function
