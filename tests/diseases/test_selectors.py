from __future__ import annotations

import pytest

from diseases.selectors import condition_list
from tests.factories import ConditionFactory, Icd10CodeFactory

pytestmark = pytest.mark.django_db


def test_condition_list_fetches_area_parent_and_codes_in_a_fixed_number_of_queries(django_assert_num_queries):
    for _ in range(3):
        parent = ConditionFactory()
        Icd10CodeFactory(condition=ConditionFactory(parent=parent, disease_area=parent.disease_area))
    with django_assert_num_queries(2):  # the conditions with their area and parent, then their ICD-10 codes
        made = condition_list().filter(slug__startswith="condition-")
        rows = [(c.disease_area.slug, c.parent and c.parent.slug, c.icd10) for c in made]
    assert len(rows) == 6
    assert sum(1 for _, parent, codes in rows if parent and codes) == 3
