"""Scale-out scenarios (docs/performance.md, "Scaling out"): the public read mix through nginx in front of two
gunicorn instances, with nginx's cache on and off, with reads on a streaming replica, and the write path with and
without replicas. Run by `make bench` (bench/run.py, part "scale"), or alone:

    flock /tmp/bench.lock .venv/bin/python bench/scale.py [--database-url ...] [--requests 400] [--repeat 3]

Needs nginx and the Debian PostgreSQL cluster tools (scripts/replica.sh creates the replica and removes it).
"""

from __future__ import annotations

import argparse
import http.client
import json
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

import psycopg2  # noqa: E402

from bench import loadgen, run  # noqa: E402
from bench.scenarios import (  # noqa: E402
    PUBLISHER,
    PUBLISHER_PASSWORD,
    VERSION_NUMBER,
    VERSION_SLUG,
    export_path,
    list_path,
    publish_path,
    search_page_path,
    search_path,
    version_path,
)
from cos_registry.deploy import nginx_config_render, nginx_start  # noqa: E402

HOST = "127.0.0.1"
APP_PORTS = (8107, 8108)
PROXY_PORT = 8109
REPLICA_PORT = 5433
REFRESH_TOKEN = secrets.token_urlsafe(16)
RUN_DIR = BASE_DIR / "var" / "bench" / "scale"
SCALE_RESULTS = BASE_DIR / "bench" / "results" / "scale.json"


def read_mix(n: int) -> str:
    """The n-th public read: set list, search (API and page), version detail, exports, pages, in turn."""
    paths = (
        list_path(n),
        search_path(n),
        version_path(VERSION_SLUG, VERSION_NUMBER),
        export_path(VERSION_SLUG, VERSION_NUMBER, "fhir"),
        export_path(VERSION_SLUG, VERSION_NUMBER, "csv"),
        search_page_path(n),
        f"/sets/{VERSION_SLUG}/",
        "/",
    )
    return paths[n % len(paths)]


def _with_port(database_url: str, port: int) -> str:
    parts = urlsplit(database_url)
    netloc = parts.netloc.rsplit(":", 1)[0] if parts.port else parts.netloc
    return urlunsplit(parts._replace(netloc=f"{netloc}:{port}"))


class Tier:
    """Two gunicorn instances (one worker each: a worker per core on this 2-core machine) behind nginx."""

    def __init__(self, database_url: str, *, cache: bool, replica_url: str | None = None) -> None:
        self.env = run.server_env(database_url)
        self.env["SITE_URL"] = f"http://{HOST}:{PROXY_PORT}"
        self.env.pop("DATABASE_REPLICA_URLS", None)
        if replica_url:
            self.env["DATABASE_REPLICA_URLS"] = replica_url
        self.cache = cache
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> Tier:
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        run.run_python(["manage.py", "collectstatic", "--noinput", "--verbosity", "0"], self.env, check=False)
        self.log = open(RUN_DIR / "gunicorn.log", "a")
        for port in APP_PORTS:
            args = [str(run.VENV_BIN / "gunicorn"), "cos_registry.wsgi:application", "--bind", f"{HOST}:{port}",
                    "--workers", "1", "--log-level", "warning", "--graceful-timeout", "5"]  # fmt: skip
            self.processes.append(subprocess.Popen(args, cwd=BASE_DIR, env=self.env, stdout=self.log, stderr=self.log))
        deadline = time.monotonic() + 60
        for port in APP_PORTS:  # each app server answers before nginx sends it traffic
            while True:
                try:
                    urllib.request.urlopen(f"http://{HOST}:{port}/api/v1/core-outcome-sets/?page_size=1", timeout=5)
                    break
                except OSError as exc:
                    if time.monotonic() > deadline:
                        raise SystemExit(
                            f"app server {port} did not start: {exc}; see {RUN_DIR}/gunicorn.log"
                        ) from None
                    time.sleep(0.3)
        config = nginx_config_render(
            listen=f"{HOST}:{PROXY_PORT}",
            upstreams=[f"{HOST}:{port}" for port in APP_PORTS],
            run_dir=RUN_DIR / ("nginx-cache" if self.cache else "nginx"),
            refresh_token=REFRESH_TOKEN,
            cache=self.cache,
        )
        self.nginx = nginx_start(config)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://{HOST}:{PROXY_PORT}/api/v1/core-outcome-sets/?page_size=1", timeout=5)
                break
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise SystemExit(f"the tier did not start: {exc}; see {RUN_DIR}/gunicorn.log") from None
                time.sleep(0.3)
        return self

    def app_pids(self) -> list[int]:
        return [pid for process in self.processes for pid in [process.pid, *run._children(process.pid)]]

    def __exit__(self, *exc) -> None:
        for process in [*self.processes, self.nginx]:
            process.terminate()
        for process in [*self.processes, self.nginx]:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.log.close()


