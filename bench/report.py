"""Results files: bench/results/<date>.json and <date>.md, soak-<date>.md (figures beside the targets)."""

import json
from pathlib import Path

from bench.measure import GOAL_DATASETS, TARGETS, percentile


def verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**missed**")


def _load(values) -> str:
    return ", ".join(f"{v:.1f}" for v in values) if values else "?"


def _kb(value: int) -> str:
    return f"{value / 1000:.1f} KB"


def _ms(summary: dict | None) -> str:
    return f"{summary['p50_ms']} / {summary['p95_ms']} ms" if summary else "—"


def _floor(d: dict | None) -> str:
    """The same SQL replayed bare (and hand SQL when there is one), p50 / p95."""
    if not d or "same_sql" not in d:
        return "—"
    text = f"same SQL bare {_ms(d['same_sql'])}"
    if "hand_sql" in d:
        check = " ✓" if d.get("hand_sql_same_total") else " ≠"
        text += f"; hand SQL {_ms(d['hand_sql'])}{check}"
    return text


def goal_rows(r: dict) -> list[str]:
    """Issue 17's figures: each beside its goal and its floor."""
    rows = []

    def row(figure, measured, goal, floor, ok):
        rows.append(f"| {figure} | {measured} | {goal} | {floor} | {verdict(ok)} |")

    imp = r.get("import", {})
    copy = imp.get("copy_floor", {})
    copy_text = f"COPY {copy['rows_per_s']:,} rows/s" if copy else "—"
    for fmt, label in (("hxl_csv", "import, HXL CSV"), ("xlsx", "import, XLSX template")):
        data = imp.get(fmt, {})
        if "rows_per_s" not in data:
            row(label, data.get("error", "not run"), "", "", False)
            continue
        ratio = round(copy["rows_per_s"] / data["rows_per_s"], 1) if copy else None
        ok = data["rows_per_s"] >= TARGETS["import_rows_per_second"] and (
            ratio is None or ratio <= TARGETS["import_ratio_to_copy"]
        )
        row(
            f"{label} ({imp['rows']:,} rows, validation + commit)",
            f"{data['rows_per_s']:,} rows/s",
            f"≥ {TARGETS['import_rows_per_second']:,} rows/s, "
            f"within {TARGETS['import_ratio_to_copy']}× of COPY",
            f"{copy_text} ({ratio}×)" if ratio else copy_text,
            ok,
        )
    for fmt in ("hxl_csv", "xlsx"):
        data = imp.get(fmt, {})
        if "follow_up_s" in data:
            full = data["follow_up_records"] >= 10_000
            row(
                f"follow-ups of a {data['follow_up_records']:,}-row import ({fmt}: duplicates, alert rules)",
                f"{data['follow_up_s']} s",
                f"≤ {TARGETS['follow_up_s_10000']:g} s for 10,000 rows",
                "—",
                data["follow_up_s"] <= TARGETS["follow_up_s_10000"] if full else None,
            )
    first = r.get("first_view")
    if first and "p95_ms" in first:
        exact = f"exact {first['exact']}/{first['n']}"
        ok = (
            first["p95_ms"] <= TARGETS["first_view_after_write_p95_ms"]
            and first["exact"] == first["n"]
            and first.get("errors", 0) == 0
        )
        row(
            f"first dashboard view after a write, p50 / p95 ({first['writes']} writes)",
            f"{_ms(first)}, {exact}",
            f"p95 ≤ {TARGETS['first_view_after_write_p95_ms']} ms, exact every time",
            _floor(r.get("dashboard")).replace("same SQL bare", "the cached page's SELECTs bare"),
            ok,
        )
    datasets = {d["name"]: d for d in r.get("datasets", [])}
    for name in GOAL_DATASETS:
        d = datasets.get(name)
        if not d or "p95_ms" not in d:
            row(f"statistics dataset {name}", (d or {}).get("error", "not run"), "", "", False)
            continue
        row(
            f"statistics dataset {name}, national by region, p50 / p95",
            _ms(d),
            f"p95 ≤ {TARGETS['dataset_p95_ms']} ms",
            _floor(d),
            d["p95_ms"] <= TARGETS["dataset_p95_ms"],
        )
    load = r.get("load", {})
    endpoints = load.get("endpoints", {})
    pages = {p["name"]: p for p in r.get("pages", [])}
    goals = {
        "case list": TARGETS["case_list_p95_ms"],
        "person search": TARGETS["person_search_p95_ms"],
        "person search (fuzzy)": TARGETS["person_search_p95_ms"],
        "referral queue": TARGETS["referral_queue_p95_ms"],
    }
    for name, goal in goals.items():
        e = endpoints.get(name)
        page = pages.get(name)
        floor = _floor(page)
        if page and "p95_ms" in page:
            floor = f"one client {_ms(page)}; {floor}"
        if e is None:
            row(f"{name}, {load.get('users', '?')} clients", "not run", f"p95 ≤ {goal} ms", floor, None)
            continue
        row(
            f"{name}, {load['users']} clients, p50 / p95",
            f"{_ms(e)}, {e['errors']} errors of {e['n']:,}",
            f"p95 ≤ {goal} ms, 0 errors",
            floor,
            e["p95_ms"] <= goal and e["errors"] == 0,
        )
    orl = r.get("openrosa_load")
    if orl and "per_second" in orl:
        row(
            f"OpenRosa submissions, {orl['clients']} clients, {orl['gunicorn_workers']} workers",
            f"{orl['per_second']}/s, {orl['errors']} errors of {orl['requests']:,} "
            f"(p50 / p95 {orl.get('p50_ms', '?')} / {orl.get('p95_ms', '?')} ms)",
            f"≥ {TARGETS['openrosa_per_second']}/s, 0 errors",
            "—",
            orl["per_second"] >= TARGETS["openrosa_per_second"] and orl["errors"] == 0,
        )
    return rows


