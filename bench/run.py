"""The benchmark: `make bench` (or `.venv/bin/python bench/run.py`). docs/performance.md explains the method.

1. Build the scale dataset in cos_bench (and a 1% copy in cos_bench_small for the query-count comparison).
2. Serve the app with gunicorn, production settings, a worker per core, on 127.0.0.1:8106.
3. From this process, drive it with a bounded load generator (fixed requests, fixed concurrency, a time limit),
   after a warm-up; beside each API figure, time its SQL floor the same way in the same run.
4. Time the tally service against one raw GROUP BY; post 200 whole-round submissions at concurrency 50 and check
   every rating arrived exactly once; count queries per request at two data sizes; sample the RSS of a process
   building the whole-registry dump.
5. Write bench/results/latest.json and the results table of docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

import psycopg2  # noqa: E402

from bench import floors, loadgen  # noqa: E402
from bench.build_dataset import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    SUBMIT_PROCESS_TITLE,
    submitter_token,
)
from bench.report import verdicts, write_doc  # noqa: E402
from bench.scenarios import (  # noqa: E402
    VERSION_NUMBER,
    VERSION_SLUG,
    export_path,
    list_floor_params,
    list_path,
    search_django_floor_path,
    search_floor_params,
    search_page_path,
    search_path,
    submission_body,
    submission_path,
    version_path,
)

HOST = "127.0.0.1"
PORT = int(os.environ.get("BENCH_PORT", "8106"))
SMALL_DATABASE_URL = DEFAULT_DATABASE_URL + "_small"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
RESULTS = BASE_DIR / "bench" / "results" / "latest.json"
VENV_BIN = Path(sys.executable).parent


def log(message: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {message}", flush=True)


def server_env(database_url: str) -> dict:
    env = dict(os.environ)
    env.update(
        DEBUG="0",
        SECRET_KEY="bench-" + secrets.token_urlsafe(40),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        SITE_URL=f"http://{HOST}:{PORT}",
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        CACHE_KEY_PREFIX="cos-bench",
        # One client address sends every request: the anonymous throttle would turn the benchmark into 429s.
        # The throttle still runs (a cache round trip per request); only its limit is raised.
        API_ANON_THROTTLE="100000000/minute",
        COS_VAR_DIR=str(BASE_DIR / "var" / "bench"),
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="cos_registry.settings",
    )
    return env


def run_python(args: list[str], env: dict, *, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=env, check=check, text=True, capture_output=True)


def probe(command: str, database_url: str, *arguments: str) -> dict:
    done = run_python(["bench/probes.py", command, *arguments], server_env(database_url), check=False)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------------- server


class Server:
    def __init__(
        self, database_url: str, workers: int, worker_class: str, threads: int, extra_env: dict | None = None
    ) -> None:
        self.env = server_env(database_url) | (extra_env or {})
        self.args = [
            str(VENV_BIN / "gunicorn"),
            "cos_registry.wsgi:application",
            "--bind",
            f"{HOST}:{PORT}",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--threads",
            str(threads),
            "--log-level",
            "warning",
            "--graceful-timeout",
            "5",
        ]
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        static = run_python(["manage.py", "collectstatic", "--noinput", "--verbosity", "0"], self.env, check=False)
        if static.returncode:
            log(f"collectstatic failed (API answers do not need it): {static.stderr.strip()[-300:]}")
        self.log_file = open(BASE_DIR / "var" / "bench" / "gunicorn.log", "w")
        self.process = subprocess.Popen(
            self.args, cwd=BASE_DIR, env=self.env, stdout=self.log_file, stderr=self.log_file
        )
        global SERVER_PID
        SERVER_PID = self.process.pid
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://{HOST}:{PORT}/api/v1/core-outcome-sets/?page_size=1", timeout=5)
                return self
            except OSError as exc:
                if getattr(exc, "code", None):  # an HTTP error: the server answers
                    return self
                time.sleep(0.3)
        raise SystemExit("gunicorn did not start; see var/bench/gunicorn.log")

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log_file.close()


def http_status(method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> int:
    request = urllib.request.Request(f"http://{HOST}:{PORT}{path}", data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


# ------------------------------------------------------------------------------------------------ scenarios


def http_worker_factory(request_for):
    return lambda: loadgen.HttpWorker(HOST, PORT, request_for)


def sql_worker_factory(database_url: str, query: str, params_for):
    def make():
        conn = psycopg2.connect(database_url)
        conn.autocommit = True
        cursor = conn.cursor()

        def call(n: int) -> int:
            cursor.execute(query, params_for(n))
            row = cursor.fetchone()
            if row is None or row[0] is None:
                raise RuntimeError("floor query returned nothing")
            return len(row[0].encode())

        call.conn = conn
        return call

    return make


def close_sql(worker) -> None:
    worker.conn.close()


SERVER_PID: int | None = None
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class CpuMeter:
    """CPU seconds spent, during a scenario, by the gunicorn workers, by the PostgreSQL backends serving the bench
    database (not the server's background processes), and by this process (the load generator's threads).

    Unlike latency, these hardly move with the other load on the machine: they say what one request costs, and so
    what the 2 cores can serve (see "Round submission" in docs/performance.md)."""

    def __init__(self, cursor) -> None:
        self.cursor = cursor

    def _backends(self) -> list[int]:
        self.cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in self.cursor.fetchall()]

    def __enter__(self) -> CpuMeter:
        self.workers = _children(SERVER_PID) if SERVER_PID else []
        self.start = {pid: _cpu_of(pid) for pid in [*self.workers, *self._backends()]}
        self.client = time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.client = time.process_time() - self.client
        backends = self._backends()
        # A backend that connected during the run started from zero.
        self.app = sum(_cpu_of(pid) - self.start.get(pid, 0.0) for pid in self.workers)
        self.database = sum(_cpu_of(pid) - self.start.get(pid, 0.0) for pid in backends)

    def per_request_ms(self, requests: int) -> dict:
        return {
            "app_workers": round(1000 * self.app / requests, 2),
            "postgres_backends": round(1000 * self.database / requests, 2),
            "load_generator": round(1000 * self.client / requests, 2),
        }


def median_stats(runs: list[loadgen.Stats]) -> dict:
    """Each figure is the median over the repeated runs; the runs themselves are kept too."""
    keys = ("throughput_rps", "p50_ms", "p95_ms", "p99_ms", "mean_ms")
    merged = {k: round(statistics.median(getattr(r, k) for r in runs), 2) for k in keys}
    merged["requests_per_run"] = runs[0].requests
    merged["errors"] = sum(r.errors for r in runs)
    merged["concurrency"] = runs[0].concurrency
    merged["bytes_per_response"] = runs[0].bytes_per_response
    merged["runs"] = [r.as_dict() for r in runs]
    return merged


def load_average() -> list[float]:
    """The machine's 1/5/15-minute load: other work on the box shows up here, and in every latency."""
    return [round(x, 2) for x in os.getloadavg()]


