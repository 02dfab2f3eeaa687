from __future__ import annotations

from django.apps import AppConfig


class DiseasesConfig(AppConfig):
    name = "diseases"
    verbose_name = "Disease areas and conditions"
