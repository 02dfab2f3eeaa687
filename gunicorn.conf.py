"""gunicorn settings, read by every gunicorn started in this directory (scripts/serve.sh, docs/deploy.md)."""

from gunicorn.glogging import Logger

from cos_registry.log_redaction import RedactSecrets


class RedactingLogger(Logger):
    """gunicorn's logger with panel links redacted from the access log (request line and Referer) and the error
    log, as in Django's logs (cos_registry/log_redaction.py)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.addFilter(RedactSecrets())


logger_class = RedactingLogger
