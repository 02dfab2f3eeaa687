"""Backup and restore of the whole registry give back exactly the same registry."""

from __future__ import annotations

import gzip
import json
from xml.etree import ElementTree

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from diseases.models import DiseaseArea
from outcomes import selectors
from outcomes.audit_triggers import audit_triggers_present
from outcomes.models import AuditEvent, CoreOutcomeSet, Outcome, SetSearchIndex
from outcomes.services.audit import audit_record
from outcomes.services.backup import registry_backup_write, registry_restore
from tests.factories import CuratorFactory, UserFactory


def public_pages() -> dict[str, bytes]:
    client = Client()
    urls = [reverse("web:home")]
    urls += [reverse("web:disease-area", args=[slug]) for slug in DiseaseArea.objects.values_list("slug", flat=True)]
    urls += [reverse("web:set-detail", args=[slug]) for slug in CoreOutcomeSet.objects.values_list("slug", flat=True)]
    pages = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = response.content
    return pages


def api_output() -> dict[str, bytes]:
    """Every registry API document: lists (all pages) and the detail of every set and version."""
    client = Client()
    urls = [
        reverse(name) + "?page_size=100"
        for name in ("api:disease-area-list", "api:condition-list", "api:outcome-domain-list", "api:instrument-list")
    ]
    urls.append(reverse("api:cos-list") + "?page_size=100")
    for cos in CoreOutcomeSet.objects.prefetch_related("versions"):
        urls.append(reverse("api:cos-detail", args=[cos.slug]))
        urls.append(reverse("api:version-list", args=[cos.slug]))
        urls += [reverse("api:version-detail", args=[cos.slug, v.version]) for v in cos.versions.all()]
    output = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        output[url] = response.content
    return output


def canonical() -> str:
    return json.dumps(selectors.registry_snapshot(), sort_keys=True, default=str)


def search_index() -> list[tuple]:
    return list(
        SetSearchIndex.objects.order_by("pk").values_list(
            "pk", "disease_area", "domain_bits", "title", "conditions", "outcomes", "other", "sources"
        )
    )


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_an_empty_database_gives_the_same_registry(reference_data, tmp_path):
    curator = CuratorFactory()
    version = CoreOutcomeSet.objects.get(slug="localised-prostate-cancer-compacters").versions.first()
    audit_record(action="version.note", obj=version, actor=curator, after={"note": "checked"})
    snapshot, pages, api = canonical(), public_pages(), api_output()
    audit = list(AuditEvent.objects.values())
    index = search_index()
    assert len(index) == CoreOutcomeSet.objects.count()
    assert len(selectors.registry_snapshot()) == 13

    path = registry_backup_write(path=tmp_path / "registry.xml.gz")
    call_command("flush", interactive=False, verbosity=0)
    assert not CoreOutcomeSet.objects.exists()
    registry_restore(path=path)

    assert canonical() == snapshot
    assert public_pages() == pages
    assert api_output() == api
    assert list(AuditEvent.objects.values()) == audit
    assert search_index() == index  # not in the file: rebuilt by the restore
    # The restore put the database guards back: published content and the audit log are still frozen.
    published = Outcome.objects.filter(version__status="published").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Outcome.objects.filter(pk=published.pk).update(name="changed")
    assert audit_triggers_present(connection)
    assert Client().login(username="curator", password="correct-horse-battery-staple")
    assert UserFactory._meta.model.objects.get(username="curator").groups.filter(name="curators").exists()


@pytest.mark.django_db
def test_a_backup_file_is_complete_json_readable_only_by_its_owner(reference_data, tmp_path):
    path = registry_backup_write(path=tmp_path / "registry.xml.gz")
    root = ElementTree.fromstring(gzip.decompress(path.read_bytes()))  # noqa: S314 (our own file)
    models = {element.get("model") for element in root.iter("object")}
    assert {"diseases.diseasearea", "outcomes.coreoutcomeset", "outcomes.outcome", "outcomes.auditevent"} <= models
    assert "outcomes.setsearchindex" not in models  # derived data
    assert path.stat().st_mode & 0o077 == 0
    assert not list(tmp_path.glob(".*"))  # no partial file left behind


@pytest.mark.django_db
def test_restoring_into_a_database_that_holds_data_is_refused(reference_data, tmp_path):
    path = registry_backup_write(path=tmp_path / "registry.xml.gz")
    before = canonical()
    with pytest.raises(ValidationError, match="already holds registry data"):
        registry_restore(path=path)
    assert canonical() == before


@pytest.mark.django_db
def test_the_restore_command_names_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No backup file"):
        call_command("registry_restore", str(tmp_path / "missing.xml"))


@pytest.mark.django_db
def test_a_backup_must_be_named_as_an_xml_file(tmp_path):
    with pytest.raises(ValidationError, match="xml"):
        registry_backup_write(path=tmp_path / "registry.json")


@pytest.mark.django_db(transaction=True)
def test_concept_sets_survive_a_restore_still_frozen_and_the_licensed_vocabulary_is_left_out(reference_data, tmp_path):
    from outcomes.models import ConceptSetItem, ConceptSetRevision, OmopConcept
    from tests.outcomes.omop import SYNTHETIC_SNOMED, item, load_synthetic_vocabulary, reviewed_mapping

    load_synthetic_vocabulary()
    outcome = CoreOutcomeSet.objects.get(slug="ichom-heart-failure").versions.first().outcomes.first()
    reviewed_mapping(outcome, CuratorFactory(), item("SNOMED", SYNTHETIC_SNOMED, name="Synthetic heart condition"))
    before = list(ConceptSetItem.objects.values("revision__number", "revision__status", "code", "concept_id"))

    path = registry_backup_write(path=tmp_path / "registry.xml.gz")
    call_command("flush", interactive=False, verbosity=0)
    registry_restore(path=path)

    assert list(ConceptSetItem.objects.values("revision__number", "revision__status", "code", "concept_id")) == before
    assert before[0]["concept_id"] == 2000000001 and not OmopConcept.objects.exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        ConceptSetRevision.objects.update(counts_all_deaths=True)
