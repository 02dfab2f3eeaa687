"""Public reads: the requests that a read replica may answer and a shared cache (CDN, reverse proxy) may keep.

One rule for both (docs/deploy.md): a GET or HEAD of a public page, of the registry's read API or of an export,
by a client without a session cookie, an Authorization header or a recent write (the read-your-writes cookie).
Consensus and curation pages and endpoints, the admin, sign-in, panel links and registry dumps never are.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

# Set on the response to a client that wrote: for DATABASE_REPLICA_MAX_LAG_SECONDS its reads go to the primary and
# bypass shared caches (deploy/nginx.conf), so it sees its own writes.
WROTE_COOKIE = "cos_wrote"

# Public web pages (outcomes/web/urls.py) by URL name; the publish, withdraw and new-draft pages are curation.
PUBLIC_WEB_ROUTES = frozenset(
    {
        "home",
        "disease-area",
        "set-detail",
        "condition-detail",
        "search",
        "domain-list",
        "domain-detail",
        "instrument-list",
        "instrument-detail",
        "compare",
        "set-suggestions",
        "version-detail",
        "version-latest",
        "version-diff",
    }
)
# Registry dumps are for signed-in users only.
PRIVATE_REGISTRY_API_ROUTES = frozenset({"dump-list", "dump-detail", "dump-download"})
# Registry API resources whose representation another language may change (Accept-Language).
VERSION_API_ROUTES = frozenset({"version-detail", "version-export", "version-diff", "version-list"})

# Lists and pages change on publication: shared caches keep them briefly, and a purge (outcomes/services/
# cache_purge.py) refreshes the ones a publication changed. Browsers revalidate sooner, with the ETag.
MAX_AGE = 30
S_MAXAGE = 60
STALE_WHILE_REVALIDATE = 30
PRIVATE = "private, no-store"


@functools.cache
def public_api_routes() -> frozenset[str]:
    from outcomes.api.registry.urls import urlpatterns

    return frozenset(pattern.name for pattern in urlpatterns if pattern.name) - PRIVATE_REGISTRY_API_ROUTES


def is_public_route(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    if match.namespace == "web":
        return match.url_name in PUBLIC_WEB_ROUTES
    if match.namespace == "api":
        return match.url_name in public_api_routes()
    return False


def is_anonymous_client(request: HttpRequest) -> bool:
    """Judged on what the client sent, without loading a session or a user (no query)."""
    return (
        settings.SESSION_COOKIE_NAME not in request.COOKIES
        and WROTE_COOKIE not in request.COOKIES
        and "Authorization" not in request.headers
    )


def is_public_read(request: HttpRequest) -> bool:
    return request.method in ("GET", "HEAD") and is_anonymous_client(request) and is_public_route(request)


def public_cache_control(*, max_age: int = MAX_AGE, s_maxage: int = S_MAXAGE) -> str:
    return f"public, max-age={max_age}, s-maxage={s_maxage}, stale-while-revalidate={STALE_WHILE_REVALIDATE}"


def _personal(request: HttpRequest, response: HttpResponse) -> bool:
    """The response carries something of this client: a cookie it sets, or a CSRF token in a form."""
    return bool(response.cookies) or bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE"))


def cache_headers_apply(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Cache-Control and Vary for every response that did not choose its own Cache-Control.

    A public read answered 200 is public (with Vary on what changes it); anything else is `private, no-store`.
    Responses that chose (frozen version documents, outcomes/api/caching.py) keep theirs but get the same Vary.
    """
    public = is_public_read(request) and response.status_code == 200 and not _personal(request, response)
    if public:
        match = request.resolver_match
        vary = ["Cookie"]
        if match.namespace == "api":
            vary += ["Accept", "Authorization"]
            if match.url_name in VERSION_API_ROUTES:
                vary.append("Accept-Language")
        patch_vary_headers(response, vary)
    if "Cache-Control" in response:
        return response
    response["Cache-Control"] = public_cache_control() if public else PRIVATE
    return response
