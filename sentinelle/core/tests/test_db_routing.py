"""The read replica router (core/db_routing.py).

The tests marked `replica` run against a real PostgreSQL streaming standby (`.ci/run` starts one with
.ci/replica: DATABASE_REPLICA_URL); the others need no replica. Data written by a test must be committed to
reach the standby: those tests are transactional, and wait for the standby to replay (or pause its replay
to make it lag, pg_wal_replay_pause).
"""

import time

import pytest
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, router
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sentinelle.accounts.models import User
from sentinelle.core import db_routing
from sentinelle.core.db_routing import (
    COOKIE,
    REPLICA,
    ReadYourWritesMiddleware,
    ReplicaRouter,
    analysis_reads,
    lsn_value,
    primary_lsn,
    replica_status,
)
from sentinelle.core.models import AuditEntry, FigureCache, ThrottleBucket
from sentinelle.geography.models import AdminArea
from sentinelle.geography.tests.factories import AdminAreaFactory

WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "CREATE", "ALTER", "DROP")
STATUS_CHECK = "pg_is_in_recovery()"
replica_db = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])


# Without a replica (every run) ---------------------------------------------------------------------------


def test_positions_order_like_postgresql_says():
    assert lsn_value("0/16B3748") < lsn_value("0/16B3749") < lsn_value("1/0") < lsn_value("16/B374D848")
    assert lsn_value("") == 0


def test_without_a_replica_everything_stays_on_the_primary(monkeypatch):
    monkeypatch.setattr(db_routing, "replica_configured", lambda: False)
    with analysis_reads() as alias:
        assert alias == DEFAULT_DB_ALIAS
        assert router.db_for_read(AdminArea) == DEFAULT_DB_ALIAS
    with pytest.raises(MiddlewareNotUsed):
        ReadYourWritesMiddleware(lambda request: HttpResponse())


def test_writes_and_migrations_never_go_to_the_replica():
    replica_router = ReplicaRouter()
    token = db_routing._read_alias.set(REPLICA)  # as inside an analysis context that chose the replica
    try:
        for model in (AdminArea, FigureCache, AuditEntry, User):
            assert replica_router.db_for_write(model) == DEFAULT_DB_ALIAS
    finally:
        db_routing._read_alias.reset(token)
    assert replica_router.allow_migrate(REPLICA, "geography") is False
    assert replica_router.allow_migrate(REPLICA, "core", model_name="figurecache") is False
    assert replica_router.allow_migrate(DEFAULT_DB_ALIAS, "geography") is None


def test_what_must_be_current_is_read_on_the_primary_even_in_an_analysis_context():
    replica_router = ReplicaRouter()
    token = db_routing._read_alias.set(REPLICA)
    try:
        for model in (User, AuditEntry, ThrottleBucket):
            assert replica_router.db_for_read(model) == DEFAULT_DB_ALIAS
        assert replica_router.db_for_read(FigureCache) == REPLICA
    finally:
        db_routing._read_alias.reset(token)
    # Outside a context, analysis models too.
    assert replica_router.db_for_read(AdminArea) == DEFAULT_DB_ALIAS


# With a real standby ------------------------------------------------------------------------------------


def _on_replica(sql: str, params=()):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _reads(captured) -> list[str]:
    """The statements of a capture, but the router's own check of the standby's state."""
    return [query["sql"] for query in captured if STATUS_CHECK not in query["sql"]]


def _wait(condition, what: str, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"the standby did not {what} within {seconds} s")
        time.sleep(0.05)


def _wait_replayed():
    target = primary_lsn()
    _wait(lambda: lsn_value(_on_replica("SELECT pg_last_wal_replay_lsn()::text")[0]) >= target, "replay")


def _wait_received():
    target = primary_lsn()
    _wait(lambda: lsn_value(_on_replica("SELECT pg_last_wal_receive_lsn()::text")[0]) >= target, "receive")


@pytest.fixture
def replica(settings):
    """The standby, checked afresh at every analysis read, with a generous lag bound; replayed up to now."""
    settings.SENTINELLE = {**settings.SENTINELLE, "REPLICA_CHECK_SECONDS": 0, "REPLICA_MAX_LAG_SECONDS": 3600}
    db_routing.forget_status()
    _wait_replayed()
    yield
    db_routing.forget_status()


@pytest.fixture
def paused_replay(replica):
    """The standby receives the primary's WAL but does not apply it: it lags."""
    _on_replica("SELECT pg_wal_replay_pause()")
    _wait(lambda: _on_replica("SELECT pg_get_wal_replay_pause_state()")[0] == "paused", "pause")
    try:
        yield
    finally:
        _on_replica("SELECT pg_wal_replay_resume()")
        _wait_replayed()


def _area(cod_version, pcode: str) -> AdminArea:
    return AdminAreaFactory(version=cod_version, level=0, pcode=pcode, parent=None, name_fr=pcode)


