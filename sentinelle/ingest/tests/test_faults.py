"""Faults: an import killed half-way, a worker killed holding a job, database connections killed.

The import and the worker run as real processes (`manage.py import_data` / `run_jobs`) on a database
they share with the test: the PostgreSQL test database itself, or, under SQLite (whose test database
lives in memory), a file copy of it made with SQLite's backup API and copied back afterwards.
To kill a process at a known point, it runs through a small wrapper that executes the real command
after making the import kind's `commit` announce, once the rows of the chosen write are written and
before its transaction commits, that it is there (a signal file), then wait to be killed.
"""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import close_old_connections, connection, connections
from django.db.utils import InterfaceError, OperationalError
from django.urls import reverse

from sentinelle.core.audit import audit_record, verify_chain
from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.ingest.models import ImportJob, ImportStatus
from sentinelle.ingest.services import import_job_commit, import_job_upload
from sentinelle.monitoring.models import Incident

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_dead_connection_left(transactional_db):
    """A connection these tests killed must not outlive them: the flush and the later tests reconnect."""
    yield
    connections.close_all()


ROOT = Path(settings.BASE_DIR)
WAIT_SECONDS = 120

WRAPPER = """
import json, os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
import django
django.setup()
from sentinelle.ingest import services
from sentinelle.ingest.kinds import get_kind
from sentinelle.monitoring.models import Incident

if os.environ.get("FAULT_COMMIT_CHUNK"):
    services.COMMIT_CHUNK_ROWS = int(os.environ["FAULT_COMMIT_CHUNK"])
signal_path, pause_at = os.environ["FAULT_SIGNAL"], int(os.environ["FAULT_PAUSE_AT_WRITE"])
kind = type(get_kind("incidents"))
original, calls = kind.commit, []

def commit(self, **arguments):
    result = original(self, **arguments)
    calls.append(result)
    if len(calls) == pause_at:
        # Inside the write's transaction: the rows are written, not yet committed.
        seen = Incident.objects.filter(organisation=arguments["organisation"]).count()
        with open(signal_path + ".tmp", "w") as handle:
            json.dump({"written": result[0], "visible_inside": seen}, handle)
        os.replace(signal_path + ".tmp", signal_path)
        time.sleep(600)
    return result

kind.commit = commit
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", *sys.argv[1:]])
"""


class SharedDatabase:
    """The test database as other processes can open it (see the module's docstring)."""

    def __init__(self, tmp_path: Path):
        self.vendor = connection.vendor
        self.file = tmp_path / "shared.sqlite3"
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test", "PYTHONUNBUFFERED": "1"}
        if self.vendor == "sqlite":
            self.env["DATABASE_URL"] = f"sqlite:///{self.file}"
        else:
            config = connection.settings_dict
            password = f":{quote(config['PASSWORD'], safe='')}" if config.get("PASSWORD") else ""
            host = (config["HOST"] or "localhost") + (f":{config['PORT']}" if config.get("PORT") else "")
            user = quote(config["USER"], safe="")
            self.env["DATABASE_URL"] = f"postgres://{user}{password}@{host}/{quote(config['NAME'], safe='')}"

    def push(self) -> None:
        """Give the other processes what the test wrote."""
        if self.vendor == "sqlite":
            connection.ensure_connection()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.file}{suffix}").unlink(missing_ok=True)
            target = sqlite3.connect(self.file)
            connection.connection.backup(target)
            target.close()

    def pull(self) -> None:
        """See what the other processes wrote."""
        if self.vendor == "sqlite":
            source = sqlite3.connect(self.file)
            source.backup(connection.connection)
            source.close()

    def start(
        self, *arguments: str, pause_at_write: int | None = None, signal_file=None, **env
    ) -> subprocess.Popen:
        environment = {**self.env, **{key: str(value) for key, value in env.items()}}
        if pause_at_write is None:
            command = [sys.executable, "manage.py", *arguments, "--skip-checks"]
        else:
            environment.update(FAULT_SIGNAL=str(signal_file), FAULT_PAUSE_AT_WRITE=str(pause_at_write))
            command = [sys.executable, "-c", WRAPPER, *arguments, "--skip-checks"]
        return subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def job_statuses(self) -> list[str]:
        """The jobs' statuses as another process sees them now (committed data only)."""
        if self.vendor != "sqlite":
            return list(ImportJob.objects.order_by("id").values_list("status", flat=True))
        reader = sqlite3.connect(f"file:{self.file}?mode=ro", uri=True, timeout=20)
        try:
            return [row[0] for row in reader.execute("SELECT status FROM ingest_importjob ORDER BY id")]
        finally:
            reader.close()

    def run(self, *arguments: str, **env) -> subprocess.CompletedProcess:
        process = self.start(*arguments, **env)
        out, err = process.communicate(timeout=WAIT_SECONDS)
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def wait_for(path: Path, process: subprocess.Popen) -> dict:
    deadline = time.monotonic() + WAIT_SECONDS
    while not path.exists():
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"the process ended ({process.returncode}) before the fault point:\n{out}\n{err}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the process never reached the fault point")
        time.sleep(0.05)
    return json.loads(path.read_text())


