"""HTTP caching headers (outcomes/public_reads.py): public reads are cacheable by shared caches with a strong ETag;
everything personal is `private, no-store`."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.urls import resolve, reverse

from outcomes.public_reads import WROTE_COOKIE, cache_headers_apply
from outcomes.services.versions import version_publish
from tests.factories import VersionFactory

pytestmark = pytest.mark.django_db

PUBLIC = "public, max-age=30, s-maxage=60, stale-while-revalidate=30"


@pytest.fixture
def published():
    version = VersionFactory()
    return version_publish(version=version)


def test_a_public_page_is_cacheable_by_shared_caches_with_a_strong_etag(client, published):
    response = client.get(reverse("web:set-detail", args=[published.core_outcome_set.slug]))
    assert response.status_code == 200
    assert response["Cache-Control"] == PUBLIC
    assert response["ETag"].startswith('"') and "Cookie" in response["Vary"]
    assert not response.cookies


def test_a_matching_if_none_match_answers_304_without_a_body(client, published):
    url = reverse("web:set-detail", args=[published.core_outcome_set.slug])
    etag = client.get(url)["ETag"]
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert client.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_the_public_api_varies_on_accept_authorization_and_cookie(client, published):
    response = client.get(reverse("api:cos-list"))
    assert response["Cache-Control"] == PUBLIC
    vary = {value.strip() for value in response["Vary"].split(",")}
    assert {"Accept", "Authorization", "Cookie"} <= vary
    assert "Accept-Language" not in vary


def test_a_version_resource_of_the_api_also_varies_on_accept_language(client, published):
    slug = published.core_outcome_set.slug
    response = client.get(reverse("api:version-detail", args=[slug, published.version]))
    assert response.status_code == 200 and response["Cache-Control"].startswith("public, ")
    assert "s-maxage=" in response["Cache-Control"] and "stale-while-revalidate=" in response["Cache-Control"]
    assert "Accept-Language" in response["Vary"]


def test_a_signed_in_user_gets_private_no_store_pages(client, curator, published):
    client.force_login(curator)
    response = client.get(reverse("web:set-detail", args=[published.core_outcome_set.slug]))
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"


def test_facilitator_and_panel_pages_are_private_no_store(client, facilitator):
    client.force_login(facilitator)
    assert client.get("/facilitate/")["Cache-Control"] == "private, no-store"
    client.logout()
    assert client.get("/panel/not-a-valid-link/")["Cache-Control"] == "private, no-store"


def test_the_sign_in_page_is_never_stored(client):
    cache_control = client.get(reverse("login"))["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control


@pytest.mark.parametrize("personal", ["cookie", "csrf_token"])
def test_a_public_page_that_sets_a_cookie_or_carries_a_form_token_is_private(rf, personal):
    request = rf.get(reverse("web:home"))
    request.resolver_match = resolve(request.path)
    response = HttpResponse("page")
    if personal == "cookie":
        response.set_cookie("messages", "x")
    else:
        get_token(request)
    assert cache_headers_apply(request, response)["Cache-Control"] == "private, no-store"


def test_a_public_page_for_a_client_that_just_wrote_is_private(rf):
    request = rf.get(reverse("web:home"), HTTP_COOKIE=f"{WROTE_COOKIE}=1")
    request.resolver_match = resolve(request.path)
    assert cache_headers_apply(request, HttpResponse("page"))["Cache-Control"] == "private, no-store"


def test_an_error_answer_to_a_public_url_is_not_cached(client):
    response = client.get(reverse("web:set-detail", args=["no-such-set"]))
    assert response.status_code == 404 and response["Cache-Control"] == "private, no-store"


def test_the_api_with_a_token_is_not_cached_publicly(client, curator, published):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=curator)
    response = client.get(reverse("api:cos-list"), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
