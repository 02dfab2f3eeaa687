from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from outcomes.services.reference_data import ReferenceDataError, reference_data_load


class Command(BaseCommand):
    help = "Load the COMET taxonomy and the BD4BO core outcome sets (idempotent, one transaction)."

    def handle(self, *args, **options) -> None:
        try:
            report = reference_data_load()
        except ReferenceDataError as exc:
            raise CommandError(f"Nothing was loaded. {exc}") from None
        if not report.changed:
            self.stdout.write("Reference data already loaded: nothing changed.")
            return
        summary = ", ".join(f"{count} {what}" for what, count in sorted(report.created.items()))
        self.stdout.write(self.style.SUCCESS(f"Reference data loaded: {summary}."))
