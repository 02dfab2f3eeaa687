"""An OMOP standardized vocabulary loaded into the registry (optional): the four tables of an Athena download that
resolve codes to standard concepts and list descendants (manage.py load_omop_vocabulary).

Column names and types follow the OMOP CDM v5.4 vocabulary tables. No foreign keys between them: an Athena
download is loaded as a whole, and the registry only reads them.
"""

from __future__ import annotations

from django.db import models


class OmopVocabulary(models.Model):
    vocabulary_id = models.CharField(max_length=20, primary_key=True)
    vocabulary_name = models.CharField(max_length=255)
    vocabulary_reference = models.CharField(max_length=255, blank=True)
    vocabulary_version = models.CharField(max_length=255, blank=True)
    vocabulary_concept_id = models.BigIntegerField()
    # When the download holding this row was loaded (not an Athena column): part of exports' cache keys.
    loaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["vocabulary_id"]
        verbose_name = "OMOP vocabulary"
        verbose_name_plural = "OMOP vocabularies"

    def __str__(self) -> str:
        return f"{self.vocabulary_id} {self.vocabulary_version}".strip()


class OmopConcept(models.Model):
    concept_id = models.BigIntegerField(primary_key=True)
    concept_name = models.CharField(max_length=255)
    domain_id = models.CharField(max_length=20)
    vocabulary_id = models.CharField(max_length=20)
    concept_class_id = models.CharField(max_length=20)
    standard_concept = models.CharField(max_length=1, blank=True)
    concept_code = models.CharField(max_length=50)
    valid_start_date = models.DateField()
    valid_end_date = models.DateField()
    invalid_reason = models.CharField(max_length=1, blank=True)

    class Meta:
        ordering = ["concept_id"]
        verbose_name = "OMOP concept"
        indexes = [models.Index(fields=["vocabulary_id", "concept_code"], name="omopconcept_code_idx")]

    def __str__(self) -> str:
        return f"{self.concept_id} {self.concept_name}"


class OmopConceptRelationship(models.Model):
    concept_id_1 = models.BigIntegerField()
    concept_id_2 = models.BigIntegerField()
    relationship_id = models.CharField(max_length=20)
    valid_start_date = models.DateField()
    valid_end_date = models.DateField()
    invalid_reason = models.CharField(max_length=1, blank=True)

    class Meta:
        verbose_name = "OMOP concept relationship"
        constraints = [
            models.UniqueConstraint(
                fields=["concept_id_1", "concept_id_2", "relationship_id"], name="omoprelationship_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.concept_id_1} {self.relationship_id} {self.concept_id_2}"


class OmopConceptAncestor(models.Model):
    ancestor_concept_id = models.BigIntegerField()
    descendant_concept_id = models.BigIntegerField()
    min_levels_of_separation = models.IntegerField()
    max_levels_of_separation = models.IntegerField()

    class Meta:
        verbose_name = "OMOP concept ancestor"
        constraints = [
            models.UniqueConstraint(
                fields=["ancestor_concept_id", "descendant_concept_id"], name="omopancestor_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ancestor_concept_id} > {self.descendant_concept_id}"
