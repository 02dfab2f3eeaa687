"""DataCite metadata (kernel 4, the JSON form of schema 4.3) of a version: what the hosting organisation sends to
DataCite to mint the version's DOI. Without a DOI the identifier is the version's permanent URL; related
identifiers name the original publication (DOI or PMID), the set's page, and the neighbouring versions."""

from __future__ import annotations

import orjson

from outcomes.exports import set_page_url, version_page_url
from outcomes.exports.citation import CitationRecord, citation_record
from outcomes.models import CoreOutcomeSetVersion

SCHEMA_VERSION = "http://datacite.org/schema/kernel-4"


def _creator(author) -> dict:
    if author.is_person:
        return {
            "name": f"{author.family}, {author.given}",
            "nameType": "Personal",
            "familyName": author.family,
            "givenName": author.given,
        }
    return {"name": author.literal, "nameType": "Organizational"}


def _related(version: CoreOutcomeSetVersion, record: CitationRecord) -> list[dict]:
    related = []
    for ref in record.related:
        if ref.doi:
            related.append(
                {"relatedIdentifier": ref.doi, "relatedIdentifierType": "DOI", "relationType": "IsDescribedBy"}
            )
        elif ref.pmid:
            related.append(
                {"relatedIdentifier": ref.pmid, "relatedIdentifierType": "PMID", "relationType": "IsDescribedBy"}
            )
    slug = version.core_outcome_set.slug
    related.append(
        {"relatedIdentifier": set_page_url(slug=slug), "relatedIdentifierType": "URL", "relationType": "IsVersionOf"}
    )
    if version.derived_from_id:
        related.append(
            {
                "relatedIdentifier": version_page_url(slug=slug, version=version.derived_from.version),
                "relatedIdentifierType": "URL",
                "relationType": "IsNewVersionOf",
            }
        )
    for successor in getattr(version, "public_successors", []):
        related.append(
            {
                "relatedIdentifier": version_page_url(slug=slug, version=successor.version),
                "relatedIdentifierType": "URL",
                "relationType": "IsPreviousVersionOf",
            }
        )
    return related


def datacite_metadata(version: CoreOutcomeSetVersion) -> dict:
    record = citation_record(version)
    identifier = (
        {"identifier": record.doi, "identifierType": "DOI"}
        if record.doi
        else {"identifier": record.url, "identifierType": "URL"}
    )
    metadata: dict = {
        "identifiers": [identifier],
        "creators": [_creator(author) for author in record.authors],
        "titles": [{"title": record.title}],
        "publisher": record.publisher,
        "types": {"resourceTypeGeneral": "Dataset", "resourceType": "Core outcome set"},
        "version": record.version,
        "subjects": [{"subject": keyword} for keyword in record.keywords],
        "descriptions": [
            {"description": record.abstract, "descriptionType": "Abstract"},
            {"description": record.note, "descriptionType": "Other"},
        ],
        "relatedIdentifiers": _related(version, record),
        "schemaVersion": SCHEMA_VERSION,
    }
    if record.year:
        metadata["publicationYear"] = str(record.year)
    if record.published and record.precision == "day":
        metadata["dates"] = [{"date": record.published.isoformat(), "dateType": "Issued"}]
    if record.doi:
        metadata["alternateIdentifiers"] = [{"alternateIdentifier": record.url, "alternateIdentifierType": "URL"}]
    return metadata


def version_datacite_bytes(version: CoreOutcomeSetVersion) -> bytes:
    return orjson.dumps(datacite_metadata(version), option=orjson.OPT_INDENT_2)