def kill_9(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


@pytest.fixture
def shared(tmp_path):
    return SharedDatabase(tmp_path)


@pytest.fixture
def sample_file(tmp_path, places):
    def make(rows: int) -> Path:
        path = tmp_path / f"incidents-{rows}.csv"
        call_command("make_sample_import", "incidents", str(rows), str(path))
        return path

    return make


def source_ids(organisation) -> list[str]:
    return list(Incident.objects.filter(organisation=organisation).values_list("source_id", flat=True))


def test_import_killed_while_it_commits_leaves_nothing_and_runs_again(
    admin, alpha, shared, sample_file, tmp_path
):
    rows = 300
    path = sample_file(rows)
    shared.push()
    signal_file = tmp_path / "at-commit"

    process = shared.start(
        "import_data",
        "incidents",
        str(path),
        "--org",
        "ALPHA",
        "--commit",
        pause_at_write=1,
        signal_file=signal_file,
    )
    inside = wait_for(signal_file, process)
    kill_9(process)
    shared.pull()

    # Every row was written inside the transaction when the process died; none of them survived.
    assert inside == {"written": rows, "visible_inside": rows}
    assert Incident.objects.count() == 0
    stranded = ImportJob.objects.get()
    assert stranded.status == ImportStatus.COMMITTING and stranded.created_count == 0

    again = shared.run("import_data", "incidents", str(path), "--org", "ALPHA", "--commit")
    assert again.returncode == 0, again.stderr
    # The killed job's claim expires; a worker finishes it without writing anything twice.
    worker = shared.run("run_jobs", SENTINELLE_IMPORT_JOB_TIMEOUT_SECONDS=0)
    assert worker.returncode == 0, worker.stderr
    shared.pull()

    ids = source_ids(alpha)
    assert len(ids) == rows and len(set(ids)) == rows
    jobs = {job.pk: job for job in ImportJob.objects.all()}
    assert {job.status for job in jobs.values()} == {ImportStatus.COMMITTED}
    assert jobs[stranded.pk].created_count == 0 and jobs[stranded.pk].unchanged_count == rows
    assert sum(job.created_count for job in jobs.values()) == rows


def test_plain_import_killed_at_a_random_moment_of_its_commit_leaves_all_or_nothing(
    admin, alpha, shared, sample_file
):
    """The same without any hook: the real command, killed some time after its commit has begun."""
    rows = 1500
    path = sample_file(rows)
    shared.push()
    process = shared.start("import_data", "incidents", str(path), "--org", "ALPHA", "--commit")
    deadline = time.monotonic() + WAIT_SECONDS
    while shared.job_statuses() != [ImportStatus.COMMITTING]:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(random.uniform(0.05, 0.5))  # somewhere in the re-validation or the write
    kill_9(process)
    shared.pull()

    written = Incident.objects.count()
    assert written in (0, rows)  # never part of the file
    assert ImportJob.objects.get().status == (ImportStatus.COMMITTED if written else ImportStatus.COMMITTING)
    again = shared.run("import_data", "incidents", str(path), "--org", "ALPHA", "--commit")
    assert again.returncode == 0, again.stderr
    shared.pull()
    ids = source_ids(alpha)
    assert len(ids) == rows and len(set(ids)) == rows


def test_worker_killed_holding_a_job_releases_it_to_another(
    admin, alpha, shared, sample_file, tmp_path, settings
):
    rows, chunk = 240, 80
    content = sample_file(rows).read_bytes()
    job = import_job_upload(
        actor=admin, kind="incidents", organisation=alpha, filename="gros.csv", content=content, run_now=False
    )
    assert job.background and job.status == ImportStatus.UPLOADED
    shared.push()
    validated = shared.run("run_jobs")
    assert validated.returncode == 0, validated.stderr
    shared.pull()
    job.refresh_from_db()
    assert job.status == ImportStatus.VALID
    job = import_job_commit(actor=admin, job=job, run_now=False)
    assert job.status == ImportStatus.COMMITTING and not job.claimed_by
    shared.push()

    # The first worker dies inside the transaction of its second chunk (the first one is committed).
    signal_file = tmp_path / "second-chunk"
    environment = {"FAULT_COMMIT_CHUNK": chunk, "SENTINELLE_IMPORT_INLINE_MAX_ROWS": 10}
    first = shared.start("run_jobs", pause_at_write=2, signal_file=signal_file, **environment)
    assert wait_for(signal_file, first)["written"] == chunk
    kill_9(first)
    shared.pull()
    job.refresh_from_db()
    assert job.status == ImportStatus.COMMITTING and job.claimed_by.startswith("worker")
    assert job.progress == chunk and Incident.objects.count() == chunk

    # While its claim is fresh, no other worker takes the job.
    polite = shared.run("run_jobs", **environment)
    assert polite.returncode == 0 and ": 0 job(s)" in polite.stdout
    # Once it has expired, the next worker takes the job over and finishes where the dead one stopped.
    time.sleep(1.1)
    second = shared.run("run_jobs", SENTINELLE_IMPORT_JOB_TIMEOUT_SECONDS=1, **environment)
    assert second.returncode == 0 and ": 1 job(s)" in second.stdout, second.stderr
    shared.pull()

    job.refresh_from_db()
    assert job.status == ImportStatus.COMMITTED and not job.claimed_by
    assert job.attempts == 2 and job.progress == rows and job.created_count == rows
    ids = source_ids(alpha)
    assert len(ids) == rows and len(set(ids)) == rows


# --- The database going away ---------------------------------------------------------------------

# The tests marked postgres simulate a server restart with pg_terminate_backend (SQLite has no server).


def _killer():
    config = connection.settings_dict
    return psycopg.connect(
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"],
        password=config["PASSWORD"] or None,
        dbname=config["NAME"],
        autocommit=True,
    )


def _database_pids() -> set[int]:
    with _killer() as killer:
        rows = killer.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return {pid for (pid,) in rows}


def terminate_others(spare=frozenset()) -> int:
    """Kill the other connections to the test database, as a server restart does; how many.

    `spare`: connections that belong to the test session rather than to the test (a live server's
    thread, opened by an earlier browser test), which later tests still need."""
    with _killer() as killer:
        rows = killer.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND NOT (pid = ANY(%s))",
            [list(spare)],
        ).fetchall()
    return len(rows)


