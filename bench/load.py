"""The load tools of the bench: the gunicorn server it measures, locust's clients and their inputs, the
worker's memory, and OpenRosa phones posting at once."""

import json
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

from bench.environment import PY, ROOT, VAR, bench_env, free_port, pinned, split_cores

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
    from bench.intake import openrosa_device, openrosa_submission
    from bench.measure import IMPORT_USER, session_cookie, user
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

    from bench.intake import OPENROSA_ANSWERS, openrosa_device, openrosa_submission
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
