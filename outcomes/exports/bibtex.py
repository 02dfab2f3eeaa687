"""BibTeX of a version: one @misc entry (plain BibTeX has no dataset type; `version`, `doi` and `url` are read by
BibLaTeX, Zotero, JabRef and Mendeley). Organisations are braced so that no tool splits them into "Last, First"."""

from __future__ import annotations

from outcomes.exports.citation import Author, CitationRecord, citation_record
from outcomes.models import CoreOutcomeSetVersion

# Characters with a meaning in BibTeX/LaTeX, written so they come out as themselves.
_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def bibtex_escape(text: str) -> str:
    return "".join(_ESCAPES.get(char, char) for char in " ".join(text.split()))


def _name(author: Author) -> str:
    if author.is_person:
        return f"{bibtex_escape(author.family)}, {bibtex_escape(author.given)}"
    return "{" + bibtex_escape(author.literal) + "}"


def bibtex_entry(record: CitationRecord) -> str:
    fields: list[tuple[str, str]] = [
        ("author", " and ".join(_name(a) for a in record.authors)),
        # Braced title: keeps the capitals of acronyms (ICHOM, HF) in styles that lowercase titles.
        ("title", "{" + bibtex_escape(record.title) + "}"),
        ("version", bibtex_escape(record.version)),
        ("publisher", bibtex_escape(record.publisher)),
        ("howpublished", bibtex_escape(record.publisher)),
    ]
    if record.year:
        fields.append(("year", str(record.year)))
    if record.precision != "year" and record.published:
        fields.append(("month", record.published.strftime("%b").lower()))
    if record.doi:
        fields.append(("doi", bibtex_escape(record.doi)))
    fields.append(("url", record.url))
    fields.append(("note", bibtex_escape(record.note)))
    body = ",\n".join(f"  {name} = {value}" if name == "month" else f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{record.key},\n{body}\n}}\n"


def version_bibtex(version: CoreOutcomeSetVersion) -> str:
    return bibtex_entry(citation_record(version))


def version_bibtex_bytes(version: CoreOutcomeSetVersion) -> bytes:
    return version_bibtex(version).encode()
