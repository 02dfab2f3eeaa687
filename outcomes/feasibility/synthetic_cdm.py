"""A SYNTHETIC OMOP CDM v5.4 in one PostgreSQL schema: the tables the feasibility runner reads, with the column
names and types of the OHDSI DDL (CommonDataModel, inst/ddl/5.4/postgresql/OMOPCDM_postgresql_5.4_ddl.sql), a small
synthetic vocabulary and 50 synthetic persons whose records give known counts.

Nothing here is real: every concept id is >= 2,000,000,000 (outside the OHDSI ranges), every concept and vocabulary
name says "synthetic". The concept codes the registry's shipped sets use for their population (ICD-10 I50 and
SNOMED CT 84114007, heart failure, from outcomes/data/bd4bo_core_outcome_sets.yaml) are the only real codes, so
that a shipped set's population resolves; the outcome codes are made up ("SYN-...") and used by tests only.

What the data give (population: persons 1-40; persons 41-50 are outside it):
- population: 40 persons (30 with the standard heart failure concept, 10 with its synthetic child, counted through
  concept_ancestor; ICD-10 I50 is non-standard and 'Maps to' the standard concept). Index date: the person's first
  heart failure record, 2020-01-01 plus person_id days.
- SYN-100 (SNOMED, condition, with descendants, SYN-102 excluded): persons 1-12 SYN-100, 13-15 its child SYN-101,
  16-17 only the excluded child SYN-102, 41-45 SYN-100 outside the population -> 15 persons.
- SYN-200 (ICD10, non-standard) 'Maps to' SYN-201 (SNOMED): persons 1-7 have SYN-201 -> 7.
- SYN-300 (LOINC, measurement): persons 1-10 at index + 10 days, 11-14 at index + 60, 15 at index - 5 ->
  15 without a window, 10 within days 0-30.
- SYN-400 (SNOMED, procedure): persons 1-3 -> 3 (a small cell).
- SYN-500 (RxNorm, drug): no record -> 0.
- SYN-600 (SNOMED, observation): persons 1-8 -> 8.
- visit concept 2000000700 (OMOP): persons 1-20 -> 20.
- death: persons 1-6 (person 6 at index + 400 days) and 46 outside the population -> 6 any time, 5 within 0-365.
"""

from __future__ import annotations

import datetime as dt

