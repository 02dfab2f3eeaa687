"""Measurements that run inside Django, each in its own process against the database named by DATABASE_URL.

    python bench/probes.py querycount   # queries per request through the test client (cold cache)
    python bench/probes.py tally        # the tally service over the 3 closed rounds, and the raw GROUP BY
    python bench/probes.py dump         # build a whole-registry dump (the Celery task's body) in this process
    python bench/probes.py explain      # EXPLAIN ANALYZE of each query of one set list request (list_path(0))
    python bench/probes.py publish_prepare 60      # 60 drafts for the publish scenario (bench/publishing.py)
    python bench/probes.py publish_check 12,13,14  # were these versions each published exactly once?

Each prints one JSON object on its last line of stdout.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cos_registry.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench import floors, publishing  # noqa: E402
from bench.build_dataset import SUBMIT_PROCESS_TITLE, TALLY_PROCESS_TITLE, submitter_token  # noqa: E402
from bench.scenarios import (  # noqa: E402
    VERSION_NUMBER,
    VERSION_SLUG,
    export_path,
    list_path,
    submission_body,
    submission_path,
    version_path,
)
from outcomes.models import ConsensusProcess, CoreOutcomeSet, Item, Participation, Rating, Round  # noqa: E402


class _Rollback(Exception):
    pass


def _count(method: str, path: str, **extra) -> dict:
    """Queries of one request; a write is rolled back so the dataset stays as built."""
    from django.core.cache import cache

    cache.clear()
    client = Client()
    try:
        with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
            response = getattr(client, method)(path, **extra)
            if method != "get":
                raise _Rollback
    except _Rollback:
        pass
    return {"status": response.status_code, "queries": len(ctx.captured_queries), "bytes": len(response.content)}


def querycount() -> dict:
    """Queries per request, on whatever data size this database holds. Comparing two sizes shows independence."""
    typical = CoreOutcomeSet.objects.filter(slug="bench-set-00001").first()
    result = {
        "sets": CoreOutcomeSet.objects.count(),
        "ratings": Rating.objects.count(),
        "list": _count("get", list_path(0)),
        "version_detail_100_outcomes": _count("get", version_path(VERSION_SLUG, VERSION_NUMBER)),
        "fhir_export_100_outcomes": _count("get", export_path(VERSION_SLUG, VERSION_NUMBER, "fhir")),
    }
    if typical is not None:
        number = typical.versions.filter(status="published").values_list("version", flat=True).first()
        result["version_detail_typical"] = _count("get", version_path(typical.slug, number))
        result["version_detail_typical"]["outcomes"] = typical.versions.get(version=number).outcomes.count()
    process = ConsensusProcess.objects.filter(title=SUBMIT_PROCESS_TITLE).first()
    if process is not None:
        # The same starting point at every size: nobody has rated the open round yet.
        Rating.objects.filter(round_item__round__process=process).delete()
        Participation.objects.filter(round__process=process).update(started_at=None, completed_at=None)
        items = list(Item.objects.filter(process=process).order_by("order").values_list("pk", flat=True))
        round_ = Round.objects.get(process=process, number=1)
        result["round_submission"] = _count(
            "put",
            submission_path(round_.number),
            data=json.dumps(submission_body(items, seed=0)),
            content_type="application/json",
            headers={"authorization": f"Panelist {submitter_token(0)}"},
        )
    return result


def tally(repeat: int = 5) -> dict:
    """The tally service over the 3 closed rounds (600,000 ratings), and the same aggregation as one GROUP BY.

    Each repetition runs the GROUP BY, a first tally and a re-tally back to back, so that the three meet the same
    load on the machine; the medians over the repetitions are compared.
    """
    from outcomes.models import ItemResult
    from outcomes.services.tally import round_tally

    process = ConsensusProcess.objects.get(title=TALLY_PROCESS_TITLE)
    rounds = list(Round.objects.filter(process=process).order_by("number"))
    ratings = Rating.objects.filter(round_item__round__in=rounds).count()
    result: dict = {"ratings": ratings, "rounds": len(rounds), "repeat": repeat}
    round_ids = {"round_ids": [r.pk for r in rounds]}

    def group_by(sql: str) -> tuple[float, int]:
        with connection.cursor() as cursor:
            t0 = time.perf_counter()
            cursor.execute(sql, round_ids)
            rows = cursor.fetchall()
            return time.perf_counter() - t0, len(rows)

    def service(*, fresh: bool) -> tuple[float, int, int]:
        if fresh:  # the tally when a round closes: no results yet (the bench's outcomes cite none)
            ItemResult.objects.filter(round_item__round__in=rounds).delete()
        t0 = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            made = sum(round_tally(round=r) for r in rounds)
        return time.perf_counter() - t0, len(ctx.captured_queries), made

    floor, floor_all, first, again = [], [], [], []
    for _ in range(repeat):
        floor.append(group_by(floors.TALLY_GROUP_BY))
        floor_all.append(group_by(floors.TALLY_GROUP_BY_ALL_RATINGS))
        first.append(service(fresh=True))
        again.append(service(fresh=False))

    def median(runs: list) -> float:
        return round(statistics.median(x[0] for x in runs), 3)

    result["group_by_rows"] = floor[-1][1]
    result["group_by_seconds"] = [round(x[0], 3) for x in floor]
    result["group_by_median_s"] = median(floor)
    result["group_by_all_ratings_median_s"] = median(floor_all)
    result["service_seconds"] = [round(x[0], 3) for x in first]
    result["service_median_s"] = median(first)
    result["service_queries"] = first[-1][1]
    result["service_results_written"] = first[-1][2]
    result["retally_seconds"] = [round(x[0], 3) for x in again]
    result["retally_median_s"] = median(again)
    result["ratio_service_to_group_by"] = round(result["service_median_s"] / result["group_by_median_s"], 2)
    result["ratio_retally_to_group_by"] = round(result["retally_median_s"] / result["group_by_median_s"], 2)
    result["ratio_service_to_group_by_all_ratings"] = round(
        result["service_median_s"] / result["group_by_all_ratings_median_s"], 2
    )
    return result


def dump() -> dict:
    """Build a JSON whole-registry dump in this process (the Celery task's body); the parent samples our RSS."""
    try:
        from outcomes.models import RegistryDump
        from outcomes.tasks import registry_dump_build
    except ImportError as exc:
        return {"error": f"dump task not on this branch: {exc}"}
    fmt = os.environ.get("BENCH_DUMP_FORMAT", "json")
    dump_row = RegistryDump.objects.create(format=fmt)
    t0 = time.perf_counter()
    status = registry_dump_build(str(dump_row.pk))
    seconds = time.perf_counter() - t0
    dump_row.refresh_from_db()
    hwm_kb = _proc_status_kb("VmHWM")
    return {
        "format": fmt,
        "status": status,
        "seconds": round(seconds, 1),
        "versions": dump_row.version_count,
        "size_bytes": dump_row.size_bytes,
        "error": dump_row.error,
        "self_vmhwm_mb": round(hwm_kb / 1024, 1) if hwm_kb else None,
    }


def explain() -> dict:
    """The set list request's queries, each with its EXPLAIN (ANALYZE, BUFFERS), printed; returns the timings."""
    client = Client()
    client.get(list_path(0))  # warm: connection, caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(list_path(0))
    timings = []
    with connection.cursor() as cursor:
        for query in ctx.captured_queries:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = [line for (line,) in cursor.fetchall()]
            print(query["sql"], *plan, "", sep="\n")
            timings.append(plan[-1])
    return {"path": list_path(0), "status": response.status_code, "queries": len(timings), "execution": timings}


def publish_prepare(count: str) -> dict:
    return {"drafts": publishing.publish_drafts_prepare(count=int(count))}


def publish_check(version_ids: str) -> dict:
    return publishing.publish_drafts_check([int(pk) for pk in version_ids.split(",")])


def _proc_status_kb(key: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    probes = {"querycount": querycount, "tally": tally, "dump": dump, "explain": explain}
    probes |= {"publish_prepare": publish_prepare, "publish_check": publish_check}
    output = probes[command](*arguments)
    print(json.dumps(output, default=str))