@pytest.mark.replica
@replica_db
def test_analysis_reads_land_on_the_standby_and_writes_on_the_primary(replica, cod_version):
    area = _area(cod_version, "ML")
    _wait_replayed()
    sql = (
        "SELECT id, pg_is_in_recovery() AS standby, inet_server_port() AS port"
        " FROM geography_adminarea WHERE id = %s"
    )
    with analysis_reads() as alias:
        assert alias == REPLICA
        (found,) = AdminArea.objects.raw(sql, [area.pk])
        assert found.standby is True
        assert found.port == int(connections[REPLICA].settings_dict["PORT"])
        assert AdminArea.objects.get(pk=area.pk)._state.db == REPLICA
        # Who may see what is read where it is current.
        assert User.objects.all().db == DEFAULT_DB_ALIAS
        # A write inside the context goes to the primary.
        written = _area(cod_version, "BF")
    assert written._state.db == DEFAULT_DB_ALIAS
    assert AdminArea.objects.using(DEFAULT_DB_ALIAS).filter(pk=written.pk).exists()
    (outside,) = AdminArea.objects.raw(sql, [area.pk])
    assert outside.standby is False
    # The standby itself refuses writes.
    with pytest.raises(DatabaseError, match="read-only"):
        _on_replica("CREATE TABLE sentinelle_never (id int)")


@pytest.mark.replica
@replica_db
def test_a_dashboard_reads_on_the_standby_and_writes_only_on_the_primary(replica, signed_in, imo, mopti):
    client = signed_in(imo)
    _wait_replayed()
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        response = client.get(reverse("reports:dashboard-national"))
    assert response.status_code == 200
    assert _reads(on_replica)
    assert not [sql for sql in _reads(on_replica) if sql.lstrip().upper().startswith(WRITES)]
    # Its figures were cached, on the primary.
    assert FigureCache.objects.using(DEFAULT_DB_ALIAS).exists()
    # A page that is not analysis never touches the standby.
    with CaptureQueriesContext(connections[REPLICA]) as elsewhere:
        assert client.get(reverse("core:home")).status_code == 200
    assert not _reads(elsewhere)


@pytest.mark.replica
@replica_db
def test_a_writer_reads_its_writes_while_others_read_the_lagging_standby(
    paused_replay, cod_version, signed_in, imo
):
    area = _area(cod_version, "ML")
    factory = RequestFactory()
    # The write's request leaves the primary's position in a signed cookie.
    response = ReadYourWritesMiddleware(lambda request: HttpResponse())(factory.post("/"))
    writer = factory.get("/")
    writer.COOKIES[COOKIE] = response.cookies[COOKIE].value
    with analysis_reads(writer) as alias:
        assert alias == DEFAULT_DB_ALIAS
        assert AdminArea.objects.filter(pk=area.pk).exists()
    # Everyone else reads the standby, which has not replayed the write (within the bound).
    with analysis_reads(factory.get("/")) as alias:
        assert alias == REPLICA
        assert not AdminArea.objects.filter(pk=area.pk).exists()
    # A forged position is no position.
    forged = factory.get("/")
    forged.COOKIES[COOKIE] = "FFFFFFFF/FFFFFFFF"
    with analysis_reads(forged) as alias:
        assert alias == REPLICA
    # Through the pages: a POST (any) sets the cookie, the writer's dashboard stays off the standby.
    client = signed_in(imo)
    client.post(reverse("reports:dashboard-national"))
    assert COOKIE in client.cookies
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert client.get(reverse("reports:dashboard-national")).status_code == 200
    assert not _reads(on_replica)
    # Once the standby has replayed past the write, the writer reads there too, and sees it.
    _on_replica("SELECT pg_wal_replay_resume()")
    _wait_replayed()
    with analysis_reads(writer) as alias:
        assert alias == REPLICA
        assert AdminArea.objects.filter(pk=area.pk).exists()


@pytest.mark.replica
@replica_db
def test_lagging_past_the_bound_or_down_the_standby_leaves_reads_to_the_primary(
    paused_replay, settings, cod_version
):
    area = _area(cod_version, "ML")
    _wait_received()
    status = replica_status(fresh=True)
    assert status.usable and status.lag_seconds > 0
    with analysis_reads() as alias:
        assert alias == REPLICA
        assert not AdminArea.objects.filter(pk=area.pk).exists()
    settings.SENTINELLE = {**settings.SENTINELLE, "REPLICA_MAX_LAG_SECONDS": 1}
    _wait(lambda: not replica_status(fresh=True).usable, "fall past the bound")
    status = replica_status()
    assert status.reason == "lagging" and status.lag_seconds > 1
    with analysis_reads() as alias:
        assert alias == DEFAULT_DB_ALIAS
        assert AdminArea.objects.filter(pk=area.pk).exists()
    # Replayed again: back on the standby.
    _on_replica("SELECT pg_wal_replay_resume()")
    _wait_replayed()
    with analysis_reads() as alias:
        assert alias == REPLICA
        assert AdminArea.objects.filter(pk=area.pk).exists()
    # A standby that does not answer: the primary answers.
    replica_settings = connections[REPLICA].settings_dict
    port = replica_settings["PORT"]
    connections[REPLICA].close()
    replica_settings["PORT"] = "1"  # nothing listens there
    try:
        with analysis_reads() as alias:
            assert alias == DEFAULT_DB_ALIAS
        assert replica_status().reason.startswith("down")
    finally:
        replica_settings["PORT"] = port
        connections[REPLICA].close()
    with analysis_reads() as alias:
        assert alias == REPLICA
