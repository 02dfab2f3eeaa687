"""What every citation format says about a version: its authors, title, version, permanent URL, year, DOI and the
original publication. The format modules (bibtex, ris, csl, cff, datacite) render this one record, so they agree.

Authors are the set's developers, a free-text field. Most sets are made by organisations ("International
Consortium for Health Outcomes Measurement (ICHOM)", "HARMONY Alliance, Work Package 2"), so a developer is a
*literal* (corporate) name unless it is unmistakably a person written the Vancouver way ("Williamson PR"): a
family name, a space, one to three capital initials. Parts are separated by semicolons; a comma separates parts
only when every comma-separated part is such a person ("Williamson PR, Altman DG"), because in an organisation's
name a comma belongs to the name. A name that is not unmistakably a person is never split into "Last, First".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.http import HttpResponse

from outcomes.exports import version_page_url
from outcomes.models import CoreOutcomeSetVersion

PUBLISHER = "COS Registry"
# "Williamson PR", "O'Brien K", "Smith-Jones AB", "van der Berg J": family name (words), then 1-3 initials.
VANCOUVER_PERSON_RE = re.compile(r"^(?P<family>[^\W\d_][\w'\-]*(?: [^\W\d_][\w'\-]*)*) (?P<initials>[A-Z]{1,3})$")


@dataclass(frozen=True)
class Author:
    """A person (family and given names) or an organisation (a literal name, `family` empty)."""

    literal: str = ""
    family: str = ""
    given: str = ""

    @property
    def is_person(self) -> bool:
        return bool(self.family)

    @property
    def display(self) -> str:
        return f"{self.family}, {self.given}" if self.is_person else self.literal


@dataclass(frozen=True)
class RelatedReference:
    """The set's publication in the literature, as the registry records it."""

    citation: str
    doi: str
    pmid: str
    url: str


@dataclass(frozen=True)
class CitationRecord:
    key: str
    title: str
    set_title: str
    version: str
    status: str
    status_label: str
    url: str
    doi: str
    year: int | None
    published: date | None
    precision: str  # of `published`: "year", "month" or "day"
    authors: tuple[Author, ...]
    related: tuple[RelatedReference, ...]
    abstract: str
    keywords: tuple[str, ...]
    publisher: str = PUBLISHER

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""

    @property
    def date_parts(self) -> list[int]:
        """The publication date to its known precision: [year], [year, month] or [year, month, day]."""
        if self.published is None:
            return []
        parts = [self.published.year, self.published.month, self.published.day]
        return parts[: {"year": 1, "month": 2}.get(self.precision, 3)]

    @property
    def note(self) -> str:
        """Status, and the original publication (formats without a related-item field carry it here)."""
        parts = [f"Version {self.version} ({self.status_label.lower()}) of a core outcome set in the {PUBLISHER}."]
        for ref in self.related:
            ids = [f"doi:{ref.doi}" if ref.doi else "", f"PMID: {ref.pmid}" if ref.pmid else ""]
            ids_text = "; ".join(part for part in ids if part)
            parts.append(f"Original publication: {ref.citation}" + (f" ({ids_text})" if ids_text else ""))
        return " ".join(part.rstrip(".") + "." for part in parts)


def _initials(letters: str) -> str:
    return " ".join(f"{letter}." for letter in letters)


def _author(text: str) -> Author:
    match = VANCOUVER_PERSON_RE.match(text)
    if match:
        return Author(family=match["family"], given=_initials(match["initials"]))
    return Author(literal=text)


def authors_from_developers(developers: str) -> tuple[Author, ...]:
    """The developers field as authors (see the module docstring for the rule); the registry when it is empty."""
    authors: list[Author] = []
    for part in (p.strip() for p in (developers or "").split(";")):
        if not part:
            continue
        pieces = [piece.strip() for piece in part.split(",")]
        if len(pieces) > 1 and all(VANCOUVER_PERSON_RE.match(piece) for piece in pieces if piece):
            authors.extend(_author(piece) for piece in pieces if piece)
        else:
            authors.append(_author(part))
    return tuple(authors) or (Author(literal=PUBLISHER),)


def citation_key(version: CoreOutcomeSetVersion) -> str:
    """A BibTeX/RIS/CSL id: the slug and version, ASCII letters, digits and dashes only."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", f"{version.core_outcome_set.slug}-{version.version}").strip("-")


def citation_record(version: CoreOutcomeSetVersion) -> CitationRecord:
    """The citation of a prefetched version (selectors.version_document_queryset)."""
    cos = version.core_outcome_set
    # The year the version was published in the literature; else the year it was published in this registry.
    published = version.published_on or (version.published_at.date() if version.published_at else None)
    related = tuple(
        RelatedReference(citation=ref.citation, doi=ref.doi, pmid=ref.pmid, url=ref.url)
        for ref in version.references.all()
    )
    scope = "; ".join(part for part in (cos.scope_population, cos.scope_intervention, cos.scope_setting) if part)
    return CitationRecord(
        key=citation_key(version),
        title=f"{cos.title}, version {version.version}",
        set_title=cos.title,
        version=version.version,
        status=version.status,
        status_label=version.get_status_display(),
        url=version_page_url(slug=cos.slug, version=version.version),
        doi=version.doi,
        year=published.year if published else None,
        published=published,
        precision=version.published_on_precision if version.published_on else "day",
        authors=authors_from_developers(cos.developers),
        related=related,
        abstract=f"Core outcome set. Scope: {scope}." if scope else "Core outcome set.",
        keywords=("core outcome set", *(c.name for c in cos.conditions.all())),
    )


def cite_as_url(version: CoreOutcomeSetVersion) -> str:
    """The identifier to cite (RFC 8574 `cite-as`): the DOI when one was minted, else the permanent page."""
    if version.doi:
        return f"https://doi.org/{version.doi}"
    return version_page_url(slug=version.core_outcome_set.slug, version=version.version)


def add_cite_as(response: HttpResponse, version: CoreOutcomeSetVersion) -> HttpResponse:
    if version.is_frozen:
        response["Link"] = f'<{cite_as_url(version)}>; rel="cite-as"'
    return response
