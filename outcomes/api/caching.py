"""HTTP caching of frozen versions (published, superseded, withdrawn): a strong ETag, Cache-Control, 304 answers,
and rendered documents kept in the Django cache (Redis in production).

A frozen version's content never changes, but its status does (published -> superseded or withdrawn), a later
version can be derived from it (a new successor link), and its outcomes' concept sets get reviewed revisions.
The fingerprint covers exactly what can still change, so
the ETag and the cache key change with it and nothing stale is ever served.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.utils.http import parse_etags

from outcomes.models import CoreOutcomeSetVersion

logger = logging.getLogger(__name__)

# Bump when the rendering of a document changes, so caches and ETags built by older code are not reused.
DOCUMENT_REVISION = "4"  # 4: outcomes carry `concept_set` and reviewed translations; the document its `doi`
CACHE_SECONDS = 60 * 60 * 24
MAX_AGE_VERSION = 300
MAX_AGE_LATEST = 60


def version_fingerprint(version: CoreOutcomeSetVersion) -> str:
    """Needs version.core_outcome_set and the `successor_changed_at`, `concept_sets_changed_at` and
    `vocabulary_loaded_at` annotations (views.version_lookup)."""
    parts = (
        DOCUMENT_REVISION,
        settings.SITE_URL,
        str(version.pk),
        version.status,
        version.updated_at.isoformat(),
        version.core_outcome_set.updated_at.isoformat(),
        str(getattr(version, "successor_changed_at", "") or ""),
        # The documents carry each outcome's latest reviewed concept set, resolved with the loaded OMOP vocabulary.
        str(getattr(version, "concept_sets_changed_at", "") or ""),
        str(getattr(version, "vocabulary_loaded_at", "") or ""),
    )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def strong_etag(fingerprint: str, representation: str) -> str:
    return '"' + hashlib.sha256(f"{fingerprint}|{representation}".encode()).hexdigest()[:40] + '"'


def etag_matches(request, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110, 13.1.2): `W/"x"` matches `"x"`. Caches and proxies that
    compress a response mark its ETag weak and send it back so; the document is the same."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = {tag.removeprefix("W/") for tag in parse_etags(header)}
    return "*" in tags or etag.removeprefix("W/") in tags


def cached_document(key: str, build: Callable[[], object]) -> object:
    """The cached value, or build and cache it. A cache that is down costs speed, never an error."""
    try:
        value = cache.get(key)
    except Exception as exc:  # redis-py raises several connection errors; the document can be built anyway
        logger.warning("Cache unavailable, building %s: %s", key, exc)
        return build()
    if value is None:
        value = build()
        try:
            cache.set(key, value, CACHE_SECONDS)
        except Exception as exc:
            logger.warning("Cache unavailable, %s not stored: %s", key, exc)
    return value


def cache_control(*, frozen: bool, latest: bool) -> str:
    """A frozen version's document changes only when it is withdrawn or superseded, which purges it (outcomes/
    services/cache_purge.py); shared caches keep it as long as browsers. "latest" moves on publication."""
    from outcomes.public_reads import PRIVATE, public_cache_control

    if not frozen:
        return PRIVATE
    seconds = MAX_AGE_LATEST if latest else MAX_AGE_VERSION
    return public_cache_control(max_age=seconds, s_maxage=seconds)
