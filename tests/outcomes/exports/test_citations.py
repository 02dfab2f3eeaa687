"""Citations of a version, each parsed by the library reference managers and citation tools rely on.

Schemas vendored in tests/outcomes/exports/schemas/ (see README there for their sources)."""

from __future__ import annotations

import json
from pathlib import Path

import bibtexparser
import jsonschema
import pytest
import rispy
import yaml
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from django.conf import settings

from outcomes.exports.bibtex import version_bibtex
from outcomes.exports.cff import version_cff
from outcomes.exports.citation import Author, authors_from_developers
from outcomes.exports.csl import version_csl
from outcomes.exports.datacite import datacite_metadata
from outcomes.exports.ris import version_ris
from tests.outcomes.exports.conftest import load

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).parent / "schemas"
HF_URL = f"{settings.SITE_URL}/sets/ichom-heart-failure/v/1.0.0/"
ICHOM = "International Consortium for Health Outcomes Measurement (ICHOM)"


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text())


@pytest.fixture
def hf(reference_data):
    return load("ichom-heart-failure", "1.0.0")


@pytest.fixture
def people(hf):
    """The heart-failure version as if its developers were people written the Vancouver way, with a DOI."""
    hf.core_outcome_set.developers = "Williamson PR, Altman DG; O'Brien-Smith K"
    hf.doi = "10.5555/cos.hf.1"
    return hf


# -------------------------------------------------------------------------------------------------- authors


def test_an_organisation_with_a_comma_in_its_name_stays_one_literal_author():
    assert authors_from_developers("HARMONY Alliance, Work Package 2") == (
        Author(literal="HARMONY Alliance, Work Package 2"),
    )


def test_vancouver_style_people_separated_by_commas_are_split_into_family_and_initials():
    assert authors_from_developers("Williamson PR, Altman DG") == (
        Author(family="Williamson", given="P. R."),
        Author(family="Altman", given="D. G."),
    )


def test_semicolons_separate_developers_of_any_kind():
    authors = authors_from_developers("ROADMAP consortium (IMI2); Smith J")
    assert authors == (Author(literal="ROADMAP consortium (IMI2)"), Author(family="Smith", given="J."))


def test_a_set_without_developers_is_credited_to_the_registry():
    assert authors_from_developers("  ") == (Author(literal="COS Registry"),)


# -------------------------------------------------------------------------------------------------- BibTeX


def test_bibtex_parses_with_an_organisation_kept_whole(hf):
    library = bibtexparser.parse_string(version_bibtex(hf))
    assert not library.failed_blocks
    (entry,) = library.entries
    assert entry.entry_type == "misc" and entry.key == "ichom-heart-failure-1-0-0"
    assert entry["author"] == "{" + ICHOM + "}"
    assert entry["title"] == "{ICHOM Standard Set for heart failure, version 1.0.0}"
    assert entry["version"] == "1.0.0" and entry["year"] == "2020" and entry["url"] == HF_URL
    assert "doi" not in entry.fields_dict  # no DOI minted yet
    assert "Original publication: Burns DJP" in entry["note"] and "doi:10.1016/j.jchf.2019.09.007" in entry["note"]


def test_bibtex_names_people_as_family_comma_given_and_carries_the_doi(people):
    library = bibtexparser.parse_string(version_bibtex(people))
    (entry,) = library.entries
    assert entry["author"] == r"Williamson, P. R. and Altman, D. G. and O'Brien-Smith, K."
    assert entry["doi"] == "10.5555/cos.hf.1"


def test_bibtex_escapes_characters_that_latex_would_read(people):
    people.core_outcome_set.title = "Pain & function: 100% {set}_x"
    library = bibtexparser.parse_string(version_bibtex(people))
    (entry,) = library.entries
    assert entry["title"] == r"{Pain \& function: 100\% \{set\}\_x, version 1.0.0}"


# ----------------------------------------------------------------------------------------------------- RIS


def test_ris_parses_as_one_dataset_record(hf):
    (record,) = rispy.loads(version_ris(hf))
    assert record["type_of_reference"] == "DATA"
    assert record["authors"] == [ICHOM]
    assert record["title"] == "ICHOM Standard Set for heart failure, version 1.0.0"
    assert record["edition"] == "1.0.0" and record["year"] == "2020" and record["urls"] == [HF_URL]
    assert "core outcome set" in record["keywords"]
    assert "Original publication" in record["notes"][0]
    assert "doi" not in record


def test_ris_carries_people_and_the_doi(people):
    (record,) = rispy.loads(version_ris(people))
    assert record["authors"] == ["Williamson, P. R.", "Altman, D. G.", "O'Brien-Smith, K."]
    assert record["doi"] == "10.5555/cos.hf.1"


