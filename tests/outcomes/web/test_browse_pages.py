from __future__ import annotations

from urllib.parse import quote

import pytest
from django.urls import reverse

from outcomes.services.versions import version_publish
from tests.factories import CoreOutcomeSetFactory, OutcomeFactory, VersionFactory

pytestmark = pytest.mark.django_db

COMPACTERS = "localised-prostate-cancer-compacters"
ICHOM_PROSTATE = "ichom-localized-prostate-cancer"


def test_home_has_a_search_box_and_the_recently_published_versions(client, reference_data):
    response = client.get(reverse("web:home"))
    html = response.content.decode()
    assert f'action="{reverse("web:search")}"' in html and 'name="q"' in html
    recent = [f"{v.core_outcome_set.slug} {v.version}" for v in response.context["recent_versions"]]
    assert set(recent[:2]) == {"harmony-acute-myeloid-leukaemia 1.0.0", f"{COMPACTERS} 1.1.0"}  # both 2022
    assert f"{COMPACTERS} 1.0.0" not in recent  # superseded


def test_disease_area_page_shows_each_set_with_its_status_current_version_and_outcome_count(client, reference_data):
    response = client.get(reverse("web:disease-area", args=["prostate-cancer"]))
    counts = {cos.slug: (cos.current.version, cos.current_outcome_count) for cos in response.context["sets"]}
    assert counts == {
        COMPACTERS: ("1.1.0", 19),
        ICHOM_PROSTATE: ("1.0.0", 6),
        "ichom-advanced-prostate-cancer": ("1.0.0", 8),
    }
    html = response.content.decode()
    assert "Version 1.1.0 · Published" in html
    assert "19 outcomes" in html and "6 outcomes" in html
    assert f'href="{reverse("web:condition-detail", args=["localised-prostate-cancer"])}"' in html


def test_condition_page_lists_the_sets_of_the_condition_with_its_codes(client, reference_data):
    response = client.get(reverse("web:condition-detail", args=["localised-prostate-cancer"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert {cos.slug for cos in response.context["sets"]} == {COMPACTERS, ICHOM_PROSTATE}
    assert "<code>C61</code>" in html and "<code>399068003</code>" in html


def test_domain_index_lists_the_38_domains_with_how_many_sets_use_each(client, reference_data):
    response = client.get(reverse("web:domain-list"))
    uses = [use for _, group in response.context["areas"] for use in group]
    assert len(uses) == 38
    cardiac = next(use for use in uses if use.domain.number == 3)
    assert cardiac.set_count == 3


def test_domain_page_lists_every_set_with_outcomes_in_it_across_diseases(client, reference_data):
    response = client.get(reverse("web:domain-detail", args=[1]))
    entries = response.context["entries"]
    areas = {entry.cos.disease_area.slug for entry in entries}
    assert {"heart-disease", "prostate-cancer"} <= areas
    compacters = next(entry for entry in entries if entry.cos.slug == COMPACTERS)
    assert [o.name for o in compacters.outcomes] == [
        "Death from prostate cancer",
        "Death from any cause",
        "Perioperative deaths",
    ]
    assert "Death from any cause" in response.content.decode()


def test_instrument_page_lists_every_set_that_measures_with_it_and_the_outcomes(client, reference_data):
    response = client.get(reverse("web:instrument-detail", args=["KCCQ-12"]))
    [entry] = response.context["entries"]
    assert entry.cos.slug == "ichom-heart-failure"
    assert {o.name for o in entry.outcomes} == {"Symptom burden", "Functional status"}
    assert client.get(reverse("web:instrument-detail", args=["eq-5d"])).context["instrument"].acronym == "EQ-5D"


def test_instrument_with_a_space_in_its_acronym_has_a_working_page(client, reference_data):
    url = reverse("web:instrument-detail", args=["Rose Dyspnea Scale"])
    assert quote("Rose Dyspnea Scale") in url
    assert client.get(url).status_code == 200
    assert f'href="{url}"' in client.get(reverse("web:instrument-list")).content.decode()


def test_unknown_condition_domain_and_instrument_answer_404(client, reference_data):
    assert client.get(reverse("web:condition-detail", args=["no-such-condition"])).status_code == 404
    assert client.get(reverse("web:domain-detail", args=[39])).status_code == 404
    assert client.get(reverse("web:instrument-detail", args=["NO-SUCH"])).status_code == 404


def test_compare_matches_outcomes_by_domain_and_marks_shared_and_unique_domains(client, reference_data):
    response = client.get(reverse("web:compare"), {"a": COMPACTERS, "b": ICHOM_PROSTATE})
    assert response.status_code == 200
    comparison = response.context["comparison"]
    kinds = {row.domain.number: row.kind for row in comparison.rows}
    assert kinds[19] == "shared" and kinds[20] == "shared"
    assert kinds[1] == "only-a" and kinds[16] == "only-a"
    assert [row.domain.number for row in comparison.rows] == sorted(kinds)
    html = response.content.decode()
    assert 'class="compare-shared"' in html and 'class="compare-only-a"' in html
    assert f"<strong>{comparison.shared_count}</strong> domains in both" in html


def test_compare_marks_outcomes_named_identically_in_both_sets(client, reference_data):
    area_set = CoreOutcomeSetFactory()
    for cos in (area_set, CoreOutcomeSetFactory(disease_area=area_set.disease_area)):
        version = VersionFactory(core_outcome_set=cos)
        OutcomeFactory(version=version, name="Pain")
        version_publish(version=version)
    other = area_set.disease_area.core_outcome_sets.exclude(pk=area_set.pk).get()
    response = client.get(reverse("web:compare"), {"a": area_set.slug, "b": other.slug})
    assert response.context["comparison"].same_names == {"pain"}
    assert response.content.decode().count('<span class="badge badge-same">same name</span>') == 3  # key + 2 cells


def test_compare_without_parameters_shows_the_empty_form(client, reference_data):
    response = client.get(reverse("web:compare"))
    assert response.status_code == 200
    assert response.context["comparison"] is None
    assert not response.context["form"].errors


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"a": COMPACTERS, "b": "no-such-set"}, "There is no public core outcome set with that name"),
        ({"a": COMPACTERS}, "This field is required."),
        ({"a": COMPACTERS, "b": COMPACTERS}, "Pick two different sets to compare."),
        ({"a": "", "b": ""}, "This field is required."),
        ({"a": COMPACTERS, "b_q": "xylophone"}, "No public set matches “xylophone”."),
    ],
)
def test_compare_with_bad_parameters_answers_a_form_error_not_a_crash(client, reference_data, params, message):
    response = client.get(reverse("web:compare"), params)
    assert response.status_code == 400
    assert response.context["comparison"] is None
    assert message in response.content.decode()


