from __future__ import annotations

from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = "Core outcome sets"

    def ready(self) -> None:
        # Register the Celery tasks in every process (web too), so the outbox can send them by name.
        from outcomes import tasks  # noqa: F401
