"""Exports of a core outcome set version: one module per format, each a pure function of a prefetched version
(outcomes.selectors.version_document_queryset) to a document. EXPORT_FORMATS maps a format name to its renderer."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from csv import writer as csv_writer  # not `import csv`: the package's csv submodule would shadow it
from dataclasses import dataclass

from django.conf import settings

from outcomes.models import CoreOutcomeSetVersion


def version_page_url(*, slug: str, version: str) -> str:
    """The canonical URL of a version: its public web page (web:version-detail, /sets/<slug>/v/<version>/)."""
    return f"{settings.SITE_URL}/sets/{slug}/v/{version}/"


def set_page_url(*, slug: str) -> str:
    return f"{settings.SITE_URL}/sets/{slug}/"


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """A CSV document as spreadsheets and REDCap read it: a header row, then the rows, CRLF line ends."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def is_draft(version: CoreOutcomeSetVersion) -> bool:
    return not version.is_frozen


@dataclass(frozen=True)
class ExportFormat:
    name: str
    media_type: str
    extension: str
    render: Callable[[CoreOutcomeSetVersion], bytes]

    def filename(self, version: CoreOutcomeSetVersion) -> str:
        draft = "-draft" if is_draft(version) else ""
        return f"{version.core_outcome_set.slug}-{version.version}{draft}.{self.name}.{self.extension}"


def _formats() -> dict[str, ExportFormat]:
    from outcomes.exports import csv, ctgov, fhir, json, redcap

    return {
        "json": ExportFormat("json", "application/json", "json", json.version_json_bytes),
        "csv": ExportFormat("csv", "text/csv; charset=utf-8", "csv", csv.version_csv_bytes),
        "fhir": ExportFormat("fhir", "application/fhir+json", "json", fhir.version_bundle_bytes),
        "redcap": ExportFormat("redcap", "text/csv; charset=utf-8", "csv", redcap.data_dictionary_bytes),
        "ctgov": ExportFormat("ctgov", "application/json", "json", ctgov.outcome_measures_bytes),
    }


EXPORT_FORMAT_NAMES = ("json", "csv", "fhir", "redcap", "ctgov")


def export_format(name: str) -> ExportFormat:
    return _formats()[name]
