from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from outcomes.services.backup import registry_restore


class Command(BaseCommand):
    help = "Load a registry backup into a new, migrated database (refuses a database that holds data)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options) -> None:
        try:
            registry_restore(path=path)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"Registry restored from {path}.")
