from __future__ import annotations

import json

import bibtexparser
import jsonschema
import pytest
import rispy
import yaml
from django.conf import settings
from django.urls import reverse

from outcomes.models import AuditEvent, CoreOutcomeSetVersion

pytestmark = pytest.mark.django_db

HF = "ichom-heart-failure"
HF_URL = f"{settings.SITE_URL}/sets/{HF}/v/1.0.0/"


def _hf() -> CoreOutcomeSetVersion:
    return CoreOutcomeSetVersion.objects.get(core_outcome_set__slug=HF, version="1.0.0")


@pytest.mark.parametrize(
    ("fmt", "content_type", "filename"),
    [
        ("bibtex", "application/x-bibtex; charset=utf-8", "ichom-heart-failure-1-0-0.bib"),
        ("ris", "application/x-research-info-systems; charset=utf-8", "ichom-heart-failure-1-0-0.ris"),
        ("csl-json", "application/vnd.citationstyles.csl+json; charset=utf-8", "ichom-heart-failure-1-0-0.csl.json"),
        ("cff", "application/yaml; charset=utf-8", "CITATION.cff"),
        (
            "datacite",
            "application/vnd.datacite.datacite+json; charset=utf-8",
            "ichom-heart-failure-1-0-0.datacite.json",
        ),
    ],
)
def test_each_citation_downloads_with_its_type_and_filename(client, reference_data, fmt, content_type, filename):
    response = client.get(reverse("api:version-cite", args=[HF, "1.0.0", fmt]))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert HF_URL in response.content.decode()
    assert response["Link"] == f'<{HF_URL}>; rel="cite-as"'


def test_an_unknown_citation_format_is_a_404_that_lists_the_formats(client, reference_data):
    response = client.get(reverse("api:version-cite", args=[HF, "1.0.0", "endnote-xml"]))
    assert response.status_code == 404
    assert "bibtex, ris, csl-json, cff, datacite" in response.json()["error"]["message"]


