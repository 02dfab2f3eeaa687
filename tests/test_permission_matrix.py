"""Who may do what: every URL of the site and every operation of the OpenAPI schema, called as every role.

Roles (tests/permission_world.py): anonymous; a panelist of process A (signed in by following their personal link,
and sending `Authorization: Panelist <token>`); a panelist of another process B; a facilitator of A; a facilitator
of B; a curator; a staff admin. Every URL kwarg points at process A's objects or the public reference set.

Each row lists the expected status per role, in ROLES order. LOGIN is a redirect to the sign-in page. A URL name or
an API operation without a row fails the test: a new URL must be added here, with its roles thought through.
A POST (or API write) whose expected answer is a refusal is sent as a forged, empty request and must change nothing;
the others run inside a transaction that is rolled back, so each call sees the same world.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse

from outcomes.models import OutcomeDomain
from outcomes.services.reference_data import reference_data_load
from tests.permission_world import (
    PUBLIC_SET,
    ROLES,
    api_client,
    page_client,
    routes,
    schema_path,
    secrets_hidden_from,
    url_kwargs,
    world_build,
)

LOGIN = "login"  # 302 to the sign-in page

# --- Rows, in ROLES order: anonymous, panelist_a, panelist_b, facilitator_a, facilitator_b, curator, admin --------

EVERYONE = (200, 200, 200, 200, 200, 200, 200)
REDIRECT = (302, 302, 302, 302, 302, 302, 302)
NOT_ALLOWED = (405, 405, 405, 405, 405, 405, 405)
CURATORS_ONLY = (403, 403, 403, 403, 403, 400, 400)  # an empty form: a 400 with its errors for curators
CURATORS_PAGE = (403, 403, 403, 403, 403, 200, 200)
CURATORS_ACTION = (403, 403, 403, 403, 403, 302, 302)
ADMINS_ONLY_PAGE = (LOGIN, LOGIN, LOGIN, 403, 403, 403, 200)
CURATORS_EMPTY_PAGE = (LOGIN, LOGIN, LOGIN, 403, 403, 400, 400)
SIGNED_IN_PAGE = (LOGIN, LOGIN, LOGIN, 200, 200, 200, 200)
FACILITATOR_A_PAGE = (LOGIN, LOGIN, LOGIN, 200, 403, 403, 200)
FACILITATOR_A_EMPTY_FORM = (LOGIN, LOGIN, LOGIN, 400, 403, 403, 400)
FACILITATOR_A_ACTION = (LOGIN, LOGIN, LOGIN, 302, 403, 403, 302)
FACILITATOR_A_NOT_FOUND = (LOGIN, LOGIN, LOGIN, 404, 403, 403, 404)
PANELIST_PAGE = (403, 200, 200, 403, 403, 403, 403)  # each panelist sees their own process only
PANELIST_EMPTY_FORM = (403, 400, 400, 403, 403, 403, 403)
API_READ_ONLY = (403, 403, 403, 405, 405, 405, 405)
API_SIGNED_IN = (403, 403, 403, 200, 200, 200, 200)
API_SIGNED_IN_EMPTY = (403, 403, 403, 400, 400, 400, 400)
API_SIGNED_IN_NOT_ALLOWED = (403, 403, 403, 405, 405, 405, 405)
API_FACILITATOR_A = (403, 403, 403, 200, 403, 403, 200)
# Curators start processes (as on the page /facilitate/new/): an empty body is a 400 with its errors for them.
API_CURATORS_EMPTY = (403, 403, 403, 403, 403, 400, 400)
API_CURATORS_ACTION = (403, 403, 403, 403, 403, 200, 200)
API_FACILITATOR_A_EMPTY = (403, 403, 403, 400, 403, 403, 400)
API_CURATORS_NOT_ALLOWED = (403, 403, 403, 403, 403, 405, 405)
# The CSV import takes a file (multipart/form-data or text/csv): an empty JSON body is the wrong media type.
API_FACILITATOR_A_JSON_REFUSED = (403, 403, 403, 415, 403, 403, 415)
# The dump was requested by the curator: only they and admins see it; other users get a 404, not a hint.
API_CURATORS_DUMP = (403, 403, 403, 404, 404, 200, 200)
API_CURATORS_DUMP_NOT_READY = (403, 403, 403, 404, 404, 409, 409)
# Panelist endpoints answer to the personal link's token only; a session user is not a panelist.
API_PANELIST_PAGE_SESSION = (401, 200, 200, 401, 401, 401, 401)
API_PANELIST_EMPTY_SESSION = (401, 400, 400, 401, 401, 401, 401)
API_PANELIST_NOT_ALLOWED_SESSION = (401, 405, 405, 401, 401, 401, 401)
API_PANELIST = (401, 200, 200, 403, 403, 403, 403)
API_PANELIST_EMPTY = (401, 400, 400, 403, 403, 403, 403)
CURATOR_PAGE = (LOGIN, LOGIN, LOGIN, 403, 403, 200, 200)
CURATOR_EMPTY_FORM = (LOGIN, LOGIN, LOGIN, 403, 403, 400, 400)
API_DATA_SOURCE_ONLY = (401, 401, 401, 401, 401, 401, 401)

# Change notifications: anyone may ask to subscribe (an empty form is a 400); a link with a bad token is a 400 page.
EVERYONE_EMPTY_FORM = (400, 400, 400, 400, 400, 400, 400)
# A webhook endpoint is its owner's (facilitator A) and admins'; other users get a 404, not a hint that it exists.
WEBHOOK_OWNER_PAGE = (LOGIN, LOGIN, LOGIN, 200, 404, 404, 200)
WEBHOOK_OWNER_EMPTY_FORM = (LOGIN, LOGIN, LOGIN, 400, 404, 404, 400)
WEBHOOK_OWNER_ACTION = (LOGIN, LOGIN, LOGIN, 302, 404, 404, 302)
SIGNED_IN_EMPTY_FORM = (LOGIN, LOGIN, LOGIN, 400, 400, 400, 400)
API_WEBHOOK_OWNER = (403, 403, 403, 200, 404, 404, 200)

# --- Every URL name: its GET and POST rows ------------------------------------------------------------------------

EXPECTED: dict[str, dict[str, tuple]] = {
    # public website
    "web:home": {"GET": EVERYONE, "POST": EVERYONE},
    "web:disease-area": {"GET": EVERYONE, "POST": EVERYONE},
    "web:set-detail": {"GET": EVERYONE, "POST": EVERYONE},
    "web:version-detail": {"GET": EVERYONE, "POST": EVERYONE},
    "web:version-latest": {"GET": REDIRECT, "POST": REDIRECT},
    "web:version-diff": {"GET": EVERYONE, "POST": EVERYONE},
    "web:version-publish": {"GET": NOT_ALLOWED, "POST": CURATORS_ONLY},
    "web:version-withdraw": {"GET": NOT_ALLOWED, "POST": CURATORS_ONLY},
    "web:version-draft-create": {"GET": NOT_ALLOWED, "POST": CURATORS_ONLY},
    # a curator's mapping page of an outcome (its concept sets); reviewing the proposed revision 1 redirects back
    "web:outcome-mapping": {"GET": CURATORS_PAGE, "POST": CURATORS_ONLY},
    "web:outcome-mapping-review": {"GET": NOT_ALLOWED, "POST": CURATORS_ACTION},
    # An empty DOI form leaves the (empty) DOI as it is: curators are redirected back to the page.
    "web:version-doi": {"GET": NOT_ALLOWED, "POST": (403, 403, 403, 403, 403, 302, 302)},
    # Atom feeds: public facts only, the same for everyone (the syndication view answers any method).
    "web:feed": {"GET": EVERYONE, "POST": EVERYONE},
    "web:feed-area": {"GET": EVERYONE, "POST": EVERYONE},
    "web:feed-set": {"GET": EVERYONE, "POST": EVERYONE},
    "web:condition-detail": {"GET": EVERYONE, "POST": EVERYONE},
    "web:search": {"GET": EVERYONE, "POST": EVERYONE},
    "web:domain-list": {"GET": EVERYONE, "POST": EVERYONE},
    "web:domain-detail": {"GET": EVERYONE, "POST": EVERYONE},
    "web:instrument-list": {"GET": EVERYONE, "POST": EVERYONE},
    "web:instrument-detail": {"GET": EVERYONE, "POST": EVERYONE},
    "web:compare": {"GET": EVERYONE, "POST": EVERYONE},
    "web:set-suggestions": {"GET": EVERYONE, "POST": EVERYONE},
    "web:feasibility-runner": {"GET": EVERYONE, "POST": NOT_ALLOWED},
    # the data network: curators register data sources (the POST of an empty form is a 400; on the detail page a
    # POST rotates the token and shows the new one)
    "network:data-sources": {"GET": CURATOR_PAGE, "POST": CURATOR_EMPTY_FORM},
    "network:data-source": {"GET": CURATOR_PAGE, "POST": CURATOR_PAGE},
    # trials: anyone checks a trial; signed-in users declare adoption; curators verify or reject
    "web:trial-check": {"GET": EVERYONE, "POST": (400, 400, 400, 400, 400, 400, 400)},  # an empty form
    "web:trial-check-result": {"GET": EVERYONE, "POST": NOT_ALLOWED},
    "web:trial-check-csv": {"GET": EVERYONE, "POST": NOT_ALLOWED},
    "web:adoption-declare": {
        "GET": (LOGIN, LOGIN, LOGIN, 405, 405, 405, 405),
        "POST": (LOGIN, LOGIN, LOGIN, 400, 400, 400, 400),
    },
    "web:adoption-queue": {"GET": (LOGIN, LOGIN, LOGIN, 403, 403, 200, 200), "POST": CURATORS_EMPTY_PAGE},
    "web:set-uptake": {"GET": EVERYONE, "POST": EVERYONE},
    "web:uptake": {"GET": EVERYONE, "POST": EVERYONE},
    # audit log
    "audit:log": {"GET": ADMINS_ONLY_PAGE, "POST": ADMINS_ONLY_PAGE},
    "audit:process-log": {"GET": FACILITATOR_A_PAGE, "POST": FACILITATOR_A_PAGE},
    # registry API (read-only; writes refused)
    "api:disease-area-list": {"GET": EVERYONE, "POST": API_READ_ONLY},
    "api:disease-area-detail": {"GET": EVERYONE, "POST": API_READ_ONLY},
    "api:condition-list": {"GET": EVERYONE, "POST": API_READ_ONLY},
    "api:condition-detail": {"GET": EVERYONE, "POST": API_READ_ONLY},
    "api:outcome-domain-list": {"GET": EVERYONE, "POST": API_READ_ONLY},
    "api:outcome-domain-detail": {"GET": EVERYONE, "POST": API_READ_ONLY},
    "api:instrument-list": {"GET": EVERYONE, "POST": API_READ_ONLY},
    "api:instrument-detail": {"GET": EVERYONE, "POST": API_READ_ONLY},
    "api:cos-list": {"GET": EVERYONE, "POST": API_READ_ONLY},
    "api:search": {"GET": EVERYONE, "POST": API_READ_ONLY},
    "api:cos-detail": {"GET": EVERYONE, "POST": API_READ_ONLY},
    "api:version-list": {"GET": EVERYONE, "POST": API_READ_ONLY},
    "api:version-detail": {"GET": EVERYONE, "POST": API_READ_ONLY},
    "api:version-diff": {"GET": EVERYONE, "POST": API_READ_ONLY},
    "api:version-export": {"GET": EVERYONE, "POST": API_READ_ONLY},
    "api:version-network": {"GET": EVERYONE, "POST": API_READ_ONLY},
    # A data source's token only: no one of the matrix holds one, so everyone is unauthenticated (401).
    "api:version-report-upload": {"GET": API_DATA_SOURCE_ONLY, "POST": API_DATA_SOURCE_ONLY},
    "api:outcome-concept-sets": {"GET": EVERYONE, "POST": API_CURATORS_EMPTY},
    "api:outcome-concept-set-review": {"GET": NOT_ALLOWED, "POST": API_CURATORS_ACTION},
    "api:version-cite": {"GET": EVERYONE, "POST": API_READ_ONLY},
    # Curators record a version's DOI with a PUT; GET and POST are not operations of it.
    "api:version-doi": {"GET": API_CURATORS_NOT_ALLOWED, "POST": API_CURATORS_NOT_ALLOWED},
    "api:dump-list": {"GET": API_SIGNED_IN, "POST": API_SIGNED_IN_EMPTY},
    # trials API
    "api:trial-check-create": {"GET": NOT_ALLOWED, "POST": (400, 400, 400, 400, 400, 400, 400)},
    "api:trial-check-detail": {"GET": EVERYONE, "POST": NOT_ALLOWED},
    "api:trial-check-csv": {"GET": EVERYONE, "POST": NOT_ALLOWED},
    "api:trial-check-fhir": {"GET": EVERYONE, "POST": NOT_ALLOWED},
    "api:adoption-list": {"GET": EVERYONE, "POST": API_SIGNED_IN_EMPTY},
    # The world's adoption awaits a curator: its ResearchStudy is not public yet.
    "api:adoption-fhir": {"GET": (404, 404, 404, 404, 404, 200, 200), "POST": NOT_ALLOWED},
    "api:adoption-verify": {"GET": API_SIGNED_IN_NOT_ALLOWED, "POST": API_CURATORS_ACTION},
    "api:adoption-reject": {"GET": API_SIGNED_IN_NOT_ALLOWED, "POST": API_CURATORS_EMPTY},
    "api:set-uptake": {"GET": EVERYONE, "POST": NOT_ALLOWED},
    "api:uptake-list": {"GET": EVERYONE, "POST": NOT_ALLOWED},
    "api:dump-detail": {"GET": API_CURATORS_DUMP, "POST": API_SIGNED_IN_NOT_ALLOWED},
    "api:dump-download": {"GET": API_CURATORS_DUMP_NOT_READY, "POST": API_SIGNED_IN_NOT_ALLOWED},
    # consensus API: facilitators (session) and panelists (token header)
    "api:consensus-process-list": {"GET": API_SIGNED_IN, "POST": API_CURATORS_EMPTY},
    "api:consensus-process-detail": {"GET": API_FACILITATOR_A, "POST": API_SIGNED_IN_NOT_ALLOWED},
    "api:consensus-round-list": {"GET": API_FACILITATOR_A, "POST": API_FACILITATOR_A_EMPTY},
    "api:consensus-round-detail": {"GET": API_FACILITATOR_A, "POST": API_SIGNED_IN_NOT_ALLOWED},
    "api:consensus-round-open": {"GET": API_SIGNED_IN_NOT_ALLOWED, "POST": API_FACILITATOR_A_EMPTY},
    "api:consensus-round-close": {"GET": API_SIGNED_IN_NOT_ALLOWED, "POST": API_FACILITATOR_A},
    "api:consensus-round-results": {"GET": API_FACILITATOR_A, "POST": API_SIGNED_IN_NOT_ALLOWED},
    "api:consensus-groups": {"GET": API_FACILITATOR_A, "POST": API_FACILITATOR_A_EMPTY},
    "api:consensus-group": {"GET": API_SIGNED_IN_NOT_ALLOWED, "POST": API_SIGNED_IN_NOT_ALLOWED},  # PATCH, DELETE
    "api:consensus-items": {"GET": API_FACILITATOR_A, "POST": API_FACILITATOR_A_EMPTY},
    "api:consensus-items-import": {"GET": API_SIGNED_IN_NOT_ALLOWED, "POST": API_FACILITATOR_A_EMPTY},  # no file
    "api:consensus-item": {"GET": API_SIGNED_IN_NOT_ALLOWED, "POST": API_SIGNED_IN_NOT_ALLOWED},  # PATCH only
    "api:consensus-translations": {"GET": API_FACILITATOR_A, "POST": API_SIGNED_IN_NOT_ALLOWED},  # PUT
    "api:consensus-panelists": {"GET": API_FACILITATOR_A, "POST": API_FACILITATOR_A_EMPTY},
    "api:consensus-panelist-revoke": {"GET": API_SIGNED_IN_NOT_ALLOWED, "POST": API_FACILITATOR_A},
    "api:consensus-panelist-resend": {"GET": API_SIGNED_IN_NOT_ALLOWED, "POST": API_FACILITATOR_A},
    "api:consensus-suggestions": {"GET": API_FACILITATOR_A, "POST": API_SIGNED_IN_NOT_ALLOWED},
    "api:consensus-suggestion-decide": {"GET": API_SIGNED_IN_NOT_ALLOWED, "POST": API_FACILITATOR_A_EMPTY},
    "api:consensus-meeting-counts": {"GET": API_SIGNED_IN_NOT_ALLOWED, "POST": API_SIGNED_IN_NOT_ALLOWED},  # PUT
    "api:consensus-ratings": {"GET": API_FACILITATOR_A, "POST": API_SIGNED_IN_NOT_ALLOWED},
    "api:consensus-ratings-csv": {"GET": API_FACILITATOR_A, "POST": API_SIGNED_IN_NOT_ALLOWED},
    # Aggregates, public once published: anyone may ask, so a POST is a 405 for everyone.
    "api:consensus-results": {"GET": API_FACILITATOR_A, "POST": NOT_ALLOWED},
    "api:consensus-results-csv": {"GET": API_FACILITATOR_A, "POST": NOT_ALLOWED},
    "api:consensus-report": {"GET": API_FACILITATOR_A, "POST": NOT_ALLOWED},
    "api:consensus-report-csv": {"GET": API_FACILITATOR_A, "POST": NOT_ALLOWED},
    "api:consensus-finalise": {"GET": API_SIGNED_IN_NOT_ALLOWED, "POST": API_FACILITATOR_A_EMPTY},
    "api:consensus-publish": {"GET": API_SIGNED_IN_NOT_ALLOWED, "POST": API_FACILITATOR_A_EMPTY},
    "api:panel-me": {"GET": API_PANELIST_PAGE_SESSION, "POST": API_PANELIST_NOT_ALLOWED_SESSION},
    "api:panel-consent": {"GET": API_PANELIST_NOT_ALLOWED_SESSION, "POST": API_PANELIST_EMPTY_SESSION},
    "api:panel-round": {"GET": (401, 200, 404, 401, 401, 401, 401), "POST": API_PANELIST_EMPTY_SESSION},
    "api:panel-suggestions": {"GET": API_PANELIST_PAGE_SESSION, "POST": API_PANELIST_EMPTY_SESSION},
    "schema": {"GET": EVERYONE, "POST": NOT_ALLOWED},
    "swagger-ui": {"GET": EVERYONE, "POST": NOT_ALLOWED},
    # panel pages: the session names the panelist; nothing in the address names a process
    "panel:home": {"GET": PANELIST_PAGE, "POST": PANELIST_PAGE},
    "panel:enter": {"GET": REDIRECT, "POST": REDIRECT},  # the personal link is the credential
    "panel:consent": {"GET": NOT_ALLOWED, "POST": PANELIST_EMPTY_FORM},
    # Round 2 exists in process A only; panelist B gets a 404 for it (an empty POST saves nothing and redirects).
    "panel:round": {"GET": (403, 200, 404, 403, 403, 403, 403), "POST": (403, 302, 404, 403, 403, 403, 403)},
    "panel:suggestions": {"GET": PANELIST_PAGE, "POST": PANELIST_EMPTY_FORM},
    "panel:leave": {"GET": NOT_ALLOWED, "POST": EVERYONE},
    # An empty language is refused with a message on the page the panelist returns to.
    "panel:language": {"GET": NOT_ALLOWED, "POST": (403, 302, 302, 403, 403, 403, 403)},
    # facilitator pages of process A
    "facilitator:process-list": {"GET": SIGNED_IN_PAGE, "POST": SIGNED_IN_PAGE},
    "facilitator:process-create": {  # curators start processes
        "GET": (LOGIN, LOGIN, LOGIN, 403, 403, 200, 200),
        "POST": (LOGIN, LOGIN, LOGIN, 403, 403, 400, 400),
    },
    "facilitator:dashboard": {"GET": FACILITATOR_A_PAGE, "POST": FACILITATOR_A_PAGE},
    "facilitator:items": {"GET": FACILITATOR_A_PAGE, "POST": FACILITATOR_A_EMPTY_FORM},
    "facilitator:item-edit": {"GET": FACILITATOR_A_PAGE, "POST": FACILITATOR_A_EMPTY_FORM},
    "facilitator:definition": {"GET": FACILITATOR_A_PAGE, "POST": FACILITATOR_A_ACTION},
    "facilitator:translations": {"GET": FACILITATOR_A_PAGE, "POST": FACILITATOR_A_EMPTY_FORM},
    "facilitator:group-edit": {"GET": FACILITATOR_A_PAGE, "POST": FACILITATOR_A_EMPTY_FORM},
    "facilitator:group-delete": {"GET": NOT_ALLOWED, "POST": FACILITATOR_A_ACTION},
    "facilitator:panelists": {"GET": FACILITATOR_A_PAGE, "POST": FACILITATOR_A_EMPTY_FORM},
    "facilitator:panelist-action": {"GET": NOT_ALLOWED, "POST": FACILITATOR_A_ACTION},
    "facilitator:round-create": {"GET": NOT_ALLOWED, "POST": FACILITATOR_A_ACTION},
    "facilitator:round-results": {"GET": FACILITATOR_A_PAGE, "POST": FACILITATOR_A_PAGE},
    "facilitator:meeting": {"GET": FACILITATOR_A_NOT_FOUND, "POST": FACILITATOR_A_NOT_FOUND},  # round 1 is Delphi
    "facilitator:round-action": {"GET": NOT_ALLOWED, "POST": FACILITATOR_A_ACTION},
    "facilitator:suggestions": {"GET": FACILITATOR_A_PAGE, "POST": FACILITATOR_A_EMPTY_FORM},  # no suggestion named
    "facilitator:finalise": {"GET": NOT_ALLOWED, "POST": FACILITATOR_A_ACTION},
    "facilitator:publish": {"GET": NOT_ALLOWED, "POST": FACILITATOR_A_ACTION},
    "facilitator:report": {"GET": FACILITATOR_A_PAGE, "POST": FACILITATOR_A_PAGE},  # public once published
    "facilitator:ratings-csv": {"GET": FACILITATOR_A_PAGE, "POST": FACILITATOR_A_PAGE},
    "facilitator:results-csv": {"GET": FACILITATOR_A_PAGE, "POST": FACILITATOR_A_PAGE},  # public once published
    "facilitator:report-csv": {"GET": FACILITATOR_A_PAGE, "POST": FACILITATOR_A_PAGE},  # public once published
    # change notifications
    "web:subscribe-set": {"GET": EVERYONE, "POST": EVERYONE_EMPTY_FORM},
    "web:subscribe-area": {"GET": EVERYONE, "POST": EVERYONE_EMPTY_FORM},
    "web:subscription-confirm": {"GET": EVERYONE_EMPTY_FORM, "POST": EVERYONE_EMPTY_FORM},  # not a valid token
    "web:unsubscribe": {"GET": EVERYONE_EMPTY_FORM, "POST": EVERYONE_EMPTY_FORM},  # not a valid token
    "web:webhook-list": {"GET": SIGNED_IN_PAGE, "POST": SIGNED_IN_EMPTY_FORM},
    "web:webhook-detail": {"GET": WEBHOOK_OWNER_PAGE, "POST": WEBHOOK_OWNER_EMPTY_FORM},
    "web:webhook-rotate": {"GET": NOT_ALLOWED, "POST": WEBHOOK_OWNER_PAGE},  # shows the new secret once
    "web:webhook-enable": {"GET": NOT_ALLOWED, "POST": WEBHOOK_OWNER_ACTION},  # enabled already: a message
    "web:webhook-delete": {"GET": NOT_ALLOWED, "POST": WEBHOOK_OWNER_ACTION},
    "web:webhook-delivery-replay": {"GET": NOT_ALLOWED, "POST": WEBHOOK_OWNER_ACTION},
    "api:subscription-request": {"GET": NOT_ALLOWED, "POST": EVERYONE_EMPTY_FORM},
    "api:subscription-confirm": {"GET": NOT_ALLOWED, "POST": EVERYONE_EMPTY_FORM},
    "api:subscription-unsubscribe": {"GET": NOT_ALLOWED, "POST": EVERYONE_EMPTY_FORM},
    "api:webhook-list": {"GET": API_SIGNED_IN, "POST": API_SIGNED_IN_EMPTY},
    "api:webhook-detail": {"GET": API_WEBHOOK_OWNER, "POST": API_SIGNED_IN_NOT_ALLOWED},  # PATCH, DELETE
    "api:webhook-rotate": {"GET": API_SIGNED_IN_NOT_ALLOWED, "POST": API_WEBHOOK_OWNER},
    "api:webhook-enable": {"GET": API_SIGNED_IN_NOT_ALLOWED, "POST": (403, 403, 403, 400, 404, 404, 400)},
    "api:webhook-deliveries": {"GET": API_WEBHOOK_OWNER, "POST": API_SIGNED_IN_NOT_ALLOWED},
    "api:webhook-delivery-replay": {"GET": API_SIGNED_IN_NOT_ALLOWED, "POST": (403, 403, 403, 202, 404, 404, 202)},
    # accounts
    "login": {"GET": EVERYONE, "POST": EVERYONE},  # an empty sign-in form is shown again with its errors
    "logout": {"GET": NOT_ALLOWED, "POST": REDIRECT},
}

# Parameter values other than the defaults of permission_world.sample_values, by URL name.
URL_OVERRIDES: dict[str, dict] = {
    "api:version-cite": {"format": "bibtex"},
    "web:feed-area": {"slug": "prostate-cancer"},
    "web:disease-area": {"slug": "prostate-cancer"},
    "web:condition-detail": {"slug": "prostate-cancer"},
    "api:disease-area-detail": {"slug": "prostate-cancer"},
    "api:condition-detail": {"slug": "prostate-cancer"},
    # Round 2 exists in process A only: panelist B asking for it gets a 404, not A's round.
    "panel:round": {"number": 2},
    "api:panel-round": {"number": 2},
    "facilitator:round-results": {"number": 1},
    "facilitator:meeting": {"number": 1},
    "facilitator:round-action": {"number": 2},
    "facilitator:panelist-action": {"action": "revoke"},
    "web:outcome-mapping-review": {"number": 1},
    "api:outcome-concept-set-review": {"number": 1},
    "api:consensus-round-detail": {"pk": lambda w: w.round_a.pk},
    "api:consensus-round-open": {"pk": lambda w: w.round_a.pk},
    "api:consensus-round-close": {"pk": lambda w: w.round_a.pk},
    "api:consensus-round-results": {"pk": lambda w: w.round_a1.pk},
    "api:consensus-item": {"pk": lambda w: w.process_a.items.order_by("pk").first().pk},
    "api:consensus-group": {"pk": lambda w: w.process_a.groups.first().pk},
    "api:consensus-panelist-revoke": {"pk": lambda w: w.members_a[1].panelist.pk},
    "api:consensus-panelist-resend": {"pk": lambda w: w.members_a[1].panelist.pk},
    "api:consensus-suggestion-decide": {"pk": lambda w: w.round_a1.suggestions.order_by("pk").first().pk},
    "api:consensus-meeting-counts": {"pk": lambda w: w.round_a.round_items.order_by("pk").first().pk},
    "api:dump-detail": {"pk": lambda w: w.dump.pk},
    "network:data-source": {"pk": lambda w: w.data_source.pk},
    **{
        name: {"pk": lambda w: w.trial_check.pk}
        for name in (
            "web:trial-check-result",
            "web:trial-check-csv",
            "web:adoption-declare",
            "api:trial-check-detail",
            "api:trial-check-csv",
            "api:trial-check-fhir",
        )
    },
    "api:adoption-verify": {"pk": lambda w: w.adoption.pk},
    "api:adoption-fhir": {"pk": lambda w: w.adoption.pk},
    "api:adoption-reject": {"pk": lambda w: w.adoption.pk},
    "api:dump-download": {"pk": lambda w: w.dump.pk},
    "web:subscribe-area": {"slug": "prostate-cancer"},
    **{
        name: {"pk": lambda w: w.webhook.pk}
        for name in (
            "web:webhook-detail",
            "web:webhook-rotate",
            "web:webhook-enable",
            "web:webhook-delete",
            "api:webhook-detail",
            "api:webhook-rotate",
            "api:webhook-enable",
            "api:webhook-deliveries",
        )
    },
    "web:webhook-delivery-replay": {"pk": lambda w: w.webhook_delivery.pk},
    "api:webhook-delivery-replay": {"pk": lambda w: w.webhook_delivery.pk},
}

# Query strings for pages that read them (compare two sets; search the registry).
URL_QUERIES: dict[str, dict[str, str]] = {
    "web:compare": {"a": PUBLIC_SET, "b": "ichom-localized-prostate-cancer"},
    "web:search": {"q": "prostate"},
    "api:search": {"q": "prostate"},
}

# --- Every OpenAPI operation, called with the API clients (token header for panelists, no CSRF for users) -------

API_EXPECTED: dict[tuple[str, str], tuple] = {
    ("/api/v1/disease-areas/", "get"): EVERYONE,
    ("/api/v1/disease-areas/{slug}/", "get"): EVERYONE,
    ("/api/v1/conditions/", "get"): EVERYONE,
    ("/api/v1/conditions/{slug}/", "get"): EVERYONE,
    ("/api/v1/outcome-domains/", "get"): EVERYONE,
    ("/api/v1/outcome-domains/{number}/", "get"): EVERYONE,
    ("/api/v1/instruments/", "get"): EVERYONE,
    ("/api/v1/instruments/{acronym}/", "get"): EVERYONE,
    ("/api/v1/core-outcome-sets/", "get"): EVERYONE,
    ("/api/v1/search/", "get"): EVERYONE,
    ("/api/v1/core-outcome-sets/{slug}/", "get"): EVERYONE,
    ("/api/v1/core-outcome-sets/{slug}/versions/", "get"): EVERYONE,
    ("/api/v1/core-outcome-sets/{slug}/versions/{version}/", "get"): EVERYONE,
    ("/api/v1/core-outcome-sets/{slug}/versions/{a}/diff/{b}/", "get"): EVERYONE,
    ("/api/v1/core-outcome-sets/{slug}/versions/{version}/export/{format}/", "get"): EVERYONE,
    ("/api/v1/core-outcome-sets/{slug}/versions/{version}/network/", "get"): EVERYONE,
    ("/api/v1/core-outcome-sets/{slug}/versions/{version}/reports/", "post"): API_DATA_SOURCE_ONLY,
    ("/api/v1/outcomes/{identity}/concept-sets/", "get"): EVERYONE,
    ("/api/v1/outcomes/{identity}/concept-sets/", "post"): API_CURATORS_EMPTY,
    ("/api/v1/outcomes/{identity}/concept-sets/{number}/review/", "post"): API_CURATORS_ACTION,
    ("/api/v1/core-outcome-sets/{slug}/versions/{version}/cite/{format}/", "get"): EVERYONE,
    ("/api/v1/core-outcome-sets/{slug}/versions/{version}/doi/", "put"): API_CURATORS_EMPTY,
    ("/api/v1/dumps/", "get"): API_SIGNED_IN,
    ("/api/v1/dumps/", "post"): API_SIGNED_IN_EMPTY,
    ("/api/v1/dumps/{id}/", "get"): API_CURATORS_DUMP,
    ("/api/v1/dumps/{id}/download/", "get"): API_CURATORS_DUMP_NOT_READY,
    ("/api/v1/trial-checks/", "post"): (400, 400, 400, 400, 400, 400, 400),
    ("/api/v1/trial-checks/{id}/", "get"): EVERYONE,
    ("/api/v1/trial-checks/{id}/csv/", "get"): EVERYONE,
    ("/api/v1/trial-checks/{id}/fhir/", "get"): EVERYONE,
    ("/api/v1/adoptions/", "get"): EVERYONE,
    ("/api/v1/adoptions/", "post"): API_SIGNED_IN_EMPTY,
    ("/api/v1/adoptions/{id}/fhir/", "get"): (404, 404, 404, 404, 404, 200, 200),
    ("/api/v1/adoptions/{id}/verify/", "post"): API_CURATORS_ACTION,
    ("/api/v1/adoptions/{id}/reject/", "post"): API_CURATORS_EMPTY,
    ("/api/v1/core-outcome-sets/{slug}/uptake/", "get"): EVERYONE,
    ("/api/v1/uptake/", "get"): EVERYONE,
    ("/api/v1/consensus/processes/", "get"): API_SIGNED_IN,
    ("/api/v1/consensus/processes/", "post"): API_CURATORS_EMPTY,
    ("/api/v1/consensus/processes/{id}/", "get"): API_FACILITATOR_A,
    ("/api/v1/consensus/processes/{id}/", "patch"): API_FACILITATOR_A,  # an empty PATCH changes nothing
    ("/api/v1/consensus/processes/{id}/groups/", "get"): API_FACILITATOR_A,
    ("/api/v1/consensus/processes/{id}/groups/", "post"): API_FACILITATOR_A_EMPTY,
    ("/api/v1/consensus/groups/{id}/", "patch"): API_FACILITATOR_A_EMPTY,
    ("/api/v1/consensus/groups/{id}/", "delete"): API_FACILITATOR_A_EMPTY,  # the group has panelists: a 400
    ("/api/v1/consensus/processes/{id}/rounds/", "get"): API_FACILITATOR_A,
    ("/api/v1/consensus/processes/{id}/rounds/", "post"): API_FACILITATOR_A_EMPTY,
    ("/api/v1/consensus/rounds/{id}/", "get"): API_FACILITATOR_A,
    ("/api/v1/consensus/rounds/{id}/open/", "post"): API_FACILITATOR_A_EMPTY,
    ("/api/v1/consensus/rounds/{id}/close/", "post"): API_FACILITATOR_A,
    ("/api/v1/consensus/rounds/{id}/results/", "get"): API_FACILITATOR_A,
    ("/api/v1/consensus/processes/{id}/items/", "get"): API_FACILITATOR_A,
    ("/api/v1/consensus/processes/{id}/items/", "post"): API_FACILITATOR_A_EMPTY,
    ("/api/v1/consensus/processes/{id}/items/import/", "post"): API_FACILITATOR_A_JSON_REFUSED,
    ("/api/v1/consensus/items/{id}/", "patch"): API_FACILITATOR_A_EMPTY,  # its items were rated: a 400
    ("/api/v1/consensus/processes/{id}/translations/", "get"): API_FACILITATOR_A,
    ("/api/v1/consensus/processes/{id}/translations/", "put"): API_FACILITATOR_A_EMPTY,
    ("/api/v1/consensus/processes/{id}/panelists/", "get"): API_FACILITATOR_A,
    ("/api/v1/consensus/processes/{id}/panelists/", "post"): API_FACILITATOR_A_EMPTY,
    ("/api/v1/consensus/panelists/{id}/revoke/", "post"): API_FACILITATOR_A,
    ("/api/v1/consensus/panelists/{id}/resend/", "post"): API_FACILITATOR_A,
    ("/api/v1/consensus/processes/{id}/suggestions/", "get"): API_FACILITATOR_A,
    ("/api/v1/consensus/suggestions/{id}/decide/", "post"): API_FACILITATOR_A_EMPTY,
    ("/api/v1/consensus/round-items/{id}/counts/", "put"): API_FACILITATOR_A_EMPTY,
    ("/api/v1/consensus/processes/{id}/finalise/", "post"): API_FACILITATOR_A_EMPTY,
    ("/api/v1/consensus/processes/{id}/publish/", "post"): API_FACILITATOR_A_EMPTY,
    ("/api/v1/consensus/processes/{id}/ratings/", "get"): API_FACILITATOR_A,
    ("/api/v1/consensus/processes/{id}/ratings/csv/", "get"): API_FACILITATOR_A,
    ("/api/v1/consensus/processes/{id}/results/", "get"): API_FACILITATOR_A,  # public once published
    ("/api/v1/consensus/processes/{id}/results/csv/", "get"): API_FACILITATOR_A,  # public once published
    ("/api/v1/consensus/processes/{id}/report/", "get"): API_FACILITATOR_A,  # public once published
    ("/api/v1/consensus/processes/{id}/report/csv/", "get"): API_FACILITATOR_A,  # public once published
    ("/api/v1/consensus/panel/", "get"): API_PANELIST,
    ("/api/v1/consensus/panel/consent/", "post"): API_PANELIST_EMPTY,
    ("/api/v1/consensus/panel/rounds/{number}/", "get"): (401, 200, 404, 403, 403, 403, 403),
    ("/api/v1/consensus/panel/rounds/{number}/", "put"): API_PANELIST_EMPTY,
    ("/api/v1/consensus/panel/rounds/{number}/", "post"): API_PANELIST_EMPTY,
    ("/api/v1/consensus/panel/suggestions/", "get"): API_PANELIST,
    ("/api/v1/consensus/panel/suggestions/", "post"): API_PANELIST_EMPTY,
    ("/api/v1/subscriptions/", "post"): EVERYONE_EMPTY_FORM,
    ("/api/v1/subscriptions/confirm/", "post"): EVERYONE_EMPTY_FORM,
    ("/api/v1/subscriptions/unsubscribe/", "post"): EVERYONE_EMPTY_FORM,
    ("/api/v1/webhooks/", "get"): API_SIGNED_IN,
    ("/api/v1/webhooks/", "post"): API_SIGNED_IN_EMPTY,
    ("/api/v1/webhooks/{id}/", "get"): API_WEBHOOK_OWNER,
    ("/api/v1/webhooks/{id}/", "patch"): API_WEBHOOK_OWNER,  # an empty PATCH changes nothing
    ("/api/v1/webhooks/{id}/", "delete"): (403, 403, 403, 204, 404, 404, 204),
    ("/api/v1/webhooks/{id}/rotate-secret/", "post"): API_WEBHOOK_OWNER,
    ("/api/v1/webhooks/{id}/enable/", "post"): (403, 403, 403, 400, 404, 404, 400),  # enabled already
    ("/api/v1/webhooks/{id}/deliveries/", "get"): API_WEBHOOK_OWNER,
    ("/api/v1/webhooks/deliveries/{id}/replay/", "post"): (403, 403, 403, 202, 404, 404, 202),
}

API_OVERRIDES: dict[str, dict] = {
    "/api/v1/core-outcome-sets/{slug}/versions/{version}/cite/{format}/": {"format": "bibtex"},
    "/api/v1/disease-areas/{slug}/": {"slug": "prostate-cancer"},
    "/api/v1/conditions/{slug}/": {"slug": "prostate-cancer"},
    "/api/v1/dumps/{id}/": {"id": lambda w: w.dump.pk},
    "/api/v1/dumps/{id}/download/": {"id": lambda w: w.dump.pk},
    "/api/v1/trial-checks/{id}/": {"id": lambda w: w.trial_check.pk},
    "/api/v1/trial-checks/{id}/csv/": {"id": lambda w: w.trial_check.pk},
    "/api/v1/trial-checks/{id}/fhir/": {"id": lambda w: w.trial_check.pk},
    "/api/v1/adoptions/{id}/verify/": {"id": lambda w: w.adoption.pk},
    "/api/v1/adoptions/{id}/fhir/": {"id": lambda w: w.adoption.pk},
    "/api/v1/adoptions/{id}/reject/": {"id": lambda w: w.adoption.pk},
    "/api/v1/consensus/processes/{id}/": {"id": lambda w: w.process_a.pk},
    "/api/v1/consensus/processes/{id}/rounds/": {"id": lambda w: w.process_a.pk},
    "/api/v1/consensus/rounds/{id}/": {"id": lambda w: w.round_a.pk},
    "/api/v1/consensus/rounds/{id}/open/": {"id": lambda w: w.round_a.pk},
    "/api/v1/consensus/rounds/{id}/close/": {"id": lambda w: w.round_a.pk},
    "/api/v1/consensus/rounds/{id}/results/": {"id": lambda w: w.round_a1.pk},
    "/api/v1/consensus/items/{id}/": {"id": lambda w: w.process_a.items.order_by("pk").first().pk},
    "/api/v1/consensus/panelists/{id}/revoke/": {"id": lambda w: w.members_a[1].panelist.pk},
    "/api/v1/consensus/panelists/{id}/resend/": {"id": lambda w: w.members_a[1].panelist.pk},
    "/api/v1/consensus/suggestions/{id}/decide/": {"id": lambda w: w.round_a1.suggestions.order_by("pk").first().pk},
    "/api/v1/consensus/round-items/{id}/counts/": {"id": lambda w: w.round_a.round_items.order_by("pk").first().pk},
    "/api/v1/consensus/processes/{id}/items/": {"id": lambda w: w.process_a.pk},
    "/api/v1/consensus/processes/{id}/translations/": {"id": lambda w: w.process_a.pk},
    "/api/v1/consensus/processes/{id}/items/import/": {"id": lambda w: w.process_a.pk},
    "/api/v1/consensus/processes/{id}/groups/": {"id": lambda w: w.process_a.pk},
    "/api/v1/consensus/groups/{id}/": {"id": lambda w: w.process_a.groups.first().pk},  # it has panelists
    "/api/v1/consensus/processes/{id}/panelists/": {"id": lambda w: w.process_a.pk},
    "/api/v1/consensus/processes/{id}/suggestions/": {"id": lambda w: w.process_a.pk},
    "/api/v1/consensus/processes/{id}/finalise/": {"id": lambda w: w.process_a.pk},
    "/api/v1/consensus/processes/{id}/publish/": {"id": lambda w: w.process_a.pk},
    "/api/v1/consensus/panel/rounds/{number}/": {"number": 2},
    "/api/v1/outcomes/{identity}/concept-sets/{number}/review/": {"number": 1},
    **{
        path: {"id": lambda w: w.webhook.pk}
        for path in (
            "/api/v1/webhooks/{id}/",
            "/api/v1/webhooks/{id}/rotate-secret/",
            "/api/v1/webhooks/{id}/enable/",
            "/api/v1/webhooks/{id}/deliveries/",
        )
    },
    "/api/v1/webhooks/deliveries/{id}/replay/": {"id": lambda w: w.webhook_delivery.pk},
    **{
        f"/api/v1/consensus/processes/{{id}}/{download}/": {"id": lambda w: w.process_a.pk}
        for download in ("ratings", "ratings/csv", "results", "results/csv", "report", "report/csv")
    },
}

WRITE_METHODS = ("post", "put", "patch", "delete")
HTTP_METHODS = ("get", *WRITE_METHODS)
REFUSALS = {LOGIN, 401, 403, 404}
# Requests that sign someone in or out: each gets a fresh client so that the role's own client keeps its session.
SESSION_CHANGING = {"panel:enter", "panel:leave", "login", "logout"}
SKIPPED_NAMESPACES = ("admin",)  # the Django admin is tested on its own below


# --- Fixtures -------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back at the end; each test runs in a
    savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        if OutcomeDomain.objects.count() != 38:  # a transactional test before this module flushed the reference data
            reference_data_load()
        yield world_build()
        transaction.set_rollback(True)


@pytest.fixture
def clients(world, db):
    return {role: page_client(world, role) for role in ROLES}


# --- Helpers --------------------------------------------------------------------------------------------------------


def _fingerprint() -> dict:
    """Enough of the database to notice any change a refused request could make: row counts of every registry
    table (the audit log among them) and the fields that state changes touch."""
    from outcomes.models import (
        ConsensusProcess,
        CoreOutcomeSetVersion,
        Item,
        Panelist,
        Rating,
        Round,
        StakeholderGroup,
        Suggestion,
    )

    counts = {m.__name__: m.objects.count() for m in apps.get_app_config("outcomes").get_models()}
    counts.update({m.__name__: m.objects.count() for m in apps.get_app_config("diseases").get_models()})
    return {
        "counts": counts,
        "rounds": list(Round.objects.order_by("pk").values_list("status", "closes_at")),
        "versions": list(CoreOutcomeSetVersion.objects.order_by("pk").values_list("status", "version")),
        "processes": list(ConsensusProcess.objects.order_by("pk").values_list("status", "title", "description")),
        "panelists": list(
            Panelist.objects.order_by("pk").values_list("token_hash", "token_revoked_at", "consented_at", "group")
        ),
        "ratings": list(Rating.objects.order_by("pk").values_list("score", "comment", "unable_to_score")),
        "groups": list(StakeholderGroup.objects.order_by("pk").values_list("name")),
        "items": list(Item.objects.order_by("pk").values_list("name", "definition")),
        "suggestions": list(Suggestion.objects.order_by("pk").values_list("status", "merged_into")),
    }


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _matches(response, expected) -> bool:
    if expected == LOGIN:
        return response.status_code == 302 and response["Location"].startswith(reverse("login"))
    if expected == 302:
        return response.status_code == 302 and not response["Location"].startswith(reverse("login"))
    return response.status_code == expected


def _shown(response) -> str:
    if response.status_code == 302:
        return f"302 -> {response['Location']}"
    return str(response.status_code)


def _leaks(world, role: str, response) -> list[str]:
    body = _body(response)
    return [secret for secret in secrets_hidden_from(world, role) if secret in body]


def _call(client, method: str, url: str, **kwargs):
    cache.clear()  # rate limits count per client address; the matrix is not an attack
    return getattr(client, method)(url, **kwargs)


def _url(route, world) -> str:
    url = reverse(route.name, kwargs=url_kwargs(route.name, route.params, world, URL_OVERRIDES))
    query = URL_QUERIES.get(route.name)
    return f"{url}?{urlencode(query)}" if query else url


def _site_routes():
    return [r for r in routes(skip=SKIPPED_NAMESPACES) if not r.route.startswith(("static/", "media/"))]


def _operations() -> list[tuple[str, str]]:
    schema = Client().get(reverse("schema"), {"format": "json"}).json()
    return [(path, method) for path, item in schema["paths"].items() for method in item if method in HTTP_METHODS]


def _row(expected: tuple) -> dict[str, object]:
    assert len(expected) == len(ROLES)
    return dict(zip(ROLES, expected, strict=True))


# --- The table itself -----------------------------------------------------------------------------------------------


def test_every_url_name_of_the_site_has_a_row_in_the_permission_matrix(world, db):
    names = [r.name for r in _site_routes()]
    assert "" not in names, "Every URL pattern needs a name so the permission matrix can list it"
    missing = sorted(set(names) - set(EXPECTED))
    stale = sorted(set(EXPECTED) - set(names))
    assert not missing, f"URL names without a row in EXPECTED (add their GET and POST rows): {missing}"
    assert not stale, f"Rows in EXPECTED for URL names that no longer exist: {stale}"
    for name, rows in EXPECTED.items():
        assert set(rows) == {"GET", "POST"}, f"{name} needs a GET and a POST row"
        for row in rows.values():
            _row(row)


def test_every_operation_of_the_openapi_schema_has_a_row_in_the_permission_matrix(world, db):
    operations = _operations()
    missing = sorted(set(operations) - set(API_EXPECTED))
    stale = sorted(set(API_EXPECTED) - set(operations))
    assert not missing, f"API operations without a row in API_EXPECTED: {missing}"
    assert not stale, f"Rows in API_EXPECTED for operations the schema no longer has: {stale}"


# --- Walking the site -----------------------------------------------------------------------------------------------


def test_every_page_answers_each_role_as_the_matrix_says_and_leaks_no_panelist(world, clients):
    problems = []
    for route in _site_routes():
        if route.name not in EXPECTED:
            continue  # reported by the table test
        url = _url(route, world)
        for role, expected in _row(EXPECTED[route.name]["GET"]).items():
            client = page_client(world, role) if route.name in SESSION_CHANGING else clients[role]
            response = _call(client, "get", url)
            if not _matches(response, expected):
                problems.append(f"GET {url} ({route.name}) as {role}: expected {expected}, got {_shown(response)}")
            if leaked := _leaks(world, role, response):
                problems.append(f"GET {url} ({route.name}) as {role} shows {leaked}")
    assert not problems, "\n".join(problems)


def test_a_forged_post_is_refused_to_every_unauthorised_role_and_changes_nothing(world, clients):
    problems = []
    before = _fingerprint()
    for route in _site_routes():
        if route.name not in EXPECTED:
            continue
        url = _url(route, world)
        refused = []
        for role, expected in _row(EXPECTED[route.name]["POST"]).items():
            if expected in REFUSALS:
                refused.append(role)
                client = page_client(world, role) if route.name in SESSION_CHANGING else clients[role]
                response = _call(client, "post", url)
            else:
                # Allowed: an empty POST may legitimately act (close a round...); undo it for the next call.
                with transaction.atomic():
                    response = _call(page_client(world, role), "post", url)
                    transaction.set_rollback(True)
            if not _matches(response, expected):
                problems.append(f"POST {url} ({route.name}) as {role}: expected {expected}, got {_shown(response)}")
            if leaked := _leaks(world, role, response):
                problems.append(f"POST {url} ({route.name}) as {role} shows {leaked}")
        # Allowed calls were rolled back, so any difference comes from a refused one.
        if refused and (after := _fingerprint()) != before:
            problems.append(f"POST {url} ({route.name}) was refused to {refused} but changed data")
            before = after
    assert not problems, "\n".join(problems)


# --- Walking the API schema -----------------------------------------------------------------------------------------


def test_every_api_operation_answers_each_role_as_the_matrix_says_and_leaks_no_panelist(world, db):
    problems = []
    api_clients = {role: api_client(world, role) for role in ROLES}
    for path, method in _operations():
        if (path, method) not in API_EXPECTED:
            continue  # reported by the table test
        url = schema_path(path, world, API_OVERRIDES)
        for role, expected in _row(API_EXPECTED[(path, method)]).items():
            if method not in WRITE_METHODS:
                response = _call(api_clients[role], method, url)
            elif expected in REFUSALS:
                before = _fingerprint()
                response = _call(api_clients[role], method, url, data={}, format="json")
                if _fingerprint() != before:
                    problems.append(f"{method.upper()} {url} as {role} was refused but changed data")
            else:
                with transaction.atomic():
                    response = _call(api_clients[role], method, url, data={}, format="json")
                    transaction.set_rollback(True)
            if response.status_code >= 500 or not _matches(response, expected):
                problems.append(f"{method.upper()} {path} as {role}: expected {expected}, got {_shown(response)}")
            if leaked := _leaks(world, role, response):
                problems.append(f"{method.upper()} {url} as {role} shows {leaked}")
    assert not problems, "\n".join(problems)


# --- The Django admin -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["admin:index", "admin:outcomes_panelist_changelist"])
def test_the_django_admin_opens_for_staff_only(world, clients, name):
    url = reverse(name)
    login = reverse("admin:login")
    for role in ROLES:
        response = _call(clients[role], "get", url)
        if role == "admin":
            assert response.status_code == 200, role
        else:
            assert response.status_code == 302 and response["Location"].startswith(login), role


# --- The matrix's own guards fail when they should ------------------------------------------------------------------


def test_the_secrets_are_there_to_find_for_facilitator_a(world, clients):
    """The distinctive names, emails and comments do appear where they belong, so their absence elsewhere means
    something."""
    panelists = _body(
        _call(clients["facilitator_a"], "get", reverse("facilitator:panelists", args=[world.process_a.pk]))
    )
    ratings = _body(
        _call(clients["facilitator_a"], "get", reverse("facilitator:ratings-csv", args=[world.process_a.pk]))
    )
    for member in world.members_a:
        assert member.panelist.email in panelists
        assert member.comment in ratings


def test_a_leak_check_finds_a_panelists_email_in_a_body(world, db):
    class Fake:
        streaming = False
        content = f"<p>{world.members_a[1].panelist.email}</p>".encode()

    assert _leaks(world, "panelist_b", Fake()) == [world.members_a[1].panelist.email]
    assert _leaks(world, "facilitator_a", Fake()) == []


def test_a_refused_post_that_changed_data_would_be_noticed(world, db):
    from outcomes.models import Round

    before = _fingerprint()
    Round.objects.filter(pk=world.round_a.pk).update(status=Round.Status.CLOSED)
    assert _fingerprint() != before


# --- The draft that process A is building -------------------------------------------------------------------------

# A version "in consensus" is seen by curators, admins and the facilitators of the process building it; for everyone
# else it does not exist (404, so that drafts are not discoverable).
DRAFT_VISIBLE = (404, 404, 404, 200, 404, 200, 200)
DRAFT_URLS = {
    "web:version-detail": lambda w: {"slug": w.public_set.slug, "version": w.process_a.draft_version.version},
    "web:version-diff": lambda w: {"slug": w.public_set.slug, "a": "1.1.0", "b": w.process_a.draft_version.version},
    "api:version-detail": lambda w: {"slug": w.public_set.slug, "version": w.process_a.draft_version.version},
    "api:version-diff": lambda w: {"slug": w.public_set.slug, "a": "1.1.0", "b": w.process_a.draft_version.version},
}


@pytest.mark.parametrize("name", sorted(DRAFT_URLS))
def test_the_draft_process_a_builds_is_seen_only_by_its_facilitators_curators_and_admins(world, clients, name):
    url = reverse(name, kwargs=DRAFT_URLS[name](world))
    problems = []
    for role, expected in _row(DRAFT_VISIBLE).items():
        response = _call(clients[role], "get", url)
        if not _matches(response, expected):
            problems.append(f"GET {url} as {role}: expected {expected}, got {_shown(response)}")
    assert not problems, "\n".join(problems)


def test_a_consensus_result_is_published_only_through_its_process_never_from_the_version_page(world, clients):
    """The one publisher of a consensus result: a facilitator of the process (admins count), through the process
    once finalised (facilitator:publish, api:consensus-publish). Curators and admins who post the version page's
    publish form for the version a process builds get the refusal naming the process, and nothing changes."""
    draft = world.process_a.draft_version
    url = reverse("web:version-publish", args=[draft.core_outcome_set.slug, draft.version])
    before = _fingerprint()
    for role in ("curator", "admin"):
        response = _call(clients[role], "post", url, data={"number": ""})
        assert response.status_code == 400, role
        assert f"the consensus process “{world.process_a.title}”" in response.content.decode(), role
    assert _fingerprint() == before


def test_a_published_process_report_is_public_and_shows_aggregates_only(world, clients):
    from outcomes.models import ConsensusProcess

    ConsensusProcess.objects.filter(pk=world.process_a.pk).update(status=ConsensusProcess.Status.PUBLISHED)
    url = reverse("facilitator:report", args=[world.process_a.pk])
    problems = []
    for role in ROLES:
        response = _call(clients[role], "get", url)
        if response.status_code != 200:
            problems.append(f"GET {url} as {role}: expected 200, got {_shown(response)}")
        if leaked := _leaks(world, role, response):
            problems.append(f"GET {url} as {role} shows {leaked}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("name", "public"),
    [
        ("facilitator:results-csv", True),
        ("facilitator:report-csv", True),
        ("api:consensus-results", True),
        ("api:consensus-results-csv", True),
        ("api:consensus-report", True),
        ("api:consensus-report-csv", True),
        ("facilitator:ratings-csv", False),
        ("api:consensus-ratings", False),
        ("api:consensus-ratings-csv", False),
    ],
)
def test_once_published_the_results_and_report_downloads_are_public_and_the_ratings_stay_with_facilitators(
    world, clients, name, public
):
    from outcomes.models import ConsensusProcess

    ConsensusProcess.objects.filter(pk=world.process_a.pk).update(status=ConsensusProcess.Status.PUBLISHED)
    url = reverse(name, args=[world.process_a.pk])
    problems = []
    for role in ROLES:
        response = _call(clients[role], "get", url)
        allowed = public or role in ("facilitator_a", "admin")
        if (response.status_code == 200) != allowed:
            expected = "200" if allowed else "a refusal"
            problems.append(f"GET {url} as {role}: expected {expected}, got {_shown(response)}")
        if leaked := _leaks(world, role, response):
            problems.append(f"GET {url} as {role} shows {leaked}")
    assert not problems, "\n".join(problems)


def test_facilitator_b_reads_nothing_of_process_a_on_the_pages_of_their_own_process(world, clients):
    """The pages that name a process, opened by facilitator B on process B: B's data only, none of A's panelists."""
    own = {
        "pk": world.process_b.pk,
        "process_id": world.process_b.pk,
        "group_id": world.process_b.groups.first().pk,
        "item_id": world.process_b.items.first().pk,
        "panelist_id": world.panelist_b.panelist.pk,
        "number": 1,
        "action": "close",
    }
    problems = []
    walked = []
    for route in _site_routes():
        if not route.name.startswith(("facilitator:", "audit:", "api:consensus-")) or not route.params:
            continue
        kwargs = url_kwargs(route.name, route.params, world, URL_OVERRIDES) | {
            param: own[param] for param in route.params if param in own
        }
        if route.name.startswith("api:consensus-round"):
            kwargs["pk"] = world.round_b.pk
        url = reverse(route.name, kwargs=kwargs)
        response = _call(clients["facilitator_b"], "get", url)
        walked.append(response.status_code)
        if response.status_code >= 500:
            problems.append(f"GET {url} as facilitator_b: {response.status_code}")
        if leaked := _leaks(world, "facilitator_b", response):
            problems.append(f"GET {url} as facilitator_b shows {leaked}")
    assert walked.count(200) >= 10, walked  # B's dashboard, items, panelists, results, CSVs, audit log... open
    assert not problems, "\n".join(problems)


# --- Objects of another process, named in a request to one's own ------------------------------------------------


def test_facilitator_a_cannot_act_on_process_bs_objects_through_process_as_addresses(world, clients):
    """The ids in the address or the form must belong to the process the facilitator runs: 404, nothing changes."""
    a, b = world.process_a.pk, world.process_b
    suggestion_b = b.rounds.get(number=1).suggestions.first()
    requests = [
        (reverse("facilitator:group-delete", args=[a, b.groups.first().pk]), {}),
        (reverse("facilitator:group-edit", args=[a, b.groups.first().pk]), {"name": "Taken over"}),
        (reverse("facilitator:item-edit", args=[a, b.items.first().pk]), {"name": "Taken over"}),
        (reverse("facilitator:panelist-action", args=[a, world.panelist_b.panelist.pk, "revoke"]), {}),
        (
            reverse("facilitator:suggestions", args=[a]),
            {"suggestion": suggestion_b.pk, f"s{suggestion_b.pk}-decision": "rejected"},
        ),
    ]
    before = _fingerprint()
    for url, data in requests:
        response = _call(clients["facilitator_a"], "post", url, data=data)
        assert response.status_code == 404, url
    assert _fingerprint() == before


def test_panelist_a_cannot_rate_process_bs_items_or_join_process_bs_group(world):
    client = api_client(world, "panelist_a")
    item_b = world.round_b.round_items.first().item_id
    before = _fingerprint()
    rated = _call(
        client,
        "put",
        reverse("api:panel-round", args=[2]),
        data={"ratings": [{"item_id": item_b, "score": 9, "comment": "cross-process"}], "complete": False},
        format="json",
    )
    joined = _call(
        client,
        "post",
        reverse("api:panel-consent"),
        data={"consent": True, "group_id": world.process_b.groups.first().pk},
        format="json",
    )
    assert rated.status_code == 400
    assert joined.status_code == 400 and "group_id" in joined.content.decode()
    assert _fingerprint() == before
