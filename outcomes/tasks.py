"""Celery tasks: each takes ids, loads the rows, and calls one service."""

from __future__ import annotations

from celery import shared_task

from outcomes.models import RegistryDump
from outcomes.services.dumps import registry_dump_build as registry_dump_build_service


@shared_task(name="outcomes.tasks.registry_dump_build", acks_late=True)
def registry_dump_build(dump_id: str) -> str:
    dump = RegistryDump.objects.filter(pk=dump_id).first()
    if dump is None:
        return "missing"
    return registry_dump_build_service(dump=dump).status