# Column names and types as in OMOPCDM_postgresql_5.4_ddl.sql (only the tables the runner reads).
DDL = {
    "cdm": {
        "person": """person_id integer NOT NULL, gender_concept_id integer NOT NULL, year_of_birth integer NOT NULL,
            month_of_birth integer NULL, day_of_birth integer NULL, birth_datetime TIMESTAMP NULL,
            race_concept_id integer NOT NULL, ethnicity_concept_id integer NOT NULL, location_id integer NULL,
            provider_id integer NULL, care_site_id integer NULL, person_source_value varchar(50) NULL,
            gender_source_value varchar(50) NULL, gender_source_concept_id integer NULL,
            race_source_value varchar(50) NULL, race_source_concept_id integer NULL,
            ethnicity_source_value varchar(50) NULL, ethnicity_source_concept_id integer NULL""",
        "observation_period": """observation_period_id integer NOT NULL, person_id integer NOT NULL,
            observation_period_start_date date NOT NULL, observation_period_end_date date NOT NULL,
            period_type_concept_id integer NOT NULL""",
        "visit_occurrence": """visit_occurrence_id integer NOT NULL, person_id integer NOT NULL,
            visit_concept_id integer NOT NULL, visit_start_date date NOT NULL, visit_start_datetime TIMESTAMP NULL,
            visit_end_date date NOT NULL, visit_end_datetime TIMESTAMP NULL, visit_type_concept_id Integer NOT NULL,
            provider_id integer NULL, care_site_id integer NULL, visit_source_value varchar(50) NULL,
            visit_source_concept_id integer NULL, admitted_from_concept_id integer NULL,
            admitted_from_source_value varchar(50) NULL, discharged_to_concept_id integer NULL,
            discharged_to_source_value varchar(50) NULL, preceding_visit_occurrence_id integer NULL""",
        "condition_occurrence": """condition_occurrence_id integer NOT NULL, person_id integer NOT NULL,
            condition_concept_id integer NOT NULL, condition_start_date date NOT NULL,
            condition_start_datetime TIMESTAMP NULL, condition_end_date date NULL,
            condition_end_datetime TIMESTAMP NULL, condition_type_concept_id integer NOT NULL,
            condition_status_concept_id integer NULL, stop_reason varchar(20) NULL, provider_id integer NULL,
            visit_occurrence_id integer NULL, visit_detail_id integer NULL, condition_source_value varchar(50) NULL,
            condition_source_concept_id integer NULL, condition_status_source_value varchar(50) NULL""",
        "drug_exposure": """drug_exposure_id integer NOT NULL, person_id integer NOT NULL,
            drug_concept_id integer NOT NULL, drug_exposure_start_date date NOT NULL,
            drug_exposure_start_datetime TIMESTAMP NULL, drug_exposure_end_date date NOT NULL,
            drug_exposure_end_datetime TIMESTAMP NULL, verbatim_end_date date NULL,
            drug_type_concept_id integer NOT NULL, stop_reason varchar(20) NULL, refills integer NULL,
            quantity NUMERIC NULL, days_supply integer NULL, sig TEXT NULL, route_concept_id integer NULL,
            lot_number varchar(50) NULL, provider_id integer NULL, visit_occurrence_id integer NULL,
            visit_detail_id integer NULL, drug_source_value varchar(50) NULL, drug_source_concept_id integer NULL,
            route_source_value varchar(50) NULL, dose_unit_source_value varchar(50) NULL""",
        "procedure_occurrence": """procedure_occurrence_id integer NOT NULL, person_id integer NOT NULL,
            procedure_concept_id integer NOT NULL, procedure_date date NOT NULL, procedure_datetime TIMESTAMP NULL,
            procedure_end_date date NULL, procedure_end_datetime TIMESTAMP NULL,
            procedure_type_concept_id integer NOT NULL, modifier_concept_id integer NULL, quantity integer NULL,
            provider_id integer NULL, visit_occurrence_id integer NULL, visit_detail_id integer NULL,
            procedure_source_value varchar(50) NULL, procedure_source_concept_id integer NULL,
            modifier_source_value varchar(50) NULL""",
        "measurement": """measurement_id integer NOT NULL, person_id integer NOT NULL,
            measurement_concept_id integer NOT NULL, measurement_date date NOT NULL,
            measurement_datetime TIMESTAMP NULL, measurement_time varchar(10) NULL,
            measurement_type_concept_id integer NOT NULL, operator_concept_id integer NULL,
            value_as_number NUMERIC NULL, value_as_concept_id integer NULL, unit_concept_id integer NULL,
            range_low NUMERIC NULL, range_high NUMERIC NULL, provider_id integer NULL,
            visit_occurrence_id integer NULL, visit_detail_id integer NULL, measurement_source_value varchar(50) NULL,
            measurement_source_concept_id integer NULL, unit_source_value varchar(50) NULL,
            unit_source_concept_id integer NULL, value_source_value varchar(50) NULL,
            measurement_event_id integer NULL, meas_event_field_concept_id integer NULL""",
        "observation": """observation_id integer NOT NULL, person_id integer NOT NULL,
            observation_concept_id integer NOT NULL, observation_date date NOT NULL,
            observation_datetime TIMESTAMP NULL, observation_type_concept_id integer NOT NULL,
            value_as_number NUMERIC NULL, value_as_string varchar(60) NULL, value_as_concept_id Integer NULL,
            qualifier_concept_id integer NULL, unit_concept_id integer NULL, provider_id integer NULL,
            visit_occurrence_id integer NULL, visit_detail_id integer NULL, observation_source_value varchar(50) NULL,
            observation_source_concept_id integer NULL, unit_source_value varchar(50) NULL,
            qualifier_source_value varchar(50) NULL, value_source_value varchar(50) NULL,
            observation_event_id integer NULL, obs_event_field_concept_id integer NULL""",
        "death": """person_id integer NOT NULL, death_date date NOT NULL, death_datetime TIMESTAMP NULL,
            death_type_concept_id integer NULL, cause_concept_id integer NULL, cause_source_value varchar(50) NULL,
            cause_source_concept_id integer NULL""",
        "cdm_source": """cdm_source_name varchar(255) NOT NULL, cdm_source_abbreviation varchar(25) NOT NULL,
            cdm_holder varchar(255) NOT NULL, source_description TEXT NULL,
            source_documentation_reference varchar(255) NULL, cdm_etl_reference varchar(255) NULL,
            source_release_date date NOT NULL, cdm_release_date date NOT NULL, cdm_version varchar(10) NULL,
            cdm_version_concept_id integer NOT NULL, vocabulary_version varchar(20) NOT NULL""",
    },
    "vocabulary": {
        "concept": """concept_id integer NOT NULL, concept_name varchar(255) NOT NULL, domain_id varchar(20) NOT NULL,
            vocabulary_id varchar(20) NOT NULL, concept_class_id varchar(20) NOT NULL,
            standard_concept varchar(1) NULL, concept_code varchar(50) NOT NULL, valid_start_date date NOT NULL,
            valid_end_date date NOT NULL, invalid_reason varchar(1) NULL""",
        "vocabulary": """vocabulary_id varchar(20) NOT NULL, vocabulary_name varchar(255) NOT NULL,
            vocabulary_reference varchar(255) NULL, vocabulary_version varchar(255) NULL,
            vocabulary_concept_id integer NOT NULL""",
        "concept_relationship": """concept_id_1 integer NOT NULL, concept_id_2 integer NOT NULL,
            relationship_id varchar(20) NOT NULL, valid_start_date date NOT NULL, valid_end_date date NOT NULL,
            invalid_reason varchar(1) NULL""",
        "concept_ancestor": """ancestor_concept_id integer NOT NULL, descendant_concept_id integer NOT NULL,
            min_levels_of_separation integer NOT NULL, max_levels_of_separation integer NOT NULL""",
    },
}

