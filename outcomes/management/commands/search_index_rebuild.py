from __future__ import annotations

from django.core.management.base import BaseCommand

from outcomes.services.search import set_search_index_rebuild


class Command(BaseCommand):
    help = "Recompute the set list's search index from every set's title and public versions (one transaction)."

    def handle(self, *args, **options) -> None:
        count = set_search_index_rebuild()
        self.stdout.write(self.style.SUCCESS(f"Search index rebuilt: {count} sets."))