def measure_read(
    name: str, *, path_for, floor_query, floor_params_for, database_url: str, args, extra_floor_query: str = ""
) -> dict:
    first = http_status("GET", path_for(0))
    if first != 200:
        log(f"{name}: GET {path_for(0)} answered {first}; not measured")
        return {"path": path_for(0), "error": f"HTTP {first} (endpoint not on this branch?)"}
    request_for = lambda n: ("GET", path_for(n), None, {"Accept": "application/json"})  # noqa: E731
    app_worker = http_worker_factory(request_for)
    floor_worker = sql_worker_factory(database_url, floor_query, floor_params_for)
    common = {"concurrency": args.concurrency, "time_limit": args.time_limit}
    loadgen.run(make_worker=app_worker, requests=args.warmup, close_worker=lambda w: w.close(), **common)
    loadgen.run(make_worker=floor_worker, requests=args.warmup, close_worker=close_sql, **common)
    app_runs, floor_runs = [], []
    for _ in range(args.repeat):  # interleaved, so both see the same machine
        app_runs.append(
            loadgen.run(make_worker=app_worker, requests=args.requests, close_worker=lambda w: w.close(), **common)
        )
        floor_runs.append(
            loadgen.run(make_worker=floor_worker, requests=args.requests, close_worker=close_sql, **common)
        )
    app, floor = median_stats(app_runs), median_stats(floor_runs)
    result = {
        "path": path_for(0),
        "app": app,
        "floor": floor,
        "ratio_p50": round(app["p50_ms"] / floor["p50_ms"], 2),
        "ratio_p95": round(app["p95_ms"] / floor["p95_ms"], 2),
        "load_average_after": load_average(),
    }
    if extra_floor_query:
        # One run only (not the median of runs): an extra figure for comparison, not a floor of the ratio.
        extra_worker = sql_worker_factory(database_url, extra_floor_query, floor_params_for)
        extra = loadgen.run(make_worker=extra_worker, requests=args.requests, close_worker=close_sql, **common)
        result["floor_base_tables"] = extra.as_dict()
        log(f"{name}: the same page from the base tables (no search index), one run: p95 {extra.p95_ms} ms")
    log(
        f"{name}: app p50/p95/p99 {app['p50_ms']}/{app['p95_ms']}/{app['p99_ms']} ms, {app['throughput_rps']} rps; "
        f"floor p95 {floor['p95_ms']} ms; ratio p95 {result['ratio_p95']} (errors {app['errors']})"
    )
    return result


