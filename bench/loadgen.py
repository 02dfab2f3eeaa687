"""A bounded closed-loop load generator: a fixed number of requests, a fixed concurrency, a time limit.

Each of `concurrency` threads owns one connection (an HTTP keep-alive connection, or a PostgreSQL connection for
the SQL floor) and sends requests one after the other until the shared request budget or the time limit runs out.
Latency is measured per request around the whole exchange (send, wait, read the full body).
"""

from __future__ import annotations

import http.client
import math
import statistics
import threading
import time
from collections.abc import Callable, Container
from dataclasses import asdict, dataclass, field


@dataclass
class Stats:
    requests: int
    errors: int
    concurrency: int
    seconds: float
    throughput_rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    bytes_per_response: int
    error_samples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def run(
    *,
    make_worker: Callable[[], Callable[[int], int]],
    requests: int,
    concurrency: int,
    time_limit: float,
    close_worker: Callable[[Callable], None] | None = None,
) -> Stats:
    """Send `requests` calls through `concurrency` workers; a worker call takes a request number, returns bytes read.

    A call that raises counts as an error (its latency is not recorded).
    """
    lock = threading.Lock()
    counter = iter(range(requests))
    latencies: list[float] = []
    sizes: list[int] = []
    errors: list[str] = []
    deadline = time.monotonic() + time_limit
    workers = [make_worker() for _ in range(concurrency)]
    start_barrier = threading.Barrier(concurrency + 1)

    def loop(worker: Callable[[int], int]) -> None:
        start_barrier.wait()
        while time.monotonic() < deadline:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            t0 = time.perf_counter()
            try:
                size = worker(n)
            except Exception as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:300])
                continue
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                sizes.append(size)

    threads = [threading.Thread(target=loop, args=(w,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    start_barrier.wait()
    t_start = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t_start
    if close_worker:
        for w in workers:
            close_worker(w)
    ms = sorted(x * 1000 for x in latencies)
    return Stats(
        requests=len(ms),
        errors=len(errors),
        concurrency=concurrency,
        seconds=round(wall, 3),
        throughput_rps=round(len(ms) / wall, 1) if wall else 0.0,
        p50_ms=round(percentile(ms, 50), 2),
        p95_ms=round(percentile(ms, 95), 2),
        p99_ms=round(percentile(ms, 99), 2),
        mean_ms=round(statistics.fmean(ms), 2) if ms else float("nan"),
        max_ms=round(ms[-1], 2) if ms else float("nan"),
        bytes_per_response=int(statistics.median(sizes)) if sizes else 0,
        error_samples=sorted(set(errors))[:5],
    )


class HttpError(Exception):
    pass


class HttpWorker:
    """One keep-alive HTTP/1.1 connection to the server; reconnects when the server closes it. An answer whose
    status is not in `expect` (2xx by default) counts as an error."""

    def __init__(
        self,
        host: str,
        port: int,
        request_for: Callable[[int], tuple[str, str, bytes | None, dict]],
        expect: Container[int] = range(200, 300),
    ):
        self.host, self.port, self.request_for, self.expect = host, port, request_for, expect
        self.conn: http.client.HTTPConnection | None = None

    def __call__(self, n: int) -> int:
        method, path, body, headers = self.request_for(n)
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A server that closed an idle keep-alive connection: retry once on a fresh one.
                self.close()
                if attempt:
                    raise
                continue
            if response.getheader("Connection", "").lower() == "close" or response.will_close:
                self.close()
            if response.status not in self.expect:
                raise HttpError(f"{method} {path} -> {response.status}: {data[:200]!r}")
            return len(data)
        raise HttpError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
