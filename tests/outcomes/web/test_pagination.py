"""Every public list of sets is paginated (20 a page); the links keep the search and its filters."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from diseases.models import Condition, DiseaseArea
from outcomes.models import CoreOutcomeSet
from outcomes.search.engine import Reason
from outcomes.selectors.public import PAGE_SIZE
from outcomes.services.versions import version_withdraw
from tests.outcomes.builders import add_sets

pytestmark = pytest.mark.django_db


@pytest.fixture
def heart_disease(reference_data) -> DiseaseArea:
    return DiseaseArea.objects.get(slug="heart-disease")


def slugs(response, key: str = "sets") -> list[str]:
    rows = response.context[key]
    return [getattr(row, "cos", row).slug for row in rows]


def page_links(response) -> dict[str, dict[str, list[str]]]:
    """The pagination nav's links by their text (Previous, 1, 2, ..., Next), each as its parsed query string."""
    html = response.content.decode()
    nav = html[html.index('<nav class="pagination pager" aria-label="Pages">') :]
    nav = nav[: nav.index("</nav>")]
    links = {}
    for chunk in nav.split("<a ")[1:]:
        href = chunk.split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
        text = chunk.split(">", 1)[1].split("</a>", 1)[0]
        text = text.replace('<span class="visually-hidden">Page </span>', "")
        text = text.replace('<span class="visually-hidden"> page</span>', "")
        links[text] = parse_qs(urlsplit(href).query)
    return links


def test_disease_area_page_shows_twenty_sets_and_page_two_shows_the_next_ones(client, heart_disease):
    made = add_sets(25, area=heart_disease)  # after the 3 reference sets of heart disease, alphabetically
    url = reverse("web:disease-area", args=["heart-disease"])
    first = client.get(url)
    second = client.get(url, {"page": 2})
    assert len(slugs(first)) == PAGE_SIZE
    assert slugs(first)[:3] == [
        "ichom-atrial-fibrillation",
        "ichom-coronary-artery-disease",
        "ichom-heart-failure",
    ]
    assert slugs(second) == [cos.slug for cos in made[17:]]
    assert not set(slugs(first)) & set(slugs(second))
    assert first.context["page_obj"].paginator.count == 28
    assert "Sets 21–28 of 28, page 2 of 2" in second.content.decode()


def test_a_page_number_that_is_not_a_number_shows_the_first_page_and_one_too_large_the_last(client, heart_disease):
    add_sets(25, area=heart_disease)
    url = reverse("web:disease-area", args=["heart-disease"])
    for bad, expected in (("abc", 1), ("", 1), ("999", 2), ("0", 2), ("-1", 2), ("2.5", 1)):
        response = client.get(url, {"page": bad})
        assert response.status_code == 200, bad
        assert response.context["page_obj"].number == expected, bad


def test_the_page_navigation_is_labelled_marks_the_current_page_and_links_previous_and_next(client, heart_disease):
    add_sets(45, area=heart_disease)  # 48 sets: three pages
    html = client.get(reverse("web:disease-area", args=["heart-disease"]), {"page": 2}).content.decode()
    assert '<nav class="pagination pager" aria-label="Pages">' in html
    assert 'aria-current="page"><span class="visually-hidden">Page </span>2</a>' in html
    assert 'rel="prev">Previous' in html and 'rel="next">Next' in html
    first = client.get(reverse("web:disease-area", args=["heart-disease"])).content.decode()
    assert 'rel="prev"' not in first and 'rel="next"' in first


def test_a_list_that_fits_on_one_page_has_no_page_navigation(client, reference_data):
    html = client.get(reverse("web:disease-area", args=["heart-disease"])).content.decode()
    assert 'aria-label="Pages"' not in html


def test_search_page_links_keep_the_search_words_and_the_filters(client, heart_disease):
    add_sets(25, area=heart_disease, outcome="Pain interference")
    response = client.get(reverse("web:search"), {"q": "pain", "area": "heart-disease", "domain": "3"})
    assert response.context["page_obj"].paginator.count == 25
    links = page_links(response)
    assert links["Next"] == {"q": ["pain"], "area": ["heart-disease"], "domain": ["3"], "page": ["2"]}
    assert links["2"] == links["Next"]
    second = client.get(reverse("web:search"), {"q": "pain", "area": "heart-disease", "domain": "3", "page": "2"})
    assert page_links(second)["Previous"]["page"] == ["1"]
    assert page_links(second)["Previous"]["q"] == ["pain"]
    assert len(second.context["results"]) == 5