@pytest.fixture
def bystanders(transactional_db):
    """Connections open before the test other than the test's own: never killed."""
    if connection.vendor != "postgresql":
        return frozenset()
    return frozenset(_database_pids() - {backend_pid()})


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_connections_killed_under_load_lose_no_committed_write(db, bystanders):
    committed: list[int] = []
    failures: list[str] = []
    backends: set[int] = set()
    stop = threading.Event()

    def writer():
        try:
            while not stop.is_set() or len(committed) < 200:
                close_old_connections()  # what Django does at every request's start
                try:
                    entry = audit_record(action=AuditAction.CREATE, object_type="fault.test")
                except (OperationalError, InterfaceError) as error:
                    failures.append(type(error).__name__)
                    connection.close()  # the failed request ends; the next one reconnects
                    continue
                committed.append(entry.pk)
                backends.add(connection.connection.info.backend_pid)
                if len(committed) > 2000:
                    break
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    kills = 0
    for _round in range(3):
        time.sleep(0.3)
        kills += terminate_others(bystanders)
    stop.set()
    thread.join(timeout=60)

    assert kills >= 3 and committed
    assert len(backends) >= 2  # the writer's connection was killed, and it reconnected
    connection.close()
    found = set(AuditEntry.objects.filter(object_type="fault.test").values_list("pk", flat=True))
    assert set(committed) <= found  # no committed write lost
    # An entry may have committed while its caller saw the connection die; none is half-written.
    assert len(found - set(committed)) <= len(failures)
    assert verify_chain() is None


@pytest.mark.postgres
def test_request_after_the_server_dropped_the_connection_succeeds(admin, signed_in, bystanders):
    client = signed_in(admin)
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    assert client.get(reverse("core:home")).status_code == 200
    before = backend_pid()

    # The test's own connection is the application's: kill it (and any other) from outside.
    assert terminate_others(bystanders) >= 1
    time.sleep(0.2)

    # Django's request_started handler (the test client leaves it out, so it is called here): with
    # CONN_HEALTH_CHECKS the dead persistent connection is noticed and replaced, not used.
    # (Without CONN_HEALTH_CHECKS the next query fails: "terminating connection due to administrator
    # command".)
    close_old_connections()
    assert backend_pid() != before
    assert client.get(reverse("core:home")).status_code == 200


@pytest.mark.postgres
def test_looping_worker_survives_the_server_dropping_its_connection(
    admin, alpha, shared, sample_file, bystanders
):
    content = sample_file(20).read_bytes()
    worker = shared.start("run_jobs", "--loop", "--sleep", "0.1")
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        connection.close()
        while not terminate_others(bystanders):  # the worker's connection, once it has one
            assert worker.poll() is None, worker.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(0.5)
        job = import_job_upload(
            actor=admin,
            kind="incidents",
            organisation=alpha,
            filename="a.csv",
            content=content,
            run_now=False,
        )
        while job.status != ImportStatus.VALID:
            assert worker.poll() is None, worker.communicate()
            assert job.status in (ImportStatus.UPLOADED, ImportStatus.VALIDATING), job.errors
            if time.monotonic() > deadline:
                worker.kill()
                pytest.fail(f"the worker did not take the job: {worker.communicate()}")
            time.sleep(0.1)
            job.refresh_from_db()
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert "stopped" in out
