"""Time the public pages that list sets, in-process through Django's test client, against DATABASE_URL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cos_bench DEBUG=0 SECRET_KEY=... ALLOWED_HOSTS=testserver \
        SECURE_SSL_REDIRECT=0 COS_VAR_DIR=var/bench python bench/pages.py [--repeat 3] [path ...]

Every connection is read-only (`SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`): the benchmark database
is shared and must not change. Prints one line per page (the first, best and median time of the repeats, where
the first fills the cache of counts; body size; query count; with --queries each query's time) and the load
average before and after; docs/performance.md ("Public pages at scale") has the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cos_registry.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.backends.signals import connection_created  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

PAGES = [
    "/search/?q=fatigue&area=heart-disease",
    "/areas/heart-disease/",
    "/search/",
    "/search/?page=50",
    "/conditions/acute-coronary-syndrome/",
    "/domains/",
    "/domains/3/",
    "/instruments/",
    "/instruments/EQ-5D/",
    "/compare/",
]


def _read_only(sender, connection, **kwargs) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--queries", action="store_true", help="also print each query's time and its start")
    parser.add_argument("paths", nargs="*", default=PAGES)
    args = parser.parse_args()
    connection_created.connect(_read_only)
    connection.close()  # the next query opens a fresh, read-only connection
    client = Client()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'page':45} {'first ms':>9} {'best ms':>9} {'median ms':>10} {'KB':>8} {'queries':>8}")
    for path in args.paths:
        times = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        print(
            f"{path:45} {times[0]:9.0f} {min(times):9.0f} {statistics.median(times):10.0f} "
            f"{len(response.content) / 1024:8.0f} {len(queries.captured_queries):8d}",
            flush=True,
        )
        if args.queries:
            for query in queries.captured_queries:
                print(f"    {float(query['time']) * 1000:8.0f} ms  {query['sql'][:150]}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
