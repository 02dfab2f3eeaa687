"""Exports of a core outcome set version: one module per format, each a pure function of a prefetched version
(outcomes.selectors.registry.version_document_queryset) to a document. EXPORT_FORMATS maps a format name to its
renderer."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from csv import writer as csv_writer  # not `import csv`: the package's csv submodule would shadow it
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpResponse

from outcomes.models import CoreOutcomeSetVersion


def version_page_url(*, slug: str, version: str) -> str:
    """The canonical URL of a version: its public web page (web:version-detail, /sets/<slug>/v/<version>/)."""
    return f"{settings.SITE_URL}/sets/{slug}/v/{version}/"


def set_page_url(*, slug: str) -> str:
    return f"{settings.SITE_URL}/sets/{slug}/"


def attachment(body: bytes | str, *, filename: str, content_type: str) -> HttpResponse:
    """An export served as a file to download, by the pages and the API alike."""
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# A cell starting with one of these is run as a formula by Excel, LibreOffice or Google Sheets (OWASP "CSV
# injection"): "=1+2", "+1", "-1+2", "@SUM(A1)", and a tab or carriage return before any of them.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def cell_escape(value: object) -> str:
    """The text of a CSV cell, with a leading apostrophe when a spreadsheet would otherwise read it as a formula.

    The apostrophe is what spreadsheets themselves use to mark "text, not a formula"; it stays visible in the
    cell (and in REDCap, which shows a label or note as written), which is the price of never running one.
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """A CSV document as spreadsheets and REDCap read it: a header row, then the rows, CRLF line ends.

    The one writer of every CSV the registry serves (version and REDCap exports, registry dumps, consensus
    downloads): every cell goes through cell_escape, so no caller can forget it.
    """
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\r\n")
    writer.writerow([cell_escape(cell) for cell in header])
    writer.writerows([cell_escape(cell) for cell in row] for row in rows)
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
    from outcomes.exports import atlas, csv, ctgov, fhir, json, redcap

    return {
        "json": ExportFormat("json", "application/json", "json", json.version_json_bytes),
        "csv": ExportFormat("csv", "text/csv; charset=utf-8", "csv", csv.version_csv_bytes),
        "fhir": ExportFormat("fhir", "application/fhir+json", "json", fhir.version_bundle_bytes),
        "redcap": ExportFormat("redcap", "text/csv; charset=utf-8", "csv", redcap.data_dictionary_bytes),
        "ctgov": ExportFormat("ctgov", "application/json", "json", ctgov.outcome_measures_bytes),
        "atlas": ExportFormat("atlas", "application/json", "json", atlas.version_atlas_bytes),
    }


EXPORT_FORMAT_NAMES = ("json", "csv", "fhir", "redcap", "ctgov", "atlas")


def export_format(name: str) -> ExportFormat:
    return _formats()[name]


@dataclass(frozen=True)
class CitationFormat:
    name: str
    label: str
    media_type: str
    filename_pattern: str  # {key}: outcomes.exports.citation.citation_key
    render: Callable[[CoreOutcomeSetVersion], bytes]

    def filename(self, version: CoreOutcomeSetVersion) -> str:
        from outcomes.exports.citation import citation_key

        return self.filename_pattern.format(key=citation_key(version))


def _citation_formats() -> dict[str, CitationFormat]:
    from outcomes.exports import bibtex, cff, csl, datacite, ris

    return {
        "bibtex": CitationFormat("bibtex", "BibTeX", "application/x-bibtex", "{key}.bib", bibtex.version_bibtex_bytes),
        "ris": CitationFormat("ris", "RIS", "application/x-research-info-systems", "{key}.ris", ris.version_ris_bytes),
        "csl-json": CitationFormat(
            "csl-json", "CSL-JSON", "application/vnd.citationstyles.csl+json", "{key}.csl.json", csl.version_csl_bytes
        ),
        "cff": CitationFormat("cff", "CITATION.cff", "application/yaml", "CITATION.cff", cff.version_cff_bytes),
        "datacite": CitationFormat(
            "datacite",
            "DataCite JSON",
            "application/vnd.datacite.datacite+json",
            "{key}.datacite.json",
            datacite.version_datacite_bytes,
        ),
    }


CITATION_FORMAT_NAMES = ("bibtex", "ris", "csl-json", "cff", "datacite")


def citation_format(name: str) -> CitationFormat:
    return _citation_formats()[name]
