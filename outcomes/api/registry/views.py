"""Read API of the registry and exports of a version (whole-registry dumps: dumps.py; OpenAPI helpers: schema.py).

Each view validates its input, calls selectors (or one service), and renders. Visibility: anonymous clients see
public versions (published, superseded, withdrawn); drafts are visible to curators, admins, and the facilitators of
the consensus process that builds them (selectors.versions_visible_to). `latest` names the set's current version
(selectors.current_version_pk).
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import F, OuterRef, Prefetch, QuerySet, Subquery
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, generics, permissions, status
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from outcomes import selectors
from outcomes.api import caching
from outcomes.api.common import FirstRendererNegotiation, ORJSONRenderer
from outcomes.api.language import (
    ACCEPT_LANGUAGE_HEADER,
    LANG_PARAM,
    language_headers,
    localize_document,
    negotiated_language,
)
from outcomes.api.registry.cite import (
    CITATION_RENDERERS,
    CitationRenderer,
    DOIResultSerializer,
    DOISerializer,
    IsCurator,
    citation_response,
    doi_result,
)
from outcomes.api.registry.filters import CoreOutcomeSetFilter
from outcomes.api.registry.schema import (
    CSL_JSON_SCHEMA,
    ETAG_HEADERS,
    NOT_MODIFIED,
    SLUG_PARAM,
    VERSION_PARAM,
    errors,
    path_param,
)
from outcomes.api.registry.serializers import (
    CoreOutcomeSetDetailSerializer,
    CoreOutcomeSetListSerializer,
    DiseaseAreaSerializer,
    InstrumentSerializer,
    OutcomeDomainSerializer,
    VersionDiffSerializer,
    VersionListItemSerializer,
)
from outcomes.exports import CITATION_FORMAT_NAMES, EXPORT_FORMAT_NAMES, attachment, export_format
from outcomes.exports.citation import add_cite_as
from outcomes.exports.json import LocalizedVersionDocumentSerializer, version_document
from outcomes.models import (
    CoreOutcomeSet,
    CoreOutcomeSetVersion,
    Instrument,
    OmopVocabulary,
    OutcomeDomain,
)
from outcomes.models.sets import SEMVER_RE
from outcomes.selectors.mapping import concept_sets_changed_at
from outcomes.services.diff import version_diff
from outcomes.services.versions import version_doi_set

LATEST = "latest"

# ----------------------------------------------------------------------------------------------- reference data


@extend_schema_view(
    get=extend_schema(summary="Disease areas", responses={200: DiseaseAreaSerializer(many=True), **errors(400, 404)})
)
class DiseaseAreaList(generics.ListAPIView):
    serializer_class = DiseaseAreaSerializer
    queryset = selectors.disease_area_list()
    filter_backends: list = []


@extend_schema_view(
    get=extend_schema(
        summary="A disease area",
        parameters=[path_param("slug", str, "The disease area's slug.", "heart-disease")],
        responses={200: DiseaseAreaSerializer, **errors(404)},
    )
)
class DiseaseAreaDetail(generics.RetrieveAPIView):
    serializer_class = DiseaseAreaSerializer
    queryset = selectors.disease_area_list()
    lookup_field = "slug"
    filter_backends: list = []


@extend_schema_view(
    get=extend_schema(
        summary="COMET outcome domains", responses={200: OutcomeDomainSerializer(many=True), **errors(400, 404)}
    )
)
class OutcomeDomainList(generics.ListAPIView):
    serializer_class = OutcomeDomainSerializer
    queryset = OutcomeDomain.objects.order_by("number")
    filter_backends: list = []


@extend_schema_view(
    get=extend_schema(
        summary="A COMET outcome domain",
        parameters=[path_param("number", int, "The domain's number in the COMET taxonomy (1-38).", 1)],
        responses={200: OutcomeDomainSerializer, **errors(404)},
    )
)
class OutcomeDomainDetail(generics.RetrieveAPIView):
    serializer_class = OutcomeDomainSerializer
    queryset = OutcomeDomain.objects.all()
    lookup_field = "number"
    filter_backends: list = []


@extend_schema_view(
    get=extend_schema(summary="Instruments", responses={200: InstrumentSerializer(many=True), **errors(400, 404)})
)
class InstrumentList(generics.ListAPIView):
    serializer_class = InstrumentSerializer
    queryset = Instrument.objects.order_by("acronym")
    filter_backends: list = []


@extend_schema_view(
    get=extend_schema(
        summary="An instrument",
        parameters=[path_param("acronym", str, "The instrument's acronym.", "KCCQ-12")],
        responses={200: InstrumentSerializer, **errors(404)},
    )
)
class InstrumentDetail(generics.RetrieveAPIView):
    serializer_class = InstrumentSerializer
    queryset = Instrument.objects.all()
    lookup_field = "acronym"
    filter_backends: list = []


# ------------------------------------------------------------------------------------------------ sets


def _latest_published_on() -> Subquery:
    return Subquery(
        CoreOutcomeSetVersion.objects.filter(core_outcome_set=OuterRef("pk"), status__in=selectors.PUBLIC_STATUSES)
        .order_by("-published_on")
        .values("published_on")[:1]
    )


@extend_schema_view(
    get=extend_schema(
        summary="Core outcome sets",
        description="Filter, search and order the registry's sets. Unknown or malformed filter values are a 400 "
        "naming each field.",
        responses={200: CoreOutcomeSetListSerializer(many=True), **errors(400, 404)},
    )
)
class CoreOutcomeSetList(generics.ListAPIView):
    serializer_class = CoreOutcomeSetListSerializer
    filterset_class = CoreOutcomeSetFilter

    def get_queryset(self) -> QuerySet[CoreOutcomeSet]:
        return selectors.core_outcome_set_list().annotate(latest_published_on=_latest_published_on())


def _set_or_404(slug: str) -> CoreOutcomeSet:
    cos = CoreOutcomeSet.objects.filter(slug=slug).first()
    if cos is None:
        raise exceptions.NotFound(f"There is no core outcome set {slug!r}.")
    return cos


@extend_schema_view(
    get=extend_schema(
        summary="A core outcome set",
        parameters=[SLUG_PARAM],
        responses={200: CoreOutcomeSetDetailSerializer, **errors(404)},
    )
)
class CoreOutcomeSetDetail(generics.RetrieveAPIView):
    serializer_class = CoreOutcomeSetDetailSerializer
    lookup_field = "slug"
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[CoreOutcomeSet]:
        visible = selectors.versions_visible_to(self.request.user).order_by("-major", "-minor", "-patch")
        return (
            selectors.core_outcome_set_list()
            .prefetch_related("conditions__icd10_codes", Prefetch("versions", visible, to_attr="visible_versions"))
            .select_related(None)
            .select_related("disease_area")
        )

    def get_object(self) -> CoreOutcomeSet:
        slug = self.kwargs["slug"]
        cos = self.get_queryset().filter(slug=slug).first()
        if cos is None:
            raise exceptions.NotFound(f"There is no core outcome set {slug!r}.")
        return cos


# -------------------------------------------------------------------------------------------- versions


def version_lookup(request: Request, slug: str, number: str) -> tuple[CoreOutcomeSetVersion, bool]:
    """The version a URL names, if this user may see it: (version, named as 'latest').

    Loads only the row (and its set, in the same query) with what the fingerprint needs; the full document is built
    on a cache miss. The set alone is looked up only to say which of the two is missing.
    """
    successor_changed_at = Subquery(
        CoreOutcomeSetVersion.objects.filter(derived_from=OuterRef("pk"))
        .order_by("-updated_at")
        .values("updated_at")[:1]
    )
    qs = selectors.versions_visible_to(
        request.user,
        queryset=CoreOutcomeSetVersion.objects.filter(core_outcome_set__slug=slug)
        .select_related("core_outcome_set")
        .annotate(
            successor_changed_at=successor_changed_at,
            concept_sets_changed_at=concept_sets_changed_at(),
            vocabulary_loaded_at=Subquery(
                OmopVocabulary.objects.order_by(F("loaded_at").desc(nulls_last=True)).values("loaded_at")[:1]
            ),
        ),
    )
    if number == LATEST:
        version = selectors.current_versions(qs).first()
        if version is None:
            _set_or_404(slug)
            raise exceptions.NotFound(f"The set {slug!r} has no public version yet.")
        return version, True
    if not SEMVER_RE.match(number):
        _set_or_404(slug)  # an unknown set is a 404 before a malformed version is a 400
        raise exceptions.ValidationError(
            {"version": [f"{number!r} is not a version: use 'latest' or MAJOR.MINOR.PATCH, e.g. 1.0.0."]}
        )
    version = qs.filter(version=number).first()
    if version is None:
        _set_or_404(slug)
        raise exceptions.NotFound(f"The set {slug!r} has no version {number}.")
    return version, False


def version_full(version: CoreOutcomeSetVersion) -> CoreOutcomeSetVersion:
    return selectors.version_document_queryset().get(pk=version.pk)


@extend_schema_view(
    get=extend_schema(
        summary="Versions of a set",
        parameters=[SLUG_PARAM],
        responses={200: VersionListItemSerializer(many=True), **errors(400, 404)},
    )
)
class VersionList(generics.ListAPIView):
    serializer_class = VersionListItemSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[CoreOutcomeSetVersion]:
        cos = _set_or_404(self.kwargs["slug"])
        return selectors.core_outcome_set_versions(cos, user=self.request.user).select_related("core_outcome_set")


def _caching_headers(response, *, etag: str | None, frozen: bool, latest: bool):
    if etag:
        response["ETag"] = etag
    response["Cache-Control"] = caching.cache_control(frozen=frozen, latest=latest)
    return response


class VersionDetail(APIView):
    # JSON stays the default; a reference manager asking for BibTeX, RIS or CSL-JSON gets the citation (cite.py).
    renderer_classes = [ORJSONRenderer, BrowsableAPIRenderer, *CITATION_RENDERERS]

    def handle_exception(self, exc: Exception) -> Response:
        # An error answers in the API's one JSON error shape (as documented), even to a client that asked for a
        # citation format: a 404 is not a citation.
        response = super().handle_exception(exc)
        if isinstance(getattr(self.request, "accepted_renderer", None), CitationRenderer):
            self.request.accepted_renderer = ORJSONRenderer()
            self.request.accepted_media_type = ORJSONRenderer.media_type
        return response

    @extend_schema(
        summary="A version of a set, with its outcomes",
        description="The version's canonical document: outcomes with COMET domains and measurements (instrument, "
        "timing), references and provenance. Frozen versions carry a strong ETag; send it back in If-None-Match "
        "for a 304. Content negotiation: `Accept: application/x-bibtex`, `application/x-research-info-systems` or "
        "`application/vnd.citationstyles.csl+json` answers with the version's citation (as `.../cite/{format}/`); "
        "another type the API cannot produce is a 406. The `Link` header of a published, superseded or withdrawn "
        "version carries `cite-as`: its DOI once minted, else its permanent page. Language: `?lang=` or "
        "`Accept-Language` adds each outcome's reviewed translation as `localized` (the English wording stays the "
        "reference); the answer names it in `Content-Language`.",
        parameters=[SLUG_PARAM, VERSION_PARAM, LANG_PARAM, ACCEPT_LANGUAGE_HEADER, *ETAG_HEADERS],
        responses={
            (200, "application/json"): LocalizedVersionDocumentSerializer,
            (200, "application/x-bibtex"): OpenApiTypes.STR,
            (200, "application/x-research-info-systems"): OpenApiTypes.STR,
            (200, "application/vnd.citationstyles.csl+json"): CSL_JSON_SCHEMA,
            304: NOT_MODIFIED,
            **errors(400, 404, 406),
        },
    )
    def get(self, request: Request, slug: str, version: str) -> Response:
        language = negotiated_language(request)
        found, latest = version_lookup(request, slug, version)
        if isinstance(request.accepted_renderer, CitationRenderer):
            return citation_response(
                request, found, request.accepted_renderer.citation_format, latest=latest, download=False
            )
        response = language_headers(self._document(request, found, latest, language), language)
        response = add_cite_as(response, found)
        patch_vary_headers(response, ["Accept"])  # the representation depends on Accept
        return response

    def _document(self, request: Request, found: CoreOutcomeSetVersion, latest: bool, language: str) -> HttpResponse:
        if not found.is_frozen:
            response = Response(localize_document(version_document(version_full(found)), language))
            return _caching_headers(response, etag=None, frozen=False, latest=latest)
        fingerprint = caching.version_fingerprint(found)
        etag = caching.strong_etag(fingerprint, f"document|{request.accepted_media_type}|{language}")
        if caching.etag_matches(request, etag):
            return _caching_headers(
                Response(status=status.HTTP_304_NOT_MODIFIED), etag=etag, frozen=True, latest=latest
            )
        if language != settings.REFERENCE_LANGUAGE:
            document = caching.cached_document(f"cos:doc:{fingerprint}", lambda: version_document(version_full(found)))
            return _caching_headers(
                Response(localize_document(document, language)), etag=etag, frozen=True, latest=latest
            )
        if type(request.accepted_renderer) is ORJSONRenderer and request.accepted_media_type == "application/json":
            # The common case (an API client): cache the rendered bytes, not the dict, so a hit skips unpickling the
            # document and rendering it again. The same bytes the renderer writes (no indent without a parameter).
            body = caching.cached_document(
                f"cos:docjson:{fingerprint}", lambda: ORJSONRenderer().render(version_document(version_full(found)))
            )
            response = HttpResponse(body, content_type="application/json")
            return _caching_headers(response, etag=etag, frozen=True, latest=latest)
        document = caching.cached_document(f"cos:doc:{fingerprint}", lambda: version_document(version_full(found)))
        return _caching_headers(Response(document), etag=etag, frozen=True, latest=latest)


class VersionDiff(APIView):
    @extend_schema(
        summary="What changed between two versions",
        description="Outcomes added, removed and changed (field by field), matched by their identity across "
        "versions, so a renamed outcome shows as changed.",
        parameters=[
            SLUG_PARAM,
            path_param("a", str, "The older version (or `latest`).", "1.0.0"),
            path_param("b", str, "The newer version (or `latest`).", "latest"),
        ],
        responses={200: VersionDiffSerializer, **errors(400, 404)},
    )
    def get(self, request: Request, slug: str, a: str, b: str) -> Response:
        problems = {
            name: [f"{value!r} is not a version: use 'latest' or MAJOR.MINOR.PATCH, e.g. 1.0.0."]
            for name, value in (("a", a), ("b", b))
            if value != LATEST and not SEMVER_RE.match(value)
        }
        if problems:
            raise exceptions.ValidationError(problems)
        old, _ = version_lookup(request, slug, a)
        new, _ = version_lookup(request, slug, b)
        return Response({"set": slug, **version_diff(old=old, new=new).to_dict()})


class VersionExport(APIView):
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        summary="Export a version",
        description="`json` (the canonical document), `csv` (one row per outcome and measurement), `fhir` (a FHIR "
        "R5 Bundle, EBM-on-FHIR IG hl7.fhir.uv.ebm#1.0.0-ballot: an OutcomeList List, one VariableDefinition "
        "EvidenceVariable per outcome and an OutcomeImportance ArtifactAssessment per outcome a consensus process "
        "decided), `redcap` (a REDCap data dictionary), `ctgov` (ClinicalTrials.gov outcome measures) or `atlas` "
        "(per outcome an OHDSI ATLAS concept set expression, and the population's; codes without a known OMOP "
        "concept id are listed as unresolved). Each names the set, version, status and "
        "canonical URL. Drafts can be exported only by who may see them, and are marked draft.",
        parameters=[
            SLUG_PARAM,
            VERSION_PARAM,
            OpenApiParameter(
                "format",
                str,
                OpenApiParameter.PATH,
                enum=list(EXPORT_FORMAT_NAMES),
                description="The export format; another value is a 400.",
                examples=[OpenApiExample(name, value=name) for name in EXPORT_FORMAT_NAMES],
            ),
            *ETAG_HEADERS,
        ],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "application/fhir+json"): OpenApiTypes.OBJECT,
            (200, "text/csv"): OpenApiTypes.STR,
            304: NOT_MODIFIED,
            **errors(400, 404),
        },
    )
    def get(self, request: Request, slug: str, version: str, format: str) -> HttpResponse:
        if format not in EXPORT_FORMAT_NAMES:
            raise exceptions.ValidationError(
                {"format": [f"{format!r} is not an export format: use one of {', '.join(EXPORT_FORMAT_NAMES)}."]}
            )
        found, latest = version_lookup(request, slug, version)
        fmt = export_format(format)
        etag = None
        if found.is_frozen:
            fingerprint = caching.version_fingerprint(found)
            etag = caching.strong_etag(fingerprint, f"export|{format}")
            if caching.etag_matches(request, etag):
                response = HttpResponse(status=status.HTTP_304_NOT_MODIFIED)
                return _caching_headers(response, etag=etag, frozen=True, latest=latest)
            body = caching.cached_document(
                f"cos:export:{format}:{fingerprint}", lambda: fmt.render(version_full(found))
            )
        else:
            body = fmt.render(version_full(found))
        response = attachment(body, filename=fmt.filename(found), content_type=fmt.media_type)
        return _caching_headers(response, etag=etag, frozen=found.is_frozen, latest=latest)


# ------------------------------------------------------------------------------------------- citations


class VersionCite(APIView):
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        summary="Cite a version",
        description="The version's citation: `bibtex`, `ris` (a DATA record), `csl-json` (a list of one CSL item), "
        "`cff` (CITATION.cff 1.2.0) or `datacite` (DataCite kernel-4 JSON metadata, to mint a DOI). Authors are "
        "the set's developers (organisations as literal names); the original publication is named as a related "
        "reference. Served as a file to download; the `Link` header carries `cite-as` (the version's DOI once "
        "recorded, else its permanent page). Only a published, superseded or withdrawn version is citable (a draft "
        "is a 404); an unknown format is a 404 whose message lists the formats.",
        parameters=[
            SLUG_PARAM,
            VERSION_PARAM,
            OpenApiParameter(
                "format",
                str,
                OpenApiParameter.PATH,
                enum=list(CITATION_FORMAT_NAMES),
                description="The citation format; another value is a 404.",
                examples=[OpenApiExample(name, value=name) for name in CITATION_FORMAT_NAMES],
            ),
            *ETAG_HEADERS,
        ],
        responses={
            (200, "application/x-bibtex"): OpenApiTypes.STR,
            (200, "application/x-research-info-systems"): OpenApiTypes.STR,
            (200, "application/vnd.citationstyles.csl+json"): CSL_JSON_SCHEMA,
            (200, "application/yaml"): OpenApiTypes.STR,
            (200, "application/vnd.datacite.datacite+json"): OpenApiTypes.OBJECT,
            304: NOT_MODIFIED,
            **errors(400, 404),
        },
    )
    def get(self, request: Request, slug: str, version: str, format: str) -> HttpResponse:
        if format not in CITATION_FORMAT_NAMES:
            raise exceptions.NotFound(
                f"{format!r} is not a citation format: use one of {', '.join(CITATION_FORMAT_NAMES)}."
            )
        found, latest = version_lookup(request, slug, version)
        return citation_response(request, found, format, latest=latest, download=True)


class VersionDOI(APIView):
    permission_classes = [permissions.IsAuthenticated, IsCurator]

    @extend_schema(
        summary="Record a version's DOI (curators)",
        description="Records the DOI minted for a published, superseded or withdrawn version (from its DataCite "
        "metadata). The DOI is metadata about the record, not its content, so it can be set after publication; "
        "every change is audited (`version.doi_set`). A malformed DOI, a DOI of another version or a draft is a "
        "400 naming `doi`; an empty value clears a wrong DOI.",
        parameters=[SLUG_PARAM, VERSION_PARAM],
        request=DOISerializer,
        responses={200: DOIResultSerializer, **errors(400, 403, 404)},
    )
    def put(self, request: Request, slug: str, version: str) -> Response:
        found, _ = version_lookup(request, slug, version)
        data = DOISerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = version_doi_set(version=found, doi=data.validated_data["doi"], by=request.user)
        return Response(doi_result(updated))