SYNTHETIC_VOCABULARY_VERSION = "SYNTHETIC 2026-01"
BASE = 2_000_000_000
# Synthetic concepts: id, name, domain, vocabulary, class, standard, code.
HF_ICD10, HF, HF_CHILD = BASE + 1, BASE + 10, BASE + 11
OUTCOME_100, OUTCOME_101, OUTCOME_102 = BASE + 100, BASE + 101, BASE + 102
SOURCE_200, STANDARD_201 = BASE + 200, BASE + 201
MEASUREMENT_300, PROCEDURE_400, DRUG_500, OBSERVATION_600, VISIT_700 = (
    BASE + 300,
    BASE + 400,
    BASE + 500,
    BASE + 600,
    BASE + 700,
)
CONCEPTS = [
    (HF_ICD10, "Heart failure (synthetic concept)", "Condition", "ICD10", "3-char nonbill code", None, "I50"),
    (HF, "Heart failure (synthetic standard concept)", "Condition", "SNOMED", "Clinical Finding", "S", "84114007"),
    (HF_CHILD, "Synthetic child of heart failure", "Condition", "SNOMED", "Clinical Finding", "S", "SYN-11"),
    (OUTCOME_100, "Synthetic outcome condition", "Condition", "SNOMED", "Clinical Finding", "S", "SYN-100"),
    (
        OUTCOME_101,
        "Synthetic child of the outcome condition",
        "Condition",
        "SNOMED",
        "Clinical Finding",
        "S",
        "SYN-101",
    ),
    (OUTCOME_102, "Synthetic excluded child", "Condition", "SNOMED", "Clinical Finding", "S", "SYN-102"),
    (SOURCE_200, "Synthetic source code", "Condition", "ICD10", "ICD10 code", None, "SYN-200"),
    (STANDARD_201, "Synthetic standard target", "Condition", "SNOMED", "Clinical Finding", "S", "SYN-201"),
    (MEASUREMENT_300, "Synthetic lab test", "Measurement", "LOINC", "Lab Test", "S", "SYN-300"),
    (PROCEDURE_400, "Synthetic procedure", "Procedure", "SNOMED", "Procedure", "S", "SYN-400"),
    (DRUG_500, "Synthetic drug", "Drug", "RxNorm", "Clinical Drug", "S", "SYN-500"),
    (OBSERVATION_600, "Synthetic observation", "Observation", "SNOMED", "Observable Entity", "S", "SYN-600"),
    (VISIT_700, "Synthetic visit", "Visit", "Visit", "Visit", "S", "SYN-700"),
]
RELATIONSHIPS = [(HF_ICD10, HF, "Maps to"), (SOURCE_200, STANDARD_201, "Maps to")]
# (ancestor, descendant, levels); every standard concept is its own ancestor at level 0, as in Athena.
ANCESTORS = [(HF, HF_CHILD, 1), (OUTCOME_100, OUTCOME_101, 1), (OUTCOME_100, OUTCOME_102, 1)]
VOCABULARY_ROWS = ["None", "ICD10", "SNOMED", "LOINC", "RxNorm", "Visit"]

