"""Load an OMOP vocabulary (an Athena download) so that concept set codes resolve to standard concept ids.

    manage.py load_omop_vocabulary DIR

DIR holds VOCABULARY.csv, CONCEPT.csv, CONCEPT_RELATIONSHIP.csv and CONCEPT_ANCESTOR.csv as Athena delivers them
(tab-separated, header row). Idempotent: loading again updates rows, never duplicates them. See docs/network.md.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from outcomes.services.omop_vocabulary import VocabularyLoadError, vocabulary_load


class Command(BaseCommand):
    help = "Load the OMOP vocabulary tables of an Athena download (a directory of tab-separated files)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", type=Path, help="The unzipped Athena download.")

    def handle(self, *args, directory: Path, **options) -> None:
        try:
            report = vocabulary_load(directory, progress=lambda message: self.stdout.write(message))
        except VocabularyLoadError as exc:
            raise CommandError(str(exc)) from None
        total = ", ".join(f"{name} {count:,}" for name, count in report.rows.items())
        self.stdout.write(self.style.SUCCESS(f"OMOP vocabulary loaded: {total}."))
