"""Citations of a version: `.../cite/{format}/` and content negotiation on the version resource, and the DOI a
curator records for a version once the hosting organisation has minted it.

Only a frozen version (published, superseded, withdrawn) is citable: a draft can still change. A citation format
is an open list of names, so an unknown one is a 404 (like a set that does not exist) that lists the formats.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from outcomes.api import caching
from outcomes.api.common import FirstRendererNegotiation
from outcomes.api.consensus.serializers import StrictSerializer
from outcomes.exports import CITATION_FORMAT_NAMES, citation_format, version_page_url
from outcomes.models import CoreOutcomeSetVersion
from outcomes.permissions import is_curator
from outcomes.services.versions import version_doi_set


def cite_as_url(version: CoreOutcomeSetVersion) -> str:
    """The identifier to cite (RFC 8574 `cite-as`): the DOI when one was minted, else the permanent page."""
    if version.doi:
        return f"https://doi.org/{version.doi}"
    return version_page_url(slug=version.core_outcome_set.slug, version=version.version)


def add_cite_as(response: HttpResponse, version: CoreOutcomeSetVersion) -> HttpResponse:
    if version.is_frozen:
        response["Link"] = f'<{cite_as_url(version)}>; rel="cite-as"'
    return response


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
        # Reached only for an error answer (the view returns the citation itself): a plain-text message.
        if isinstance(data, dict) and "detail" in data:
            return str(data["detail"]).encode()
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
    response["Vary"] = "Accept"
    return add_cite_as(_caching_headers(response, etag=etag, frozen=True, latest=latest), found)


class VersionCite(APIView):
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        summary="Cite a version",
        description="The version's citation: `bibtex`, `ris` (a DATA record), `csl-json` (a list of one CSL item), "
        "`cff` (CITATION.cff 1.2.0) or `datacite` (DataCite kernel-4 JSON metadata, to mint a DOI). Authors are "
        "the set's developers (organisations as literal names); the original publication is named as a related "
        "reference. Served as a file to download; the `Link` header carries `cite-as` (the version's DOI once "
        "minted, else its permanent page). Drafts are not citable (404); an unknown format is a 404 that lists "
        "the formats.",
        parameters=[
            OpenApiParameter("slug", str, OpenApiParameter.PATH, description="The set's slug."),
            OpenApiParameter("version", str, OpenApiParameter.PATH, description="`latest` or MAJOR.MINOR.PATCH."),
            OpenApiParameter(
                "format",
                str,
                OpenApiParameter.PATH,
                enum=list(CITATION_FORMAT_NAMES),
                description="The citation format.",
                examples=[OpenApiExample(name, value=name) for name in CITATION_FORMAT_NAMES],
            ),
        ],
        responses={
            (200, "application/x-bibtex"): OpenApiTypes.STR,
            (200, "application/x-research-info-systems"): OpenApiTypes.STR,
            (200, "application/vnd.citationstyles.csl+json"): OpenApiTypes.OBJECT,
            (200, "application/yaml"): OpenApiTypes.STR,
            (200, "application/vnd.datacite.datacite+json"): OpenApiTypes.OBJECT,
            304: OpenApiResponse(description="Not modified: the ETag in If-None-Match is still current."),
            **{
                code: OpenApiResponse(description=text)
                for code, text in ((400, "Malformed version."), (404, "No such set, version or format; or a draft."))
            },
        },
    )
    def get(self, request: Request, slug: str, version: str, format: str) -> HttpResponse:
        from outcomes.api.registry.views import version_lookup

        if format not in CITATION_FORMAT_NAMES:
            raise exceptions.NotFound(
                f"{format!r} is not a citation format: use one of {', '.join(CITATION_FORMAT_NAMES)}."
            )
        found, latest = version_lookup(request, slug, version)
        return citation_response(request, found, format, latest=latest, download=True)


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


class VersionDOI(APIView):
    permission_classes = [permissions.IsAuthenticated, IsCurator]

    @extend_schema(
        summary="Record a version's DOI (curators)",
        description="Records the DOI minted for a published, superseded or withdrawn version (from its DataCite "
        "metadata). The DOI is metadata about the record, not its content, so it can be set after publication; "
        "every change is audited (`version.doi_set`). A malformed DOI, a DOI of another version or a draft is a "
        "400 naming `doi`.",
        request=DOISerializer,
        responses={200: DOIResultSerializer},
    )
    def put(self, request: Request, slug: str, version: str) -> Response:
        from outcomes.api.registry.views import version_lookup

        found, _ = version_lookup(request, slug, version)
        data = DOISerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = version_doi_set(version=found, doi=data.validated_data["doi"], by=request.user)
        return Response(
            {
                "doi": updated.doi,
                "doi_url": f"https://doi.org/{updated.doi}" if updated.doi else "",
                "cite_as": cite_as_url(updated),
            }
        )