def openrosa_lines(orl: dict) -> list[str]:
    mem = orl.get("server_memory", {})
    return [
        f"## OpenRosa: {orl['clients']} phones posting without pause, {orl['seconds']} s",
        "",
        f"gunicorn {orl['gunicorn_workers']} sync workers pinned with taskset to CPU {orl['server_cpus']}; "
        f"the load tool (bench/openrosa_load.py, one thread per phone, a device password each, users "
        f"{', '.join(orl.get('users', []))}) pinned to CPU {orl['load_tool_cpu']}; PostgreSQL not pinned "
        "(it shares the cores with both). "
        f"{orl['requests']:,} submissions, {orl['per_second']}/s accepted, {orl['errors']} errors "
        f"(statuses {orl.get('statuses', {})}, connection errors {orl.get('connection_errors', {})}); "
        f"p50 / p95 {orl.get('p50_ms', '?')} / {orl.get('p95_ms', '?')} ms. Server memory peak "
        f"{mem.get('peak_total_rss_mb', '?')} MB.",
        "",
        f"Follow-ups (duplicates, alert rules) queued by the submissions, not run in the requests: "
        f"{orl.get('tasks_queued', '?')} tasks, "
        + (
            f"drained by `run_jobs --once` in {orl['tasks_drain_s']} s ({orl.get('tasks_left', '?')} left, "
            f"at most 300 s{', timed out' if orl.get('tasks_drain_timeout') else ''})."
            if "tasks_drain_s" in orl
            else "left for the worker (--openrosa-no-drain)."
        ),
        "",
    ]