def measure_submissions(database_url: str, args) -> dict:
    """200 panelists each PUT a whole round (100 ratings) at concurrency 50; then count what was stored."""
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT id FROM outcomes_consensusprocess WHERE title = %s", [SUBMIT_PROCESS_TITLE])
    (process_id,) = cur.fetchone()
    cur.execute("SELECT id, number FROM outcomes_round WHERE process_id = %s", [process_id])
    round_id, number = cur.fetchone()
    cur.execute('SELECT id FROM outcomes_item WHERE process_id = %s ORDER BY "order", id', [process_id])
    item_ids = [row[0] for row in cur.fetchall()]
    cur.execute("SELECT count(*) FROM outcomes_panelist WHERE process_id = %s", [process_id])
    (panel,) = cur.fetchone()
    path = submission_path(number)
    bodies = [json.dumps(submission_body(item_ids, seed=i)).encode() for i in range(panel)]

    def reset() -> None:
        cur.execute(
            "DELETE FROM outcomes_rating r USING outcomes_rounditem ri"
            " WHERE ri.id = r.round_item_id AND ri.round_id = %s",
            [round_id],
        )
        cur.execute(
            "UPDATE outcomes_participation SET started_at = NULL, completed_at = NULL WHERE round_id = %s", [round_id]
        )

    def headers(i: int, json_body: bool = True) -> dict:
        h = {"Authorization": f"Panelist {submitter_token(i)}", "Accept": "application/json"}
        if json_body:
            h["Content-Type"] = "application/json"
        return h

    reset()
    status = http_status("PUT", path, bodies[0], headers(0))
    if status != 200:
        log(f"round submission: PUT {path} answered {status}; not measured")
        return {"path": path, "error": f"HTTP {status} (endpoint not on this branch?)"}
    # Warm up on the read side of the same endpoint (a write would leave ratings behind).
    loadgen.run(
        make_worker=http_worker_factory(lambda n: ("GET", path, None, headers(n % panel, False))),
        requests=args.warmup,
        concurrency=8,
        time_limit=args.time_limit,
        close_worker=lambda w: w.close(),
    )
    runs, checks = [], []
    cpu = []
    for _ in range(args.repeat):
        reset()
        with CpuMeter(cur) as meter:
            stats = loadgen.run(
                make_worker=http_worker_factory(lambda n: ("PUT", path, bodies[n], headers(n))),
                requests=panel,
                concurrency=args.submit_concurrency,
                time_limit=args.time_limit,
                close_worker=lambda w: w.close(),
            )
        cpu.append(meter.per_request_ms(panel))
        cur.execute(
            """SELECT count(*), count(DISTINCT (r.panelist_id, r.round_item_id)), count(DISTINCT r.panelist_id),
                      (SELECT count(*) FROM outcomes_participation WHERE round_id = %(r)s AND completed_at IS NOT NULL)
                 FROM outcomes_rating r JOIN outcomes_rounditem ri ON ri.id = r.round_item_id
                WHERE ri.round_id = %(r)s""",
            {"r": round_id},
        )
        stored, distinct_pairs, panelists, completed = cur.fetchone()
        checks.append(
            {
                "expected": panel * len(item_ids),
                "stored": stored,
                "distinct_panelist_item": distinct_pairs,
                "panelists": panelists,
                "completed_participations": completed,
                "exact": stored == distinct_pairs == panel * len(item_ids) and completed == panel,
            }
        )
        runs.append(stats)
    conn.close()
    result = {"path": path, "panelists": panel, "ratings_per_request": len(item_ids), **median_stats(runs)}
    result["checks"] = checks
    result["cpu_ms_per_request"] = {key: statistics.median(c[key] for c in cpu) for key in cpu[0]}
    result["cpu_ms_per_request_runs"] = cpu
    result["load_average_after"] = load_average()
    result["all_exact"] = all(c["exact"] for c in checks)
    log(
        f"round submission: p50/p95/p99 {result['p50_ms']}/{result['p95_ms']}/{result['p99_ms']} ms at concurrency "
        f"{args.submit_concurrency}, {result['throughput_rps']} rps; CPU ms per request "
        f"{result['cpu_ms_per_request']}; stored exactly {panel} x {len(item_ids)}: {result['all_exact']}"
    )
    return result


