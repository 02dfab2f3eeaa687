"""Build the benchmark's scale dataset in its own PostgreSQL database (default: cos_bench).

    .venv/bin/python bench/build_dataset.py                # 25,000 sets, 600,000 ratings, from scratch
    .venv/bin/python bench/build_dataset.py --sets 250     # a small copy (the query-count check uses one)

From scratch every time: drop and create the database, migrate, load the reference data (the COMET taxonomy and
the BD4BO sets), then add the synthetic rows with PostgreSQL COPY:

- 25,000 core outcome sets spread over the disease areas, ~15 outcomes per version (5-25), each outcome in one or
  two COMET domains and with 0-2 measurements; a tenth of the sets have 2 or 3 versions (the latest published,
  the earlier ones superseded); one set (`bench-version-100-outcomes`) whose published version holds 100 outcomes.
- one consensus process with 2,000 panelists in 5 stakeholder groups, 100 items and 3 closed Delphi rounds rated
  by everyone (600,000 ratings), with participations;
- a second process with an open round of 100 items and 200 consented panelists who have not rated yet, whose
  personal tokens are `submitter_token(i)`: the round-submission benchmark posts their ratings.

Versions are inserted as drafts with their content, then given their final status with one UPDATE: the database
refuses content edits of a frozen (published, superseded, withdrawn) version, so content must go in first.
`dataset_populate` works on the current database connection, so the test suite can run it at a tiny scale.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import os
import random
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cos_bench"

BIG_SET_SLUG = "bench-version-100-outcomes"
BIG_SET_VERSION = "1.0.0"
TALLY_PROCESS_TITLE = "Benchmark: 2,000 panelists x 100 items x 3 rounds"
SUBMIT_PROCESS_TITLE = "Benchmark: open round for 200 panelists"
# The list benchmark's filter: this word is in the title of about one set in twelve.
QUERY_WORD = "fatigue"

TOPICS = (
    "fatigue", "pain", "mobility", "cognition", "survival", "quality of life", "function", "mood", "sleep",
    "adherence", "toxicity", "recurrence",
)  # fmt: skip
OUTCOME_TERMS = (
    "Overall survival", "Disease-free survival", "Progression-free survival", "Health-related quality of life",
    "Pain intensity", "Fatigue", "Physical function", "Cognitive function", "Emotional function", "Social function",
    "Role function", "Sleep quality", "Depression", "Anxiety", "Hospital admission", "Length of stay",
    "Treatment adherence", "Adverse events", "Serious adverse events", "Infection", "Bleeding", "Mortality",
    "Cardiovascular death", "Stroke", "Myocardial infarction", "Heart failure hospitalisation", "Urinary continence",
    "Sexual function", "Bowel function", "Biochemical recurrence", "Metastasis-free survival", "Complete remission",
    "Minimal residual disease", "Transfusion dependence", "Activities of daily living", "Caregiver burden",
    "Behavioural symptoms", "Memory", "Executive function", "Patient satisfaction", "Return to work", "Costs",
    "Exercise capacity", "Dyspnoea", "Symptom burden", "Treatment satisfaction", "Falls", "Frailty",
)  # fmt: skip
NULL = r"\N"  # COPY's text format for NULL
TIMINGS = ("baseline", "3 months", "6 months", "12 months", "annually", "end of treatment", "every visit")


def submitter_token(i: int) -> str:
    """The personal token of the i-th panelist of the open round (the database keeps only its SHA-256)."""
    return hashlib.sha256(f"cos-bench-submitter-{i}".encode()).hexdigest()[:43]


@dataclass
class Scale:
    sets: int = 25_000
    min_outcomes: int = 5
    max_outcomes: int = 25
    multi_version_every: int = 10
    big_version_outcomes: int = 100
    panelists: int = 2_000
    groups: int = 5
    items: int = 100
    rounds: int = 3
    submitters: int = 200
    submit_items: int = 100
    seed: int = 20261126


@dataclass
class DatasetReport:
    scale: dict
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0
    big_set_slug: str = BIG_SET_SLUG
    big_set_version: str = BIG_SET_VERSION
    tally_process_id: int | None = None
    tally_round_ids: list[int] = field(default_factory=list)
    submit_process_id: int | None = None
    submit_round_id: int | None = None
    query_word: str = QUERY_WORD
    user_triggers: dict = field(default_factory=dict)


class _Ids:
    """Hands out primary keys past the current maximum; the sequences are moved past them at the end."""

    def __init__(self, cursor, table: str) -> None:
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
        self.table = table
        self.next = cursor.fetchone()[0] + 1

    def take(self) -> int:
        value = self.next
        self.next += 1
        return value


def _copy(cursor, table: str, columns: tuple[str, ...], lines: list[str]) -> int:
    """COPY tab-separated lines (already escaped: our generated text holds no tab, newline or backslash).

    A NOT NULL column the lines do not give (a field added to the model later) gets its model field's default.
    """
    if not lines:
        return 0
    extra_cols, extra_values = _defaults_for_missing(cursor, table, columns)
    if extra_cols:
        suffix = "".join("\t" + v for v in extra_values) + "\n"
        lines = [line[:-1] + suffix for line in lines]
    buf = io.StringIO("".join(lines))
    cols = ", ".join(f'"{c}"' for c in (*columns, *extra_cols))
    cursor.copy_expert(f'COPY "{table}" ({cols}) FROM STDIN', buf)
    return len(lines)


def _defaults_for_missing(cursor, table: str, columns: tuple[str, ...]) -> tuple[list[str], list[str]]:
    from django.apps import apps
    from django.db.models import NOT_PROVIDED

    cursor.execute(
        """SELECT column_name FROM information_schema.columns
            WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL AND is_identity = 'NO'""",
        [table],
    )
    missing = [name for (name,) in cursor.fetchall() if name not in columns and name != "id"]
    if not missing:
        return [], []
    model = next(m for m in apps.get_models(include_auto_created=True) if m._meta.db_table == table)
    by_column = {f.column: f for f in model._meta.concrete_fields}
    values = []
    for name in missing:
        field_ = by_column[name]
        # A blank text field without a default is stored as "" by Django itself (field.get_default()).
        if field_.default is NOT_PROVIDED and not (field_.blank and field_.empty_strings_allowed):
            raise RuntimeError(f"{table}.{name} is required and has no default: teach bench/build_dataset.py about it")
        value = field_.get_default()
        values.append({True: "t", False: "f"}.get(value, str(value)) if isinstance(value, bool) else str(value))
    return missing, values


def _secondary_indexes_drop(cursor, tables: tuple[str, ...]) -> list[str]:
    """Drop the plain indexes (not primary keys, unique or constraint indexes) of the tables; return the statements
    that recreate them. Building an index once after a bulk load is much faster than maintaining it row by row
    (what pg_restore does too); the trigram GIN indexes especially."""
    cursor.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
             FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
            WHERE t.relname = ANY(%s) AND NOT i.indisprimary AND NOT i.indisunique
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
        [list(tables)],
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return [ddl for _, ddl in indexes]


def _user_triggers(cursor, tables: tuple[str, ...]) -> dict[str, str]:
    """The user (non-internal) triggers of the tables: {"table.trigger": tgenabled} ('O' = enabled, 'D' = disabled)."""
    cursor.execute(
        """SELECT t.relname || '.' || g.tgname, g.tgenabled FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid
            WHERE t.relname = ANY(%s) AND NOT g.tgisinternal""",
        [list(tables)],
    )
    return dict(cursor.fetchall())


@contextmanager
def _user_triggers_disabled(cursor, tables: tuple[str, ...]):
    """Bulk-load with the tables' user triggers off (benchmark database only), then switch them back on and assert
    it (on an error the transaction, ALTER TABLE included, rolls back). The immutability triggers only *check* rows
    (they refuse content of a frozen version and never change a row), and the content is loaded while every version
    is still a draft, so the loaded data is identical; the freeze UPDATE afterwards runs with the triggers on.
    Foreign keys (internal triggers) stay checked."""
    before = _user_triggers(cursor, tables)
    on_tables = sorted({name.split(".")[0] for name in before})
    for table in on_tables:
        cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
    yield
    # ALTER TABLE refuses a table with pending (deferred foreign key) trigger events: check the keys now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for table in on_tables:
        cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    after = _user_triggers(cursor, tables)
    if after != before or any(state != "O" for state in after.values()):
        raise RuntimeError(f"user triggers not restored after the bulk load: before {before}, after {after}")


def _reset_sequence(cursor, table: str) -> None:
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT COALESCE(MAX(id), 1) FROM \"{table}\"))"
    )


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def dataset_populate(*, scale: Scale) -> DatasetReport:
    """Add the synthetic sets and consensus processes to the current database (reference data already loaded)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from diseases.models import Condition, DiseaseArea
    from outcomes.models import (
        ConsensusProcess,
        CoreOutcomeSet,
        CoreOutcomeSetVersion,
        Instrument,
        Item,
        Measurement,
        Outcome,
        OutcomeDomain,
        Panelist,
        Participation,
        Rating,
        Reference,
        Round,
        RoundItem,
        SetSearchIndex,
        StakeholderGroup,
    )
    from outcomes.services.search import set_search_index_rebuild

    started = time.monotonic()
    rng = random.Random(scale.seed)
    now = timezone.now()
    now_s = now.isoformat()
    report = DatasetReport(scale=asdict(scale))
    areas = list(DiseaseArea.objects.order_by("id"))
    conditions_by_area = {a.pk: list(Condition.objects.filter(disease_area=a).order_by("id")) for a in areas}
    domain_ids = list(OutcomeDomain.objects.order_by("number").values_list("id", flat=True))
    instrument_ids = list(Instrument.objects.order_by("id").values_list("id", flat=True))
    if len(domain_ids) != 38 or not areas:
        raise RuntimeError("Load the reference data first (python manage.py load_reference_data).")

    t_set = CoreOutcomeSet._meta.db_table
    t_set_cond = CoreOutcomeSet.conditions.through._meta.db_table
    t_version = CoreOutcomeSetVersion._meta.db_table
    t_ref = Reference._meta.db_table
    t_outcome = Outcome._meta.db_table
    t_outcome_dom = Outcome.domains.through._meta.db_table
    t_meas = Measurement._meta.db_table
    t_rating = Rating._meta.db_table
    t_search = SetSearchIndex._meta.db_table

    with transaction.atomic(), connection.cursor() as cursor:
        deferred = _secondary_indexes_drop(
            cursor,
            (t_set, t_set_cond, t_version, t_ref, t_outcome, t_outcome_dom, t_meas, t_rating, t_search),
        )
        ids = {t: _Ids(cursor, t) for t in (t_set, t_set_cond, t_version, t_ref, t_outcome, t_outcome_dom, t_meas)}
        sets, set_conds, versions, refs, outcomes, outcome_doms, meas = [], [], [], [], [], [], []
        published_ids: list[int] = []
        superseded_ids: list[int] = []

        def add_version(set_id: int, number: tuple[int, int, int], n_outcomes: int, previous, year: int):
            """One draft version with n outcomes; a derived version keeps the identities of its predecessor."""
            vid = ids[t_version].take()
            label = ".".join(str(part) for part in number)
            derived = NULL if previous is None else str(previous[0])
            precision = "year" if year % 3 == 0 else "day"
            versions.append(
                f"{vid}\t{set_id}\t{label}\t{number[0]}\t{number[1]}\t{number[2]}\tdraft\t{year}-06-01\t{precision}\t"
                f"{'Synthetic benchmark version' if previous else ''}\t{derived}\t{now_s}\t{now_s}\t\n"
            )
            refs.append(
                f"{ids[t_ref].take()}\t{vid}\tBench A, et al. A core outcome set {set_id}. Trials. {year}.\t"
                f"10.1186/bench.{vid}\t{30000000 + vid}\t\t\t0\n"
            )
            identities = list(previous[1]) if previous else []
            names = rng.sample(OUTCOME_TERMS, min(n_outcomes, len(OUTCOME_TERMS)))
            while len(names) < n_outcomes:
                names.append(f"{OUTCOME_TERMS[len(names) % len(OUTCOME_TERMS)]} at visit {len(names)}")
            kept = []
            for k, name in enumerate(names):
                oid = ids[t_outcome].take()
                identity = identities[k] if k < len(identities) else _uuid(rng)
                kept.append(identity)
                outcomes.append(
                    f"{oid}\t{vid}\t{identity}\t{name}\t{name} as defined by the developers of set {set_id}.\t\t\t"
                    f"{k}\tf\tf\n"
                )
                for domain_id in rng.sample(domain_ids, 1 if rng.random() < 0.55 else 2):
                    outcome_doms.append(f"{ids[t_outcome_dom].take()}\t{oid}\t{domain_id}\n")
                for m in range(rng.choice((0, 1, 1, 2))):
                    instrument = rng.choice(instrument_ids) if rng.random() < 0.7 else None
                    timing = rng.choice(TIMINGS) if instrument is None or rng.random() < 0.5 else ""
                    instrument_col = str(instrument) if instrument else NULL
                    meas.append(f"{ids[t_meas].take()}\t{oid}\t{instrument_col}\t{timing}\t\t{m}\n")
            return vid, kept

        def add_set(i: int, slug: str, title: str, area, n_outcomes_list: list[int]) -> None:
            set_id = ids[t_set].take()
            condition = conditions_by_area[area.pk][i % len(conditions_by_area[area.pk])]
            sets.append(
                f"{set_id}\t{slug}\t{title}\t{area.pk}\tAdults with {condition.name.lower()}\t\t\t"
                f"Bench consortium {i % 50}\t\\N\tfull\t{{}}\t{now_s}\t{now_s}\n"
            )
            set_conds.append(f"{ids[t_set_cond].take()}\t{set_id}\t{condition.pk}\n")
            previous = None
            year = 2000 + i % 24
            for n, n_outcomes in enumerate(n_outcomes_list):
                number = (1, n, 0)
                previous = add_version(set_id, number, n_outcomes, previous, min(year + n, 2025))
                (published_ids if n == len(n_outcomes_list) - 1 else superseded_ids).append(previous[0])

        # 1. The sets, their versions and the versions' content, all as drafts.
        for i in range(scale.sets):
            area = areas[i % len(areas)]
            topic_a, topic_b = rng.sample(TOPICS, 2)
            condition = conditions_by_area[area.pk][i % len(conditions_by_area[area.pk])]
            title = f"{condition.name}: {topic_a} and {topic_b} outcomes (benchmark set {i})"
            n_versions = 1 if i % scale.multi_version_every else 2 + (i // scale.multi_version_every) % 2
            sizes = [rng.randint(scale.min_outcomes, scale.max_outcomes) for _ in range(n_versions)]
            add_set(i, f"bench-set-{i:05d}", title, area, sizes)
        add_set(
            scale.sets, BIG_SET_SLUG, "Benchmark set with a 100-outcome version", areas[0], [scale.big_version_outcomes]
        )

        c = report.counts
        content_tables = (t_set, t_set_cond, t_version, t_ref, t_outcome, t_outcome_dom, t_meas)
        # COPY with the immutability triggers off (rolled back with the transaction on error).
        with _user_triggers_disabled(cursor, content_tables):
            c["sets"] = _copy(cursor, t_set, ("id", "slug", "title", "disease_area_id", "scope_population",
                "scope_intervention", "scope_setting", "developers", "comet_registry_id", "completeness", "method",
                "created_at", "updated_at"), sets)  # fmt: skip
            c["set_conditions"] = _copy(cursor, t_set_cond, ("id", "coreoutcomeset_id", "condition_id"), set_conds)
            c["versions"] = _copy(cursor, t_version, ("id", "core_outcome_set_id", "version", "major", "minor", "patch",
                "status", "published_on", "published_on_precision", "changelog", "derived_from_id", "created_at",
                "updated_at", "withdrawn_reason"), versions)  # fmt: skip
            c["references"] = _copy(cursor, t_ref, ("id", "version_id", "citation", "doi", "pmid", "pmcid", "url",
                "order"), refs)  # fmt: skip
            c["outcomes"] = _copy(cursor, t_outcome, ("id", "version_id", "identity", "name", "definition",
                "applies_to", "note", "order", "definition_agreed", "measurement_agreed"), outcomes)  # fmt: skip
            c["outcome_domains"] = _copy(cursor, t_outcome_dom, ("id", "outcome_id", "outcomedomain_id"), outcome_doms)
            c["measurements"] = _copy(
                cursor, t_meas, ("id", "outcome_id", "instrument_id", "timing", "note", "order"), meas
            )
        report.user_triggers = _user_triggers(cursor, content_tables)
        for rows in (sets, set_conds, versions, refs, outcomes, outcome_doms, meas):
            rows.clear()  # free the memory before the ratings

        # 2. Freeze: one UPDATE gives every version its final status (content is in, so the triggers allow it).
        cursor.execute(
            f"""UPDATE "{t_version}" SET status = CASE WHEN id = ANY(%s) THEN 'published' ELSE 'superseded' END,
                       published_at = %s, updated_at = %s
                 WHERE id = ANY(%s)""",
            [published_ids, now, now, published_ids + superseded_ids],
        )
        c["published_versions"] = len(published_ids)
        c["superseded_versions"] = len(superseded_ids)
        for table in ids:
            _reset_sequence(cursor, table)

        # 2b. The search index: the service itself (its normalisation and stemming live in Python), in batches.
        c["search_index_rows"] = set_search_index_rebuild()

        # 3. The consensus processes: small tables through the ORM, the ratings through COPY.
        big_set = CoreOutcomeSet.objects.get(slug=BIG_SET_SLUG)
        tally = _process(
            cursor,
            title=TALLY_PROCESS_TITLE,
            cos=CoreOutcomeSet.objects.get(slug="bench-set-00000"),
            panelists=scale.panelists,
            groups=scale.groups,
            items=scale.items,
            rounds=scale.rounds,
            closed=True,
            token_of=lambda i: f"cos-bench-tally-{i}",
            domain_ids=domain_ids,
            now=now,
            rng=rng,
        )
        report.tally_process_id = tally.process.pk
        report.tally_round_ids = [r.pk for r in tally.rounds]
        submit = _process(
            cursor,
            title=SUBMIT_PROCESS_TITLE,
            cos=big_set,
            panelists=scale.submitters,
            groups=scale.groups,
            items=scale.submit_items,
            rounds=1,
            closed=False,
            token_of=submitter_token,
            domain_ids=domain_ids,
            now=now,
            rng=rng,
        )
        report.submit_process_id = submit.process.pk
        report.submit_round_id = submit.rounds[0].pk

        # 600,000 ratings: per item a leaning (some items reach consensus in, some out, most not).
        rating_ids = _Ids(cursor, t_rating)
        lines = []
        for rnd in tally.rounds:
            for ri_id, lean in tally.round_items[rnd.pk]:
                for panelist_id in tally.panelist_ids:
                    if rng.random() < 0.02:
                        score, unable = NULL, "t"
                    else:
                        score, unable = min(9, max(1, round(rng.gauss(lean, 1.6)))), "f"
                    lines.append(
                        f"{rating_ids.take()}\t{ri_id}\t{panelist_id}\t{score}\t{unable}\t\t\t\t{now_s}\t{now_s}\n"
                    )
            c["ratings"] = c.get("ratings", 0) + _copy(cursor, t_rating, RATING_COLUMNS, lines)
            lines = []
        _reset_sequence(cursor, t_rating)
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: check them now, as CREATE INDEX refuses a table
        # with pending trigger events.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for ddl in deferred:
            cursor.execute(ddl)
        c["panelists"] = Panelist.objects.count()
        c["participations"] = Participation.objects.count()
        c["round_items"] = RoundItem.objects.count()
        c["items"] = Item.objects.count()
        c["processes"] = ConsensusProcess.objects.count()
        c["rounds"] = Round.objects.count()
        c["groups"] = StakeholderGroup.objects.count()

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    report.seconds = round(time.monotonic() - started, 1)
    return report


RATING_COLUMNS = ("id", "round_item_id", "panelist_id", "score", "unable_to_score", "vote", "comment",
                  "proposed_wording", "created_at", "updated_at")  # fmt: skip


@dataclass
class _Process:
    process: object
    rounds: list
    panelist_ids: list[int]
    round_items: dict[int, list[tuple[int, float]]]


def _process(cursor, *, title, cos, panelists, groups, items, rounds, closed, token_of, domain_ids, now, rng):
    """A consensus process with its panel, items, rounds and participations (no ratings)."""
    from outcomes.models import (
        ConsensusProcess,
        CoreOutcomeSetVersion,
        Item,
        Panelist,
        Participation,
        Round,
        RoundItem,
        StakeholderGroup,
    )
    from outcomes.services.consensus import token_hash  # what the app compares a personal link's token with

    top = cos.versions.order_by("-major", "-minor", "-patch").first()
    draft = CoreOutcomeSetVersion(
        core_outcome_set=cos,
        version=f"{top.major + 1}.0.0",
        status=CoreOutcomeSetVersion.Status.IN_CONSENSUS,
        derived_from=top,
    )
    draft.save()
    process = ConsensusProcess.objects.create(
        core_outcome_set=cos,
        draft_version=draft,
        title=title,
        description="Synthetic benchmark panel.",
        status=ConsensusProcess.Status.RUNNING,
        definition_locked_at=now,
        is_demo=True,
    )
    group_objs = StakeholderGroup.objects.bulk_create(
        StakeholderGroup(process=process, name=name, order=n)
        for n, name in enumerate(
            ("Patients and carers", "Health professionals", "Researchers", "Industry", "Regulators")[:groups]
        )
    )
    panel = Panelist.objects.bulk_create(
        (
            Panelist(
                process=process,
                group=group_objs[i % len(group_objs)],
                email=f"panelist{i}@p{process.pk}.bench.invalid",
                code=f"P{i:05d}",
                token_hash=token_hash(token_of(i)),
                token_expires_at=now + dt.timedelta(days=90),
                invited_at=now - dt.timedelta(days=30),
                consented_at=now - dt.timedelta(days=29),
            )
            for i in range(panelists)
        ),
        batch_size=2000,
    )
    item_objs = Item.objects.bulk_create(
        Item(process=process, name=f"{OUTCOME_TERMS[n % len(OUTCOME_TERMS)]} (candidate {n})", order=n)
        for n in range(items)
    )
    Item.domains.through.objects.bulk_create(
        Item.domains.through(item_id=item.pk, outcomedomain_id=domain_ids[n % len(domain_ids)])
        for n, item in enumerate(item_objs)
    )
    round_objs, round_items = [], {}
    for number in range(1, rounds + 1):
        opened = now - dt.timedelta(days=28 - 7 * number)
        rnd = Round.objects.create(
            process=process,
            number=number,
            status=Round.Status.CLOSED if closed else Round.Status.OPEN,
            opens_at=opened,
            opened_at=opened,
            closes_at=opened + dt.timedelta(days=6 if closed else 60),
            closed_at=opened + dt.timedelta(days=6) if closed else None,
        )
        ris = RoundItem.objects.bulk_create(
            RoundItem(round=rnd, item=item, order=n) for n, item in enumerate(item_objs)
        )
        round_items[rnd.pk] = [(ri.pk, rng.choice((2.5, 5.0, 6.0, 7.0, 8.0))) for ri in ris]
        Participation.objects.bulk_create(
            (
                Participation(
                    round=rnd,
                    panelist=p,
                    invited_at=opened,
                    started_at=opened if closed else None,
                    completed_at=opened + dt.timedelta(days=1) if closed else None,
                )
                for p in panel
            ),
            batch_size=2000,
        )
        round_objs.append(rnd)
    return _Process(process, round_objs, [p.pk for p in panel], round_items)


def database_recreate(database_url: str) -> None:
    """Drop and create the benchmark database (never the one named by the app's own DATABASE_URL)."""
    import environ
    import psycopg2
    from psycopg2 import sql

    cfg = environ.Env.db_url_config(database_url)
    name = cfg["NAME"]
    if not name.startswith("cos_bench"):
        raise SystemExit(f"Refusing to drop {name!r}: the benchmark database's name must start with cos_bench.")
    admin = psycopg2.connect(
        dbname="postgres",
        user=cfg["USER"],
        password=cfg["PASSWORD"] or None,
        host=cfg["HOST"],
        port=cfg["PORT"] or 5432,
    )
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


def main(argv: list[str] | None = None) -> DatasetReport:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--sets", type=int, default=Scale.sets)
    parser.add_argument("--panelists", type=int, default=Scale.panelists)
    args = parser.parse_args(argv)

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cos_registry.settings")
    sys.path.insert(0, str(BASE_DIR))
    import django
    from django.core.management import call_command

    started = time.monotonic()
    database_recreate(args.database_url)
    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_reference_data", verbosity=0)
    print(f"migrated and loaded reference data in {time.monotonic() - started:.1f}s", flush=True)
    report = dataset_populate(scale=Scale(sets=args.sets, panelists=args.panelists))
    from django.db import connection

    with connection.cursor() as cursor:
        # As autovacuum would soon after the bulk load: the visibility map (index-only scans) of the tables the list
        # reads. Outside any transaction, so here rather than in dataset_populate (which the tests run in one).
        cursor.execute("VACUUM outcomes_setsearchindex, outcomes_coreoutcomeset")
    print(f"dataset built in {report.seconds}s: {report.counts}", flush=True)
    return report


if __name__ == "__main__":
    main()
