"""The round submission's fast validation gives exactly what RoundSubmissionSerializer gives, for any body."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from outcomes.api.consensus.panel_serializers import RoundSubmissionSerializer, round_submission_validate

FIELDS = ["item_id", "score", "unable_to_score", "option_id", "vote", "comment", "proposed_wording"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=12),
    st.sampled_from([10**20, 2**63, 7.0, 5.5, float("nan")]),
    st.sampled_from(["", " ", "5", "true", "include", "exclude", "abstain", "maybe", " hi ", "a\x00b", "x" * 5001]),
    st.text(max_size=6),
)
values = st.one_of(
    scalars, st.lists(scalars, max_size=2), st.dictionaries(st.sampled_from(FIELDS), scalars, max_size=2)
)
# Mostly well-formed ratings (the fast path), with every field sometimes missing, odd or surplus.
plain = st.fixed_dictionaries(
    {"item_id": st.integers(min_value=1, max_value=500)},
    optional={
        "score": st.one_of(st.none(), st.integers(min_value=1, max_value=9)),
        "unable_to_score": st.booleans(),
        "option_id": st.one_of(st.none(), st.integers(min_value=1, max_value=50)),
        "vote": st.sampled_from(["", "include", "exclude", "abstain"]),
        "comment": st.sampled_from(["", "why not", "  spaced  "]),
    },
)
odd = st.dictionaries(st.sampled_from([*FIELDS, "extra"]), values, max_size=8)
entries = st.one_of(plain, plain, plain, odd, scalars)
bodies = st.one_of(
    st.fixed_dictionaries(
        {"ratings": st.lists(entries, max_size=6)},
        optional={"complete": st.one_of(st.booleans(), scalars), "other": scalars},
    ),
    st.fixed_dictionaries({}, optional={"ratings": values, "complete": values}),
    values,
)


def _plain(value):
    """Validated data and errors as plain JSON, so the two paths compare by value (and error code)."""
    return json.loads(json.dumps(value, default=str))


def _drf(data) -> tuple:
    serializer = RoundSubmissionSerializer(data=data)
    if serializer.is_valid():
        return "valid", _plain(serializer.validated_data)
    return "invalid", _plain(serializer.errors)


def _fast(data) -> tuple:
    try:
        return "valid", _plain(round_submission_validate(data))
    except ValidationError as exc:
        return "invalid", _plain(exc.detail)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies)
def test_fast_validation_agrees_with_the_serializer_on_any_body(body):
    assert _fast(body) == _drf(body)


@pytest.mark.parametrize(
    "body",
    [
        {"ratings": [{"item_id": 1, "score": 9}] * 1001},  # more than max_length
        {"ratings": []},  # allow_empty=False
        {"ratings": [{"item_id": 1, "score": 9, "unable_to_score": True}]},  # both: the object-level rule
        {"ratings": [{"item_id": True, "score": 9}]},  # a JSON boolean is not an id
        {"ratings": [{"item_id": 1, "score": "9"}], "complete": "true"},  # DRF coerces strings; so must we
        {"ratings": [{"item_id": 1, "comment": "  trimmed  "}]},  # CharField trims whitespace
    ],
)
def test_fast_validation_agrees_with_the_serializer_at_the_edges(body):
    assert _fast(body) == _drf(body)


def test_a_plain_round_is_validated_without_the_nested_serializer(monkeypatch):
    calls = []
    original = RoundSubmissionSerializer.is_valid
    monkeypatch.setattr(
        RoundSubmissionSerializer, "is_valid", lambda self, **kw: calls.append(1) or original(self, **kw)
    )
    body = {"ratings": [{"item_id": i, "score": i % 9 + 1} for i in range(1, 101)], "complete": True}
    assert round_submission_validate(body)["ratings"][41] == {
        "item_id": 42,
        "score": 7,
        "unable_to_score": False,
        "option_id": None,
        "vote": "",
        "comment": "",
        "proposed_wording": "",
    }
    assert calls == []
