"""Read API of conditions, mounted under /api/v1/ with the registry's API (outcomes/api/registry_urls.py).

The disease-area endpoints stay in outcomes' API: each area carries its count of sets, which is the registry's data.
Error bodies have the API's one error shape (the exception handler in settings); the schema hook
(outcomes.api.errors.schema_add_error_responses) gives each error response below that shape.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics

from diseases import selectors
from diseases.serializers import ConditionSerializer

NOT_FOUND = OpenApiResponse(description="Not found.")
THROTTLED = OpenApiResponse(description="Too many requests: the anonymous read throttle (API_ANON_THROTTLE).")


@extend_schema_view(
    get=extend_schema(
        summary="Conditions",
        responses={
            200: ConditionSerializer(many=True),
            400: OpenApiResponse(description="Invalid parameter values; `fields` names each one."),
            404: NOT_FOUND,
            429: THROTTLED,
        },
    )
)
class ConditionList(generics.ListAPIView):
    serializer_class = ConditionSerializer
    queryset = selectors.condition_list().order_by("name")
    filter_backends: list = []


@extend_schema_view(
    get=extend_schema(
        summary="A condition",
        parameters=[
            OpenApiParameter(
                "slug",
                str,
                OpenApiParameter.PATH,
                description="The condition's slug.",
                examples=[OpenApiExample("heart-failure", value="heart-failure")],
            )
        ],
        responses={200: ConditionSerializer, 404: NOT_FOUND, 429: THROTTLED},
    )
)
class ConditionDetail(generics.RetrieveAPIView):
    serializer_class = ConditionSerializer
    queryset = selectors.condition_list()
    lookup_field = "slug"
    filter_backends: list = []
