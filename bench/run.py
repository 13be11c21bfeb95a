"""`make bench` and `make soak`: build the bench database, measure, write bench/results/.

python -m bench.run bench --scale 0.02          # fresh database, generate, measure, write <date>.json/.md
python -m bench.run soak --minutes 30           # mixed load on the bench database, write soak-<date>.md
python -m bench.run disclosure                  # the differencing attacker on the bench database
python -m bench.run openrosa                    # only the OpenRosa load (8 phones) on the bench database

Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/sentinelle_bench). The bench
runs Django with DEBUG off (as in production) and its own key ring and files under var/bench/.
"""

import argparse
import datetime as dt
import json
import os
import sys
import time
from urllib.parse import urlparse

from bench.environment import DEFAULT_DB, RESULTS, VAR, django_setup, log, recreate_database
from bench.load import (
    Server,
    busiest_queue_user,
    by_name,
    load_inputs,
    measure_openrosa_load,
    read_samples,
    run_locust,
    worker_peak_rss,
)

# --- the two commands --------------------------------------------------------------------------------


def bench(args) -> None:
    from bench import measure
    from bench.report import write_bench

    started = time.perf_counter()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M")
    result: dict = {
        "date": stamp,
        "scale": args.scale,
        "database": urlparse(args.database_url)._replace(netloc="…").geturl(),
        # Load average before the run: other work on the machine skews every figure.
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "loadavg_before": os.getloadavg(),
        },
        "targets": measure.TARGETS,
    }
    if not args.keep_data:
        log(f"Fresh database {urlparse(args.database_url).path}")
        recreate_database(args.database_url)
    django_setup(args.database_url)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        result["machine"]["postgresql"] = cursor.fetchone()[0]
    phases = {}
    if args.keep_data:
        from django.core.management import call_command

        # Code may have moved on since the data was generated (an index, say): bring the schema up to date.
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        # What the new code derives from the records (roll-up tables...), rebuilt from the kept data.
        phases.update(rebuild_derived(log))
        previous = [p for p in sorted(RESULTS.glob("*.json")) if "generation" in json.loads(p.read_text())]
        result["generation"] = json.loads(previous[-1].read_text())["generation"] if previous else {}
        result["generation"]["kept"] = True
    else:
        generate(args, result, phases)
    if args.generate_only:
        result["phases"] = phases
        path = RESULTS / f"{stamp}-generation.json"
        path.write_text(json.dumps(result, indent=2, default=str))
        log(f"Generated; written {path}. Measure with --keep-data.")
        return
    measure_all(args, result)
    result["phases"] = phases
    result["total_s"] = round(time.perf_counter() - started, 1)
    result["machine"]["loadavg_after"] = os.getloadavg()
    json_path, md_path = write_bench(result, RESULTS)
    log(f"Written {json_path} and {md_path} in {result['total_s']} s")


# Management commands that rebuild, from the records, what the services maintain beside them (run after
# the generator's bulk_create and on kept data, which older code generated). Each is run when it exists.
DERIVED_COMMANDS = ("rollups_rebuild",)


def rebuild_derived(log) -> dict:
    from django.core.management import call_command, get_commands
    from django.db import connection

    phases = {}
    available = get_commands()
    for name in DERIVED_COMMANDS:
        if name not in available:
            log(f"No {name} command in this code: skipped")
            continue
        log(f"Rebuilding derived data: {name}")
        t = time.perf_counter()
        call_command(name)
        phases[f"{name}_s"] = round(time.perf_counter() - t, 1)
    # The rebuild deleted and rewrote every roll-up row: vacuumed, as autovacuum would have done on a live
    # database before anyone measured it (the dead rows doubled the tables the writes upsert into).
    t = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
    phases["vacuum_analyze_s"] = round(time.perf_counter() - t, 1)
    return phases


def generate(args, result: dict, phases: dict) -> None:
    from django.core.management import call_command
    from django.db import connection

    t = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    phases["migrate_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", stdout=quiet)
    phases["geography_and_demo_s"] = round(time.perf_counter() - t, 1)
    log("Generating")
    from bench.generate import Generator

    result["generation"] = Generator(scale=args.scale, seed=args.seed, log=log).run()
    # The generator writes with bulk_create, past the services that maintain the derived tables.
    phases.update(rebuild_derived(log))
    connection.close()


