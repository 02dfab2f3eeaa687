"""The curator's mapping page and the concept sets on the set and version pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from outcomes.models import ConceptSetRevision, CoreOutcomeSetVersion
from tests.factories import OutcomeFactory
from tests.outcomes.omop import SYNTHETIC_SNOMED, item, load_synthetic_vocabulary, reviewed_mapping
from tests.outcomes.web.test_query_counts import MAX_QUERIES

pytestmark = pytest.mark.django_db

HF = "ichom-heart-failure"


@pytest.fixture
def outcome(reference_data):
    return CoreOutcomeSetVersion.objects.get(core_outcome_set__slug=HF, version="1.0.0").outcomes.first()


def _page(outcome) -> str:
    return reverse("web:outcome-mapping", args=[HF, outcome.identity])


def _form(*rows: dict, **head) -> dict:
    data = {"items-TOTAL_FORMS": str(len(rows) + 1), "items-INITIAL_FORMS": "0", **head}
    for k, row in enumerate(rows):
        data.update({f"items-{k}-{name}": value for name, value in row.items()})
    return data


def test_the_set_page_says_not_yet_mapped_for_every_shipped_outcome(client, reference_data):
    html = client.get(reverse("web:set-detail", args=[HF])).content.decode()
    assert "Concept sets for data networks" in html
    version = CoreOutcomeSetVersion.objects.get(core_outcome_set__slug=HF, version="1.0.0")
    assert html.count("not yet mapped") == version.outcomes.count()
    assert "<code>SNOMED 84114007</code>" in html and "<code>ICD10 I50</code>" in html  # the population
    assert "Edit mapping" not in html


def test_a_curator_proposes_on_the_page_then_reviews_and_the_set_page_shows_the_codes(client, outcome, curator):
    client.force_login(curator)
    assert client.get(_page(outcome)).status_code == 200
    row = {"vocabulary": "SNOMED", "code": "84114007", "name": "Heart failure", "domain": "condition"}
    response = client.post(_page(outcome), _form(row, window_start_day="0", window_end_day="30"))
    assert response.status_code == 302
    revision = ConceptSetRevision.objects.get(outcome_identity=outcome.identity)
    assert revision.status == "proposed" and revision.window == {"start_day": 0, "end_day": 30}
    page = client.get(reverse("web:set-detail", args=[HF])).content.decode()
    shown = page.split(f'data-outcome="{outcome.identity}"')[1].split("</tr>")[0]
    assert "not yet mapped" in shown  # a proposal is not shown before it is reviewed

    response = client.post(reverse("web:outcome-mapping-review", args=[HF, outcome.identity, 1]))
    assert response.status_code == 302
    html = client.get(reverse("web:set-detail", args=[HF])).content.decode()
    assert "<code>SNOMED 84114007</code> Heart failure" in html and "Edit mapping" in html
    version_html = client.get(reverse("web:version-detail", args=[HF, "1.0.0"])).content.decode()
    assert "<code>SNOMED 84114007</code> Heart failure" in version_html


def test_a_bad_code_is_a_form_error_on_its_row_and_nothing_is_stored(client, outcome, curator):
    client.force_login(curator)
    rows = [
        {"vocabulary": "SNOMED", "code": "84114007", "name": "Heart failure", "domain": "condition"},
        {"vocabulary": "SNOMED", "code": "84114008", "name": "Typo", "domain": "condition"},
    ]
    response = client.post(_page(outcome), _form(*rows))
    assert response.status_code == 400
    formset = response.context["formset"]
    assert "Verhoeff" in formset.forms[1].errors["code"][0] and not formset.forms[0].errors
    assert not ConceptSetRevision.objects.exists()


def test_a_row_without_its_domain_is_a_form_error(client, outcome, curator):
    client.force_login(curator)
    response = client.post(_page(outcome), _form({"vocabulary": "ICD10", "code": "I50", "name": "HF"}))
    assert response.status_code == 400
    assert response.context["formset"].forms[0].errors["domain"] == ["Required for an item."]


def test_the_page_is_for_curators_only(client, outcome, outsider, facilitator):
    assert client.get(_page(outcome)).status_code == 403
    for user in (outsider, facilitator):
        client.force_login(user)
        assert client.get(_page(outcome)).status_code == 403
        assert client.post(_page(outcome), _form()).status_code == 403
        assert client.post(reverse("web:outcome-mapping-review", args=[HF, outcome.identity, 1])).status_code == 403


def test_an_outcome_of_another_set_is_not_found_on_this_sets_address(client, reference_data, curator):
    client.force_login(curator)
    other = OutcomeFactory()
    assert client.get(_page(other)).status_code == 404


def test_with_a_vocabulary_the_page_previews_descendants(client, outcome, curator):
    load_synthetic_vocabulary()
    reviewed_mapping(outcome, curator, item("SNOMED", SYNTHETIC_SNOMED, name="Synthetic heart condition"))
    client.force_login(curator)
    html = client.get(_page(outcome), {"preview": "2000000001"}).content.decode()
    assert "preview descendants" in html
    assert "2 descendants in the loaded vocabulary" in html
    assert "Synthetic heart condition, chronic" in html


def test_the_set_page_reads_the_concept_sets_in_a_bounded_number_of_queries(
    client, outcome, curator, django_assert_max_num_queries
):
    url = reverse("web:set-detail", args=[HF])
    reviewed_mapping(outcome, curator, item(name="Heart failure"))
    with django_assert_max_num_queries(MAX_QUERIES) as small:
        client.get(url)
    for other in outcome.version.outcomes.all()[1:]:
        reviewed_mapping(other, curator, item("ICD10", "I50", name="Heart failure"), item(name="HF"))
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
