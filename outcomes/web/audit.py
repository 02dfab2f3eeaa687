"""The audit log pages: the whole log for admins, one process's log for its facilitators.

Mounted from cos_registry/urls.py: /audit/ (audit:log) and /facilitate/<process_id>/audit/ (audit:process-log).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path

from outcomes import selectors
from outcomes.models import ConsensusProcess
from outcomes.permissions import is_admin, is_facilitator

app_name = "audit"

PAGE_SIZE = 50


def _page(request: HttpRequest, events):
    return Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not is_admin(request.user):
        raise PermissionDenied("Only administrators may read the whole audit log.")
    page = _page(request, selectors.audit_event_list())
    return render(request, "audit/log.html", {"page": page, "process": None})


@login_required
def process_audit_log(request: HttpRequest, process_id: int) -> HttpResponse:
    process = get_object_or_404(ConsensusProcess.objects.select_related("core_outcome_set"), pk=process_id)
    if not is_facilitator(request.user, process):
        raise PermissionDenied("Only the facilitators of this process may read its audit log.")
    page = _page(request, selectors.audit_event_list(process=process))
    return render(request, "audit/log.html", {"page": page, "process": process})


urlpatterns = [
    path("audit/", audit_log, name="log"),
    path("facilitate/<int:process_id>/audit/", process_audit_log, name="process-log"),
]
