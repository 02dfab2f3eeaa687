from __future__ import annotations

import logging
import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

from cos_registry.log_redaction import RedactSecrets

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cos_registry.settings")

app = Celery("cos_registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def redact_secrets_in_worker_logs(logger: logging.Logger, **kwargs) -> None:
    """A worker sets up its own log handlers (and writes what tasks print, e.g. the console email backend, through
    them): they get the same filter as Django's (cos_registry/log_redaction.py)."""
    for handler in logger.handlers:
        handler.addFilter(RedactSecrets())
