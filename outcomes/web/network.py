"""The data network on the website: the feasibility runner's download (public) and the curators' pages that
register data sources and issue their upload tokens (docs/network.md)."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.views.decorators.http import require_GET

from outcomes.feasibility import cos_feasibility
from outcomes.models import DataSource, FeasibilityReport
from outcomes.permissions import is_curator
from outcomes.services.network import data_source_create, data_source_token_rotate
from outcomes.web.forms import form_add_service_errors

RUNNER_PATH = Path(cos_feasibility.__file__)


class DataSourceForm(forms.ModelForm):
    class Meta:
        model = DataSource
        fields = ["name", "country", "cdm_version", "contact", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


@require_GET
def feasibility_runner(request: HttpRequest) -> FileResponse:
    """The runner a data partner downloads: one Python file, needing only psycopg2."""
    response = FileResponse(RUNNER_PATH.open("rb"), as_attachment=True, filename="cos_feasibility.py")
    response["Content-Type"] = "text/x-python; charset=utf-8"
    return response


def _curator_only(request: HttpRequest) -> None:
    if not is_curator(request.user):
        raise PermissionDenied("Curators register data sources.")


@login_required
def data_source_list(request: HttpRequest) -> HttpResponse:
    _curator_only(request)
    form = DataSourceForm(request.POST or None)
    context: dict = {"form": form}
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                created, token = data_source_create(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                # Rendered, not redirected: the token exists only in this response.
                context.update(created=created, token=token, form=DataSourceForm())
                status = 201
    context["sources"] = DataSource.objects.annotate(report_count=Count("reports")).order_by("name")
    return render(request, "network/data_sources.html", context, status=status)


@login_required
def data_source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _curator_only(request)
    source = get_object_or_404(DataSource, pk=pk)
    token = data_source_token_rotate(data_source=source, by=request.user) if request.method == "POST" else None
    reports = FeasibilityReport.objects.filter(data_source=source).select_related("version__core_outcome_set")
    return render(request, "network/data_source.html", {"source": source, "token": token, "reports": reports})


app_name = "network"

urlpatterns = [
    path("network/data-sources/", data_source_list, name="data-sources"),
    path("network/data-sources/<int:pk>/", data_source_detail, name="data-source"),
]
