"""No secret in a log: panel links (`/panel/t/<token>/`) are rewritten to `/panel/t/[redacted]/` in every record.

A personal link is the panelist's credential for 90 days, and it is also a URL path, so it reaches every place
that writes a path: the access log, Django's request logger (`Not Found: /panel/t/<token>/`), tracebacks. The
filter sits on every handler: LOGGING in settings.py (the root handler, which Django's loggers propagate to) and
gunicorn's access and error logs (gunicorn.conf.py).
"""

from __future__ import annotations

import logging
import re

PANEL_TOKEN = re.compile(r"(/panel/t/)[^/\s?#\"'<>]+")


def redact(text: str) -> str:
    return PANEL_TOKEN.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: leave it to the handler, which reports it
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
