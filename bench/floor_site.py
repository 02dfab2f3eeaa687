"""Settings of the benchmark's second server (bench/run.py): the app's own, plus one bench-only view
(bench/floor_urls.py) that answers the free-text search's SQL floor statement through Django. Never part of the
product: only that server loads this module (DJANGO_SETTINGS_MODULE=bench.floor_site)."""

from cos_registry.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
