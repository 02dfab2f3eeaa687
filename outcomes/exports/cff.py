"""CITATION.cff of a version (Citation File Format 1.2.0, type `dataset`), valid against the format's schema.

Persons are `family-names`/`given-names`, organisations are entities (`name`). The original publication's DOI or
PMID is listed under `identifiers` with its citation as the description, rather than as a structured reference:
the registry does not hold that article's authors as structured names, and CFF requires them in a reference."""

from __future__ import annotations

import yaml

from outcomes.exports.citation import CitationRecord, citation_record
from outcomes.models import CoreOutcomeSetVersion

CFF_VERSION = "1.2.0"


def cff_document(record: CitationRecord) -> dict:
    document: dict = {
        "cff-version": CFF_VERSION,
        "message": "If you use this core outcome set, please cite this version as below.",
        "type": "dataset",
        "title": record.title,
        "version": record.version,
        "authors": [
            {"family-names": a.family, "given-names": a.given} if a.is_person else {"name": a.literal}
            for a in record.authors
        ],
        "url": record.url,
        "abstract": record.abstract,
        "keywords": list(record.keywords),
    }
    if record.published and record.precision == "day":  # a year-only date would be a made-up day
        document["date-released"] = record.published.isoformat()
    if record.doi:
        document["doi"] = record.doi
    identifiers = [{"type": "url", "value": record.url, "description": "The permanent page of this version."}]
    for ref in record.related:
        description = f"Original publication: {ref.citation}"
        if ref.doi:
            identifiers.append({"type": "doi", "value": ref.doi, "description": description})
        elif ref.pmid:
            identifiers.append(
                {"type": "url", "value": f"https://pubmed.ncbi.nlm.nih.gov/{ref.pmid}/", "description": description}
            )
        elif ref.url:
            identifiers.append({"type": "url", "value": ref.url, "description": description})
    document["identifiers"] = identifiers
    return document


def version_cff(version: CoreOutcomeSetVersion) -> str:
    return yaml.safe_dump(cff_document(citation_record(version)), sort_keys=False, allow_unicode=True, width=120)


def version_cff_bytes(version: CoreOutcomeSetVersion) -> bytes:
    return version_cff(version).encode()
