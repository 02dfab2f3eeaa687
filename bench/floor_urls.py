"""The app's URLs plus one bench-only view (bench/floor_site.py): the free-text search's SQL floor statement
(bench/floors.py: FREE_TEXT_SEARCH), answered by a bare Django view through the same gunicorn, middleware and
database connection as the app, returning the statement's JSON as it comes.

It measures what the fixed stack's request handling costs around that one statement, with no search work of its
own: the lowest app/floor ratio that any Django view answering it can reach on this machine.
"""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from bench import floors
from bench.scenarios import SEARCH_DJANGO_FLOOR_PATH, search_floor_params


def free_text_search_floor(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(floors.FREE_TEXT_SEARCH, search_floor_params(int(request.GET.get("n", "0"))))
        (body,) = cursor.fetchone()
    return HttpResponse(body, content_type="application/json")


urlpatterns = [
    path(SEARCH_DJANGO_FLOOR_PATH.lstrip("/"), free_text_search_floor),
    path("", include("cos_registry.urls")),
]
