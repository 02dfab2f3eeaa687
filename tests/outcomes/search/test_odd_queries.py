"""Whatever is typed into the search box, every way in answers without a server error: the search page, the set
list API's `q`, the search API, the compare pickers' suggestions and the compare form. Query syntax of the
databases underneath (FTS5's NEAR, *, ^, column filters, quotes; tsquery's &, |, !, :*) is never passed through."""

from __future__ import annotations

import pytest
from django.urls import reverse

ODD = [
    "",
    "   ",
    "the of and",
    "a" * 1000,
    "heart " * 200,
    "x" * 201,
    '"',
    '"heart',
    "heart*",
    "NEAR(heart failure, 2)",
    "-",
    "--heart",
    ":",
    "title:heart",
    "{title conditions}: heart",
    "^heart",
    "heart\x00failure",
    "\x00",
    "😀",
    "(",
    "heart OR",
    "OR heart",
    "|",
    "heart & failure | !dementia",
    "heart:*",
    "c92.",
    "C92.0.1",
    "domain:0",
    "domain:99",
    "domain:",
    "domain:29 -dementia",
    "+heart",
    "heart/failure",
    "ß",
    "\u200b",
    "\\",
    "%_",
    "'; DROP TABLE outcomes_coreoutcomeset; --",
    "NOT",
    "NOT NOT heart",
    "heart NOT",
    "NOT domain:3 heart",
    'NOT "heart failure"',
    "(I50",
    "I50))",
    "(((",
    "ICD-10 code",
    "C90.0000",
    "kidny kidny kidny",
]


def _channels(q: str) -> list[tuple[str, str, dict]]:
    return [
        ("page", reverse("web:search"), {"q": q}),
        ("set list api", reverse("api:cos-list"), {"q": q}),
        ("search api", reverse("api:search"), {"q": q}),
        ("suggestions", reverse("web:set-suggestions"), {"q": q}),
        ("compare", reverse("web:compare"), {"a_q": q, "b_q": q}),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("q", ODD, ids=[repr(q)[:40] for q in ODD])
def test_an_odd_query_is_answered_without_a_server_error_everywhere(client, reference_data, q):
    for channel, url, params in _channels(q):
        response = client.get(url, params)
        assert response.status_code < 500, (channel, q)
        if channel in ("set list api", "search api") and response.status_code == 400:
            assert response.json(), (channel, q)  # a 400 says which parameter is wrong


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["the of and", '"', "-", "😀", "|", "-heart", "\\"])
def test_a_query_with_nothing_to_search_for_finds_nothing_rather_than_everything(client, reference_data, q):
    assert client.get(reverse("web:search"), {"q": q}).context["results"] == []
    assert client.get(reverse("api:cos-list"), {"q": q}).json()["count"] == 0
    assert client.get(reverse("api:search"), {"q": q}).json()["results"] == []


@pytest.mark.django_db
def test_domain_alone_lists_the_sets_in_the_domain_less_the_excluded(client, reference_data):
    body = client.get(reverse("api:cos-list"), {"q": "domain:29", "page_size": 100}).json()
    in_domain = {item["slug"] for item in body["results"]}
    assert "ichom-dementia" in in_domain
    body = client.get(reverse("api:cos-list"), {"q": "domain:29 -dementia", "page_size": 100}).json()
    remaining = {item["slug"] for item in body["results"]}
    assert "ichom-dementia" not in remaining
    assert remaining < in_domain