def test_a_draft_is_not_citable_even_for_a_curator(client, reference_data, curator):
    from tests.factories import VersionFactory

    draft = VersionFactory(core_outcome_set=_hf().core_outcome_set, version="2.0.0")
    client.force_login(curator)
    response = client.get(reverse("api:version-cite", args=[HF, draft.version, "bibtex"]))
    assert response.status_code == 404
    assert "only a published, superseded or withdrawn version can be cited" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("accept", "check"),
    [
        ("application/x-bibtex", lambda body: bibtexparser.parse_string(body).entries[0]["url"] == HF_URL),
        ("application/x-research-info-systems", lambda body: rispy.loads(body)[0]["urls"] == [HF_URL]),
        ("application/vnd.citationstyles.csl+json", lambda body: json.loads(body)[0]["URL"] == HF_URL),
    ],
)
def test_the_version_resource_answers_a_reference_manager_by_content_negotiation(client, reference_data, accept, check):
    response = client.get(reverse("api:version-detail", args=[HF, "1.0.0"]), HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(accept)
    assert "Content-Disposition" not in response
    assert "Accept" in response["Vary"]
    assert check(response.content.decode())


def test_json_stays_the_default_representation_of_a_version(client, reference_data):
    for accept in (None, "*/*", "application/json", "application/json, application/x-bibtex;q=0.5"):
        headers = {} if accept is None else {"HTTP_ACCEPT": accept}
        response = client.get(reverse("api:version-detail", args=[HF, "1.0.0"]), **headers)
        assert response.status_code == 200 and response.json()["format"] == "cos-registry/version/1", accept
        assert response.json()["doi"] == ""
        assert "Accept" in response["Vary"]


def test_a_type_the_version_cannot_be_rendered_in_is_a_406(client, reference_data):
    response = client.get(reverse("api:version-detail", args=[HF, "1.0.0"]), HTTP_ACCEPT="application/x-endnote")
    assert response.status_code == 406


def test_negotiated_citations_and_json_have_different_etags(client, reference_data):
    url = reverse("api:version-detail", args=[HF, "1.0.0"])
    bibtex = client.get(url, HTTP_ACCEPT="application/x-bibtex")
    document = client.get(url)
    assert bibtex["ETag"] != document["ETag"]
    assert client.get(url, HTTP_ACCEPT="application/x-bibtex", HTTP_IF_NONE_MATCH=bibtex["ETag"]).status_code == 304


# ---------------------------------------------------------------------------------------------------------- DOI


def test_a_curator_records_a_doi_that_every_citation_then_carries(client, reference_data, curator):
    client.force_login(curator)
    url = reverse("api:version-doi", args=[HF, "1.0.0"])
    response = client.put(url, {"doi": "https://doi.org/10.5555/COS.HF.1"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "doi": "10.5555/COS.HF.1",
        "doi_url": "https://doi.org/10.5555/COS.HF.1",
        "cite_as": "https://doi.org/10.5555/COS.HF.1",
    }
    event = AuditEvent.objects.get(action="version.doi_set")
    assert event.before == {"doi": ""} and event.after == {"doi": "10.5555/COS.HF.1"}
    assert event.actor == curator
    detail = client.get(reverse("api:version-detail", args=[HF, "1.0.0"]))
    assert detail.json()["doi"] == "10.5555/COS.HF.1"
    assert detail["Link"] == '<https://doi.org/10.5555/COS.HF.1>; rel="cite-as"'
    cff = yaml.safe_load(client.get(reverse("api:version-cite", args=[HF, "1.0.0", "cff"])).content)
    assert cff["doi"] == "10.5555/COS.HF.1"
    bib = bibtexparser.parse_string(
        client.get(reverse("api:version-cite", args=[HF, "1.0.0", "bibtex"])).content.decode()
    )
    assert bib.entries[0]["doi"] == "10.5555/COS.HF.1"


@pytest.mark.parametrize("bad", ["11.1234/x", "10.12/x", "10.1234/with space", "10.1234/", "doi"])
def test_a_malformed_doi_is_a_400_naming_the_field_and_changes_nothing(client, reference_data, curator, bad):
    client.force_login(curator)
    response = client.put(reverse("api:version-doi", args=[HF, "1.0.0"]), {"doi": bad}, content_type="application/json")
    assert response.status_code == 400
    assert "not a DOI" in str(response.json()["error"]["fields"]["doi"])
    assert _hf().doi == "" and not AuditEvent.objects.filter(action="version.doi_set").exists()


def test_a_doi_already_naming_another_version_is_refused(client, reference_data, curator):
    client.force_login(curator)
    other = CoreOutcomeSetVersion.objects.filter(status="published").exclude(pk=_hf().pk).first()
    client.put(
        reverse("api:version-doi", args=[other.core_outcome_set.slug, other.version]),
        {"doi": "10.5555/taken"},
        content_type="application/json",
    )
    response = client.put(
        reverse("api:version-doi", args=[HF, "1.0.0"]), {"doi": "10.5555/TAKEN"}, content_type="application/json"
    )
    assert response.status_code == 400 and "already names another version" in str(
        response.json()["error"]["fields"]["doi"]
    )


def test_an_unknown_field_in_the_doi_body_is_a_400(client, reference_data, curator):
    client.force_login(curator)
    response = client.put(
        reverse("api:version-doi", args=[HF, "1.0.0"]),
        {"doi": "10.5555/x", "status": "draft"},
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["error"]["fields"]["status"] == ["Unknown field."]


def test_a_draft_cannot_get_a_doi(client, reference_data, curator):
    from tests.factories import VersionFactory

    VersionFactory(core_outcome_set=_hf().core_outcome_set, version="2.0.0")
    client.force_login(curator)
    response = client.put(
        reverse("api:version-doi", args=[HF, "2.0.0"]), {"doi": "10.5555/x"}, content_type="application/json"
    )
    assert response.status_code == 400 and "Only a published version" in str(response.json()["error"]["fields"]["doi"])


def test_only_a_curator_may_record_a_doi(client, reference_data, facilitator):
    client.force_login(facilitator)
    response = client.put(
        reverse("api:version-doi", args=[HF, "1.0.0"]), {"doi": "10.5555/x"}, content_type="application/json"
    )
    assert response.status_code == 403 and _hf().doi == ""


@pytest.fixture
def openapi(client) -> dict:
    return yaml.safe_load(client.get(reverse("schema")).content)


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csl-json", "cff", "datacite"])
def test_each_citation_conforms_to_the_schema_of_the_media_type_it_is_served_as(client, reference_data, openapi, fmt):

    response = client.get(reverse("api:version-cite", args=[HF, "1.0.0", fmt]))
    media_type = response["Content-Type"].split(";")[0]
    content = openapi["paths"]["/api/v1/core-outcome-sets/{slug}/versions/{version}/cite/{format}/"]["get"]
    schema = content["responses"]["200"]["content"][media_type]["schema"]
    body = json.loads(response.content) if media_type.endswith("json") else response.content.decode()
    jsonschema.validate(body, schema)


def test_a_reference_manager_asking_for_a_missing_version_reads_why_in_the_api_error_shape(client, reference_data):
    response = client.get(reverse("api:version-detail", args=[HF, "9.9.9"]), HTTP_ACCEPT="application/x-bibtex")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["message"] == "The set 'ichom-heart-failure' has no version 9.9.9."
