"""What the benchmark asks the server for: the same requests for the app, its SQL floor and the query counts.

Paths follow the URL contracts of COMMON.md (api namespace under /api/v1/); the probes check them with reverse().
"""

from __future__ import annotations

import random
from urllib.parse import urlencode

from bench.build_dataset import BIG_SET_SLUG, BIG_SET_VERSION, QUERY_WORD
from outcomes.search import CANDIDATES
from outcomes.search.text import terms

VERSION_SLUG = BIG_SET_SLUG
VERSION_NUMBER = BIG_SET_VERSION
AREAS = ("alzheimers-disease", "hematologic-malignancies", "heart-disease", "prostate-cancer")
# COMET domains common in the synthetic sets (every domain is equally likely, so any would do).
DOMAINS = (13, 25, 26, 30)
PAGE_SIZE = 20


def list_params(n: int) -> dict:
    """The n-th filtered list request: disease area + domain + q, rotating over 16 combinations."""
    return {"disease_area": AREAS[n % len(AREAS)], "domain": DOMAINS[(n // len(AREAS)) % len(DOMAINS)], "q": QUERY_WORD}


def list_path(n: int) -> str:
    return "/api/v1/core-outcome-sets/?" + urlencode(list_params(n))


def list_floor_params(n: int) -> dict:
    p = list_params(n)
    return {
        "area": p["disease_area"],
        "domain": p["domain"],
        "like": f"%{p['q']}%",
        "tsquery": " & ".join(terms(p["q"])),
        "page_size": PAGE_SIZE,
        "candidates": CANDIDATES + 1,
    }


# Free-text searches: words of the synthetic outcome names, one or two at a time.
SEARCH_QUERIES = (QUERY_WORD, f"{QUERY_WORD} quality", "pain", "quality of life")


def search_path(n: int) -> str:
    return "/api/v1/search/?" + urlencode({"q": SEARCH_QUERIES[n % len(SEARCH_QUERIES)], "limit": PAGE_SIZE})


def search_page_path(n: int) -> str:
    return "/search/?" + urlencode({"q": SEARCH_QUERIES[n % len(SEARCH_QUERIES)]})


# The floor statement answered by a bare Django view on the benchmark's second server (bench/floor_urls.py).
SEARCH_DJANGO_FLOOR_PATH = "/bench-floor/search/"


def search_django_floor_path(n: int) -> str:
    return f"{SEARCH_DJANGO_FLOOR_PATH}?n={n}"


def search_floor_params(n: int) -> dict:
    return {
        "tsquery": " & ".join(terms(SEARCH_QUERIES[n % len(SEARCH_QUERIES)])),
        "page_size": PAGE_SIZE,
        "candidates": CANDIDATES + 1,
    }


def version_path(slug: str, number: str) -> str:
    return f"/api/v1/core-outcome-sets/{slug}/versions/{number}/"


def export_path(slug: str, number: str, fmt: str) -> str:
    return f"/api/v1/core-outcome-sets/{slug}/versions/{number}/export/{fmt}/"


# The curator who publishes in the publish scenario (bench/publishing.py), in the throwaway bench database only, like
# the panelists' tokens of bench/build_dataset.py.
PUBLISHER = "bench-publisher"
PUBLISHER_PASSWORD = "bench-publisher-not-a-secret"  # noqa: S105


def publish_path(slug: str, number: str) -> str:
    """A curator's "Publish" form on a draft's page."""
    return f"/sets/{slug}/v/{number}/publish/"


def submission_path(number: int) -> str:
    return f"/api/v1/consensus/panel/rounds/{number}/"


def submission_body(item_ids: list[int], *, seed: int) -> dict:
    """A whole round: a score for every item (2% 'unable to score'), submitted as complete."""
    rng = random.Random(seed)
    ratings = []
    for item_id in item_ids:
        if rng.random() < 0.02:
            ratings.append({"item_id": item_id, "unable_to_score": True})
        else:
            ratings.append({"item_id": item_id, "score": rng.randint(1, 9)})
    return {"ratings": ratings, "complete": True}