class BackendCpu:
    """CPU seconds spent by the PostgreSQL backends of one server (primary or replica) serving the bench database."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url

    def _backends(self) -> list[int]:
        try:
            with psycopg2.connect(self.url, connect_timeout=2) as conn, conn.cursor() as cur:
                cur.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                return [row[0] for row in cur.fetchall()]
        except psycopg2.OperationalError:
            return []

    def __enter__(self) -> BackendCpu:
        self.start = {pid: run._cpu_of(pid) for pid in self._backends()}
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = sum(run._cpu_of(pid) - self.start.get(pid, 0.0) for pid in self._backends())


def mix_runs(*, concurrency: int, args, requests: int | None = None) -> dict:
    worker = lambda: loadgen.HttpWorker(HOST, PROXY_PORT, lambda n: ("GET", read_mix(n), None, {}))  # noqa: E731
    common = {"concurrency": concurrency, "time_limit": args.time_limit, "close_worker": lambda w: w.close()}
    loadgen.run(make_worker=worker, requests=args.warmup, **common)
    runs = [loadgen.run(make_worker=worker, requests=requests or args.requests, **common) for _ in range(args.repeat)]
    return run.median_stats(runs)


def cpu_per_request(*, database_url: str, replica_url: str | None, tier: Tier, args) -> dict:
    """One run of the mix at concurrency 8: CPU ms per request of the app servers, the primary and the replica."""
    worker = lambda: loadgen.HttpWorker(HOST, PROXY_PORT, lambda n: ("GET", read_mix(n), None, {}))  # noqa: E731
    pids = tier.app_pids()
    app_start = {pid: run._cpu_of(pid) for pid in pids}
    with BackendCpu(database_url) as primary, BackendCpu(replica_url or database_url) as replica:
        stats = loadgen.run(
            make_worker=worker,
            requests=args.requests,
            concurrency=8,
            time_limit=args.time_limit,
            close_worker=lambda w: w.close(),
        )
    app = sum(run._cpu_of(pid) - app_start.get(pid, 0.0) for pid in pids)
    done = max(stats.requests - stats.errors, 1)
    result = {
        "requests": stats.requests,
        "errors": stats.errors,
        "app_ms": round(1000 * app / done, 2),
        "primary_ms": round(1000 * primary.seconds / done, 2),
    }
    if replica_url:
        result["replica_ms"] = round(1000 * replica.seconds / done, 2)
    return result


def replica_stopped_mid_run(*, args) -> dict:
    """The mix at concurrency 8 for `2 x time_limit` while the replica is stopped after a third and restarted."""
    worker = lambda: loadgen.HttpWorker(HOST, PROXY_PORT, lambda n: ("GET", read_mix(n), None, {}))  # noqa: E731
    span = 2 * args.time_limit
    events: list[str] = []

    def outage() -> None:
        time.sleep(span / 3)
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", "15", "cosreplica", "stop"], check=True)
        events.append(f"stopped at {span / 3:.0f} s")
        time.sleep(span / 3)
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", "15", "cosreplica", "start"], check=True)
        events.append(f"restarted at {2 * span / 3:.0f} s")

    thread = threading.Thread(target=outage)
    thread.start()
    stats = loadgen.run(
        make_worker=worker, requests=10**6, concurrency=8, time_limit=span, close_worker=lambda w: w.close()
    )
    thread.join()
    return {**stats.as_dict(), "events": events}


def submissions(database_url: str, args) -> dict:
    """The round submission of bench/run.py (200 panelists PUT 100 ratings each), sent through nginx."""
    run.PORT = PROXY_PORT
    result = run.measure_submissions(database_url, args)
    return {key: result.get(key) for key in ("p50_ms", "p95_ms", "throughput_rps", "errors", "all_exact")}


FORM = "application/x-www-form-urlencoded"


def _cookies_set(response: http.client.HTTPResponse, cookies: dict[str, str]) -> None:
    for header in response.headers.get_all("Set-Cookie") or []:
        cookies.update({name: morsel.value for name, morsel in SimpleCookie(header).items()})


def _cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def sign_in(username: str, password: str) -> dict[str, str]:
    """Sign in through nginx with the login form, as a browser does; returns the session and CSRF cookies."""
    conn = http.client.HTTPConnection(HOST, PROXY_PORT, timeout=60)
    cookies: dict[str, str] = {}
    try:
        conn.request("GET", "/accounts/login/")
        response = conn.getresponse()
        response.read()
        _cookies_set(response, cookies)
        form = {"username": username, "password": password, "csrfmiddlewaretoken": cookies.get("csrftoken", "")}
        headers = {"Content-Type": FORM, "Cookie": _cookie_header(cookies)}
        conn.request("POST", "/accounts/login/", body=urlencode(form), headers=headers)
        response = conn.getresponse()
        response.read()
        _cookies_set(response, cookies)  # a new session, and a new CSRF token (Django rotates it at sign-in)
    finally:
        conn.close()
    if response.status != 302 or "sessionid" not in cookies:
        raise loadgen.HttpError(f"signing in as {username} answered {response.status}")
    return cookies


def publish_request(draft: dict, cookies: dict[str, str]) -> tuple[str, str, bytes, dict]:
    """A curator's click on "Publish" on a draft's page: the form, its CSRF token, the proposed number."""
    body = urlencode({"csrfmiddlewaretoken": cookies["csrftoken"], "number": ""}).encode()
    headers = {"Content-Type": FORM, "Cookie": _cookie_header(cookies)}
    return "POST", publish_path(draft["slug"], draft["version"]), body, headers


def publish_all(drafts: list[dict], cookies: dict[str, str], args) -> loadgen.Stats:
    """Publish each draft once through nginx, `publish_concurrency` at a time; a publication answers 302."""
    request_for = lambda n: publish_request(drafts[n], cookies)  # noqa: E731
    return loadgen.run(
        make_worker=lambda: loadgen.HttpWorker(HOST, PROXY_PORT, request_for, expect=(302,)),
        requests=len(drafts),
        concurrency=args.publish_concurrency,
        time_limit=args.time_limit,
        close_worker=lambda w: w.close(),
    )


def publications(database_url: str, args) -> dict:
    """Per run, `publish_drafts` fresh drafts (bench/publishing.py) published by a curator signed in through
    nginx; then every draft checked published exactly once."""
    runs, checks = [], []
    for _ in range(args.repeat):
        prepared = run.probe("publish_prepare", database_url, str(args.publish_drafts))
        if "error" in prepared:
            return {"error": f"preparing the drafts: {prepared['error']}"}
        drafts = prepared["drafts"]
        try:
            cookies = sign_in(PUBLISHER, PUBLISHER_PASSWORD)
        except (OSError, loadgen.HttpError) as exc:
            return {"error": f"{exc}; see {RUN_DIR}/gunicorn.log"}
        runs.append(publish_all(drafts, cookies, args))
        checks.append(run.probe("publish_check", database_url, ",".join(str(d["id"]) for d in drafts)))
    stats = run.median_stats(runs)
    return {
        "drafts_per_run": args.publish_drafts,
        **{key: stats[key] for key in ("concurrency", "p50_ms", "p95_ms", "p99_ms", "throughput_rps", "errors")},
        "error_samples": sorted({sample for r in runs for sample in r.error_samples})[:5],
        "all_exact": all(check.get("exact") for check in checks) and stats["errors"] == 0,
        "checks": checks,
    }


def measure(database_url: str, args) -> dict:
    replica_url = _with_port(database_url, REPLICA_PORT)
    results: dict = {"mix": [read_mix(n) for n in range(8)], "app_servers": len(APP_PORTS), "cache": {}}
    for cache in (False, True):
        with Tier(database_url, cache=cache) as tier:
            label = "cache_on" if cache else "cache_off"
            results["cache"][label] = {f"c{c}": mix_runs(concurrency=c, args=args) for c in (8, 64)}
            for c in (8, 64):
                figure = results["cache"][label][f"c{c}"]
                run.log(f"scale, {label}, concurrency {c}: {figure['throughput_rps']} rps, p95 {figure['p95_ms']} ms")
            if not cache:
                results["cpu_primary_only"] = cpu_per_request(
                    database_url=database_url, replica_url=None, tier=tier, args=args
                )
                run.log(f"scale, CPU ms per request, primary only: {results['cpu_primary_only']}")
                results["submission_without_replica"] = submissions(database_url, args)
                results["publish_without_replica"] = publications(database_url, args)
    started = subprocess.run(["bash", "scripts/replica.sh", "start"], cwd=BASE_DIR, capture_output=True, text=True)
    if started.returncode:
        results["replica"] = {"error": started.stderr.strip()[-500:]}
        return _saved(results)
    try:
        with Tier(database_url, cache=False, replica_url=replica_url) as tier:
            mix_runs(concurrency=8, args=args, requests=args.warmup)
            results["cpu_with_replica"] = cpu_per_request(
                database_url=database_url, replica_url=replica_url, tier=tier, args=args
            )
            run.log(f"scale, CPU ms per request, reads on the replica: {results['cpu_with_replica']}")
            results["replica_c8"] = mix_runs(concurrency=8, args=args)
            results["replica_outage"] = replica_stopped_mid_run(args=args)
            run.log(
                f"scale, replica stopped and restarted mid-run: {results['replica_outage']['requests']} requests, "
                f"{results['replica_outage']['errors']} errors"
            )
            results["submission_with_replica"] = submissions(database_url, args)
            results["publish_with_replica"] = publications(database_url, args)
    finally:
        subprocess.run(["bash", "scripts/replica.sh", "stop"], cwd=BASE_DIR, check=False)
    keys = ("submission_without_replica", "submission_with_replica", "publish_without_replica", "publish_with_replica")
    for key in keys:
        run.log(f"scale, {key}: {results[key]}")
    return _saved(results)


def _saved(results: dict) -> dict:
    """`results`, written to SCALE_RESULTS: alone or as part of `make bench`, the last scale-out run is in one file."""
    SCALE_RESULTS.parent.mkdir(parents=True, exist_ok=True)
    SCALE_RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    run.log(f"scale results: {SCALE_RESULTS.relative_to(BASE_DIR)}")
    return results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="The scale-out scenarios of the benchmark.")
    parser.add_argument("--database-url", default=run.DEFAULT_DATABASE_URL)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--submit-concurrency", type=int, default=50)
    parser.add_argument("--publish-drafts", type=int, default=60, help="drafts published per run")
    parser.add_argument("--publish-concurrency", type=int, default=4)
    args = parser.parse_args(argv)
    return measure(args.database_url, args)


if __name__ == "__main__":
    main()
