"""Two rules every reader of the registry meets, pinned across pages, API, exports and dumps:
who may see a version (drafts belong to curators and their process's facilitators), and which version is a set's
current one (the published one, else after a withdrawal the latest public one)."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.urls import reverse

from outcomes import selectors
from outcomes.models import ConsensusProcess, CoreOutcomeSet, CoreOutcomeSetVersion, RegistryDump
from outcomes.permissions import CURATORS_GROUP
from outcomes.services.dumps import registry_dump_build
from outcomes.services.versions import version_withdraw
from tests.factories import OutcomeFactory, UserFactory, VersionFactory

pytestmark = pytest.mark.django_db

HF = "ichom-heart-failure"
READERS = ["anonymous", "outsider", "facilitator", "curator"]


@pytest.fixture
def world(reference_data):
    """A draft 2.0.0 of the heart failure set, built by a consensus process that `facilitator` runs."""
    cos = CoreOutcomeSet.objects.get(slug=HF)
    draft = VersionFactory(core_outcome_set=cos, version="2.0.0", derived_from=cos.versions.get(version="1.0.0"))
    OutcomeFactory(version=draft)
    process = ConsensusProcess.objects.create(core_outcome_set=cos, draft_version=draft, title="HF update")
    users = {
        "outsider": UserFactory(username="outsider"),
        "facilitator": UserFactory(username="facilitator"),
        "curator": UserFactory(username="curator"),
    }
    process.facilitators.add(users["facilitator"])
    users["curator"].groups.add(Group.objects.get_or_create(name=CURATORS_GROUP)[0])
    return users


def _as(client, world, who: str):
    if who != "anonymous":
        client.force_login(world[who])
    return client


def _page_history(client, name: str, *args) -> list[str]:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return [row.version.version for row in response.context["history"]]


def _api_versions(client, slug: str) -> list[str]:
    return [v["version"] for v in client.get(reverse("api:version-list", args=[slug])).json()["results"]]


def test_a_facilitator_sees_their_draft_listed_in_the_set_page_history(client, world):
    client.force_login(world["facilitator"])
    assert _page_history(client, "web:set-detail", HF) == ["2.0.0", "1.0.0"]


def test_a_facilitator_sees_their_draft_listed_in_the_version_page_history(client, world):
    client.force_login(world["facilitator"])
    assert _page_history(client, "web:version-detail", HF, "1.0.0") == ["2.0.0", "1.0.0"]


@pytest.mark.parametrize("who", READERS)
def test_pages_api_and_exports_agree_on_the_versions_a_reader_may_see(client, world, who):
    _as(client, world, who)
    expected = ["2.0.0", "1.0.0"] if who in ("facilitator", "curator") else ["1.0.0"]
    assert _page_history(client, "web:set-detail", HF) == expected
    assert _page_history(client, "web:version-detail", HF, "1.0.0") == expected
    assert _api_versions(client, HF) == expected
    assert [v["version"] for v in client.get(reverse("api:cos-detail", args=[HF])).json()["versions"]] == expected
    draft_status = 200 if "2.0.0" in expected else 404
    assert client.get(reverse("web:version-detail", args=[HF, "2.0.0"])).status_code == draft_status
    assert client.get(reverse("web:version-diff", args=[HF, "1.0.0", "2.0.0"])).status_code == draft_status
    assert client.get(reverse("api:version-detail", args=[HF, "2.0.0"])).status_code == draft_status
    assert client.get(reverse("api:version-diff", args=[HF, "1.0.0", "2.0.0"])).status_code == draft_status
    assert client.get(reverse("api:version-export", args=[HF, "2.0.0", "csv"])).status_code == draft_status


@pytest.mark.parametrize("status", ["draft", "in_consensus"])
def test_the_single_version_check_gives_the_answer_of_the_visibility_query(world, status):
    draft = CoreOutcomeSetVersion.objects.get(version="2.0.0", core_outcome_set__slug=HF)
    CoreOutcomeSetVersion.objects.filter(pk=draft.pk).update(status=status)
    draft.refresh_from_db()
    readers = {"anonymous": AnonymousUser(), **world}
    for who, user in readers.items():
        listed = set(selectors.versions_visible_to(user).values_list("pk", flat=True))
        for version in CoreOutcomeSetVersion.objects.filter(core_outcome_set__slug=HF):
            assert selectors.version_visible_to(user, version) == (version.pk in listed), (who, version)
        sees_draft = who in ("facilitator", "curator")
        assert selectors.version_visible_to(user, draft) == sees_draft, who


def _dumped(world, settings, tmp_path) -> list[tuple[str, str, str]]:
    settings.MEDIA_ROOT = tmp_path
    dump = registry_dump_build(dump=RegistryDump.objects.create(format="json", requested_by=world["outsider"]))
    assert dump.status == RegistryDump.Status.READY
    with zipfile.ZipFile(dump.file_path) as archive:
        manifest = csv.DictReader(io.StringIO(archive.read("MANIFEST.csv").decode()))
        return sorted((row["set_slug"], row["version"], row["status"]) for row in manifest)


def _listed_current_versions(client) -> list[tuple[str, str, str]]:
    listed = client.get(reverse("api:cos-list"), {"page_size": 100}).json()["results"]
    return sorted(
        (cos["slug"], cos["current_version"]["version"], cos["current_version"]["status"])
        for cos in listed
        if cos["current_version"]
    )


def test_a_dump_holds_the_current_version_of_every_set_as_the_api_lists_it_and_no_draft(
    client, world, settings, tmp_path
):
    dumped = _dumped(world, settings, tmp_path)
    assert dumped == _listed_current_versions(client)
    assert ("localised-prostate-cancer-compacters", "1.1.0", "published") in dumped
    assert not any(slug == HF and version == "2.0.0" for slug, version, _ in dumped)


def test_a_set_whose_version_was_withdrawn_is_dumped_with_its_withdrawn_version(client, world, settings, tmp_path):
    version_withdraw(version=CoreOutcomeSet.objects.get(slug=HF).versions.get(version="1.0.0"), reason="Retracted")
    dumped = _dumped(world, settings, tmp_path)
    assert (HF, "1.0.0", "withdrawn") in dumped
    assert dumped == _listed_current_versions(client)


def _current_everywhere(client, slug: str) -> dict[str, tuple[str, str] | None]:
    listed = next(
        cos for cos in client.get(reverse("api:cos-list"), {"page_size": 100}).json()["results"] if cos["slug"] == slug
    )
    latest = client.get(reverse("api:version-detail", args=[slug, "latest"])).json()
    redirect = client.get(reverse("web:version-latest", args=[slug]))
    page = client.get(reverse("web:set-detail", args=[slug])).context["version"]
    return {
        "api list": (listed["current_version"]["version"], listed["current_version"]["status"]),
        "api latest": (latest["version"], latest["status"]),
        "web latest": (redirect["Location"].rstrip("/").rsplit("/", 1)[-1], None),
        "set page": (page.version, page.status),
    }


def test_every_set_has_the_same_current_version_in_the_api_list_latest_and_its_page(client, reference_data):
    for slug in CoreOutcomeSet.objects.values_list("slug", flat=True):
        found = _current_everywhere(client, slug)
        assert len({version for version, _ in found.values()}) == 1, (slug, found)
        assert len({status for _, status in found.values() if status}) == 1, (slug, found)


def test_after_a_withdrawal_the_api_list_latest_and_the_set_page_all_name_the_withdrawn_version(client, reference_data):
    version_withdraw(version=CoreOutcomeSet.objects.get(slug=HF).versions.get(version="1.0.0"), reason="Retracted")
    found = _current_everywhere(client, HF)
    assert found == {
        "api list": ("1.0.0", "withdrawn"),
        "api latest": ("1.0.0", "withdrawn"),
        "web latest": ("1.0.0", None),
        "set page": ("1.0.0", "withdrawn"),
    }
    listed = client.get(reverse("api:cos-list"), {"page_size": 100}).json()["results"]
    hf = next(cos for cos in listed if cos["slug"] == HF)
    assert hf["outcome_count"] == CoreOutcomeSet.objects.get(slug=HF).versions.get(version="1.0.0").outcomes.count()
