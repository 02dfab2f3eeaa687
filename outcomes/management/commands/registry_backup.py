from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from outcomes.services.backup import registry_backup_write


class Command(BaseCommand):
    help = "Write the whole registry to one XML file (compressed if the name ends in .gz or .xz). See docs/deploy.md."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path, help="e.g. var/backups/registry-2026-01-31.xml.gz")

    def handle(self, *args, path: Path, **options) -> None:
        written = registry_backup_write(path=path)
        self.stdout.write(f"Registry backed up to {written} ({written.stat().st_size} bytes).")
