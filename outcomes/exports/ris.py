"""RIS of a version (the tagged format of EndNote, Zotero, Mendeley, RefWorks): one DATA (dataset) record.

A person is `AU  - Family, Given`; an organisation is its name as written, with no comma added, which reference
managers keep as a single-field (institutional) name."""

from __future__ import annotations

from outcomes.exports.citation import CitationRecord, citation_record
from outcomes.models import CoreOutcomeSetVersion


def _line(tag: str, value: str) -> str:
    return f"{tag}  - {' '.join(str(value).split())}"


def ris_record(record: CitationRecord) -> str:
    lines = [_line("TY", "DATA"), _line("ID", record.key)]
    lines += [_line("AU", author.display) for author in record.authors]
    lines += [_line("TI", record.title), _line("ET", record.version), _line("PB", record.publisher)]
    if record.year:
        lines.append(_line("PY", str(record.year)))
    if record.date_parts:
        parts = [f"{part:02d}" if k else str(part) for k, part in enumerate(record.date_parts)]
        lines.append(_line("DA", "/".join(parts + [""] * (3 - len(parts)))))
    if record.doi:
        lines.append(_line("DO", record.doi))
    lines.append(_line("UR", record.url))
    lines.append(_line("AB", record.abstract))
    lines += [_line("KW", keyword) for keyword in record.keywords]
    lines.append(_line("N1", record.note))
    lines.append("ER  - ")
    # RIS lines end with CRLF; a blank line after ER ends the file.
    return "\r\n".join(lines) + "\r\n"


def version_ris(version: CoreOutcomeSetVersion) -> str:
    return ris_record(citation_record(version))


def version_ris_bytes(version: CoreOutcomeSetVersion) -> bytes:
    return version_ris(version).encode()