def measure_all(args, result: dict) -> None:
    from django.db import connection

    from bench import intake, measure

    repeat = args.repeat
    log("Import throughput")
    import_rows = args.import_rows or max(1_000, min(10_000, round(50_000 * args.scale)))
    result["import"] = intake.measure_import(
        import_rows, username=measure.IMPORT_USER, seed=int(time.time()) % 1_000_000
    )
    log("OpenRosa submissions")
    result["openrosa"] = intake.measure_openrosa(args.openrosa)
    log("National dashboard")
    result["dashboard"] = measure.measure_dashboard(repeat)
    log("First dashboard view after a write")
    result["first_view"] = measure.measure_first_view_after_write(repeat)
    log("Hot pages, one client, with their floors")
    result["pages"] = measure.measure_pages(repeat, queue_user=busiest_queue_user())
    log("Statistics datasets")
    result["datasets"] = measure.measure_datasets(repeat)
    log("Page weight")
    result["page_weight"] = measure.measure_page_weight()
    log("Worker memory")
    result["worker"] = worker_peak_rss(min(import_rows, 5_000), args.database_url)

    log(f"Load: {args.users} clients for {args.seconds} s")
    load_file, samples = VAR / "load.json", VAR / "samples-bench.csv"
    load_file.write_text(json.dumps(load_inputs(soak=False, clients=args.users)))
    connection.close()
    server = Server(args.database_url, args.workers)
    try:
        inputs = json.loads(load_file.read_text())
        server.warm_up(
            {"sessionid": inputs["sessions"]["manager.drc"][0]},
            ["/cas/dossiers/", "/cas/personnes/recherche/", "/cas/references-recues/"],
            rounds=args.workers * 3,
        )
        run_locust(
            server.host,
            scenario="bench",
            users=args.users,
            seconds=args.seconds,
            load_file=load_file,
            samples=samples,
        )
    finally:
        server.stop()
    rows = read_samples(samples)
    result["load"] = {
        "users": args.users,
        "seconds": args.seconds,
        "gunicorn_workers": args.workers,
        "think_time_s": os.environ.get("BENCH_WAIT", "0.5,2"),
        "requests": len(rows),
        "errors": sum(1 for r in rows if not r[3]),
        "per_second": round(len(rows) / args.seconds, 1),
        "endpoints": by_name(rows),
    }
    result["server_memory"] = server.peak()
    log(f"OpenRosa: {args.openrosa_clients} phones for {args.openrosa_seconds} s")
    result["openrosa_load"] = measure_openrosa_load(args)


def soak(args) -> None:
    from bench.report import write_soak

    django_setup(args.database_url)
    from django.db import connection

    from sentinelle.monitoring.models import Incident

    if not Incident.objects.exists():
        raise SystemExit("The bench database is empty: run `make bench` first (SCALE=0.02 is enough).")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M")
    load_file, samples = VAR / "load-soak.json", VAR / "samples-soak.csv"
    load_file.write_text(json.dumps(load_inputs(soak=True)))
    connection.close()
    seconds = round(args.minutes * 60)
    log(f"Soak: {args.users} clients, mixed load, {args.minutes} min")
    server = Server(args.database_url, args.workers)
    try:
        inputs = json.loads(load_file.read_text())
        server.warm_up(
            {"sessionid": inputs["sessions"]["imo"][0]},
            ["/surveillance/incidents/", "/analyse/tableaux-de-bord/", "/imports/nouveau/"],
            rounds=args.workers * 2,
        )
        # Memory growth is counted from here: every worker has booted and served the pages once.
        baseline = len(server.samples)
        run_locust(
            server.host,
            scenario="soak",
            users=args.users,
            seconds=seconds,
            load_file=load_file,
            samples=samples,
        )
    finally:
        server.stop()
    path = write_soak(
        {
            "date": stamp,
            "minutes": args.minutes,
            "users": args.users,
            "gunicorn_workers": args.workers,
            "slice_s": args.slice_minutes * 60,
            "samples": read_samples(samples),
            "rss": server.samples[max(0, baseline - 1) :],
        },
        RESULTS,
    )
    log(f"Written {path}")


def disclosure(args) -> None:
    from bench import disclosure as attacker

    django_setup(args.database_url)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M")
    if not attacker.run(results=RESULTS, stamp=stamp, log=log):
        sys.exit(1)


def openrosa(args) -> None:
    """Only the OpenRosa load, on the bench database as it is (while working on the submission path)."""
    django_setup(args.database_url)
    print(json.dumps(measure_openrosa_load(args), indent=1))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("command", choices=["bench", "soak", "disclosure", "openrosa"])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DB)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--keep-data", action="store_true", help="measure the existing bench database again (no generation)"
    )
    parser.add_argument(
        "--generate-only",
        action="store_true",
        help="build the bench database and stop (measure later with --keep-data)",
    )
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per dashboard/dataset figure")
    parser.add_argument("--import-rows", type=int, default=0, help="rows per import file (default by scale)")
    parser.add_argument("--openrosa", type=int, default=50, help="OpenRosa submissions to post")
    parser.add_argument("--openrosa-clients", type=int, default=8, help="phones posting at once")
    parser.add_argument("--openrosa-seconds", type=int, default=30, help="length of the OpenRosa load")
    parser.add_argument(
        "--openrosa-workers",
        type=int,
        default=min(2 * (os.cpu_count() or 1) + 1, 9),
        help="gunicorn workers for OpenRosa (default as deploy/gunicorn.conf.py: 2 x cores + 1)",
    )
    parser.add_argument(
        "--openrosa-no-drain", action="store_true", help="leave the queued follow-ups for the worker"
    )
    parser.add_argument("--users", type=int, default=20, help="concurrent load clients")
    parser.add_argument("--seconds", type=int, default=60, help="length of the bench load")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--minutes", type=float, default=30, help="soak length")
    parser.add_argument("--slice-minutes", type=float, default=5, help="soak report slice")
    args = parser.parse_args(argv)
    {"bench": bench, "soak": soak, "disclosure": disclosure, "openrosa": openrosa}[args.command](args)


if __name__ == "__main__":
    main()