def bench_markdown(r: dict) -> str:
    lines = [
        f"# Sentinelle bench, {r['date']} UTC, scale {r['scale']}",
        "",
        f"Machine: {r['machine']['cpus']} CPUs, Python {r['machine']['python']}, "
        f"PostgreSQL {r['machine'].get('postgresql', '?')}. Whole run: {r.get('total_s', '?')} s. "
        f"Load average before / after (1, 5, 15 min): {_load(r['machine'].get('loadavg_before'))} / "
        f"{_load(r['machine'].get('loadavg_after'))}.",
        "",
        "## Data generated",
        "",
        "| table | rows |",
        "|---|---:|",
    ]
    for table, count in r["generation"].get("created", {}).items():
        lines.append(f"| {table} | {count:,} |")
    seconds = r["generation"].get("seconds", {})
    lines += ["", "Generation time (s): " + ", ".join(f"{k} {v}" for k, v in seconds.items()), ""]

    lines += [
        "## Issue 17: each figure beside its goal and its floor",
        "",
        "| figure | measured | goal | floor | |",
        "|---|---:|---|---|---|",
        *goal_rows(r),
        "",
        "Floors: COPY of the same CSV rows into a table of text columns; the same SELECTs the call ran, "
        "replayed bare (database time only); hand-written SQL for the same national totals (✓ same total). "
        "Load figures are measured through gunicorn on loopback, one-client figures in process.",
        "",
    ]
    if r.get("openrosa_load", {}).get("per_second") is not None:
        lines += openrosa_lines(r["openrosa_load"])
    lines += [
        "## Figures beside the targets (design §8)",
        "",
        "| figure | measured | target | |",
        "|---|---:|---:|---|",
    ]
    imp = r["import"]
    for fmt, label in (("xlsx", "import, template XLSX"), ("hxl_csv", "import, HXL CSV")):
        data = imp.get(fmt, {})
        if "rows_per_s" in data:
            ok = data["rows_per_s"] >= TARGETS["import_rows_per_second"]
            lines.append(
                f"| {label} ({imp['rows']:,} rows, validation + commit) | {data['rows_per_s']:,} rows/s "
                f"| ≥ {TARGETS['import_rows_per_second']:,} | {verdict(ok)} |"
            )
            if "follow_up_s" in data:
                lines.append(
                    f"| then its follow-ups (duplicates, alert rules) for {data['follow_up_records']:,} "
                    f"incidents, in the worker | {data['follow_up_s']} s | | |"
                )
        else:
            lines.append(f"| {label} | {data.get('error', 'not run')} | | **failed** |")
    floor = imp.get("copy_floor")
    if floor:
        ratio = imp.get("hxl_csv", {}).get("ratio_to_copy", "?")
        lines.append(
            f"| floor: PostgreSQL COPY of the same CSV rows | {floor['rows_per_s']:,} rows/s | | "
            f"import is {ratio}× slower |"
        )
    dash = r["dashboard"]
    ok = dash["p95_ms"] < TARGETS["dashboard_p95_ms"] and dash.get("errors", 0) == 0
    lines.append(
        f"| national dashboard, server time p50 / p95 | {dash['p50_ms']} / {dash['p95_ms']} ms "
        f"| p95 < {TARGETS['dashboard_p95_ms']} ms | {verdict(ok)} |"
    )
    if "cold" in dash:
        lines.append(
            f"| national dashboard, first view after a change (figures computed), p50 / p95 "
            f"| {dash['cold']['p50_ms']} / {dash['cold']['p95_ms']} ms | | |"
        )
    if "same_sql" in dash:
        lines.append(
            f"| floor: its {dash['queries']} SELECTs replayed bare, p50 / p95 "
            f"| {dash['same_sql']['p50_ms']} / "
            f"{dash['same_sql']['p95_ms']} ms | | page is {dash['ratio_to_same_sql']}× |"
        )
    load = r["load"]
    endpoints = load["endpoints"]
    case = endpoints.get("case list")
    if case:
        ok = case["p95_ms"] < TARGETS["case_list_p95_ms"]
        lines.append(
            f"| case list, {load['users']} clients, p50 / p95 | {case['p50_ms']} / {case['p95_ms']} ms "
            f"| p95 < {TARGETS['case_list_p95_ms']} ms | {verdict(ok)} |"
        )
    lines.append(
        f"| errors under load | {load['errors']} of {load['requests']:,} | 0 "
        f"| {verdict(load['errors'] == 0)} |"
    )
    first = r["page_weight"].get("sign-in (first load)", {})
    if first:
        ok = first["with_assets_gzip_bytes"] < TARGETS["first_load_bytes"]
        lines.append(
            f"| first page load (sign-in + CSS/JS), gzip | {_kb(first['with_assets_gzip_bytes'])} "
            f"| < 200 KB | {verdict(ok)} |"
        )
    orx = r["openrosa"]
    if "per_second" in orx:
        lines.append(
            f"| OpenRosa submissions (one client, sequential) | {orx['per_second']}/s "
            f"(p50 {orx['p50_ms']} ms, {orx['errors']} errors) | — | |"
        )
    lines += ["", f"## Load: {load['users']} clients on loopback (locust), {load['seconds']} s", ""]
    lines += [
        f"gunicorn {load['gunicorn_workers']} sync workers; think time {load['think_time_s']} s per client; "
        f"{load['requests']:,} requests ({load['per_second']}/s), {load['errors']} errors. "
        "The load tool runs on the same 2 cores.",
        "",
        "| endpoint | requests | p50 ms | p95 ms | errors |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, e in endpoints.items():
        lines.append(f"| {name} | {e['n']:,} | {e['p50_ms']} | {e['p95_ms']} | {e['errors']} |")
    lines += [
        "",
        "## Statistics datasets (`aggregate`, national, by region), server time",
        "",
        "| dataset | p50 ms | p95 ms | queries | same SQL bare p50 | ratio | hand SQL p50 | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for d in r["datasets"]:
        if "error" in d:
            lines.append(f"| {d['name']} | error: {d['error']} | | | | | | |")
            continue
        same = d.get("same_sql", {})
        hand = d.get("hand_sql", {})
        check = "" if "hand_sql_same_total" not in d else (" ✓" if d["hand_sql_same_total"] else " ≠")
        lines.append(
            f"| {d['name']} | {d['p50_ms']} | {d['p95_ms']} | {d['queries']} | {same.get('p50_ms', '')} "
            f"| {d.get('ratio_to_same_sql', '')} | {hand.get('p50_ms', '')}{check} "
            f"| {d.get('ratio_to_hand_sql', '')} |"
        )
    lines += [
        "",
        "Same SQL: the SELECTs the call ran, captured and replayed with a bare cursor (database time only). "
        "Hand SQL: written for the same national totals by region (✓ = same total as the dataset).",
        "",
        "## Page weight (gzip, HTML + its CSS/JS)",
        "",
        "| page | HTML | with assets | status |",
        "|---|---:|---:|---:|",
    ]
    for name, p in r["page_weight"].items():
        lines.append(
            f"| {name} | {_kb(p['html_gzip_bytes'])} | {_kb(p['with_assets_gzip_bytes'])} | {p['status']} |"
        )
    mem = r.get("server_memory", {})
    worker = r.get("worker", {})
    lines += [
        "",
        "## Memory",
        "",
        "- Server (gunicorn master + workers) under the load: peak total "
        f"{mem.get('peak_total_rss_mb', '?')} MB, "
        f"largest process {mem.get('peak_process_rss_mb', '?')} MB ({mem.get('processes', '?')} processes).",
        f"- Worker (`run_jobs --once`, an import of {worker.get('rows', '?')} rows): peak "
        f"{worker.get('peak_rss_mb', '?')} MB, {worker.get('seconds', '?')} s, "
        f"job {worker.get('job_status', '?')}.",
        "",
    ]
    return "\n".join(lines)


def write_bench(result: dict, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / f"{result['date']}.json"
    md_path = directory / f"{result['date']}.md"
    json_path.write_text(
        json.dumps(result, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    md_path.write_text(bench_markdown(result), encoding="utf-8")
    return json_path, md_path


# --- soak --------------------------------------------------------------------------------------------


def soak_slices(samples: list, slice_s: float) -> list[dict]:
    """Per time slice: requests, errors, p50/p95/p99 over all requests."""
    if not samples:
        return []
    start = min(s[0] for s in samples)
    slices: dict[int, list] = {}
    for t, _name, ms, ok in samples:
        slices.setdefault(int((t - start) // slice_s), []).append((ms, ok))
    out = []
    for index in sorted(slices):
        values = [ms for ms, _ok in slices[index]]
        out.append(
            {
                "slice": index,
                "from_min": round(index * slice_s / 60, 1),
                "requests": len(values),
                "errors": sum(1 for _ms, ok in slices[index] if not ok),
                "p50_ms": round(percentile(values, 50), 1),
                "p95_ms": round(percentile(values, 95), 1),
                "p99_ms": round(percentile(values, 99), 1),
            }
        )
    return out


def rss_slices(rss: list, slice_s: float) -> list[dict]:
    if not rss:
        return []
    start = rss[0][0]
    slices: dict[int, list] = {}
    for t, total, largest, _count in rss:
        slices.setdefault(int((t - start) // slice_s), []).append((total, largest))
    return [
        {
            "slice": i,
            "total_mb": round(max(v[0] for v in slices[i]) / 2**20, 1),
            "largest_mb": round(max(v[1] for v in slices[i]) / 2**20, 1),
        }
        for i in sorted(slices)
    ]


def soak_markdown(r: dict) -> str:
    from bench.load import by_name

    samples, slice_s = r["samples"], r["slice_s"]
    errors = sum(1 for s in samples if not s[3])
    lines = [
        f"# Sentinelle soak, {r['date']} UTC, {r['minutes']} min",
        "",
        f"{r['users']} clients (locust, mixed: lists, searches, dashboards, statistics API, "
        "person registration "
        f"through the UI form, OpenRosa submissions, CSV imports through the UI), gunicorn "
        f"{r['gunicorn_workers']} workers. {len(samples):,} requests, **{errors} errors**.",
        "",
        f"## Latency per {slice_s / 60:g}-minute slice (all requests)",
        "",
        "| from min | requests | errors | p50 ms | p95 ms | p99 ms |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for s in soak_slices(samples, slice_s):
        lines.append(
            f"| {s['from_min']} | {s['requests']:,} | {s['errors']} | {s['p50_ms']} "
            f"| {s['p95_ms']} | {s['p99_ms']} |"
        )
    lines += [
        "",
        "## Per request kind (whole run)",
        "",
        "| request | n | p50 ms | p95 ms | errors |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, e in by_name(samples).items():
        lines.append(f"| {name} | {e['n']:,} | {e['p50_ms']} | {e['p95_ms']} | {e['errors']} |")
    rss = rss_slices(r["rss"], slice_s)
    lines += ["", "## Memory (RSS of gunicorn master + workers, sampled every second)", ""]
    if rss:
        lines += ["| slice | peak total MB | largest process MB |", "|---:|---:|---:|"]
        for s in rss:
            lines.append(f"| {s['slice']} | {s['total_mb']} | {s['largest_mb']} |")
        first, last = r["rss"][0][1], r["rss"][-1][1]
        growth = (last - first) / 2**20
        lines += [
            "",
            f"Growth from first to last sample: {growth:+.1f} MB "
            f"({first / 2**20:.1f} → {last / 2**20:.1f} MB).",
        ]
    return "\n".join(lines) + "\n"


def write_soak(r: dict, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"soak-{r['date']}.md"
    path.write_text(soak_markdown(r), encoding="utf-8")
    return path
