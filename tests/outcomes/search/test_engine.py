"""The search engine's rules: normalisation shared by index and query, synonyms as curators' data, typos,
grouping by kind on the page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from outcomes.models import CoreOutcomeSet, Instrument, SearchSynonym
from outcomes.search import engine
from outcomes.search.engine import sets_matching
from outcomes.search.query import parse, search_query
from outcomes.search.text import terms, words
from outcomes.services.search import search_synonyms_load
from outcomes.services.versions import version_publish
from tests.factories import CoreOutcomeSetFactory, OutcomeFactory, UserFactory, VersionFactory


def test_spelling_variants_apostrophes_hyphens_and_accents_normalise_to_the_same_terms():
    assert terms("leukaemia") == terms("leukemia")
    assert terms("Haematological") == terms("hematologic")
    assert terms("localised") == terms("localized")
    assert terms("oedema") == terms("edema") and terms("anaemia") == terms("anemia")
    assert terms("tumour") == terms("tumor")
    assert terms("Alzheimer's") == terms("Alzheimers") == terms("alzheimer") == terms("ALZHEIMER’S")
    assert words("quality-of-life") == words("quality of life") == ["quality", "life"]
    assert words("Sjögren") == ["sjogren"]
    assert terms("cognition") == terms("cognitive")


def test_codes_domains_phrases_or_and_exclusions_are_parsed():
    query = parse('C92.0 84114007 domain:12 "quality of life" dementia OR myeloma -advanced')
    icd, snomed, phrase, either, excluded = query.clauses
    assert icd.alternatives[0].code and icd.alternatives[0].prefix and icd.alternatives[0].terms == ("c920",)
    assert snomed.alternatives[0].code and not snomed.alternatives[0].prefix
    assert phrase.alternatives[0].terms == ("qualiti", "life")
    assert [a.terms for a in either.alternatives] == [("dementia",), ("myeloma",)]
    assert excluded.negated
    assert query.domains == [12]
    assert parse("12").domains == [] and parse("domain:99").domains == []


@pytest.mark.django_db
def test_the_starter_synonyms_load_once_and_never_overwrite_a_curators_edit(reference_data):
    hf = SearchSynonym.objects.get(term="HF")
    hf.expansions = "heart failure\ncardiac failure"
    hf.save()
    assert search_synonyms_load() == 0
    assert SearchSynonym.objects.get(term="HF").expansion_list == ["heart failure", "cardiac failure"]


@pytest.mark.django_db
def test_a_synonym_a_curator_adds_in_the_admin_applies_to_the_next_search(client, reference_data):
    def found(q: str) -> list[str]:
        return [r.cos.slug for r in client.get(reverse("web:search"), {"q": q}).context["results"]]

    assert found("ticker") == []
    curator = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(curator)
    response = client.post(
        reverse("admin:outcomes_searchsynonym_add"),
        {"term": "ticker", "expansions": "heart failure", "note": "Lay term"},
    )
    assert response.status_code == 302
    assert "ichom-heart-failure" in found("ticker")


@pytest.mark.django_db
def test_a_synonym_search_would_ignore_is_refused_in_the_admin(client, reference_data):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:outcomes_searchsynonym_add"), {"term": "the", "expansions": "of the", "note": ""}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.keys() == {"term", "expansions"}
    assert not SearchSynonym.objects.filter(term="the").exists()


@pytest.mark.django_db
def test_the_page_says_showing_results_for_after_a_typo(client, reference_data):
    response = client.get(reverse("web:search"), {"q": "prostrate"})
    assert response.context["showing_results_for"] == "prostate"
    assert "Showing results for <strong>prostate</strong>" in response.content.decode()
    assert client.get(reverse("web:search"), {"q": "prostate"}).context["showing_results_for"] is None


@pytest.mark.django_db
def test_the_page_groups_instruments_and_outcomes_above_the_sets(client, reference_data):
    html = client.get(reverse("web:search"), {"q": "EQ-5D"}).content.decode()
    assert 'id="instrument-hits-heading">Instruments</h2>' in html
    assert reverse("web:instrument-detail", args=["EQ-5D"]) in html
    assert html.index("instrument-hits-heading") < html.index("results-heading")
    outcomes = client.get(reverse("web:search"), {"q": "cognition"})
    names = [hit.name for hit in outcomes.context["hits"].outcomes]
    assert "Cognition" in names and "Cognitive function" in names
    assert 'id="outcome-hits-heading">Outcomes</h2>' in outcomes.content.decode()


@pytest.mark.django_db
def test_an_instrument_renamed_in_the_admin_is_found_by_its_new_name(client, reference_data):
    def found(q: str) -> list[str]:
        return [r.cos.slug for r in client.get(reverse("web:search"), {"q": q}).context["results"]]

    instrument = Instrument.objects.get(acronym="MoCA")
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:outcomes_instrument_change", args=[instrument.pk]),
        {
            "acronym": "MoCA",
            "name": "Montreal Cognitive Assessment Zeta",
            "kind": "PerfO",
            "url": "",
            "licence_note": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert {"ichom-dementia", "ichom-atrial-fibrillation"} <= set(found("zeta"))


@pytest.mark.django_db
def test_an_instrument_whose_kind_changes_in_the_admin_is_found_by_its_new_kind(client, reference_data):
    def found(q: str) -> set[str]:
        return {r.cos.slug for r in client.get(reverse("web:search"), {"q": q}).context["results"]}

    assert found("biomarker") == set()
    instrument = Instrument.objects.get(acronym="MoCA")
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:outcomes_instrument_change", args=[instrument.pk]),
        {"acronym": "MoCA", "name": instrument.name, "kind": "biomarker", "url": "", "licence_note": ""},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert found("biomarker") == {"ichom-dementia", "ichom-atrial-fibrillation"}
    assert "ichom-atrial-fibrillation" not in found("PerfO")


def _published_set(title: str, *, outcome: str = "Pain", definition: str = "How the outcome is defined."):
    cos = CoreOutcomeSetFactory(title=title)
    version = VersionFactory(core_outcome_set=cos)
    OutcomeFactory(version=version, name=outcome, definition=definition)
    version_publish(version=version)
    return cos


def _zymurgy_sets() -> None:
    """One set with the word in its title, four with it in an outcome name, four in a definition only (synthetic)."""
    _published_set("Zymurgy trials")
    for n in range(4):
        _published_set(f"Named {n}", outcome="Zymurgy score")
        _published_set(f"Defined {n}", definition="Measured as zymurgy over a year.")


@pytest.mark.django_db
def test_a_title_match_ranks_above_an_outcome_name_match_above_a_definition_match():
    _zymurgy_sets()
    query = search_query("zymurgy")
    found = [cos.title for cos in sets_matching(CoreOutcomeSet.objects.all(), query)]
    assert found[0] == "Zymurgy trials"
    assert {title[:5] for title in found[1:5]} == {"Named"}
    assert {title[:7] for title in found[5:]} == {"Defined"} and len(found) == 9
    assert not query.more_than_listed


@pytest.mark.django_db
def test_when_a_tier_of_candidates_is_full_the_lower_ones_are_not_ranked_and_the_answers_say_more_match(
    client, monkeypatch
):
    _zymurgy_sets()
    monkeypatch.setattr(engine, "CANDIDATES", 3)
    query = search_query("zymurgy")
    found = [cos.title for cos in sets_matching(CoreOutcomeSet.objects.all(), query)]
    assert found[0] == "Zymurgy trials"
    assert all(title.startswith("Named") for title in found[1:]) and 2 <= len(found) - 1 <= 3
    assert query.more_than_listed
    body = client.get(reverse("api:search"), {"q": "zymurgy"}).json()
    # A full tier lists some of its equally ranked sets, not always the same ones: the API's count is its own list's.
    assert body["more_sets"] is True and 3 <= body["set_count"] <= 4
    page = client.get(reverse("web:search"), {"q": "zymurgy"})
    assert page.context["more_than_listed"] and b"More sets match than are listed" in page.content


@pytest.mark.django_db
def test_a_synonym_a_curator_deletes_stops_applying_to_the_next_search(client, reference_data):
    def found(q: str) -> list[str]:
        return [r.cos.slug for r in client.get(reverse("web:search"), {"q": q}).context["results"]]

    assert "ichom-heart-failure" in found("HF")  # read, and kept for the next searches
    SearchSynonym.objects.get(term="HF").delete()
    assert "ichom-heart-failure" not in found("HF")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "q", ["heart failure", "HF", "I50", "quality of life", '"heart failure" OR dementia', "heart -atrial"]
)
@pytest.mark.parametrize("facets", [{}, {"area": "heart-disease"}, {"domain": 1}, {"condition": "heart-failure"}])
def test_the_tiers_made_from_one_compiled_statement_are_the_statements_django_compiles(
    reference_data, monkeypatch, q, facets
):
    from outcomes.selectors.search import set_search

    query = search_query(q)
    base = set_search(**facets).select_related(None).prefetch_related(None).order_by()
    compiled = {tier: engine._tier_ids(base, query, tier) for tier in (engine.HEAD, engine.NAMES, engine.ANYWHERE)}
    compiles = []
    tier_ids = engine._tier_ids
    monkeypatch.setattr(engine, "_tier_ids", lambda *args: compiles.append(args[2]) or tier_ids(*args))
    made = engine.tier_statements(base, query)
    assert made == compiled
    assert len(set(made.values())) == 3
    # Compiled once, unless the query excludes a word (then the tiers differ in more than their column).
    assert compiles == ([engine.ANYWHERE, engine.HEAD, engine.NAMES] if query.negative else [engine.ANYWHERE])
