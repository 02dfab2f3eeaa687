"""The benchmark's report: its targets, the verdict on each, and the results table of docs/performance.md."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"

TARGETS = {
    "version_detail_p95_ms": 25,
    "set_list_p95_ms": 50,
    "app_floor_ratio": 3,
    "tally_s": 2,
    "tally_ratio": 1.5,
    "submission_p95_ms": 150,
    "dump_peak_mb": 250,
    # Free-text search, API and page (the search engine over the per-set index): p95 and app/floor ratio.
    "search_p95_ms": 50,
    "search_ratio": 1.5,
}


def verdicts(results: dict) -> dict:
    out = {}

    def check(name, value, limit):
        out[name] = {"value": value, "target": limit, "met": value is not None and value <= limit}

    s = results["scenarios"]
    if "app" in s.get("version_detail", {}):
        check("version detail p95 (ms)", s["version_detail"]["app"]["p95_ms"], TARGETS["version_detail_p95_ms"])
        check("version detail app/floor (p95)", s["version_detail"]["ratio_p95"], TARGETS["app_floor_ratio"])
    if "app" in s.get("set_list", {}):
        check("set list p95 (ms)", s["set_list"]["app"]["p95_ms"], TARGETS["set_list_p95_ms"])
        check("set list app/floor (p95)", s["set_list"]["ratio_p95"], TARGETS["app_floor_ratio"])
    for key, label in (
        ("search_api", "free-text search API, repeated queries"),
        ("search_page", "free-text search page, repeated queries"),
        ("search_api_new", "free-text search API, every query searched"),
        ("search_page_new", "free-text search page, every query searched"),
    ):
        if "app" in s.get(key, {}):
            check(f"{label} p95 (ms)", s[key]["app"]["p95_ms"], TARGETS["search_p95_ms"])
            check(f"{label} app/floor (p95)", s[key]["ratio_p95"], TARGETS["search_ratio"])
    t = results.get("tally", {})
    if "service_median_s" in t:
        check("tally of 600,000 ratings (s)", t["service_median_s"], TARGETS["tally_s"])
        check("tally / raw GROUP BY", t["ratio_service_to_group_by"], TARGETS["tally_ratio"])
        check("re-tally of 600,000 ratings (s)", t["retally_median_s"], TARGETS["tally_s"])
        check("re-tally / raw GROUP BY", t["ratio_retally_to_group_by"], TARGETS["tally_ratio"])
    sub = results.get("submission", {})
    if "p95_ms" in sub:
        check("round submission p95 (ms)", sub["p95_ms"], TARGETS["submission_p95_ms"])
        out["round submission: exactly 200 x 100 stored"] = {"value": sub["all_exact"], "met": sub["all_exact"]}
    d = results.get("dump", {})
    if "peak_mb" in d:
        check("dump worker peak RSS (MB)", d["peak_mb"], TARGETS["dump_peak_mb"])
    q = results.get("query_counts", {})
    if "large" in q and "small" in q:
        compared = [
            (k, q["small"].get(k, {}).get("queries"), v["queries"])
            for k, v in q["large"].items()
            if isinstance(v, dict) and v.get("status") in (200, 201)
        ]
        if compared:
            same = all(small == large for _, small, large in compared)
            out["query count independent of size"] = {"value": same, "met": same}
    return out


def markdown_table(results: dict) -> str:
    s = results["scenarios"]
    lines = [
        f"Run {results['finished_at']} on {results['machine']['cpus']} CPUs, {results['machine']['python']}, "
        f"PostgreSQL {results['machine']['postgres']}; gunicorn {results['server']['workers']} x "
        f"{results['server']['worker_class']} workers; {results['load']['requests']} requests x "
        f"{results['load']['repeat']} runs per figure (median of the runs), warm-up {results['load']['warmup']}. "
        f"Load average (1/5/15 min) at start {results['load_average_at_start']}, "
        f"at end {results['load_average_at_end']}.",
        *(
            f"Re-measured afterwards with `bench/run.py --skip-build --only {','.join(u['parts'])} --update` "
            f"at {u['at']} (load {u['load_average']})."
            for u in results.get("updates", [])
        ),
        "Reproduce: `make bench` (full: builds the data, then everything below).",
        "",
        "| measurement | concurrency | p50 ms | p95 ms | p99 ms | req/s | SQL floor p95 ms | app / floor (p95) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    names = {
        "set_list": "set list, disease area + domain + q",
        "search_api": "free-text search, API (typed hits), repeated queries: answers kept",
        "search_page": "free-text search, page, repeated queries: answers kept",
        "search_api_new": "free-text search, API (typed hits), every query searched (nothing kept)",
        "search_page_new": "free-text search, page, every query searched (nothing kept)",
        "search_django_floor": "(the search floor statement through a bare Django view: the stack's own floor)",
        "version_detail": "version detail, 100 outcomes",
        "fhir_export": "FHIR export, 100 outcomes",
    }
    for key, label in names.items():
        r = s.get(key, {})
        if "app" not in r:
            lines.append(f"| {label} | - | {r.get('error', 'not measured')} | | | | | |")
            continue
        a, f = r["app"], r["floor"]
        lines.append(
            f"| {label} | {a['concurrency']} | {a['p50_ms']} | {a['p95_ms']} | {a['p99_ms']} | {a['throughput_rps']} "
            f"| {f['p95_ms']} | {r['ratio_p95']} |"
        )
    sub = results.get("submission", {})
    if "p95_ms" in sub:
        lines.append(
            f"| round submission, 100 ratings ({sub['panelists']} panelists) | {sub['concurrency']} | {sub['p50_ms']} "
            f"| {sub['p95_ms']} | {sub['p99_ms']} | {sub['throughput_rps']} | - | - |"
        )
    else:
        lines.append(f"| round submission | - | {sub.get('error', 'not measured')} | | | | | |")
    t = results.get("tally", {})
    lines += ["", "| consensus tally | median of runs | raw SQL GROUP BY | ratio |", "|---|---|---|---|"]
    if "service_median_s" in t:
        lines.append(
            f"| round_tally over {t['rounds']} rounds, {t['ratings']:,} ratings ({t['service_queries']} queries) "
            f"| {t['service_median_s']} s | {t['group_by_median_s']} s | {t['ratio_service_to_group_by']} |"
        )
        lines.append(
            f"| the same again (results exist: re-tally) | {t['retally_median_s']} s | {t['group_by_median_s']} s "
            f"| {t['ratio_retally_to_group_by']} |"
        )
        if "group_by_all_ratings_median_s" in t:
            lines.append(
                f"| (floor counting every rating, submitted or not) | {t['service_median_s']} s "
                f"| {t['group_by_all_ratings_median_s']} s | {t['ratio_service_to_group_by_all_ratings']} |"
            )
    else:
        lines.append(f"| tally | {t.get('error', 'not measured')} | {t.get('group_by_median_s', '-')} s | - |")
    d = results.get("dump", {})
    lines += [
        "",
        "| whole-registry dump | peak RSS of the worker | seconds | versions | size |",
        "|---|---|---|---|---|",
    ]
    if "peak_mb" in d:
        lines.append(
            f"| {d['format']} ({d['status']}) | {d['peak_mb']} MB | {d['seconds']} | {d['versions']} "
            f"| {(d['size_bytes'] or 0) / 1e6:.1f} MB |"
        )
    else:
        lines.append(f"| dump | {d.get('error', 'not measured')} | | | |")
    q = results.get("query_counts", {})
    if "large" in q:
        lines += ["", "| queries per request | small dataset | full dataset |", "|---|---|---|"]
        small = q.get("small", {})
        lines.append(f"| (sets / ratings) | {small.get('sets')} / {small.get('ratings')} "
                     f"| {q['large'].get('sets')} / {q['large'].get('ratings')} |")  # fmt: skip
        for key, value in q["large"].items():
            if isinstance(value, dict) and "queries" in value:
                other = small.get(key, {})
                lines.append(f"| {key} (HTTP {value['status']}) | {other.get('queries', '-')} | {value['queries']} |")
    lines += ["", "| target | value | limit | met |", "|---|---|---|---|"]
    for name, v in results["verdicts"].items():
        lines.append(f"| {name} | {v['value']} | {v.get('target', '')} | {'yes' if v['met'] else '**no**'} |")
    return "\n".join(lines)


def write_doc(results: dict) -> None:
    start, end = "<!-- bench:results -->", "<!-- /bench:results -->"
    text = DOC.read_text() if DOC.exists() else f"# Performance\n\n{start}\n{end}\n"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    DOC.write_text(f"{head}{start}\n{markdown_table(results)}\n{end}{tail}")
