"""Loading an Athena download (a SYNTHETIC one: tests/outcomes/omop_vocabulary_synthetic) and resolving codes."""

from __future__ import annotations

import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from outcomes.models import OmopConcept, OmopConceptAncestor, OmopConceptRelationship, OmopVocabulary
from outcomes.services.mapping import mapping_propose
from outcomes.services.omop_vocabulary import concept_descendants, concept_resolve, vocabulary_loaded
from tests.factories import OutcomeFactory
from tests.outcomes.omop import (
    SYNTHETIC_ICD10,
    SYNTHETIC_LOINC,
    SYNTHETIC_SNOMED,
    SYNTHETIC_SNOMED_NONSTANDARD,
    SYNTHETIC_VOCABULARY,
    item,
    load_synthetic_vocabulary,
)

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int, int, int]:
    return (
        OmopVocabulary.objects.count(),
        OmopConcept.objects.count(),
        OmopConceptRelationship.objects.count(),
        OmopConceptAncestor.objects.count(),
    )


@pytest.fixture
def download(tmp_path):
    target = tmp_path / "athena"
    shutil.copytree(SYNTHETIC_VOCABULARY, target)
    return target


def test_the_command_loads_all_four_files_and_shows_progress(download):
    out = StringIO()
    call_command("load_omop_vocabulary", str(download), stdout=out)
    assert _counts() == (3, 6, 4, 5)
    text = out.getvalue()
    assert "CONCEPT.csv: loading" in text and "CONCEPT.csv: 6 rows loaded" in text and "OMOP vocabulary loaded" in text
    concept = OmopConcept.objects.get(concept_id=2000000003)
    assert concept.concept_name == 'Synthetic heart condition, acute "type B"'  # a quote in a name is data
    assert concept.valid_start_date.isoformat() == "1970-01-01" and concept.invalid_reason == ""
    assert OmopConcept.objects.get(concept_id=2000000010).standard_concept == ""
    assert OmopVocabulary.objects.get(vocabulary_id="SNOMED").loaded_at is not None


def test_loading_again_updates_and_never_duplicates(download):
    call_command("load_omop_vocabulary", str(download), stdout=StringIO())
    concept = download / "CONCEPT.csv"
    concept.write_text(concept.read_text().replace("Synthetic orphan finding", "Synthetic orphan finding, renamed"))
    call_command("load_omop_vocabulary", str(download), stdout=StringIO())
    assert _counts() == (3, 6, 4, 5)
    assert OmopConcept.objects.get(concept_id=2000000004).concept_name == "Synthetic orphan finding, renamed"


def _refusal(download) -> str:
    with pytest.raises(CommandError) as excinfo:
        call_command("load_omop_vocabulary", str(download), stdout=StringIO())
    message = str(excinfo.value)
    assert "\n" not in message
    return message


def test_a_malformed_line_is_named_by_file_and_line_and_nothing_is_loaded(download):
    relationships = download / "CONCEPT_RELATIONSHIP.csv"
    lines = relationships.read_text().splitlines()
    lines[3] = lines[3].replace("19700101", "1970-01-01", 1)
    relationships.write_text("\n".join(lines) + "\n")
    message = _refusal(download)
    assert message.startswith("CONCEPT_RELATIONSHIP.csv line 4:")
    assert _counts() == (0, 0, 0, 0)  # VOCABULARY and CONCEPT, loaded before, are rolled back too


def test_a_line_with_a_missing_field_is_named(download):
    concept = download / "CONCEPT.csv"
    lines = concept.read_text().splitlines()
    lines[2] = "\t".join(lines[2].split("\t")[:-2])
    concept.write_text("\n".join(lines) + "\n")
    assert _refusal(download).startswith("CONCEPT.csv line 3:")
    assert _counts() == (0, 0, 0, 0)


def test_a_concept_id_that_is_not_a_number_is_named(download):
    concept = download / "CONCEPT.csv"
    concept.write_text(concept.read_text().replace("2000000002\t", "2000000002x\t", 1))
    assert _refusal(download).startswith("CONCEPT.csv line 3:")


def test_a_missing_file_is_named_before_anything_is_loaded(download):
    (download / "CONCEPT_ANCESTOR.csv").unlink()
    assert _refusal(download) == f"CONCEPT_ANCESTOR.csv: missing from {download}."
    assert _counts() == (0, 0, 0, 0)


def test_wrong_columns_are_named(download):
    vocabulary = download / "VOCABULARY.csv"
    vocabulary.write_text(vocabulary.read_text().replace("vocabulary_version", "version", 1))
    message = _refusal(download)
    assert message.startswith("VOCABULARY.csv line 1: wrong columns")
    assert "missing vocabulary_version" in message and "unknown version" in message


def test_a_directory_that_does_not_exist_is_refused(tmp_path):
    assert "not a directory" in _refusal(tmp_path / "nowhere")


# --- resolution ------------------------------------------------------------------------------------------------


def test_a_source_code_resolves_to_its_standard_concept_through_maps_to(db):
    load_synthetic_vocabulary()
    assert vocabulary_loaded()
    found = concept_resolve("ICD10", SYNTHETIC_ICD10)
    assert (found.source.concept_id, found.standard.concept_id) == (2000000010, 2000000001)
    standard = concept_resolve("SNOMED", SYNTHETIC_SNOMED)
    assert standard.source == standard.standard
    assert concept_resolve("SNOMED", SYNTHETIC_SNOMED_NONSTANDARD).standard is None
    assert concept_resolve("SNOMED", "84114007") is None  # not in the synthetic vocabulary
    assert concept_resolve("OMOP", "2000000020").source.vocabulary_id == "LOINC"


def test_descendants_are_listed_nearest_first_without_the_concept_itself(db):
    load_synthetic_vocabulary()
    descendants, total = concept_descendants(2000000001)
    assert total == 2 and [c.concept_id for c in descendants] == [2000000002, 2000000003]
    assert concept_descendants(2000000001, limit=1)[1] == 2


def test_with_a_vocabulary_a_proposal_gets_standard_ids_and_warnings_for_disagreements(reference_data, curator):
    load_synthetic_vocabulary()
    outcome = OutcomeFactory()
    proposal = mapping_propose(
        outcome=outcome,
        items=[
            item("ICD10", SYNTHETIC_ICD10, name="Synthetic heart condition (source code)"),
            item("SNOMED", SYNTHETIC_SNOMED, name="Another name"),
            item("LOINC", SYNTHETIC_LOINC, name=""),
            item("SNOMED", SYNTHETIC_SNOMED_NONSTANDARD, name="Synthetic orphan finding"),
            item("SNOMED", "84114007", name="Heart failure"),
        ],
        by=curator,
    )
    items = list(proposal.revision.items.all())
    assert [i.concept_id for i in items] == [2000000001, 2000000001, 2000000020, None, None]
    assert items[2].name == "Synthetic pressure measurement"  # an empty name is taken from the vocabulary
    warnings = " | ".join(proposal.warnings)
    assert "named 'Synthetic heart condition' in the vocabulary, not 'Another name'" in warnings
    assert "is in the Measurement domain, not Condition" in warnings
    assert f"SNOMED {SYNTHETIC_SNOMED_NONSTANDARD} maps to no standard concept" in warnings
    assert "SNOMED 84114007 is not in the loaded OMOP vocabulary" in warnings
    assert len(proposal.warnings) == 4
