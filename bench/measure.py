"""In-process measurements (Django set up on the bench database): imports, OpenRosa, dashboards, datasets,
page weight. Server time is measured through Django's test client: the whole request (middleware, view,
template) without the network. Each figure is returned with its floor where there is one.
"""

import gzip
import math
import re
import statistics
import time
from collections.abc import Callable

TARGETS = {
    "import_rows_per_second": 25_000,
    "import_ratio_to_copy": 10,  # within 10x of COPY of the same rows
    "follow_up_s_10000": 2.0,  # follow-ups (duplicates, alert rules) of a 10,000-row import
    "dashboard_p95_ms": 150,
    "first_view_after_write_p95_ms": 150,
    "dataset_p95_ms": 50,  # statistics datasets named in GOAL_DATASETS, national by region
    "case_list_p95_ms": 50,
    "person_search_p95_ms": 50,
    "referral_queue_p95_ms": 50,
    "openrosa_per_second": 200,  # with 8 clients, 0 errors
    "errors": 0,
    "first_load_bytes": 200_000,
}
GOAL_DATASETS = ("incidents", "victims", "grave_violations")
# Who imports: the template rows carry GBV survivor details in the demo's proportion, which only a GBV
# service provider may record (since issue 12): the IMO's import was refused, row by row.
IMPORT_USER = "manager.drc"


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values_ms: list[float]) -> dict:
    return {
        "n": len(values_ms),
        "p50_ms": round(percentile(values_ms, 50), 2),
        "p95_ms": round(percentile(values_ms, 95), 2),
        "mean_ms": round(statistics.fmean(values_ms), 2),
    }


BUDGET_S = 60.0


def timed(
    function: Callable[[], object], repeat: int, warmup: int = 2, budget_s: float | None = None
) -> list[float]:
    """Times of `repeat` runs after `warmup`; stops early (after 5 runs at least) once `budget_s` is spent,
    so that a slow figure at full scale does not hold the bench for an hour."""
    budget_s = BUDGET_S if budget_s is None else budget_s
    for _ in range(warmup):
        function()
    times = []
    began = time.perf_counter()
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
        if len(times) >= 5 and time.perf_counter() - began > budget_s:
            break
    return times


def user(username: str):
    from sentinelle.accounts.models import User

    return User.objects.get(username=username)


def signed_client(username: str):
    """A test client signed in as a demo user, two-factor passed (the demo's confirmed TOTP device)."""
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    account = user(username)
    client = Client()
    client.force_login(account)
    device = TOTPDevice.objects.filter(user=account, confirmed=True).first()
    if device is not None:
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


def session_cookie(username: str) -> str:
    """A session key for a demo user, two-factor passed: the load tool's clients send it as a cookie."""
    return signed_client(username).cookies["sessionid"].value


# --- replaying the SQL a piece of code runs --------------------------------------------------------


def captured_selects(function: Callable[[], object]) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        function()
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]


def replay(statements: list[str]) -> Callable[[], None]:
    from django.db import connection

    def run():
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql.replace("%", "%%"))
                cursor.fetchall()

    return run


def with_floor(name: str, function: Callable[[], object], repeat: int, hand_sql: str | None = None) -> dict:
    """p50/p95 of `function`, of the same SELECTs replayed bare, and of hand-written SQL when given."""
    from django.db import connection

    result = {"name": name, **summary(timed(function, repeat))}
    statements = captured_selects(function)
    result["queries"] = len(statements)
    if statements:
        bare = summary(timed(replay(statements), repeat))
        result["same_sql"] = bare
        result["ratio_to_same_sql"] = round(result["p50_ms"] / max(bare["p50_ms"], 0.01), 1)
    if hand_sql:

        def run_hand():
            with connection.cursor() as cursor:
                cursor.execute(hand_sql)
                return cursor.fetchall()

        hand = summary(timed(run_hand, repeat))
        result["hand_sql"] = hand
        result["ratio_to_hand_sql"] = round(result["p50_ms"] / max(hand["p50_ms"], 0.01), 1)
    return result


# --- dashboards and datasets ---------------------------------------------------------------------------


