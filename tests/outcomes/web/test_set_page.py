from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from outcomes.models import CoreOutcomeSet, OutcomeDomain
from outcomes.selectors import current_version, outcomes_by_core_area
from outcomes.web.charts import outcome_wheel
from outcomes.web.setpage import method_summary
from tests.factories import OutcomeFactory, VersionFactory

pytestmark = pytest.mark.django_db

COMPACTERS = "localised-prostate-cancer-compacters"


def page(client, slug: str) -> str:
    response = client.get(reverse("web:set-detail", args=[slug]))
    assert response.status_code == 200
    return response.content.decode()


def test_set_page_summarises_the_development_method(client, reference_data):
    html = page(client, COMPACTERS)
    assert "<dt>Delphi rounds</dt><dd>3</dd>" in html
    assert "<dt>Candidate outcomes (long list)</dt><dd>79</dd>" in html
    assert "<dt>Delphi participants</dt><dd>patients: 118, health professionals: 56</dd>" in html


def test_method_summary_puts_known_keys_first_and_humanises_unknown_ones():
    assert method_summary({"survey_language": "English", "delphi_rounds": 2}) == [
        ("Delphi rounds", "2"),
        ("Survey language", "English"),
    ]
    assert method_summary([]) == []


def test_set_page_draws_the_outcome_wheel_with_a_text_equivalent(client, reference_data):
    html = page(client, "ichom-heart-failure")
    figure = html[html.index('<figure class="wheel-figure"') : html.index("</figure>")]
    assert '<svg class="wheel"' in figure and 'aria-hidden="true"' in figure
    assert '<figcaption id="wheel-caption">' in figure
    assert "Life impact: 2 outcomes in 3 domains" in figure
    assert "<td>3. Cardiac outcomes</td><td>1</td><td>Symptom burden</td>" in figure
    # One ring slice per domain of the current version, one per core area.
    assert figure.count('class="wheel-domain') == 8
    assert figure.count('class="wheel-area') == 4


def test_outcome_wheel_slices_are_proportional_and_close_the_circle(reference_data):
    version = current_version(CoreOutcomeSet.objects.get(slug=COMPACTERS))
    wheel = outcome_wheel(outcomes_by_core_area(version))
    assert wheel.outcome_count == 19
    assert len(wheel.domains) == len({d.number for o in version.outcomes.all() for d in o.domains.all()})
    first, last = wheel.domains[0].path, wheel.domains[-1].path
    # The first slice starts at twelve o'clock and the last ends there.
    assert first.startswith("M100.00 4.00")
    assert re.search(r"A96 96 0 [01] 1 100\.00 4\.00L", last)


def test_a_version_with_one_domain_draws_a_full_ring(reference_data):
    version = VersionFactory()
    OutcomeFactory(version=version, domains=[OutcomeDomain.objects.get(number=1)])
    version = current_version(version.core_outcome_set) or type(version).objects.get(pk=version.pk)
    wheel = outcome_wheel(outcomes_by_core_area(version))
    assert wheel.domains[0].path.count("M") == 2  # two half rings
    assert outcome_wheel([]) is None


def test_set_page_lists_instruments_with_the_outcomes_they_measure_and_when(client, reference_data):
    html = page(client, "ichom-coronary-artery-disease")
    section = html[html.index('id="instruments-heading"') :]
    assert f'href="{reverse("web:instrument-detail", args=["SAQ-7"])}"' in section
    assert "Index event, 30 days, then annually for 5 years" in section
    assert "No instrument named" in section  # acute complications are timed, with no instrument


def test_set_page_offers_every_export_format_of_the_current_version(client, reference_data):
    html = page(client, COMPACTERS)
    for fmt in ("json", "csv", "fhir", "redcap", "ctgov"):
        assert f'href="/api/v1/core-outcome-sets/{COMPACTERS}/versions/1.1.0/export/{fmt}/"' in html
        assert f'data-format="{fmt}"' in html


def test_set_page_says_how_to_cite_this_version_with_its_stable_url(client, reference_data):
    html = page(client, COMPACTERS)
    stable = f"{settings.SITE_URL}/sets/{COMPACTERS}/v/1.1.0/"
    assert (
        "COMPACTERS study group. Core outcome set for effectiveness trials in localised prostate cancer "
        f"(COMPACTERS), version 1.1.0 (2022). COS Registry. {stable}"
    ) in html
    assert f'<a href="{stable}">' in html
    assert "Beyer K, Moris L" in html[html.index('id="cite-heading"') :]


def test_set_page_history_links_a_version_to_what_changed_from_the_one_before(client, reference_data):
    html = page(client, COMPACTERS)
    diff = reverse("web:version-diff", args=[COMPACTERS, "1.0.0", "1.1.0"])
    assert f'href="{diff}">Compare with 1.0.0</a>' in html


def test_set_page_of_a_registry_only_entry_renders_without_outcomes_or_wheel(client, reference_data):
    html = page(client, "harmony-acute-myeloid-leukaemia")
    assert "No outcomes are recorded for this version." in html
    assert 'class="wheel-figure"' not in html
    assert "<dt>Consensus meeting</dt><dd>Yes</dd>" in html
    assert "<dt>Stakeholders</dt><dd>patients, clinicians, regulators, pharmaceutical industry</dd>" in html


def test_every_export_button_of_the_set_page_downloads_the_version(client, reference_data):
    response = client.get(reverse("web:set-detail", args=[COMPACTERS]))
    exports = response.context["exports"]
    assert [fmt for fmt, *_ in exports] == ["json", "csv", "fhir", "redcap", "ctgov", "atlas"]
    for fmt, _label, _help, url in exports:
        assert url == reverse("api:version-export", args=[COMPACTERS, "1.1.0", fmt])
        download = client.get(url)
        assert download.status_code == 200, fmt
        assert "attachment" in download["Content-Disposition"], fmt
        body = b"".join(download.streaming_content) if download.streaming else download.content
        assert b"death from any cause" in body.lower(), fmt