def test_search_ranks_title_matches_first_across_pages_then_by_relevance_then_alphabetical(client, heart_disease):
    free = add_sets(15, area=heart_disease, title="Aa fatigue-free", outcome="Mobility")
    by_title = add_sets(10, area=heart_disease, title="Fatigue in heart disease", outcome="Sleep")
    by_outcome = add_sets(10, area=heart_disease, title="Aa other", outcome="Fatigue")
    first = client.get(reverse("web:search"), {"q": "fatigue"})
    second = client.get(reverse("web:search"), {"q": "fatigue", "page": 2})
    ranked = slugs(first, "results") + slugs(second, "results")
    titled = {cos.slug for cos in CoreOutcomeSet.objects.filter(title__icontains="fatigue")}
    assert len(titled) == 25 and by_title[0].slug in titled
    assert set(ranked[:25]) == titled  # every title match first, across the page break

    def in_order(group: list[CoreOutcomeSet]) -> list[str]:
        mine = {cos.slug for cos in group}
        return [slug for slug in ranked if slug in mine]

    # Sets that match alike rank alike, and then come alphabetically.
    for group in (free, by_title, by_outcome):
        assert in_order(group) == [cos.slug for cos in group]
    assert {cos.slug for cos in by_outcome} <= set(ranked[25:])
    reasons = {result.cos.slug: result.reasons for result in second.context["results"]}
    assert reasons[by_outcome[0].slug] == [Reason("outcome", "Fatigue")]
    assert second.context["page_obj"].start_index() == 21
    assert 'start="21"' in second.content.decode()


def test_search_heading_and_facets_count_every_matching_set_not_only_the_page(client, heart_disease):
    add_sets(25, area=heart_disease, outcome="Pain interference")
    response = client.get(reverse("web:search"), {"q": "pain interference"})
    html = response.content.decode()
    assert "25 sets found" in html
    assert ">Heart disease (25)</option>" in html
    assert ">3. Cardiac outcomes (25)</option>" in html
    assert ">Heart failure (25)</option>" in html
    assert ">Published (25)</option>" in html
    assert ">2024 (25)</option>" in html
    assert len(response.context["results"]) == PAGE_SIZE


def test_condition_domain_and_instrument_pages_are_paginated_too(client, heart_disease):
    add_sets(25, area=heart_disease)
    pages = [
        (reverse("web:condition-detail", args=["heart-failure"]), "sets", 26),  # + ICHOM heart failure
        (reverse("web:domain-detail", args=[3]), "entries", 28),  # + the 3 ICHOM cardiac sets
        (reverse("web:instrument-detail", args=["EQ-5D"]), "entries", None),
    ]
    for url, key, total in pages:
        first, second = client.get(url), client.get(url, {"page": 2})
        assert len(first.context[key]) == PAGE_SIZE, url
        assert not set(slugs(first, key)) & set(slugs(second, key)), url
        count = first.context["page_obj"].paginator.count
        assert count == total or total is None, url
        assert len(first.context[key]) + len(second.context[key]) == min(count, 2 * PAGE_SIZE), url
    entry = client.get(reverse("web:domain-detail", args=[3]), {"page": 2}).context["entries"][-1]
    assert [outcome.name for outcome in entry.outcomes] == ["Pain"]


def test_domain_and_instrument_indexes_count_sets_by_their_current_version(client, heart_disease):
    add_sets(25, area=heart_disease)
    uses = [use for _, group in client.get(reverse("web:domain-list")).context["areas"] for use in group]
    assert next(use for use in uses if use.domain.number == 3).set_count == 28
    instruments = {
        use.instrument.acronym: use.set_count for use in client.get(reverse("web:instrument-list")).context["uses"]
    }
    eq5d_reference = CoreOutcomeSet.objects.filter(
        versions__status="published", versions__outcomes__measurements__instrument__acronym="EQ-5D"
    ).distinct()
    assert instruments["EQ-5D"] == eq5d_reference.count()
    assert instruments["KCCQ-12"] == 1


def test_cached_counts_change_as_soon_as_a_set_is_published_withdrawn_or_loses_a_condition(client, heart_disease):
    def counts() -> tuple[str, int, int]:
        html = client.get(reverse("web:search")).content.decode()
        uses = [use for _, group in client.get(reverse("web:domain-list")).context["areas"] for use in group]
        instruments = {
            use.instrument.acronym: use.set_count for use in client.get(reverse("web:instrument-list")).context["uses"]
        }
        cardiac = next(use.set_count for use in uses if use.domain.number == 3)
        return html, cardiac, instruments["EQ-5D"]

    def listed(name: str, arg: object) -> int:
        return client.get(reverse(name, args=[arg])).context["page_obj"].paginator.count

    html, cardiac, eq5d = counts()
    assert ">Heart disease (3)</option>" in html and ">Withdrawn (0)</option>" in html
    assert (listed("web:domain-detail", 3), listed("web:instrument-detail", "EQ-5D")) == (cardiac, eq5d)
    [cos] = add_sets(1, area=heart_disease)
    html, cardiac_after, eq5d_after = counts()
    assert ">Heart disease (4)</option>" in html and ">Heart failure (2)</option>" in html
    assert (cardiac_after, eq5d_after) == (cardiac + 1, eq5d + 1)
    assert (listed("web:domain-detail", 3), listed("web:instrument-detail", "EQ-5D")) == (cardiac + 1, eq5d + 1)

    version_withdraw(version=cos.versions.get(), reason="Superseded by a better set")
    assert ">Withdrawn (1)</option>" in counts()[0]
    cos.conditions.remove(Condition.objects.get(slug="heart-failure"))
    assert ">Heart failure (1)</option>" in counts()[0]
