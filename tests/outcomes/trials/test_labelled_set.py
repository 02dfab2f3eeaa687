"""The matcher measured on the labelled set of synthetic trials (labelled_trials.yaml): precision and recall of
"measured" (docs/trials.md reports the numbers; a change of threshold or vocabulary must keep them)."""

from __future__ import annotations

from outcomes.trials.matching import MEASURED, check, shipped_synonyms
from tests.outcomes.trials.labelled import core_outcomes, expected_verdict, labelled_trials, trial_outcomes

PRECISION_FLOOR = 0.9
RECALL_FLOOR = 0.85  # docs/trials.md: measured recall is 0.96 on this set; the floor leaves room for new cases


def _confusion() -> tuple[int, int, int]:
    tp = fp = fn = 0
    for entry in labelled_trials():
        cores = core_outcomes(entry["set"], str(entry["version"]))
        result = check(cores, trial_outcomes(entry).outcomes, synonyms=shipped_synonyms())
        for verdict in result.verdicts:
            expected = expected_verdict(entry, verdict.name) == MEASURED
            got = verdict.verdict == MEASURED
            tp += expected and got
            fp += got and not expected
            fn += expected and not got
    return tp, fp, fn


def test_the_labelled_set_has_at_least_thirty_synthetic_trials_across_the_four_disease_areas():
    entries = labelled_trials()
    assert len(entries) >= 30
    assert all(entry["id"].startswith("SYNTHETIC-") for entry in entries)
    assert {entry["id"].split("-")[1] for entry in entries} == {"AD", "HM", "HD", "PC"}


def test_every_expected_verdict_names_a_core_outcome_of_its_set_version():
    for entry in labelled_trials():
        names = {c.name for c in core_outcomes(entry["set"], str(entry["version"]))}
        assert names, entry["id"]
        assert set(entry.get("expected") or {}) <= names, entry["id"]
        assert set((entry.get("expected") or {}).values()) <= {"measured", "possibly"}


def test_measured_precision_on_the_labelled_set_is_at_least_ninety_percent():
    tp, fp, _ = _confusion()
    assert tp / (tp + fp) >= PRECISION_FLOOR


def test_measured_recall_on_the_labelled_set_stays_above_its_floor():
    tp, _, fn = _confusion()
    assert tp / (tp + fn) >= RECALL_FLOOR