def hand_sql() -> dict[str, str]:
    """Hand-written SQL for the national totals by region of the main datasets (same counting rules).

    Built from constants only (no user input): S608 does not apply.
    """
    from sentinelle.monitoring import mrm

    statuses = ", ".join(f"'{s}'" for s in mrm.STATISTICS_STATUSES)
    counted = (
        f"i.status IN ({statuses}) AND i.duplicate_of_id IS NULL "  # noqa: S608
        "AND NOT EXISTS (SELECT 1 FROM monitoring_gbvincident g WHERE g.incident_id = i.id "
        "AND g.consent_to_report = false)"
    )
    region = "split_part(a.path, '/', 2)"
    per_victim = ", ".join(f"'{t}'" for t in sorted(mrm.COUNTED_PER_VICTIM))
    per_event = ", ".join(f"'{t}'" for t in sorted(mrm.PER_EVENT))
    return {
        "incidents": (
            f"SELECT {region}, count(*) FROM monitoring_incident i "  # noqa: S608
            f"JOIN geography_adminarea a ON a.id = i.area_id WHERE {counted} GROUP BY 1"
        ),
        "victims": (
            f"SELECT {region}, sum(v.count) FROM monitoring_victimcount v "  # noqa: S608
            "JOIN monitoring_incident i ON i.id = v.incident_id "
            f"JOIN geography_adminarea a ON a.id = i.area_id WHERE {counted} GROUP BY 1"
        ),
        "grave_violations": (
            f"SELECT {region}, coalesce(sum(vv.count) FILTER (WHERE v.type IN ({per_victim})), 0) "  # noqa: S608
            f"+ count(DISTINCT v.id) FILTER (WHERE v.type IN ({per_event})) "
            "FROM monitoring_graveviolation v "
            "JOIN monitoring_incident i ON i.id = v.incident_id "
            "LEFT JOIN monitoring_violationvictims vv ON vv.violation_id = v.id "
            f"JOIN geography_adminarea a ON a.id = i.area_id WHERE {counted} GROUP BY 1"
        ),
        "cases": (
            f"SELECT {region}, count(*) FROM cases_case c "  # noqa: S608
            "JOIN geography_adminarea a ON a.id = c.area_id "
            "WHERE NOT c.is_archived GROUP BY 1"
        ),
        "referrals": (
            f"SELECT {region}, count(*) FROM cases_referral r "  # noqa: S608
            "JOIN cases_case c ON c.id = r.case_id "
            "JOIN geography_adminarea a ON a.id = c.area_id "
            "WHERE NOT r.is_archived AND NOT c.is_archived GROUP BY 1"
        ),
    }


def check_hand_sql(name: str, sql: str) -> bool:
    """The hand-written SQL gives the same national total as the dataset."""
    from django.db import connection

    from sentinelle.core import datasets

    with connection.cursor() as cursor:
        cursor.execute(sql)
        total = sum(row[1] or 0 for row in cursor.fetchall())
    rows = datasets.aggregate(name)
    dataset = datasets.get(name)
    return int(total) == int(rows[0][dataset.default_measure] or 0)


def measure_datasets(repeat: int) -> list[dict]:
    """Each dataset computed (the figure cache off: this is the work a first view after a change does)."""
    from django.conf import settings
    from django.test.utils import override_settings

    with override_settings(SENTINELLE={**settings.SENTINELLE, "FIGURE_CACHE_SECONDS": 0}):
        return _measure_datasets(repeat)


def _measure_datasets(repeat: int) -> list[dict]:
    from sentinelle.core import datasets

    hand = hand_sql()
    results = []
    for dataset in datasets.all_datasets():
        group_by = ["admin1"] if dataset.area_field else []

        def run(name=dataset.name, group_by=group_by):
            return datasets.aggregate(name, group_by=group_by)

        try:
            result = with_floor(dataset.name, run, repeat, hand.get(dataset.name))
            result["group_by"] = group_by
            if dataset.name in hand:
                result["hand_sql_same_total"] = check_hand_sql(dataset.name, hand[dataset.name])
        except Exception as error:
            result = {"name": dataset.name, "error": repr(error)}
        results.append(result)
    return results


DASHBOARD_URL = "/analyse/tableaux-de-bord/"


