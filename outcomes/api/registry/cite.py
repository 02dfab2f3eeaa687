"""Citations of a version: what the cite endpoint, content negotiation on the version resource and the DOI endpoint
(views.VersionCite, VersionDetail, VersionDOI) share: renderers, the citation response, cite-as, the DOI bodies.

Only a frozen version (published, superseded, withdrawn) is citable: a draft can still change. A citation format
is an open list of names, so an unknown one is a 404 (like a set that does not exist) that lists the formats.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

from outcomes.api import caching
from outcomes.api.common import StrictSerializer
from outcomes.exports import citation_format
from outcomes.exports.citation import add_cite_as, cite_as_url
from outcomes.models import CoreOutcomeSetVersion
from outcomes.permissions import is_curator


def require_citable(version: CoreOutcomeSetVersion) -> None:
    if not version.is_frozen:
        raise exceptions.NotFound(
            f"Version {version.version} is a {version.get_status_display().lower()}: only a published, superseded "
            "or withdrawn version can be cited."
        )


class CitationRenderer(BaseRenderer):
    """Chooses a citation format by the Accept header on the version resource; the view renders the body."""

    citation_format = ""
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        # Never reached with an error (the views answer errors in the API's JSON shape) and the views return the
        # citation itself: what is left is a body passed through as text.
        return b"" if data is None else str(data).encode()


class BibTeXRenderer(CitationRenderer):
    media_type = "application/x-bibtex"
    format = "bibtex"
    citation_format = "bibtex"


class RISRenderer(CitationRenderer):
    media_type = "application/x-research-info-systems"
    format = "ris"
    citation_format = "ris"


class CSLJSONRenderer(CitationRenderer):
    media_type = "application/vnd.citationstyles.csl+json"
    format = "csl-json"
    citation_format = "csl-json"


CITATION_RENDERERS = [BibTeXRenderer, RISRenderer, CSLJSONRenderer]


def citation_response(
    request: Request, found: CoreOutcomeSetVersion, name: str, *, latest: bool, download: bool
) -> HttpResponse:
    """The citation of a frozen version in one format, with a strong ETag and the cite-as link."""
    from outcomes.api.registry.views import _caching_headers, version_full

    require_citable(found)
    fmt = citation_format(name)
    fingerprint = caching.version_fingerprint(found)
    etag = caching.strong_etag(fingerprint, f"cite|{name}|{int(download)}")
    if caching.etag_matches(request, etag):
        response = HttpResponse(status=status.HTTP_304_NOT_MODIFIED)
    else:
        body = caching.cached_document(f"cos:cite:{name}:{fingerprint}", lambda: fmt.render(version_full(found)))
        response = HttpResponse(body, content_type=f"{fmt.media_type}; charset=utf-8")
        if download:
            response["Content-Disposition"] = f'attachment; filename="{fmt.filename(found)}"'
    patch_vary_headers(response, ["Accept"])
    return add_cite_as(_caching_headers(response, etag=etag, frozen=True, latest=latest), found)


class DOISerializer(StrictSerializer):
    doi = serializers.CharField(
        allow_blank=True,
        max_length=200,
        help_text="The version's DOI (10.1234/abc; a https://doi.org/ link or doi: prefix is accepted). An empty "
        "value clears a wrong one.",
    )


class DOIResultSerializer(serializers.Serializer):
    doi = serializers.CharField()
    doi_url = serializers.CharField()
    cite_as = serializers.CharField()


class IsCurator(permissions.BasePermission):
    message = "Only a curator can record a version's DOI."

    def has_permission(self, request, view) -> bool:
        return is_curator(request.user)


def doi_result(version: CoreOutcomeSetVersion) -> dict:
    return {
        "doi": version.doi,
        "doi_url": f"https://doi.org/{version.doi}" if version.doi else "",
        "cite_as": cite_as_url(version),
    }
