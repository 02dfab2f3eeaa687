"""GET /api/v1/search/: the search engine's typed hits (instruments, outcomes, sets), each with why it matched.

The same engine (outcomes.search) and the same public rules as the search page: only sets with a public version are
found, by the content of their current version; drafts never.
"""

from __future__ import annotations

from urllib.parse import urlencode

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from outcomes.api.registry.schema import errors
from outcomes.search.engine import Reason
from outcomes.search.generation import remembered_answer
from outcomes.search.query import search_query
from outcomes.selectors import search as selectors

MAX_LIMIT = 100


class SearchParamsSerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="What to search for (docs/api.md, Search); without it, no hits.",
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=MAX_LIMIT, default=20, help_text="How many set hits at most (1-100)."
    )


class ReasonSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="title, condition, disease area, ICD-10, SNOMED CT, outcome, ...")
    text = serializers.CharField(help_text="The text of that field that matched.")
    outcome = serializers.CharField(help_text="The outcome a definition, domain or instrument belongs to, or ''.")


class SetRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()


class HitSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["instrument", "outcome", "set"])
    label = serializers.CharField(help_text="Instrument acronym, outcome name or set title.")
    url = serializers.CharField(help_text="The API resource of the hit (an outcome: the set list searched by name).")
    matched = ReasonSerializer(many=True)
    slug = serializers.CharField(required=False, help_text="Sets: the set's slug.")
    rank = serializers.FloatField(required=False, help_text="Sets: relevance, higher first.")
    name = serializers.CharField(required=False, help_text="Instruments: the full name.")
    set_count = serializers.IntegerField(
        required=False, help_text="Instruments and outcomes: how many public sets measure with it / hold it."
    )
    sets = SetRefSerializer(many=True, required=False, help_text="Outcomes: the sets holding it (best first).")


class SearchResponseSerializer(serializers.Serializer):
    query = serializers.CharField()
    showing_results_for = serializers.CharField(
        allow_null=True, help_text="The query as searched when a word was corrected (a typo), else null."
    )
    not_found = serializers.ListField(
        child=serializers.CharField(),
        help_text="Words of the query that no set holds anywhere (and that are not a typo of a word one holds): they "
        "were left out, and the hits are for the other words. Empty when every word was searched.",
    )
    set_count = serializers.IntegerField(
        help_text="How many sets match and are ranked (the first `limit` of them are listed). When very many sets "
        "match, only the most likely candidates are ranked (see `more_sets`)."
    )
    more_sets = serializers.BooleanField(
        help_text="True when more sets match than are ranked and counted in `set_count`: add words to narrow."
    )
    results = HitSerializer(many=True, help_text="Instruments, then outcomes, then sets, best first.")


class Search(APIView):
    @extend_schema(
        summary="Search the registry",
        description="Typed hits for a query: instruments (EQ-5D), outcomes by name with the sets holding them, and "
        "sets ranked by relevance, each with the fields that matched. Understands spelling variants, stemming, "
        "ICD-10 codes and prefixes, SNOMED CT ids, `domain:N`, abbreviations and synonyms, quoted phrases, `OR`, "
        "`-word` and typos (see docs/api.md).",
        parameters=[SearchParamsSerializer],
        responses={200: SearchResponseSerializer, **errors(400)},
        examples=[OpenApiExample("heart failure", value={"q": "HF"}, request_only=True)],
    )
    def get(self, request: Request) -> Response:
        params = SearchParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        q, limit = params.validated_data["q"], params.validated_data["limit"]
        # The answer is the same for everyone asking the same at the same address (its URLs are absolute).
        parts = (request.build_absolute_uri("/"), q, limit)
        return Response(remembered_answer("api", parts, lambda: _answer(request, q, limit)))


def _answer(request: Request, q: str, limit: int) -> dict:
    """The search API's body for `q`: instruments, then outcomes, then the `limit` best sets."""
    query = search_query(q)
    sets = selectors.set_search(query=query)
    if query.is_empty:  # nothing searchable in `q` (none, or only stop words): no hits, not the whole registry
        sets = sets.none()
    total = query.listed_count if query.listed_count is not None else sets.count()
    best = list(sets[: max(limit, selectors.OUTCOME_HITS_FROM)])  # the outcome hits come from these too
    page = selectors.search_results(best[:limit], query, versions=False)
    hits = selectors.search_kind_hits(best, query)
    results = [
        {
            "kind": "instrument",
            "label": hit.instrument.acronym,
            "name": hit.instrument.name,
            "url": reverse("api:instrument-detail", args=[hit.instrument.acronym], request=request),
            "set_count": hit.set_count,
            "matched": _reasons(hit.reasons),
        }
        for hit in hits.instruments
    ]
    results += [
        {
            "kind": "outcome",
            "label": hit.name,
            "url": reverse("api:cos-list", request=request) + "?" + _q(hit.name),
            "set_count": len(hit.sets),
            "sets": [{"slug": cos.slug, "title": cos.title} for cos in hit.sets],
            "matched": _reasons(hit.reasons),
        }
        for hit in hits.outcomes
    ]
    set_url = _url_of_slug(request, "api:cos-detail")
    results += [
        {
            "kind": "set",
            "label": result.cos.title,
            "slug": result.cos.slug,
            "url": set_url(result.cos.slug),
            "rank": round(getattr(result.cos, "search_rank", 0.0) or 0.0, 6),
            "matched": _reasons(result.reasons),
        }
        for result in page
    ]
    body = {
        "query": query.raw,
        "showing_results_for": query.showing_results_for,
        "not_found": query.not_found,
        "set_count": total,
        "more_sets": query.more_than_listed,
        "results": results,
    }
    return body  # already in the shape of SearchResponseSerializer (the schema), which would only copy it


_SLUG = "slug-of-the-hit"


def _url_of_slug(request: Request, name: str):
    """The absolute URL of the route `name` for a slug, reversed once per answer rather than once per hit (a slug
    is made of characters a URL holds as they are)."""
    head, _, tail = reverse(name, args=[_SLUG], request=request).rpartition(_SLUG)
    return lambda slug: f"{head}{slug}{tail}"


def _reasons(reasons: list[Reason]) -> list[dict]:
    return [{"field": r.field, "text": r.text, "outcome": r.outcome} for r in reasons]


def _q(text: str) -> str:
    return urlencode({"q": f'"{text}"'})
