"""Whole-registry dumps: the current version of every set (selectors.current_versions, public by definition) in one
export format, zipped, built by a Celery task."""

from __future__ import annotations

import hashlib
import logging
import os
import zipfile
from pathlib import Path

import orjson
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from outcomes import selectors
from outcomes.exports import EXPORT_FORMAT_NAMES, csv_text, export_format
from outcomes.models import RegistryDump
from outcomes.selectors.network import network_view_document, network_views
from outcomes.services.audit import audit_record
from outcomes.services.outbox import task_enqueue

logger = logging.getLogger(__name__)

# Versions fetched (with their prefetches) per database round trip while a dump is written.
DUMP_CHUNK_SIZE = 200
DUMP_TASK = "outcomes.tasks.registry_dump_build"


def dumps_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "dumps"


def dump_file_path(dump: RegistryDump) -> Path:
    return dumps_dir() / f"cos-registry-{dump.format}-{dump.pk}.zip"


@transaction.atomic
def registry_dump_request(*, export_format: str, by: AbstractBaseUser) -> RegistryDump:
    """Record a dump request and enqueue the task that builds it (sent when this transaction commits)."""
    if export_format not in EXPORT_FORMAT_NAMES:
        raise ValidationError({"format": f"Unknown export format {export_format!r}."})
    dump = RegistryDump.objects.create(format=export_format, requested_by=by)
    audit_record(action="dump.request", obj=dump, actor=by, after={"format": export_format})
    task_enqueue(task_name=DUMP_TASK, kwargs={"dump_id": str(dump.pk)})
    return dump


def registry_dump_build(*, dump: RegistryDump) -> RegistryDump:
    """Write the zip, one version at a time, so memory stays flat however large the registry is.

    1. Claim the dump (pending -> running); a dump already claimed by another worker is left alone.
    2. Stream each set's current version (the published one, else its withdrawn one) in chunks (prefetched per
       chunk) into a temporary file in the dumps folder, one archive member per version, plus a manifest and the
       network view of each version that data sources reported on (NETWORK.json, two queries per chunk).
    3. Move the finished file into place, record its size, SHA-256 and version count; on any error record it
       as failed and remove the partial file.
    """
    claimed = RegistryDump.objects.filter(pk=dump.pk, status=RegistryDump.Status.PENDING).update(
        status=RegistryDump.Status.RUNNING
    )
    if not claimed:
        dump.refresh_from_db()
        return dump
    target = dump_file_path(dump)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".zip.partial")
    versions = (
        selectors.current_versions(selectors.public_versions(selectors.version_document_queryset()))
        .order_by("pk")
        .iterator(chunk_size=DUMP_CHUNK_SIZE)
    )
    count = 0
    try:
        fmt = export_format(dump.format)
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            manifest = []
            network: list[dict] = []
            chunk: list = []
            for version in versions:
                name = f"{version.core_outcome_set.slug}/{fmt.filename(version)}"
                archive.writestr(name, fmt.render(version))
                manifest.append((version.core_outcome_set.slug, version.version, version.status, name))
                count += 1
                chunk.append(version)
                if len(chunk) == DUMP_CHUNK_SIZE:
                    network += [network_view_document(view) for view in network_views(chunk)]
                    chunk = []
            network += [network_view_document(view) for view in network_views(chunk)]
            archive.writestr("NETWORK.json", orjson.dumps(network, option=orjson.OPT_INDENT_2))
            archive.writestr("MANIFEST.csv", csv_text(("set_slug", "version", "status", "file"), manifest))
            archive.writestr(
                "README.txt",
                f"COS Registry dump of the current version of {count} sets (the published version, or after a "
                f"withdrawal the withdrawn one: see MANIFEST.csv) in the {fmt.name} format. NETWORK.json: where their "
                f"outcomes are measurable in the data network (count bands per data source).\n"
                f"Source: {settings.SITE_URL}\nCreated: {timezone.now().isoformat()}\n",
            )
        digest = hashlib.sha256()
        with partial.open("rb") as fh:
            for block in iter(lambda: fh.read(1024 * 1024), b""):
                digest.update(block)
        os.replace(partial, target)
    except Exception as exc:
        logger.exception("Registry dump %s failed", dump.pk)
        partial.unlink(missing_ok=True)
        RegistryDump.objects.filter(pk=dump.pk).update(
            status=RegistryDump.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        dump.refresh_from_db()
        return dump
    RegistryDump.objects.filter(pk=dump.pk).update(
        status=RegistryDump.Status.READY,
        file_path=str(target),
        size_bytes=target.stat().st_size,
        sha256=digest.hexdigest(),
        version_count=count,
        finished_at=timezone.now(),
    )
    dump.refresh_from_db()
    return dump
