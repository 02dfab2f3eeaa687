from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from outcomes.models import CoreOutcomeSetVersion

pytestmark = pytest.mark.django_db

HF = "ichom-heart-failure"
COMPACTERS = "localised-prostate-cancer-compacters"


def test_version_detail_carries_outcomes_domains_measurements_references_and_provenance(client, reference_data):
    response = client.get(reverse("api:version-detail", args=[HF, "1.0.0"]))
    assert response.status_code == 200
    doc = response.json()
    assert doc["set"]["slug"] == HF and doc["version"] == "1.0.0" and doc["status"] == "published"
    assert doc["canonical_url"] == f"{settings.SITE_URL}/sets/{HF}/v/1.0.0/"
    functional = next(o for o in doc["outcomes"] if o["name"] == "Functional status")
    assert [d["number"] for d in functional["domains"]] == [25, 30]
    assert [m["instrument"]["acronym"] for m in functional["measurements"]] == ["KCCQ-12", "PROMIS-PF-4a", "NYHA"]
    assert doc["references"][0]["doi_url"] == "https://doi.org/10.1016/j.jchf.2019.09.007"
    provenance = doc["provenance"]
    assert provenance["published_at"] and provenance["published_by"] is None  # loaded by the system
    assert provenance["derived_from"] is None and provenance["consensus_process"] is None


def test_published_by_is_a_display_name_never_a_username_or_email(client, reference_data, curator):
    from outcomes.services.versions import version_publish
    from tests.factories import VersionFactory

    curator.first_name, curator.last_name = "Ada", "Lovelace"
    curator.save()
    version = version_publish(version=VersionFactory(), by=curator)
    doc = client.get(reverse("api:version-detail", args=[version.core_outcome_set.slug, "1.0.0"])).json()
    assert doc["provenance"]["published_by"] == "Ada Lovelace"
    assert "curator" not in str(doc["provenance"]) and "@" not in str(doc["provenance"])


def test_latest_is_the_published_version_and_links_back_to_its_predecessor(client, reference_data):
    doc = client.get(reverse("api:version-detail", args=[COMPACTERS, "latest"])).json()
    assert doc["version"] == "1.1.0" and doc["status"] == "published"
    assert doc["provenance"]["derived_from"] == "1.0.0"
    old = client.get(reverse("api:version-detail", args=[COMPACTERS, "1.0.0"])).json()
    assert old["status"] == "superseded" and old["provenance"]["successors"] == ["1.1.0"]


def test_outcome_identity_is_kept_across_versions(client, reference_data):
    old = client.get(reverse("api:version-detail", args=[COMPACTERS, "1.0.0"])).json()
    new = client.get(reverse("api:version-detail", args=[COMPACTERS, "1.1.0"])).json()
    assert {o["identity"] for o in old["outcomes"]} == {o["identity"] for o in new["outcomes"]}


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "01.0.0", "1.0.0.0", "newest"])
def test_a_malformed_version_is_a_400_naming_the_version(client, reference_data, version):
    response = client.get(reverse("api:version-detail", args=[HF, version]))
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["version"]


def test_a_well_formed_version_the_set_does_not_have_is_a_404(client, reference_data):
    response = client.get(reverse("api:version-detail", args=[HF, "9.9.9"]))
    assert response.status_code == 404
    assert "9.9.9" in response.json()["error"]["message"]


def test_versions_of_an_unknown_set_are_a_404(client, reference_data):
    assert client.get(reverse("api:version-list", args=["nope"])).status_code == 404
    assert client.get(reverse("api:version-detail", args=["nope", "latest"])).status_code == 404


def test_version_list_shows_public_versions_newest_first_with_outcome_counts(client, reference_data):
    body = client.get(reverse("api:version-list", args=[COMPACTERS])).json()
    assert [(v["version"], v["status"], v["outcome_count"]) for v in body["results"]] == [
        ("1.1.0", "published", 19),
        ("1.0.0", "superseded", 19),
    ]


def test_a_draft_is_hidden_from_anonymous_clients_and_outsiders(client, heart_failure_draft, outsider):
    url = reverse("api:version-detail", args=[HF, "2.0.0"])
    assert client.get(url).status_code == 404
    assert [v["version"] for v in client.get(reverse("api:version-list", args=[HF])).json()["results"]] == ["1.0.0"]
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert "2.0.0" not in str(client.get(reverse("api:cos-detail", args=[HF])).json()["versions"])