def measure_dashboard(repeat: int, *, username: str = "imo") -> dict:
    client = signed_client(username)
    status = {}

    def get():
        response = client.get(DASHBOARD_URL)
        status[response.status_code] = status.get(response.status_code, 0) + 1
        return response

    result = with_floor("national_dashboard", get, repeat)
    # The first view after a change computes every figure again (core/figure_cache.py).
    from sentinelle.core.models import FigureCache

    def cold():
        FigureCache.objects.all().delete()
        return get()

    result["cold"] = summary(timed(cold, max(3, repeat // 6), warmup=0))
    result["statuses"] = status
    result["errors"] = sum(v for k, v in status.items() if k != 200)
    return result


def measure_first_view_after_write(
    repeat: int, *, username: str = "imo", writer: str = "monitor.amss"
) -> dict:
    """Each run: a real write through a service (an OpenRosa submission recorded by `submission_receive`:
    a submitted incident, which the statistics count), then the national dashboard, timed. After each view,
    the national incident total the datasets answer (through the figure cache, as the page reads it) is
    compared with hand-written SQL: "exact" counts the runs where they agree."""
    from bench.intake import openrosa_submission
    from sentinelle.ingest.openrosa.submissions import submission_receive
    from sentinelle.ingest.openrosa.surveys import form_definition
    from sentinelle.ingest.openrosa.xforms import xform_for

    client = signed_client(username)
    device_user = user(writer)
    xform = xform_for(form_definition("sentinelle_incident")).xml
    if isinstance(xform, str):
        xform = xform.encode()
    incidents_sql = hand_sql()["incidents"]
    client.get(DASHBOARD_URL)  # templates and translations loaded: not a first view after a write
    times, exact, statuses, written = [], 0, {}, 0
    began = time.perf_counter()
    for number in range(repeat):
        receipt = submission_receive(user=device_user, xml=openrosa_submission(xform, number))
        written += int(receipt.created)
        start = time.perf_counter()
        response = client.get(DASHBOARD_URL)
        times.append((time.perf_counter() - start) * 1000)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        exact += int(check_hand_sql("incidents", incidents_sql))
        if number >= 4 and time.perf_counter() - began > BUDGET_S:
            break
    return {
        **summary(times),
        "writes": written,
        "exact": exact,
        "statuses": statuses,
        "errors": sum(v for k, v in statuses.items() if k != 200),
    }


def person_search_inputs(count: int = 40, seed: int = 11) -> list[dict]:
    """Generated persons to search for, with their names misspelt for the fuzzy search."""
    import random

    from bench.generate import misspell
    from sentinelle.cases.models import Person

    rng = random.Random(seed)
    people = []
    for person in Person.objects.filter(person_code__startswith="P-B").select_related("area")[
        : count * 7 : 7
    ]:
        people.append(
            {
                "given": person.given_name,
                "family": person.family_name,
                "given_typo": misspell(person.given_name, rng),
                "family_typo": misspell(person.family_name, rng),
                "sex": person.sex,
                "age": person.age if person.age is not None else "",
                "commune": person.area.pcode,
            }
        )
    return people


def measure_pages(repeat: int, *, queue_user: str) -> list[dict]:
    """The hot pages of the load, one client in process (server time without the network), each beside
    its floor: the same SELECTs replayed bare."""
    import itertools

    people = person_search_inputs()
    manager = signed_client("manager.drc")
    queue = signed_client(queue_user)

    def search(fuzzy: bool):
        cycle = itertools.cycle(people)

        def run():
            person = next(cycle)
            given, family = (
                (person["given_typo"], person["family_typo"])
                if fuzzy
                else (person["given"], person["family"])
            )
            response = manager.post(
                "/cas/personnes/recherche/",
                {
                    "given_name": given,
                    "family_name": family,
                    "sex": person["sex"],
                    "age": person["age"],
                    "commune": person["commune"],
                },
            )
            if response.status_code != 200:
                raise RuntimeError(f"person search answered {response.status_code}")
            return response

        return run

    def page(client, url):
        def run():
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")
            return response

        return run

    pages = {
        "case list": page(manager, "/cas/dossiers/"),
        "person search": search(fuzzy=False),
        "person search (fuzzy)": search(fuzzy=True),
        "referral queue": page(queue, "/cas/references-recues/"),
    }
    results = []
    for name, run in pages.items():
        try:
            results.append(with_floor(name, run, repeat))
        except Exception as error:
            results.append({"name": name, "error": repr(error)})
    return results


# --- page weight ---------------------------------------------------------------------------------------

ASSET = re.compile(r'<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"')
MAIN_PAGES = {
    "sign-in (first load)": (None, "/compte/connexion/"),
    "home": ("caseworker.drc", "/"),
    "case list": ("manager.drc", "/cas/dossiers/"),
    "incident list": ("imo", "/surveillance/incidents/"),
    "national dashboard": ("imo", DASHBOARD_URL),
    "referral queue": ("manager.drc", "/cas/references-recues/"),
}


def asset_bytes(url: str) -> int:
    """Compressed size of a static asset, read from the collected files (hashed names included)."""
    from pathlib import Path

    from django.conf import settings

    name = url.split("?")[0].removeprefix(settings.STATIC_URL)
    for root in [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]:
        path = root / name
        if path.is_file():
            return len(gzip.compress(path.read_bytes(), compresslevel=6))
    return 0


def measure_page_weight() -> dict:
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    pages = {}
    for label, (username, url) in MAIN_PAGES.items():
        if username is None:
            client, url = Client(), reverse("accounts:login")
        else:
            client = signed_client(username)
        response = client.get(url)
        html = response.content
        assets = [a for a in ASSET.findall(html.decode()) if a.startswith(settings.STATIC_URL)]
        html_bytes = len(gzip.compress(html, compresslevel=6))
        total = html_bytes + sum(asset_bytes(a) for a in assets)
        pages[label] = {
            "url": url,
            "status": response.status_code,
            "html_gzip_bytes": html_bytes,
            "with_assets_gzip_bytes": total,
            "assets": len(assets),
        }
    return pages
