"""Version pages: a citable page per version, /latest/, the diff page, and the history on the set page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from outcomes.models import ConsensusProcess, CoreOutcomeSetVersion
from outcomes.services.consensus import process_publish
from outcomes.services.versions import version_draft_create, version_publish, version_withdraw
from tests.factories import (
    CuratorFactory,
    FacilitatorFactory,
    OutcomeFactory,
    OutsiderFactory,
    UserFactory,
)
from tests.outcomes.builders import version_with_content

pytestmark = pytest.mark.django_db

COMPACTERS = "localised-prostate-cancer-compacters"


def _html(client, name: str, *args: str, status: int = 200) -> str:
    response = client.get(reverse(name, args=args))
    assert response.status_code == status
    return response.content.decode()


def test_compacters_set_page_history_links_each_version_and_compares_with_the_previous(client, reference_data):
    html = _html(client, "web:set-detail", COMPACTERS)
    assert f'href="{reverse("web:version-detail", args=[COMPACTERS, "1.1.0"])}"' in html
    assert f'href="{reverse("web:version-detail", args=[COMPACTERS, "1.0.0"])}"' in html
    assert f'href="{reverse("web:version-diff", args=[COMPACTERS, "1.0.0", "1.1.0"])}"' in html
    assert "PIONEER update" in html and "Registry import" in html
    assert html.index(">1.1.0</a>") < html.index(">1.0.0</a>")  # newest first


def test_compacters_1_0_0_page_is_superseded_and_links_to_its_successor(client, reference_data):
    html = _html(client, "web:version-detail", COMPACTERS, "1.0.0")
    assert "Version 1.0.0 has been superseded" in html
    assert f'by <a href="{reverse("web:version-detail", args=[COMPACTERS, "1.1.0"])}">version 1.1.0</a>' in html
    assert "Perioperative deaths" in html and "surgery only" in html
    assert "doi:10.1111/bju.13854" in html


def test_compacters_1_1_0_page_shows_provenance_and_compare_link(client, reference_data):
    html = _html(client, "web:version-detail", COMPACTERS, "1.1.0")
    assert "Derived from" in html and ">version 1.0.0</a>" in html
    assert "What changed since version 1.0.0" in html
    assert "doi:10.1016/j.eururo.2022.01.042" in html
    assert "has been superseded" not in html


def test_compacters_diff_page_shows_no_outcome_change_and_the_new_reference(client, reference_data):
    html = _html(client, "web:version-diff", COMPACTERS, "1.0.0", "1.1.0")
    assert "What changed from version 1.0.0 to version 1.1.0" in html
    assert "<strong>0</strong> outcomes added" in html
    assert "<strong>19</strong> outcomes unchanged" in html
    assert "Added: <ins>Beyer K, Moris L, Lardas M" in html
    assert "Removed: <del>MacLennan S" in html


def test_the_diff_page_shows_added_removed_and_changed_outcomes_field_by_field(client, reference_data):
    old = version_with_content(outcomes=("Pain", "Mortality"))
    draft = version_draft_create(from_version=old)
    draft.outcomes.filter(name="Pain").update(name="Pain intensity", definition="On a 0-10 scale")
    draft.outcomes.get(name="Mortality").delete()
    OutcomeFactory(version=draft, name="Fatigue")
    version_publish(version=draft)
    slug = old.core_outcome_set.slug
    html = _html(client, "web:version-diff", slug, "1.0.0", "2.0.0")
    assert "<ins>Fatigue</ins>" in html and "<del>Mortality</del>" in html
    assert 'Pain intensity <span class="muted">(was Pain)</span>' in html
    assert "<del>How the outcome is defined.</del>" in html and "<ins>On a 0-10 scale</ins>" in html
    assert 'class="diff-level">major</strong>' in html


def test_latest_redirects_to_the_published_version(client, reference_data):
    response = client.get(reverse("web:version-latest", args=[COMPACTERS]))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:version-detail", args=[COMPACTERS, "1.1.0"])


def test_a_withdrawn_version_stays_visible_with_a_banner_and_its_reason(client, reference_data):
    version = version_with_content()
    version_withdraw(version=version, reason="The definitions were transcribed wrongly.")
    slug = version.core_outcome_set.slug
    html = _html(client, "web:version-detail", slug, "1.0.0")
    assert "banner-withdrawn" in html and "The definitions were transcribed wrongly." in html
    assert "Pain" in html
    assert "banner-withdrawn" in _html(client, "web:set-detail", slug)
    # With no published version left, /latest/ leads to the withdrawn one (and its banner).
    assert client.get(reverse("web:version-latest", args=[slug]))["Location"].endswith("/v/1.0.0/")


def test_drafts_are_hidden_from_the_public_and_shown_to_curators(client, reference_data):
    draft = version_draft_create(from_version=version_with_content())
    slug = draft.core_outcome_set.slug
    _html(client, "web:version-detail", slug, draft.version, status=404)
    _html(client, "web:version-diff", slug, "1.0.0", draft.version, status=404)
    assert draft.version not in _html(client, "web:set-detail", slug)
    client.force_login(OutsiderFactory())
    _html(client, "web:version-detail", slug, draft.version, status=404)
    client.force_login(CuratorFactory())
    html = _html(client, "web:version-detail", slug, draft.version)
    assert "is a draft" in html
    assert f">{draft.version}</a>" in _html(client, "web:set-detail", slug)
    _html(client, "web:version-diff", slug, "1.0.0", draft.version)


def test_a_version_in_consensus_is_visible_to_the_facilitators_of_its_process(client, reference_data):
    draft = version_draft_create(from_version=version_with_content())
    CoreOutcomeSetVersion.objects.filter(pk=draft.pk).update(status="in_consensus")
    process = ConsensusProcess.objects.create(core_outcome_set=draft.core_outcome_set, draft_version=draft, title="P")
    facilitator = FacilitatorFactory()
    process.facilitators.add(facilitator)
    url = reverse("web:version-detail", args=[draft.core_outcome_set.slug, draft.version])
    client.force_login(UserFactory(username="someone-else"))
    assert client.get(url).status_code == 404
    client.force_login(facilitator)
    response = client.get(url)
    assert response.status_code == 200 and "being agreed by consensus" in response.content.decode()


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "01.0.0", "1.0.0.0", "latest", "9.9.9", "1.0.0-rc1"])
def test_malformed_or_unknown_version_strings_answer_404(client, reference_data, version):
    _html(client, "web:version-detail", COMPACTERS, version, status=404)
    _html(client, "web:version-diff", COMPACTERS, version, "1.1.0", status=404)
    _html(client, "web:version-diff", COMPACTERS, "1.0.0", version, status=404)


def test_unknown_sets_answer_404_on_version_pages(client, reference_data):
    _html(client, "web:version-detail", "no-such-set", "1.0.0", status=404)
    _html(client, "web:version-latest", "no-such-set", status=404)
    _html(client, "web:version-diff", "no-such-set", "1.0.0", "1.1.0", status=404)


def test_version_and_diff_pages_query_count_does_not_grow_with_outcomes(
    client, reference_data, django_assert_max_num_queries
):
    def build(n: int) -> str:
        old = version_with_content(outcomes=tuple(f"Outcome {i}" for i in range(n)))
        draft = version_draft_create(from_version=old)
        OutcomeFactory(version=draft, name="New one")
        version_publish(version=draft)
        return old.core_outcome_set.slug

    small, large = build(2), build(40)
    counts = {}
    for slug in (small, large):
        for name, args in (("web:version-detail", ["1.1.0"]), ("web:version-diff", ["1.0.0", "1.1.0"])):
            with django_assert_max_num_queries(40) as captured:
                assert client.get(reverse(name, args=[slug, *args])).status_code == 200
            counts[(slug, name)] = len(captured.captured_queries)
    assert counts[(large, "web:version-detail")] == counts[(small, "web:version-detail")]
    assert counts[(large, "web:version-diff")] == counts[(small, "web:version-diff")]


def test_a_version_agreed_by_consensus_names_its_process_on_its_page(client, reference_data):
    draft = version_with_content(publish=False)
    process = ConsensusProcess.objects.create(
        core_outcome_set=draft.core_outcome_set, draft_version=draft, title="Delphi 2025", status="finalised"
    )
    process_publish(process=process, by=None)
    html = _html(client, "web:version-detail", draft.core_outcome_set.slug, "1.0.0")
    assert "<dt>Consensus process</dt><dd>Delphi 2025</dd>" in html
    assert "How this version was agreed" in html
    assert reverse("facilitator:report", args=[process.pk]) in html


def test_who_published_is_shown_by_display_name_never_by_username(client, reference_data):
    named = UserFactory(username="ada-login", first_name="Ada", last_name="Lovelace")
    unnamed = UserFactory(username="secret-login")
    first = version_with_content(publish=False)
    version_publish(version=first, by=named)
    second = version_draft_create(from_version=first)
    version_publish(version=second, by=unnamed)
    html = _html(client, "web:version-detail", first.core_outcome_set.slug, "1.0.0")
    assert "Ada Lovelace" in html and "A registry curator" in html
    assert "ada-login" not in html and "secret-login" not in html


def test_a_version_page_offers_its_exports_and_how_to_cite_it(client, reference_data):
    url = reverse("web:version-detail", args=["localised-prostate-cancer-compacters", "1.0.0"])
    html = client.get(url).content.decode()
    export = reverse("api:version-export", args=["localised-prostate-cancer-compacters", "1.0.0", "fhir"])
    assert f'href="{export}"' in html
    assert "COMPACTERS study group. Core outcome set for effectiveness trials in localised prostate cancer" in html
    assert "version 1.0.0 (2017)" in html
    assert f'href="{reverse("web:domain-detail", args=[16])}"' in html


CAD = "ichom-coronary-artery-disease"
FULL_NAME = "Acute complications within 30 days of AMI, CABG or PCI"


def test_the_corrected_version_page_links_its_correction(client, reference_data):
    html = _html(client, "web:version-detail", CAD, "1.0.0")
    correction = reverse("web:version-detail", args=[CAD, "1.0.1"])
    assert f'Version 1.0.0 was corrected in <a href="{correction}">version 1.0.1</a>' in html
    assert f'<dt>Corrected in</dt><dd><a href="{correction}">version 1.0.1</a></dd>' in html
    assert f'href="{reverse("web:version-diff", args=[CAD, "1.0.0", "1.0.1"])}"' in html


def test_the_correction_page_says_what_it_corrects(client, reference_data):
    html = _html(client, "web:version-detail", CAD, "1.0.1")
    assert "<dt>Correction of</dt>" in html
    assert (
        f'href="{reverse("web:version-detail", args=[CAD, "1.0.0"])}">version 1.0.0</a> (a transcription error' in html
    )
    assert FULL_NAME in html
    assert "Corrected in" not in html


def test_the_diff_of_a_correction_shows_exactly_the_corrected_wording(client, reference_data):
    html = _html(client, "web:version-diff", CAD, "1.0.0", "1.0.1")
    assert "Version 1.0.1 corrects a transcription error of version 1.0.0" in html
    assert FULL_NAME in html and "Acute complications within 30 days of AMI" in html
    assert "Angina" not in html  # unchanged outcomes are counted, not listed


def test_the_set_page_shows_the_corrected_name_and_marks_the_correction_in_its_history(client, reference_data):
    html = _html(client, "web:set-detail", CAD)
    assert FULL_NAME in html
    assert "<strong>Correction:</strong> Correction of a transcription error in version 1.0.0" in html
