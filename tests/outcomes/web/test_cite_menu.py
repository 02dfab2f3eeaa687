"""The "Cite" menu of a version page and the curator's DOI form."""

from __future__ import annotations

import html as html_lib

import bibtexparser
import pytest
from django.urls import reverse

from outcomes.models import AuditEvent, CoreOutcomeSetVersion
from tests.factories import VersionFactory

pytestmark = pytest.mark.django_db

HF = "ichom-heart-failure"


def _hf() -> CoreOutcomeSetVersion:
    return CoreOutcomeSetVersion.objects.get(core_outcome_set__slug=HF, version="1.0.0")


def test_the_cite_menu_works_without_javascript_as_download_links_and_text_to_copy(client, reference_data):
    html = client.get(reverse("web:version-detail", args=[HF, "1.0.0"])).content.decode()
    assert '<details class="cite-menu">' in html
    for name in ("bibtex", "ris", "csl-json", "cff", "datacite"):
        assert f'href="{reverse("api:version-cite", args=[HF, "1.0.0", name])}" download' in html
    bibtex = html.split('<pre class="cite-text" id="cite-bibtex">')[1].split("</pre>")[0]
    entry = bibtexparser.parse_string(html_lib.unescape(bibtex)).entries[0]
    assert entry["version"] == "1.0.0"
    assert 'data-copy-target="cite-bibtex"' in html and "js/copy.js" in html


def test_the_set_page_offers_the_cite_menu_of_its_current_version(client, reference_data):
    html = client.get(reverse("web:set-detail", args=[HF])).content.decode()
    assert reverse("api:version-cite", args=[HF, "1.0.0", "cff"]) in html


def test_a_draft_page_has_no_cite_menu(client, reference_data, curator):
    draft = VersionFactory(core_outcome_set=_hf().core_outcome_set, version="2.0.0")
    client.force_login(curator)
    html = client.get(reverse("web:version-detail", args=[HF, draft.version])).content.decode()
    assert "cite-menu" not in html


def test_a_curator_records_a_doi_from_the_page_and_the_page_shows_it(client, reference_data, curator):
    client.force_login(curator)
    response = client.post(reverse("web:version-doi", args=[HF, "1.0.0"]), {"doi": "doi:10.5555/cos-hf"})
    assert response.status_code == 302
    assert _hf().doi == "10.5555/cos-hf"
    assert AuditEvent.objects.filter(action="version.doi_set", after={"doi": "10.5555/cos-hf"}).exists()
    html = client.get(reverse("web:version-detail", args=[HF, "1.0.0"])).content.decode()
    assert '<a class="version-doi" href="https://doi.org/10.5555/cos-hf">10.5555/cos-hf</a>' in html
    assert "https://doi.org/10.5555/cos-hf" in html.split('id="citation-text">')[1].split("</blockquote>")[0]


def test_a_malformed_doi_from_the_page_is_a_form_error_and_changes_nothing(client, reference_data, curator):
    client.force_login(curator)
    response = client.post(reverse("web:version-doi", args=[HF, "1.0.0"]), {"doi": "10.5555 /x"})
    assert response.status_code == 400
    assert 'id="doi-error" role="alert">' in response.content.decode()
    assert "is not a DOI" in response.content.decode()
    assert _hf().doi == ""


def test_anyone_but_a_curator_is_refused_the_doi_form(client, reference_data, facilitator):
    client.force_login(facilitator)
    assert client.post(reverse("web:version-doi", args=[HF, "1.0.0"]), {"doi": "10.5555/x"}).status_code == 403
    assert _hf().doi == ""


def test_the_version_page_names_what_to_cite_in_its_link_header(client, reference_data):
    url = reverse("web:version-detail", args=[HF, "1.0.0"])
    assert client.get(url)["Link"].endswith('/sets/ichom-heart-failure/v/1.0.0/>; rel="cite-as"')
    CoreOutcomeSetVersion.objects.filter(pk=_hf().pk).update(doi="10.5555/cos-hf")
    assert client.get(url)["Link"] == '<https://doi.org/10.5555/cos-hf>; rel="cite-as"'
