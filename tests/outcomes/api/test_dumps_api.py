from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from django.urls import reverse

from outcomes.models import AuditEvent, OutboxMessage, RegistryDump

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def request_dump(client, fmt: str = "fhir"):
    return client.post(reverse("api:dump-list"), {"format": fmt}, content_type="application/json")


def test_anonymous_clients_cannot_request_a_dump(client, reference_data):
    response = request_dump(client)
    assert response.status_code in (401, 403)
    assert response.json()["error"]["code"] == "not_authenticated"
    assert not RegistryDump.objects.exists()


def test_an_unknown_dump_format_is_a_400_and_nothing_is_created(client, reference_data, outsider):
    client.force_login(outsider)
    response = request_dump(client, "xlsx")
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["format"]
    assert not RegistryDump.objects.exists() and not OutboxMessage.objects.exists()


def test_a_dump_is_built_in_the_background_and_downloaded_when_ready(
    client, reference_data, outsider, media_root, django_capture_on_commit_callbacks
):
    client.force_login(outsider)
    with django_capture_on_commit_callbacks(execute=True):
        response = request_dump(client, "fhir")
    assert response.status_code == 202
    dump = RegistryDump.objects.get()
    assert response["Location"].endswith(reverse("api:dump-detail", args=[dump.pk]))
    assert OutboxMessage.objects.get().task_name == "outcomes.tasks.registry_dump_build"
    assert AuditEvent.objects.filter(action="dump.request", object_id=str(dump.pk)).exists()

    detail = client.get(reverse("api:dump-detail", args=[dump.pk])).json()  # the task ran eagerly on commit
    assert detail["status"] == "ready" and detail["version_count"] == 11  # published versions only
    assert OutboxMessage.objects.get().done_at is not None  # the task recorded its work done
    download = client.get(detail["download_url"])
    assert download.status_code == 200
    data = b"".join(download.streaming_content)
    assert hashlib.sha256(data).hexdigest() == detail["sha256"] and len(data) == detail["size_bytes"]
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert "MANIFEST.csv" in names and "ichom-heart-failure/ichom-heart-failure-1.0.0.fhir.json" in names
    assert "localised-prostate-cancer-compacters/localised-prostate-cancer-compacters-1.0.0.fhir.json" not in names
    bundle = json.loads(archive.read("ichom-heart-failure/ichom-heart-failure-1.0.0.fhir.json"))
    assert bundle["resourceType"] == "Bundle"
    assert list(media_root.joinpath("dumps").iterdir()) == [media_root / "dumps" / download.filename]


def test_another_user_cannot_see_or_download_my_dump(client, reference_data, outsider, curator):
    client.force_login(outsider)
    request_dump(client, "csv")
    dump = RegistryDump.objects.get()
    client.force_login(curator)
    assert client.get(reverse("api:dump-detail", args=[dump.pk])).status_code == 404
    assert client.get(reverse("api:dump-download", args=[dump.pk])).status_code == 404
    assert client.get(reverse("api:dump-list")).json()["count"] == 0


def test_a_dump_that_is_not_ready_cannot_be_downloaded_yet(client, reference_data, outsider):
    dump = RegistryDump.objects.create(format="csv", requested_by=outsider)
    client.force_login(outsider)
    response = client.get(reverse("api:dump-download", args=[dump.pk]))
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_ready"


def test_a_failing_build_is_recorded_as_failed_and_leaves_no_partial_file(reference_data, outsider, media_root):
    from outcomes.services.dumps import registry_dump_build

    dump = RegistryDump.objects.create(format="nope", requested_by=outsider)
    result = registry_dump_build(dump=dump)
    assert result.status == "failed" and "nope" in result.error and result.finished_at
    assert list(media_root.joinpath("dumps").iterdir()) == []


def test_a_dump_already_built_is_not_built_again(reference_data, outsider):
    from outcomes.services.dumps import registry_dump_build

    dump = RegistryDump.objects.create(format="csv", requested_by=outsider, status="ready", sha256="x" * 64)
    assert registry_dump_build(dump=dump).sha256 == "x" * 64


def test_the_dump_reads_versions_in_chunks_with_a_constant_number_of_queries(
    reference_data, outsider, settings, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from outcomes.services import dumps

    monkeypatch.setattr(dumps, "DUMP_CHUNK_SIZE", 4)
    dump = RegistryDump.objects.create(format="csv", requested_by=outsider)
    with CaptureQueriesContext(connection) as ctx:
        assert dumps.registry_dump_build(dump=dump).version_count == 11
    # 3 chunks of 4 versions; each chunk costs the same fixed number of prefetch queries, not one per version.
    assert len(ctx) < 60
