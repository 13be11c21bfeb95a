"""Where the time goes, on the bench database: cProfile of one request or import, and EXPLAIN ANALYZE of its
slowest SELECTs.

python -m bench.profile case-list
(also person-search, referral-queue, dashboard, import, openrosa)
"""

import argparse
import cProfile
import io
import os
import pstats
import time

from bench.run import DEFAULT_DB, django_setup


def target(name: str):
    from bench import intake, measure

    if name == "import":
        return lambda: intake.measure_import(
            1_000, username=measure.IMPORT_USER, seed=int(time.time()) % 1_000_000
        )
    if name == "openrosa":
        return lambda: intake.measure_openrosa(5)
    pages = {
        "case-list": ("manager.drc", "/cas/dossiers/", None),
        "referral-queue": (None, "/cas/references-recues/", None),
        "dashboard": ("imo", measure.DASHBOARD_URL, None),
        "person-search": (
            "manager.drc",
            "/cas/personnes/recherche/",
            {
                "given_name": "Aminata",
                "family_name": "Traore",
                "sex": "f",
                "age": "30",
                "commune": "ML050101",
            },
        ),
    }
    username, url, data = pages[name]
    if username is None:
        from bench.run import busiest_queue_user

        username = busiest_queue_user()
    client = measure.signed_client(username)
    if data is None:
        return lambda: client.get(url)
    return lambda: client.post(url, data)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument(
        "what", choices=["case-list", "person-search", "referral-queue", "dashboard", "import", "openrosa"]
    )
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--explain", type=int, default=2, help="EXPLAIN ANALYZE this many slowest SELECTs")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DB)
    args = parser.parse_args(argv)
    django_setup(args.database_url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run = target(args.what)
    run()  # warm
    profile = cProfile.Profile()
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        profile.runcall(run)
        elapsed = time.perf_counter() - start
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())
    selects = [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    sql_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
    count = len(queries.captured_queries)
    print(f"{args.what}: {elapsed * 1000:.0f} ms under the profiler, {count} queries, {sql_ms:.0f} ms in SQL")
    for q in sorted(selects, key=lambda q: -float(q["time"]))[: args.explain]:
        print(f"\n--- {float(q['time']) * 1000:.1f} ms: {q['sql'][:400]}")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"].replace("%", "%%"))
            for (line,) in cursor.fetchall():
                print("   ", line)


if __name__ == "__main__":
    main()