POPULATION = range(1, 41)
OUTSIDE = range(41, 51)
INDEX_START = dt.date(2020, 1, 1)


def index_date(person_id: int) -> dt.date:
    return INDEX_START + dt.timedelta(days=person_id)


def _records() -> dict[str, list[tuple]]:
    """(person_id, concept_id, date) per table, giving the counts in the module docstring."""
    conditions = []
    for p in POPULATION:
        conditions.append((p, HF if p <= 30 else HF_CHILD, index_date(p)))
        conditions.append((p, HF, index_date(p) + dt.timedelta(days=90)))  # a later record: the index is the first
    day = dt.timedelta(days=20)
    conditions += [(p, OUTCOME_100, index_date(p) + day) for p in [*range(1, 13), *range(41, 46)]]
    conditions += [(p, OUTCOME_101, index_date(p) + day) for p in range(13, 16)]
    conditions += [(p, OUTCOME_102, index_date(p) + day) for p in range(16, 18)]
    conditions += [(p, STANDARD_201, index_date(p) + day) for p in range(1, 8)]
    measurements = [(p, MEASUREMENT_300, index_date(p) + dt.timedelta(days=10)) for p in range(1, 11)]
    measurements += [(p, MEASUREMENT_300, index_date(p) + dt.timedelta(days=60)) for p in range(11, 15)]
    measurements += [(15, MEASUREMENT_300, index_date(15) - dt.timedelta(days=5))]
    deaths = [(p, None, index_date(p) + dt.timedelta(days=200)) for p in range(1, 6)]
    deaths += [(6, None, index_date(6) + dt.timedelta(days=400)), (46, None, index_date(46) + day)]
    return {
        "condition_occurrence": conditions,
        "measurement": measurements,
        "procedure_occurrence": [(p, PROCEDURE_400, index_date(p) + day) for p in range(1, 4)],
        "observation": [(p, OBSERVATION_600, index_date(p) + day) for p in range(1, 9)],
        "visit_occurrence": [(p, VISIT_700, index_date(p)) for p in range(1, 21)],
        "death": deaths,
    }


def _insert(cur, schema: str, table: str, columns: list[str], rows: list[tuple]) -> None:
    if not rows:
        return
    placeholders = ", ".join(["%s"] * len(columns))
    cur.executemany(
        f'INSERT INTO "{schema}"."{table}" ({", ".join(columns)}) VALUES ({placeholders})',  # noqa: S608 - our names
        rows,
    )


def synthetic_cdm_build(cur, *, cdm_schema: str, vocabulary_schema: str | None = None) -> None:
    """Create the schema(s) afresh (dropping them first) and fill them. `cur`: a DB-API cursor on PostgreSQL."""
    vocabulary_schema = vocabulary_schema or cdm_schema
    for schema in {cdm_schema, vocabulary_schema}:
        cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        cur.execute(f'CREATE SCHEMA "{schema}"')
    for part, schema in (("cdm", cdm_schema), ("vocabulary", vocabulary_schema)):
        for table, columns in DDL[part].items():
            cur.execute(f'CREATE TABLE "{schema}"."{table}" ({columns})')
    _vocabulary(cur, vocabulary_schema)
    _persons(cur, cdm_schema)