def measure_dump(database_url: str) -> dict:
    """Build the whole-registry dump in a child process and sample its resident memory every 20 ms."""
    child = subprocess.Popen(
        [sys.executable, "bench/probes.py", "dump"],
        cwd=BASE_DIR,
        env=server_env(database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak_kb, samples = 0, 0
    status_file = Path(f"/proc/{child.pid}/status")
    while child.poll() is None:
        try:
            for line in status_file.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    peak_kb = max(peak_kb, int(line.split()[1]))
                    samples += 1
        except OSError:
            pass
        time.sleep(0.02)
    out, err = child.communicate()
    if child.returncode:
        return {"error": err.strip().splitlines()[-1] if err.strip() else f"exit {child.returncode}"}
    result = json.loads(out.strip().splitlines()[-1])
    if result.get("error") and not result.get("status"):
        log(f"dump: {result['error']}")
        return result
    result["sampled_peak_rss_mb"] = round(peak_kb / 1024, 1)
    result["samples"] = samples
    peak = max(result["sampled_peak_rss_mb"], result.get("self_vmhwm_mb") or 0)
    result["peak_mb"] = peak
    log(f"dump: {result}")
    return result


def postgres_version(database_url: str) -> str:
    conn = psycopg2.connect(database_url)
    with conn.cursor() as cur:
        cur.execute("SHOW server_version")
        version = cur.fetchone()[0]
    conn.close()
    return version


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="Run the COS Registry benchmark.")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--skip-build", action="store_true", help="reuse the databases of a previous run")
    parser.add_argument("--requests", type=int, default=500, help="requests per run of each read scenario")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is reported")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--submit-concurrency", type=int, default=50)
    parser.add_argument("--publish-drafts", type=int, default=60, help="drafts published per run (part scale)")
    parser.add_argument("--publish-concurrency", type=int, default=4)
    parser.add_argument("--time-limit", type=float, default=20.0, help="seconds per run at most")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn workers (a per core)")
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--only", default="", help="comma-separated subset: list,search,version,fhir,submit,scale,tally,qc,dump"
    )
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite the table in docs/performance.md")
    parser.add_argument(
        "--update",
        action="store_true",
        help="with --only: re-measure those parts and update them in the previous latest.json (and the table)",
    )
    args = parser.parse_args(argv)
    only = set(filter(None, args.only.split(",")))
    wanted = lambda key: not only or key in only  # noqa: E731
    started = time.monotonic()
    (BASE_DIR / "var" / "bench").mkdir(parents=True, exist_ok=True)
    small_url = args.database_url + "_small"

    if not args.skip_build:
        log("building the full dataset (25,000 sets, 600,000 ratings)")
        done = run_python(["bench/build_dataset.py", "--database-url", args.database_url], dict(os.environ))
        log(done.stdout.strip().splitlines()[-1])
        log("building the small dataset (250 sets, 200 panelists) for the query-count comparison")
        run_python(
            ["bench/build_dataset.py", "--database-url", small_url, "--sets", "250", "--panelists", "200"],
            dict(os.environ),
        )
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()

    results: dict = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "make bench",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "postgres": postgres_version(args.database_url),
            "platform": platform.platform(),
        },
        "server": {"workers": args.workers, "worker_class": args.worker_class, "threads": args.threads},
        "load": {
            "requests": args.requests,
            "warmup": args.warmup,
            "repeat": args.repeat,
            "concurrency": args.concurrency,
            "submit_concurrency": args.submit_concurrency,
            "time_limit_s": args.time_limit,
        },
        "scenarios": {},
        "load_average_at_start": load_average(),
    }
    db = args.database_url
    with Server(db, args.workers, args.worker_class, args.threads):
        log(f"gunicorn up on {HOST}:{PORT} ({args.workers} x {args.worker_class})")
        version_params = lambda n: {"slug": VERSION_SLUG, "version": VERSION_NUMBER}  # noqa: E731
        if wanted("list"):
            results["scenarios"]["set_list"] = measure_read(
                "set list",
                path_for=list_path,
                floor_query=floors.SET_LIST_PAGE,
                floor_params_for=list_floor_params,
                database_url=db,
                args=args,
                extra_floor_query=floors.SET_LIST_PAGE_BASE_TABLES,
            )
        if wanted("search"):
            # The 4 queries of SEARCH_QUERIES in turn: after its first time, a query is answered from the search
            # answers kept for the search generation (outcomes/search/generation.py).
            results["scenarios"]["search_api"] = measure_read(
                "free-text search (API), repeated queries",
                path_for=search_path,
                floor_query=floors.FREE_TEXT_SEARCH,
                floor_params_for=search_floor_params,
                database_url=db,
                args=args,
            )
            results["scenarios"]["search_page"] = measure_read(
                "free-text search (page), repeated queries",
                path_for=search_page_path,
                floor_query=floors.FREE_TEXT_SEARCH,
                floor_params_for=search_floor_params,
                database_url=db,
                args=args,
            )
        if wanted("version"):
            results["scenarios"]["version_detail"] = measure_read(
                "version detail",
                path_for=lambda n: version_path(VERSION_SLUG, VERSION_NUMBER),
                floor_query=floors.VERSION_DOCUMENT,
                floor_params_for=version_params,
                database_url=db,
                args=args,
            )
        if wanted("fhir"):
            results["scenarios"]["fhir_export"] = measure_read(
                "FHIR export",
                path_for=lambda n: export_path(VERSION_SLUG, VERSION_NUMBER, "fhir"),
                floor_query=floors.VERSION_DOCUMENT,
                floor_params_for=version_params,
                database_url=db,
                args=args,
            )
        if wanted("submit"):
            results["submission"] = measure_submissions(db, args)
    if wanted("search"):
        # The same queries with no answer kept (SEARCH_RESULTS_CACHE_SECONDS=0): every request searches, as a query
        # asked for the first time does.
        # The same server also answers the floor statement itself through a bare Django view (bench/floor_urls.py):
        # what the stack's request handling alone adds to the floor, with no search work.
        no_answers_kept = {"SEARCH_RESULTS_CACHE_SECONDS": "0", "DJANGO_SETTINGS_MODULE": "bench.floor_site"}
        with Server(db, args.workers, args.worker_class, args.threads, no_answers_kept):
            log("gunicorn restarted with no search answers kept")
            for key, label, path_for in (
                ("search_api_new", "free-text search (API), every query searched", search_path),
                ("search_page_new", "free-text search (page), every query searched", search_page_path),
                ("search_django_floor", "the floor statement through a bare Django view", search_django_floor_path),
            ):
                results["scenarios"][key] = measure_read(
                    label,
                    path_for=path_for,
                    floor_query=floors.FREE_TEXT_SEARCH,
                    floor_params_for=search_floor_params,
                    database_url=db,
                    args=args,
                )
    if wanted("scale"):
        from bench import scale

        log("scale-out: two app servers behind nginx, cache off and on, reads on a replica (bench/scale.py)")
        results["scale"] = scale.measure(db, args)
    if wanted("tally"):
        log("timing the tally service against the raw GROUP BY")
        results["tally"] = probe("tally", db)
        log(f"tally: {results['tally']}")
    if wanted("qc"):
        log("counting queries per request at two data sizes")
        results["query_counts"] = {"small": probe("querycount", small_url), "large": probe("querycount", db)}
        log(f"query counts: {results['query_counts']}")
    if wanted("dump"):
        log("building the whole-registry dump in a separate process, sampling its RSS")
        results["dump"] = measure_dump(db)
    results["load_average_at_end"] = load_average()
    if args.update and only and RESULTS.exists():
        previous = json.loads(RESULTS.read_text())
        remeasured = {
            key: results[key] for key in ("tally", "query_counts", "submission", "dump", "scale") if key in results
        }
        previous.setdefault("scenarios", {}).update(results["scenarios"])
        previous.update(remeasured)
        previous.setdefault("updates", []).append(
            {"at": results["started_at"], "parts": sorted(only), "load_average": results["load_average_at_end"]}
        )
        results, only = previous, set()
    results["verdicts"] = verdicts(results)
    if not args.update:
        results["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        results["seconds"] = round(time.monotonic() - started, 1)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    if not args.no_doc and not only:
        write_doc(results)
    log(f"done in {round(time.monotonic() - started, 1)} s: {RESULTS.relative_to(BASE_DIR)}")
    for name, verdict in results["verdicts"].items():
        log(f"  {'met ' if verdict['met'] else 'MISS'} {name}: {verdict['value']} (target {verdict.get('target', '')})")
    return results


if __name__ == "__main__":
    main()
