from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_lists_the_four_disease_areas_with_their_counts(client, reference_data):
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("Alzheimer&#x27;s disease", "Hematologic malignancies", "Heart disease", "Prostate cancer"):
        assert name in html
    assert "<strong>3</strong> core outcome sets" in html  # heart disease, prostate cancer, hematologic malignancies
    assert "<strong>6</strong> conditions" in html  # hematologic malignancies


def test_disease_area_page_lists_its_conditions_and_sets(client, reference_data):
    response = client.get(reverse("web:disease-area", args=["heart-disease"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "ICHOM Standard Set for heart failure" in html
    assert "ICHOM Standard Set for atrial fibrillation" in html
    assert "<code>I50</code>" in html and "<code>84114007</code>" in html


def test_set_page_groups_outcomes_by_core_area_and_domain_with_instruments_timing_and_references(
    client, reference_data
):
    response = client.get(reverse("web:set-detail", args=["ichom-coronary-artery-disease"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Death") < html.index("Physiological/clinical") < html.index("Resource use")
    assert "3. Cardiac outcomes" in html
    assert 'title="Seattle Angina Questionnaire (7-item)">SAQ-7</abbr>' in html
    assert "When: Index event, 30 days, then annually for 5 years" in html
    assert 'href="https://doi.org/10.1161/JAHA.115.001767"' in html


def test_set_page_shows_the_current_version_and_its_history(client, reference_data):
    html = client.get(reverse("web:set-detail", args=["localised-prostate-cancer-compacters"])).content.decode()
    assert "Version 1.1.0 · Published" in html
    assert "Superseded" in html
    assert "surgery only" in html


def test_unknown_pages_answer_404(client, reference_data):
    assert client.get(reverse("web:set-detail", args=["no-such-set"])).status_code == 404
    assert client.get(reverse("web:disease-area", args=["no-such-area"])).status_code == 404


@pytest.mark.parametrize("url_name", ["web:home"])
def test_pages_load_no_asset_from_the_internet(client, reference_data, url_name):
    html = client.get(reverse(url_name)).content.decode()
    assert "https://" not in html.split("<body")[0]
    assert "//cdn" not in html


def test_page_query_count_does_not_grow_with_the_number_of_sets(client, reference_data, django_assert_max_num_queries):
    from diseases.models import DiseaseArea
    from outcomes.services.versions import version_publish
    from tests.factories import CoreOutcomeSetFactory, OutcomeFactory, VersionFactory

    area = DiseaseArea.objects.get(slug="heart-disease")
    url = reverse("web:disease-area", args=[area.slug])
    with django_assert_max_num_queries(8) as small:
        client.get(url)
    for _ in range(20):
        version = VersionFactory(core_outcome_set=CoreOutcomeSetFactory(disease_area=area))
        OutcomeFactory.create_batch(3, version=version)
        version_publish(version=version)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.context["page_obj"].paginator.count == 23
    assert response.content.decode().count('class="set-row"') == 20  # one page