def _vocabulary(cur, schema: str) -> None:
    start, end = dt.date(1970, 1, 1), dt.date(2099, 12, 31)
    _insert(
        cur,
        schema,
        "vocabulary",
        ["vocabulary_id", "vocabulary_name", "vocabulary_reference", "vocabulary_version", "vocabulary_concept_id"],
        [
            (v, f"Synthetic {v} vocabulary (COS Registry test data)", "synthetic", SYNTHETIC_VOCABULARY_VERSION, 0)
            for v in VOCABULARY_ROWS
        ],
    )
    _insert(
        cur,
        schema,
        "concept",
        [
            "concept_id",
            "concept_name",
            "domain_id",
            "vocabulary_id",
            "concept_class_id",
            "standard_concept",
            "concept_code",
            "valid_start_date",
            "valid_end_date",
            "invalid_reason",
        ],
        [(*c, start, end, None) for c in CONCEPTS],
    )
    _insert(
        cur,
        schema,
        "concept_relationship",
        ["concept_id_1", "concept_id_2", "relationship_id", "valid_start_date", "valid_end_date", "invalid_reason"],
        [(a, b, rel, start, end, None) for a, b, rel in RELATIONSHIPS]
        + [(b, a, "Mapped from", start, end, None) for a, b, _ in RELATIONSHIPS],
    )
    standard = [c[0] for c in CONCEPTS if c[5] == "S"]
    _insert(
        cur,
        schema,
        "concept_ancestor",
        ["ancestor_concept_id", "descendant_concept_id", "min_levels_of_separation", "max_levels_of_separation"],
        [(c, c, 0, 0) for c in standard] + [(a, d, n, n) for a, d, n in ANCESTORS],
    )


def _persons(cur, schema: str) -> None:
    people = [*POPULATION, *OUTSIDE]
    _insert(
        cur,
        schema,
        "person",
        ["person_id", "gender_concept_id", "year_of_birth", "race_concept_id", "ethnicity_concept_id"],
        [(p, 0, 1940 + p % 40, 0, 0) for p in people],
    )
    _insert(
        cur,
        schema,
        "observation_period",
        [
            "observation_period_id",
            "person_id",
            "observation_period_start_date",
            "observation_period_end_date",
            "period_type_concept_id",
        ],
        [(p, p, dt.date(2015, 1, 1), dt.date(2024, 12, 31), 0) for p in people],
    )
    _insert(
        cur,
        schema,
        "cdm_source",
        [
            "cdm_source_name",
            "cdm_source_abbreviation",
            "cdm_holder",
            "source_description",
            "source_release_date",
            "cdm_release_date",
            "cdm_version",
            "cdm_version_concept_id",
            "vocabulary_version",
        ],
        [
            (
                "Synthetic CDM (COS Registry test data)",
                "SYNTHETIC",
                "COS Registry",
                "Synthetic persons for tests and demos; no real person.",
                dt.date(2026, 1, 1),
                dt.date(2026, 1, 1),
                "v5.4",
                0,
                SYNTHETIC_VOCABULARY_VERSION,
            )
        ],
    )
    records = _records()
    columns = {
        "condition_occurrence": (
            ["condition_occurrence_id", "person_id", "condition_concept_id", "condition_start_date"],
            ["condition_type_concept_id"],
        ),
        "measurement": (
            ["measurement_id", "person_id", "measurement_concept_id", "measurement_date"],
            ["measurement_type_concept_id"],
        ),
        "procedure_occurrence": (
            ["procedure_occurrence_id", "person_id", "procedure_concept_id", "procedure_date"],
            ["procedure_type_concept_id"],
        ),
        "observation": (
            ["observation_id", "person_id", "observation_concept_id", "observation_date"],
            ["observation_type_concept_id"],
        ),
        "visit_occurrence": (
            ["visit_occurrence_id", "person_id", "visit_concept_id", "visit_start_date"],
            ["visit_end_date", "visit_type_concept_id"],
        ),
    }
    for table, (base, extra) in columns.items():
        rows = []
        for n, (person, concept, date) in enumerate(records[table], start=1):
            rows.append((n, person, concept, date, *((date if c.endswith("_date") else 0) for c in extra)))
        _insert(cur, schema, table, base + extra, rows)
    _insert(
        cur,
        schema,
        "death",
        ["person_id", "cause_concept_id", "death_date", "death_type_concept_id"],
        [(p, c, d, 0) for p, c, d in records["death"]],
    )