def test_compare_without_javascript_takes_the_one_set_that_matches_the_words_typed(client, reference_data):
    response = client.get(reverse("web:compare"), {"a_q": "COMPACTERS", "b_q": "ICHOM localized prostate"})
    assert response.status_code == 200
    comparison = response.context["comparison"]
    assert (comparison.a.slug, comparison.b.slug) == (COMPACTERS, ICHOM_PROSTATE)


def test_compare_without_javascript_offers_the_sets_matching_the_words_typed_never_the_registry(client, reference_data):
    response = client.get(reverse("web:compare"), {"a": COMPACTERS, "b_q": "heart"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Several sets match “heart”: pick one below." in html
    offered = [cos.slug for cos in response.context["form"].candidates["b"]]
    assert set(offered) == {"ichom-heart-failure", "ichom-coronary-artery-disease", "ichom-atrial-fibrillation"}
    assert 'name="b" id="b-ichom-heart-failure" value="ichom-heart-failure"' in html
    assert "ichom-dementia" not in html  # the pickers never list every set
    assert 'value="Core outcome set for effectiveness trials in localised prostate cancer (COMPACTERS)"' in html


def test_the_set_suggestions_are_the_best_few_public_sets_for_the_start_of_a_word(client, reference_data):
    draft = VersionFactory(core_outcome_set=CoreOutcomeSetFactory(title="Dementia draft only")).core_outcome_set
    body = client.get(reverse("web:set-suggestions"), {"q": "demen"}).json()
    slugs = [result["slug"] for result in body["results"]]
    assert slugs[0] == "ichom-dementia" and draft.slug not in slugs
    assert body["results"][0] == {
        "slug": "ichom-dementia",
        "title": "ICHOM Standard Set for dementia",
        "area": "Alzheimer's disease",
    }
    assert client.get(reverse("web:set-suggestions"), {"q": ""}).json() == {"results": []}
    # A word typed past its stem still matches ("locali": the index holds "local", from "localized").
    typed = client.get(reverse("web:set-suggestions"), {"q": "ichom locali"}).json()["results"]
    assert [result["slug"] for result in typed] == [ICHOM_PROSTATE]


def test_compare_refuses_a_set_that_has_no_public_version(client, reference_data):
    draft = VersionFactory(core_outcome_set=CoreOutcomeSetFactory()).core_outcome_set
    response = client.get(reverse("web:compare"), {"a": COMPACTERS, "b": draft.slug})
    assert response.status_code == 400
