"""CSL-JSON of a version (Citation Style Language 1.0.2 input data, read by Zotero, Mendeley, pandoc and
citeproc): a list with one item of type `dataset`. Organisations are `literal` names."""

from __future__ import annotations

import orjson

from outcomes.exports.citation import CitationRecord, citation_record
from outcomes.models import CoreOutcomeSetVersion


def csl_item(record: CitationRecord) -> dict:
    item: dict = {
        "id": record.key,
        "type": "dataset",
        "title": record.title,
        "version": record.version,
        "author": [
            {"family": a.family, "given": a.given} if a.is_person else {"literal": a.literal} for a in record.authors
        ],
        "publisher": record.publisher,
        "URL": record.url,
        "abstract": record.abstract,
        "keyword": ", ".join(record.keywords),
        "note": record.note,
    }
    if record.date_parts:
        item["issued"] = {"date-parts": [record.date_parts]}
    if record.doi:
        item["DOI"] = record.doi
    return item


def version_csl(version: CoreOutcomeSetVersion) -> list[dict]:
    return [csl_item(citation_record(version))]


def version_csl_bytes(version: CoreOutcomeSetVersion) -> bytes:
    return orjson.dumps(version_csl(version), option=orjson.OPT_INDENT_2)