@pytest.mark.parametrize("who", ["facilitator", "curator"])
def test_a_draft_is_visible_to_its_facilitator_and_to_curators_and_is_marked_draft(
    client, heart_failure_draft, who, request
):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("api:version-detail", args=[HF, "2.0.0"]))
    assert response.status_code == 200
    doc = response.json()
    assert doc["status"] == "draft" and doc["draft"] is True
    assert doc["provenance"]["consensus_process"]["title"] == "HF update"
    assert response["Cache-Control"] == "private, no-store" and "ETag" not in response
    versions = client.get(reverse("api:version-list", args=[HF])).json()["results"]
    assert [v["version"] for v in versions] == ["2.0.0", "1.0.0"]


def test_latest_never_names_a_draft_even_for_a_curator(client, heart_failure_draft, curator):
    client.force_login(curator)
    assert client.get(reverse("api:version-detail", args=[HF, "latest"])).json()["version"] == "1.0.0"


def test_a_published_version_has_a_strong_etag_and_a_conditional_get_answers_304(client, reference_data):
    url = reverse("api:version-detail", args=[HF, "1.0.0"])
    first = client.get(url)
    etag = first["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first["Cache-Control"] == "public, max-age=300, s-maxage=300, stale-while-revalidate=30"
    second = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert second.status_code == 304 and second.content == b"" and second["ETag"] == etag
    assert client.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_a_conditional_get_with_the_weak_form_of_the_etag_answers_304(client, reference_data):
    """If-None-Match compares weakly (RFC 9110): a cache that re-compressed the answer sends W/"<etag>"."""
    for url in (
        reverse("api:version-detail", args=[HF, "1.0.0"]),
        reverse("api:version-export", args=[HF, "1.0.0", "csv"]),
    ):
        etag = client.get(url)["ETag"]
        assert client.get(url, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304, url
        assert client.get(url, HTTP_IF_NONE_MATCH=f'"other", W/{etag}').status_code == 304, url
        assert client.get(url, HTTP_IF_NONE_MATCH='W/"other"').status_code == 200, url


def test_latest_is_cached_for_a_shorter_time_than_a_numbered_version(client, reference_data):
    response = client.get(reverse("api:version-detail", args=[HF, "latest"]))
    assert response["Cache-Control"] == "public, max-age=60, s-maxage=60, stale-while-revalidate=30"


def test_a_conditional_get_with_a_current_etag_does_not_build_the_document(
    client, reference_data, django_assert_max_num_queries
):
    url = reverse("api:version-detail", args=[HF, "1.0.0"])
    etag = client.get(url)["ETag"]
    with django_assert_max_num_queries(1):  # the version row with its set: no outcomes, no prefetches
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_the_rendered_document_is_served_from_the_cache_the_second_time(
    client, reference_data, django_assert_max_num_queries
):
    url = reverse("api:version-detail", args=[HF, "1.0.0"])
    first = client.get(url)
    with django_assert_max_num_queries(1):  # the version row with its set
        second = client.get(url)
    assert second.json() == first.json()


def test_the_etag_changes_when_a_published_version_is_superseded(client, reference_data):
    from outcomes.services.versions import version_publish
    from tests.factories import VersionFactory

    url = reverse("api:version-detail", args=[HF, "1.0.0"])
    before = client.get(url)
    published = CoreOutcomeSetVersion.objects.get(core_outcome_set__slug=HF, version="1.0.0")
    newer = VersionFactory(core_outcome_set=published.core_outcome_set, version="1.1.0", derived_from=published)
    version_publish(version=newer, by=None)
    after = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert after.json()["status"] == "superseded" and after.json()["provenance"]["successors"] == [newer.version]


def test_a_withdrawn_version_is_still_readable_with_its_reason(client, reference_data):
    from outcomes.services.versions import version_withdraw

    version = CoreOutcomeSetVersion.objects.get(core_outcome_set__slug=HF, version="1.0.0")
    version_withdraw(version=version, reason="Superseded by a corrected set", by=None)
    doc = client.get(reverse("api:version-detail", args=[HF, "latest"])).json()
    assert doc["status"] == "withdrawn"
    assert doc["provenance"]["withdrawn_reason"] == "Superseded by a corrected set"


def test_the_diff_matches_outcomes_by_identity_and_lists_changes_field_by_field(client, reference_data):
    response = client.get(reverse("api:version-diff", args=[COMPACTERS, "1.0.0", "1.1.0"]))
    assert response.status_code == 200
    body = response.json()
    assert body["set"] == COMPACTERS and body["old"] == "1.0.0" and body["new"] == "1.1.0"
    # Same outcomes, same identities: nothing added or removed; the references changed.
    assert body["outcomes"]["added"] == [] and body["outcomes"]["removed"] == []
    assert body["outcomes"]["unchanged"] == 19
    assert body["references"]["added"][0]["doi"] == "10.1016/j.eururo.2022.01.042"
    assert body["level"] == "patch"


def test_the_diff_shows_a_renamed_outcome_as_changed_and_a_new_one_as_added(client, heart_failure_draft, curator):
    client.force_login(curator)
    body = client.get(reverse("api:version-diff", args=[HF, "1.0.0", "2.0.0"])).json()
    assert [o["name"] for o in body["outcomes"]["added"]] == ['=HYPERLINK("http://evil")']
    assert len(body["outcomes"]["removed"]) == 5 and body["level"] == "major"


def test_the_diff_with_a_draft_is_hidden_from_anonymous_clients(client, heart_failure_draft):
    assert client.get(reverse("api:version-diff", args=[HF, "1.0.0", "2.0.0"])).status_code == 404


def test_the_diff_accepts_latest_and_refuses_malformed_versions_naming_both(client, reference_data):
    assert client.get(reverse("api:version-diff", args=[COMPACTERS, "1.0.0", "latest"])).json()["new"] == "1.1.0"
    response = client.get(reverse("api:version-diff", args=[COMPACTERS, "one", "two"]))
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"a", "b"}


def test_the_cached_json_of_a_frozen_version_is_its_document_and_varies_on_accept(client, reference_data):
    import orjson

    from outcomes import selectors
    from outcomes.exports.json import version_document

    url = reverse("api:version-detail", args=[HF, "1.0.0"])
    first = client.get(url, HTTP_ACCEPT="application/json")
    second = client.get(url, HTTP_ACCEPT="application/json")
    assert first.status_code == second.status_code == 200
    assert second["Content-Type"] == "application/json" and second.content == first.content
    assert "Accept" in second["Vary"] and second["ETag"] == first["ETag"]
    version = selectors.version_document_queryset().get(core_outcome_set__slug=HF, version="1.0.0")
    assert second.json() == orjson.loads(orjson.dumps(version_document(version)))
    browsable = client.get(url, HTTP_ACCEPT="text/html")
    assert browsable.status_code == 200 and browsable["Content-Type"].startswith("text/html")
    assert browsable["ETag"] != second["ETag"]


CAD = "ichom-coronary-artery-disease"
FULL_NAME = "Acute complications within 30 days of AMI, CABG or PCI"


def test_the_corrected_version_names_its_correction_and_the_correction_says_it_is_one(client, reference_data):
    old = client.get(reverse("api:version-detail", args=[CAD, "1.0.0"])).json()["provenance"]
    assert (old["is_correction"], old["corrected_in"], old["successors"]) == (False, "1.0.1", ["1.0.1"])
    new = client.get(reverse("api:version-detail", args=[CAD, "latest"])).json()
    assert new["version"] == "1.0.1"
    assert (new["provenance"]["is_correction"], new["provenance"]["corrected_in"]) == (True, None)
    assert new["provenance"]["derived_from"] == "1.0.0"
    assert new["outcomes"][0]["name"] == FULL_NAME


def test_the_version_list_flags_the_correction(client, reference_data):
    rows = client.get(reverse("api:version-list", args=[CAD])).json()
    rows = rows.get("results", rows)
    assert {row["version"]: row["is_correction"] for row in rows} == {"1.0.1": True, "1.0.0": False}


@pytest.mark.parametrize("fmt", ["json", "csv", "fhir", "redcap", "ctgov"])
def test_every_export_of_the_current_version_carries_the_corrected_name(client, reference_data, fmt):
    response = client.get(reverse("api:version-export", args=[CAD, "latest", fmt]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode()
    assert FULL_NAME in text or FULL_NAME.replace(",", "\\,") in text
