from __future__ import annotations

import pytest
from django.urls import reverse

from diseases.models import Condition, DiseaseArea
from outcomes.models import OutcomeDomain
from outcomes.search.engine import Reason
from outcomes.services.versions import version_publish
from tests.factories import CoreOutcomeSetFactory, OutcomeFactory, VersionFactory

pytestmark = pytest.mark.django_db


def search(client, **params):
    response = client.get(reverse("web:search"), params)
    assert response.status_code == 200
    return response


def result_slugs(response) -> list[str]:
    return [result.cos.slug for result in response.context["results"]]


def test_search_without_terms_browses_every_set_with_a_public_version(client, reference_data):
    VersionFactory(core_outcome_set=CoreOutcomeSetFactory(title="A draft-only set"))
    response = search(client)
    assert len(response.context["results"]) == 11
    assert "A draft-only set" not in response.content.decode()


def test_search_ranks_a_title_match_first_and_says_why_each_set_matched(client, reference_data):
    response = search(client, q="heart failure")
    slugs = result_slugs(response)
    assert slugs[0] == "ichom-heart-failure"
    assert "ichom-atrial-fibrillation" in slugs
    first = response.context["results"][0]
    assert first.reasons[:2] == [
        Reason("title", "ICHOM Standard Set for heart failure"),
        Reason("condition", "Heart failure"),
    ]
    atrial = response.context["results"][slugs.index("ichom-atrial-fibrillation")]
    assert Reason("outcome", "Heart failure") in atrial.reasons
    assert '<mark class="reason">title: ICHOM Standard Set for heart failure</mark>' in response.content.decode()


def test_search_by_outcome_name_says_which_outcome_matched(client, reference_data):
    response = search(client, q="Symptom burden")
    assert result_slugs(response)[0] == "ichom-heart-failure"
    assert Reason("outcome", "Symptom burden") in response.context["results"][0].reasons
    assert "outcome: Symptom burden" in response.content.decode()


def test_search_matches_outcome_definitions_of_the_current_version_only(client, reference_data):
    old = VersionFactory(core_outcome_set=CoreOutcomeSetFactory(title="Gout outcomes"), version="1.0.0")
    OutcomeFactory(version=old, name="Flares", definition="Number of acute tophaceous episodes")
    version_publish(version=old)
    new = VersionFactory(core_outcome_set=old.core_outcome_set, version="2.0.0")
    OutcomeFactory(version=new, name="Flares", definition="Self-recorded flares per year")
    version_publish(version=new)

    response = search(client, q="self-recorded")
    assert result_slugs(response) == [old.core_outcome_set.slug]
    assert response.context["results"][0].reasons == [Reason("definition", "Self-recorded flares per year", "Flares")]
    assert result_slugs(search(client, q="tophaceous")) == []


def test_every_search_word_must_match_somewhere_in_the_set(client, reference_data):
    assert set(result_slugs(search(client, q="urinary incontinence"))) == {
        "localised-prostate-cancer-compacters",
        "ichom-localized-prostate-cancer",
    }
    assert result_slugs(search(client, q="urinary dementia")) == []


def test_search_facets_filter_by_disease_area_condition_domain_status_and_year(client, reference_data):
    assert len(result_slugs(search(client, area="heart-disease"))) == 3
    assert result_slugs(search(client, condition="heart-failure")) == ["ichom-heart-failure"]
    cardiac = search(client, domain=3)
    assert set(result_slugs(cardiac)) == {
        "ichom-heart-failure",
        "ichom-coronary-artery-disease",
        "ichom-atrial-fibrillation",
    }
    assert "localised-prostate-cancer-compacters" in result_slugs(search(client, year=2022))
    assert "localised-prostate-cancer-compacters" not in result_slugs(search(client, year=2017))
    assert len(result_slugs(search(client, status="published"))) == 11
    assert result_slugs(search(client, status="superseded")) == []
    survival = result_slugs(search(client, q="survival", area="prostate-cancer", domain=1))
    assert survival[0] == "ichom-advanced-prostate-cancer"  # "Overall survival" is an outcome name there
    assert set(survival) <= {"ichom-advanced-prostate-cancer", "localised-prostate-cancer-compacters"}


def test_facet_options_count_the_current_results(client, reference_data):
    html = search(client, area="heart-disease").content.decode()
    assert ">3. Cardiac outcomes (3)</option>" in html
    assert ">Heart failure (1)</option>" in html
    assert ">Prostate cancer (0)</option>" in html


def test_an_invalid_facet_value_is_a_form_error_and_the_valid_ones_still_apply(client, reference_data):
    response = search(client, q="heart", domain="99", year="not-a-year")
    form = response.context["form"]
    assert "domain" in form.errors and "year" in form.errors
    assert 'class="field-error"' in response.content.decode()
    assert "ichom-heart-failure" in result_slugs(response)
    assert "harmony-multiple-myeloma" not in result_slugs(response)


def test_search_query_count_does_not_grow_with_the_number_of_sets(
    client, reference_data, django_assert_max_num_queries
):
    url = reverse("web:search")
    with django_assert_max_num_queries(20) as small:
        client.get(url, {"q": "outcome"})
    domain = OutcomeDomain.objects.get(number=3)
    for _ in range(25):
        version = VersionFactory(core_outcome_set=CoreOutcomeSetFactory())
        OutcomeFactory.create_batch(3, version=version, domains=[domain])
        version_publish(version=version)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url, {"q": "outcome"})
    assert response.context["page_obj"].paginator.count >= 25


def test_filters_fold_away_after_a_plain_text_search_and_stay_open_when_used(client, reference_data):
    assert search(client, q="urinary").context["filters_open"] is False
    assert '<details class="facets-details">' in search(client, q="urinary").content.decode()
    assert search(client).context["filters_open"] is True
    used = search(client, q="urinary", area="prostate-cancer")
    assert used.context["filters_open"] is True
    assert "Filter (1 active)" in used.content.decode()
    assert search(client, q="urinary", domain="99").context["filters_open"] is True


def test_a_corrected_search_names_only_the_words_it_corrected(client, reference_data):
    html = search(client, q="hart failure").content.decode()
    assert "Showing results for <strong>heart failure</strong>" in html
    assert "Nothing in the registry is spelt “hart”." in html
    assert "ICHOM Standard Set for heart failure" in html


def test_a_search_names_the_words_no_set_holds_and_shows_the_sets_for_the_others(client, reference_data):
    html = search(client, q="heart failure in elderly patients").content.decode()
    assert "No set in the registry mentions “elderly”: these are the sets for the other words." in html
    assert "ICHOM Standard Set for heart failure" in html


def test_a_corrected_search_that_left_a_word_out_does_not_show_it_as_searched(client, reference_data):
    html = search(client, q="hart failure in elderly patients").content.decode()
    assert "Showing results for <strong>heart failure in patients</strong>" in html
    assert "No set in the registry mentions “elderly”" in html


def test_the_search_form_offers_a_condition_as_soon_as_it_is_added_and_no_longer_once_deleted(client, reference_data):
    def conditions() -> list[str]:
        return [value for value, _ in search(client).context["form"].fields["condition"].choices]

    assert "quetzal-syndrome" not in conditions()
    area = DiseaseArea.objects.get(slug="heart-disease")
    condition = Condition.objects.create(
        name="Quetzal syndrome (synthetic)", slug="quetzal-syndrome", disease_area=area
    )
    assert "quetzal-syndrome" in conditions()
    condition.delete()
    assert "quetzal-syndrome" not in conditions()