# ------------------------------------------------------------------------------------------------ CSL-JSON


def _render_harvard(items: list[dict]) -> str:
    source = CiteProcJSON(items)
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    bibliography.register(Citation([CitationItem(items[0]["id"])]))
    return str(bibliography.bibliography()[0])


def test_csl_json_renders_in_the_bundled_harvard_cite_them_right_style_with_the_organisation_as_written(hf):
    items = version_csl(hf)
    assert items[0]["type"] == "dataset" and items[0]["author"] == [{"literal": ICHOM}]
    text = _render_harvard(items)
    assert text.startswith(ICHOM)
    assert "2020" in text and "ICHOM Standard Set for heart failure, version 1.0.0" in text and HF_URL in text


def test_csl_json_renders_people_by_family_name_and_carries_the_doi(people):
    items = version_csl(people)
    assert items[0]["DOI"] == "10.5555/cos.hf.1"
    assert items[0]["author"][0] == {"family": "Williamson", "given": "P. R."}
    assert _render_harvard(items).startswith("Williamson, P.R.")


# ------------------------------------------------------------------------------------------- CITATION.cff


def test_citation_cff_validates_against_the_cff_1_2_0_schema_for_every_shipped_version(all_reference_versions):
    schema = _schema("citation-file-format-1.2.0.schema.json")
    for version in all_reference_versions:
        if version.is_frozen:
            jsonschema.validate(yaml.safe_load(version_cff(version)), schema)


def test_citation_cff_names_organisations_as_entities_and_the_original_publication(hf):
    document = yaml.safe_load(version_cff(hf))
    assert document["authors"] == [{"name": ICHOM}]
    assert document["type"] == "dataset" and document["version"] == "1.0.0" and document["url"] == HF_URL
    assert "date-released" not in document  # published 2020, known only to the year
    assert {"type": "doi", "value": "10.1016/j.jchf.2019.09.007"}.items() <= document["identifiers"][1].items()
    assert "doi" not in document


def test_citation_cff_with_people_and_a_doi_validates(people):
    document = yaml.safe_load(version_cff(people))
    jsonschema.validate(document, _schema("citation-file-format-1.2.0.schema.json"))
    assert document["doi"] == "10.5555/cos.hf.1"
    assert document["authors"][0] == {"family-names": "Williamson", "given-names": "P. R."}


def test_a_citation_cff_that_breaks_the_schema_is_caught(hf):
    document = yaml.safe_load(version_cff(hf))
    document["authors"] = [{"nickname": "x"}]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, _schema("citation-file-format-1.2.0.schema.json"))


# ------------------------------------------------------------------------------------------------ DataCite


def test_datacite_metadata_validates_against_kernel_4_for_every_shipped_version(all_reference_versions):
    schema = _schema("datacite-4.3.schema.json")
    for version in all_reference_versions:
        if version.is_frozen:
            jsonschema.validate(datacite_metadata(version), schema)


def test_datacite_metadata_names_the_url_until_a_doi_is_minted_then_the_doi(hf):
    before = datacite_metadata(hf)
    assert before["identifiers"] == [{"identifier": HF_URL, "identifierType": "URL"}]
    assert before["creators"] == [{"name": ICHOM, "nameType": "Organizational"}]
    assert before["publicationYear"] == "2020" and before["types"]["resourceTypeGeneral"] == "Dataset"
    assert {
        "relatedIdentifier": "10.1016/j.jchf.2019.09.007",
        "relatedIdentifierType": "DOI",
        "relationType": "IsDescribedBy",
    } in before["relatedIdentifiers"]
    hf.doi = "10.5555/cos.hf.1"
    after = datacite_metadata(hf)
    assert after["identifiers"] == [{"identifier": "10.5555/cos.hf.1", "identifierType": "DOI"}]
    jsonschema.validate(after, _schema("datacite-4.3.schema.json"))


def test_datacite_links_a_version_to_its_predecessor_and_successor(reference_data):
    old = datacite_metadata(load("localised-prostate-cancer-compacters", "1.0.0"))
    new = datacite_metadata(load("localised-prostate-cancer-compacters", "1.1.0"))
    assert any(r["relationType"] == "IsPreviousVersionOf" and r["relatedIdentifier"].endswith("/v/1.1.0/")
               for r in old["relatedIdentifiers"])  # fmt: skip
    assert any(r["relationType"] == "IsNewVersionOf" and r["relatedIdentifier"].endswith("/v/1.0.0/")
               for r in new["relatedIdentifiers"])  # fmt: skip
