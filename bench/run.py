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
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).absolute().parent.parent
VAR = ROOT / "var" / "bench"
RESULTS = ROOT / "bench" / "results"
PY = sys.executable
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/sentinelle_bench"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def bench_env(database_url: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "SENTINELLE_DEMO": "true",  # the bench clones the demo (seed_demo)
        "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_COOKIES": "false",
        # OpenRosa answers only over HTTPS: the load tool's devices say so with X-Forwarded-Proto.
        "DJANGO_BEHIND_HTTPS_PROXY": "true",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "DATABASE_URL": database_url,
        "SENTINELLE_VAR_DIR": str(VAR),
        "SENTINELLE_FIELD_KEYS_FILE": str(VAR / "field-keys.json"),
        # The load tool is a handful of accounts doing the work of hundreds: the per-user and per-client
        # throttles (core/throttles.py) would answer 429 to what is load, not abuse. Measured apart.
        "SENTINELLE_THROTTLE_PERSON_SEARCH": "1000000/1h",
        "SENTINELLE_THROTTLE_API_USER": "1000000/1m",
        "SENTINELLE_THROTTLE_API_CLIENT": "1000000/1m",
        "SENTINELLE_THROTTLE_STATS": "1000000/1d",
        "SENTINELLE_THROTTLE_SIGNIN_CLIENT": "1000000/15m",
        "SENTINELLE_THROTTLE_DEVICE_CLIENT": "1000000/15m",
    }


def recreate_database(database_url: str) -> None:
    import psycopg

    url = urlparse(database_url)
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def django_setup(database_url: str) -> None:
    VAR.mkdir(parents=True, exist_ok=True)
    keys = VAR / "field-keys.json"
    if not keys.exists():
        sys.path.insert(0, str(ROOT))
        from sentinelle.core import crypto

        crypto.write_key_file(keys, crypto.new_keyring_json("bench"))
    os.environ.update(bench_env(database_url))
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(cpus: str) -> list[str]:
    """The command prefix that pins a process to `cpus` (taskset), or nothing where that cannot be done."""
    return ["taskset", "-c", cpus] if cpus and shutil.which("taskset") else []


def split_cores() -> tuple[str, str]:
    """(load tool's core, server's cores): the load tool on the last core, the server on the others, when
    the machine has two or more (PostgreSQL is not pinned: it runs where the kernel puts it)."""
    count = os.cpu_count() or 1
    if count < 2 or not shutil.which("taskset"):
        return "", ""
    return str(count - 1), f"0-{count - 2}" if count > 2 else "0"


# --- server, memory ---------------------------------------------------------------------------------


class Server:
    """gunicorn on a free loopback port, with the bench environment; RSS of master + workers sampled."""

    def __init__(self, database_url: str, workers: int, cpus: str = ""):
        self.port = free_port()
        self.host = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, **bench_env(database_url)}
        self.process = subprocess.Popen(  # noqa: S603
            [
                *pinned(cpus),
                str(Path(PY).parent / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        self.samples: list[tuple[float, int, int]] = []  # (time, total RSS bytes, processes)
        self._stop = threading.Event()
        self._wait_ready()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _wait_ready(self) -> None:
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def warm_up(self, cookies: dict[str, str], urls: list[str], rounds: int) -> None:
        """First requests of a worker load templates and translations: keep them out of the figures."""
        from concurrent.futures import ThreadPoolExecutor
        from urllib.request import Request, urlopen

        def get(url: str) -> None:
            cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
            try:
                with urlopen(Request(self.host + url, headers={"Cookie": cookie}), timeout=60) as answer:  # noqa: S310
                    answer.read()
            except OSError:
                pass

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(get, urls * rounds))

    def rss(self) -> tuple[int, int, int]:
        """(total RSS of master and workers, largest single process RSS, process count)."""
        import psutil

        try:
            master = psutil.Process(self.process.pid)
            processes = [master, *master.children(recursive=True)]
            sizes = [p.memory_info().rss for p in processes]
        except psutil.Error:
            return 0, 0, 0
        return sum(sizes), max(sizes), len(sizes)

    def _sample(self) -> None:
        while not self._stop.is_set():
            total, largest, count = self.rss()
            self.samples.append((time.time(), total, largest, count))
            self._stop.wait(1.0)

    def peak(self) -> dict:
        if not self.samples:
            return {}
        return {
            "peak_total_rss_mb": round(max(s[1] for s in self.samples) / 2**20, 1),
            "peak_process_rss_mb": round(max(s[2] for s in self.samples) / 2**20, 1),
            "processes": self.samples[-1][3],
        }

    def stop(self) -> None:
        self._stop.set()
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def run_locust(host: str, *, scenario: str, users: int, seconds: int, load_file: Path, samples: Path) -> int:
    env = {
        **os.environ,
        "BENCH_LOAD": str(load_file),
        "BENCH_SAMPLES": str(samples),
        "BENCH_SCENARIO": scenario,
    }
    samples.write_text("")
    command = [
        str(Path(PY).parent / "locust"),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(users),
        "--run-time",
        f"{seconds}s",
        "--host",
        host,
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
    ]
    completed = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=False)  # noqa: S603
    return completed.returncode


def read_samples(path: Path) -> list[tuple[float, str, float, bool]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split(",")
        t, ms, ok = float(parts[0]), float(parts[-2]), parts[-1] == "1"
        name = ",".join(parts[1:-2])
        rows.append((t, name, ms, ok))
    return rows


def by_name(rows) -> dict:
    from bench.measure import summary

    names = sorted({r[1] for r in rows})
    out = {}
    for name in names:
        mine = [r for r in rows if r[1] == name]
        out[name] = {**summary([r[2] for r in mine]), "errors": sum(1 for r in mine if not r[3])}
    return out


def busiest_queue_user() -> str:
    """A manager of the organisation that receives the most referrals (the longest referral queue)."""
    from django.db.models import Count

    from sentinelle.accounts.models import Membership
    from sentinelle.cases.models import Referral

    top = (
        Referral.objects.exclude(service__isnull=True)
        .values("service__provider")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    if top:
        member = (
            Membership.objects.filter(organisation_id=top["service__provider"], role__in=["manager"])
            .select_related("user")
            .first()
        )
        if member:
            return member.user.username
    return "manager.drc"


# --- what the load needs --------------------------------------------------------------------------


def load_accounts(username: str, count: int) -> list[str]:
    """`count` bench accounts doing the work of `username` (the same memberships and areas, a confirmed
    TOTP device), made once. Each load client signs in as one of them, as each case worker has an account:
    one shared account would put every client's person search on one throttle bucket (core/throttles.py:
    the 2026-12-06 run's 231 errors were that bucket's 429s, 60 searches an hour for 20 clients), and its
    row lock would serialise them."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from sentinelle.accounts.models import User

    model = User.objects.get(username=username)
    memberships = list(model.memberships.filter(is_archived=False).prefetch_related("areas"))
    names = []
    for number in range(count):
        name = f"bench.{username}.{number}"
        clone = User.objects.filter(username=name).first()
        if clone is None:
            clone = User.objects.create_user(name, email=f"{name}@bench.invalid")
            for membership in memberships:
                copy = clone.memberships.create(
                    organisation=membership.organisation,
                    role=membership.role,
                    created_by=model,
                    updated_by=model,
                )
                copy.areas.set(membership.areas.all())
            TOTPDevice.objects.create(user=clone, name="bench", confirmed=True)
        names.append(name)
    return names


def load_inputs(*, soak: bool, clients: int = 1) -> dict:
    """Session cookies, people to search (with typing slips), and for the soak the write payloads."""
    import random

    from bench.generate import misspell
    from bench.measure import IMPORT_USER, openrosa_device, openrosa_submission, session_cookie, user
    from sentinelle.cases.models import Person
    from sentinelle.core import datasets

    rng = random.Random(11)
    queue_user = busiest_queue_user()
    usernames = {"manager.drc", "imo", queue_user, IMPORT_USER}
    people = []
    # One account per load client for the bench's case workers and referral managers (load_accounts).
    sessions = {name: [session_cookie(name)] for name in usernames}
    if not soak and clients > 1:
        for name in ("manager.drc", queue_user):
            sessions[name] = [session_cookie(clone) for clone in load_accounts(name, clients)]
    for person in Person.objects.filter(person_code__startswith="P-B").select_related("area")[:2000:7]:
        if rng.random() < 1:
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
    from sentinelle.api.tokens import api_token_create

    _token, api_token = api_token_create(actor=user("imo"), label="Banc d'essai")
    load = {
        "sessions": sessions,
        "api_token": api_token,
        "queue_user": queue_user,
        "people": people,
        "datasets": [d.name for d in datasets.all_datasets()],
    }
    if soak:
        from django.test import Client

        from sentinelle.ingest.kinds import get_kind
        from sentinelle.ingest.samples import incident_rows
        from sentinelle.ingest.workbooks import template_csv

        headers = openrosa_device("monitor.amss")
        xform = Client().get("/openrosa/forms/sentinelle_incident.xml", secure=True, **headers).content
        template = openrosa_submission(xform, 1).decode()
        import re

        template = re.sub(r"uuid:[0-9a-f-]{36}", "INSTANCE-ID", template)
        load["openrosa"] = {
            "headers": {
                "Authorization": headers["HTTP_AUTHORIZATION"],
                "X-OpenRosa-Version": "1.0",
                "X-Forwarded-Proto": "https",
            },
            "template": template,
        }
        rows = incident_rows(20, seed=5)
        for number, row in enumerate(rows):
            row["source_id"] = f"SOAKID-{number}"
        importer = user(IMPORT_USER)
        load["import"] = {
            "user": IMPORT_USER,
            "csv": template_csv(get_kind("incidents"), rows).decode("utf-8-sig"),
            # The upload form names the organisation by its public id.
            "organisation": str(importer.memberships.order_by("pk").first().organisation.public_id),
        }
    return load


def worker_peak_rss(rows: int, database_url: str) -> dict:
    """Queue an import job for the worker, run `manage.py run_jobs --once`, read its peak RSS."""
    from bench.measure import IMPORT_USER, user
    from sentinelle.ingest.kinds import get_kind
    from sentinelle.ingest.samples import incident_rows
    from sentinelle.ingest.services import import_job_commit, import_job_upload
    from sentinelle.ingest.workbooks import template_csv

    actor = user(IMPORT_USER)
    organisation = actor.memberships.order_by("pk").first().organisation
    content = template_csv(get_kind("incidents"), incident_rows(rows, seed=991))
    job = import_job_upload(
        actor=actor,
        kind="incidents",
        organisation=organisation,
        filename="w.csv",
        content=content,
        run_now=True,
    )
    if job.status != "valid":
        return {"error": f"job {job.status}"}
    import_job_commit(actor=actor, job=job, run_now=False)
    env = {**os.environ, **bench_env(database_url)}
    start = time.perf_counter()
    process = subprocess.Popen([PY, "manage.py", "run_jobs", "--once"], cwd=ROOT, env=env)  # noqa: S603
    _pid, status, usage = os.wait4(process.pid, 0)
    job.refresh_from_db()
    return {
        "rows": rows,
        "job_status": job.status,
        "exit_status": status,
        "seconds": round(time.perf_counter() - start, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }


# --- OpenRosa under load ----------------------------------------------------------------------------


def openrosa_load_inputs(clients: int) -> dict:
    """One device password per client, for the users who may record an incident in the form's commune
    (cycled when there are fewer users than clients: several phones of one monitor), and a submission
    template whose instanceID the load tool replaces."""
    import re

    from django.test import Client

    from bench.measure import OPENROSA_ANSWERS, openrosa_device, openrosa_submission
    from sentinelle.accounts.models import User
    from sentinelle.core.permissions import Perm, home_organisation, may_act_for
    from sentinelle.geography.models import AdminArea

    commune = AdminArea.objects.get(pcode=OPENROSA_ANSWERS["commune"])
    users = []
    for account in (
        User.objects.filter(is_active=True).exclude(username__startswith="bench.").order_by("username")
    ):
        organisation = home_organisation(account, Perm.INCIDENT_CREATE)
        if organisation and may_act_for(
            account, Perm.INCIDENT_CREATE, organisation=organisation, area=commune
        ):
            users.append(account.username)
    headers = [openrosa_device(users[i % len(users)]) for i in range(clients)]
    xform = Client().get("/openrosa/forms/sentinelle_incident.xml", secure=True, **headers[0]).content
    template = re.sub(r"uuid:[0-9a-f-]{36}", "INSTANCE-ID", openrosa_submission(xform, 1).decode())
    # Each submission's incident date is drawn over the last 5 weeks by the load tool, as phones send them.
    template = re.sub(r"<date_start>[^<]*</date_start>", "<date_start>DATE-START</date_start>", template)
    return {
        "users": sorted({users[i % len(users)] for i in range(clients)}),
        "headers": [{"Authorization": h["HTTP_AUTHORIZATION"]} for h in headers],
        "template": template,
    }


def pending_tasks() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(status="READY").count()


def measure_openrosa_load(args) -> dict:
    """8 phones (--openrosa-clients) posting without pause to gunicorn (--openrosa-workers), the load tool
    pinned to one core and the server to the other(s); then the queued follow-ups drained by the worker."""
    from django.db import connection

    clients, seconds = args.openrosa_clients, args.openrosa_seconds
    load_file, samples = VAR / "load-openrosa.json", VAR / "samples-openrosa.csv"
    inputs = openrosa_load_inputs(clients)
    load_file.write_text(json.dumps(inputs))
    queued_before = pending_tasks()
    connection.close()
    tool_cpu, server_cpus = split_cores()
    tool = [*pinned(tool_cpu), PY, str(ROOT / "bench" / "openrosa_load.py"), "--port"]
    server = Server(args.database_url, args.openrosa_workers, cpus=server_cpus)
    try:
        common = ["--clients", str(clients), "--load", str(load_file), "--samples", str(samples)]
        # Warm-up, not counted (HEAD requests: nothing written): each worker checks each device password
        # once (argon2) and remembers it; enough per client that every worker sees every phone.
        warm_up = ["--warm-up", str(8 * args.openrosa_workers)]
        completed = subprocess.run(  # noqa: S603
            [*tool, str(server.port), *common, *warm_up, "--seconds", str(seconds)],
            check=False,
            capture_output=True,
            text=True,
        )
    finally:
        server.stop()
    rows = read_samples(samples)
    ok = [r for r in rows if r[3]]
    # From the first request sent to the last answer received (the warm-up is not counted).
    elapsed = max(r[0] for r in rows) - min(r[0] - r[2] / 1000 for r in rows) if rows else seconds
    try:
        tool_out = json.loads(completed.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        tool_out = {"stderr": completed.stderr[-500:]}
    from bench.measure import summary

    result = {
        "clients": clients,
        "users": inputs["users"],
        "seconds": seconds,
        "gunicorn_workers": args.openrosa_workers,
        "load_tool_cpu": tool_cpu or "not pinned",
        "server_cpus": server_cpus or "not pinned",
        "requests": len(rows),
        "errors": len(rows) - len(ok),
        "per_second": round(len(ok) / max(elapsed, 0.001), 1),
        "statuses": tool_out.get("statuses", {}),
        "connection_errors": tool_out.get("connection_errors", {}),
        **(summary([r[2] for r in rows]) if rows else {}),
        "server_memory": server.peak(),
    }
    # The follow-ups (duplicates, alert rules) were queued, not run in the requests: drain them as the
    # worker does, timed.
    result["tasks_queued"] = pending_tasks() - queued_before
    connection.close()
    if args.openrosa_no_drain:
        return result
    env = {**os.environ, **bench_env(args.database_url)}
    t = time.perf_counter()
    try:
        subprocess.run([PY, "manage.py", "run_jobs", "--once"], cwd=ROOT, env=env, check=False, timeout=300)  # noqa: S603
    except subprocess.TimeoutExpired:
        result["tasks_drain_timeout"] = True
    result["tasks_drain_s"] = round(time.perf_counter() - t, 1)
    result["tasks_left"] = pending_tasks()
    return result


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
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
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

    from bench import measure

    repeat = args.repeat
    log("Import throughput")
    import_rows = args.import_rows or max(1_000, min(10_000, round(50_000 * args.scale)))
    result["import"] = measure.measure_import(
        import_rows, username=measure.IMPORT_USER, seed=int(time.time()) % 1_000_000
    )
    log("OpenRosa submissions")
    result["openrosa"] = measure.measure_openrosa(args.openrosa)
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
