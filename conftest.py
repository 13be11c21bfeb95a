"""Named actors shared by every app's tests.

Two organisations (alpha, beta) and two regions (Mopti, Ségou) built with small factories:
  admin, imo                  cluster staff (global)
  manager                     manager of alpha
  caseworker_in_area          case worker of alpha, limited to Mopti
  caseworker_other_area       case worker of alpha, limited to Ségou
  monitor, focal_point        alpha's monitor, beta's service focal point
  reader                      a reader of beta
  outsider                    manager of beta: signed in, powerful, but not alpha's
  nobody                      an account with no role at all
"""

import asyncio
import os
import threading
import time

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from sentinelle.accounts.tests.factories import TEST_PASSWORD, OrganisationFactory, make_member
from sentinelle.core import sessions
from sentinelle.core.models import Role
from sentinelle.geography.tests.factories import AdminAreaFactory, CodVersionFactory


def pytest_configure(config):
    config.addinivalue_line("markers", "replica: needs a PostgreSQL streaming replica (DATABASE_REPLICA_URL)")
    config.addinivalue_line(
        "markers", "pgbouncer: runs through PgBouncer in transaction mode (DATABASE_PGBOUNCER)"
    )


def pytest_collection_modifyitems(config, items):
    """Marked tests skip where what they need is missing, and only there:

    browser   Debian's Chromium is missing (except in CI, where its absence is a failure);
    postgres  the test database is not PostgreSQL (`.ci/run` runs the suite on both databases);
    sqlite    the test database is not SQLite (a check of the database file itself);
    replica   no streaming replica is configured (`.ci/run` starts one: .ci/replica);
    pgbouncer the database is not reached through PgBouncer (`.ci/run` starts one: .ci/replica).
    """
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    missing = {}
    if not (os.path.exists("/usr/bin/chromium") or os.environ.get("SENTINELLE_REQUIRE_BROWSER")):
        missing["browser"] = "Debian's chromium is not installed (apt-get install chromium)"
    if engine != "django.db.backends.postgresql":
        missing["postgres"] = "needs PostgreSQL (DATABASE_URL=postgres://...)"
    if engine != "django.db.backends.sqlite3":
        missing["sqlite"] = "checks the SQLite database file (the PostgreSQL run checks the columns)"
    if "replica" not in settings.DATABASES or engine != "django.db.backends.postgresql":
        missing["replica"] = "needs a PostgreSQL streaming replica (DATABASE_REPLICA_URL=postgres://...)"
    if not (
        settings.DATABASES["default"].get("DISABLE_SERVER_SIDE_CURSORS") and engine.endswith("postgresql")
    ):
        missing["pgbouncer"] = (
            "needs PgBouncer in front of PostgreSQL (DATABASE_URL=..., DATABASE_PGBOUNCER=true)"
        )
    for item in items:
        for marker, reason in missing.items():
            if item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def cod_version(db):
    return CodVersionFactory(code="test-cod", is_default=True)


@pytest.fixture
def mopti(cod_version):
    country = AdminAreaFactory(version=cod_version, level=0, pcode="ML", parent=None, name_fr="Mali")
    return AdminAreaFactory(version=cod_version, level=1, pcode="ML05", parent=country, name_fr="Mopti")


@pytest.fixture
def segou(mopti):
    return AdminAreaFactory(
        version=mopti.version, level=1, pcode="ML04", parent=mopti.parent, name_fr="Ségou"
    )


@pytest.fixture
def alpha(db):
    return OrganisationFactory(acronym="ALPHA")


@pytest.fixture
def beta(db):
    return OrganisationFactory(acronym="BETA")


@pytest.fixture
def cluster(db):
    return OrganisationFactory(acronym="CLUSTER")


@pytest.fixture
def admin(cluster):
    return make_member(Role.ADMIN, cluster, username="admin")


@pytest.fixture
def imo(cluster):
    return make_member(Role.IMO, cluster, username="imo")


@pytest.fixture
def manager(alpha):
    return make_member(Role.MANAGER, alpha, username="manager")


@pytest.fixture
def caseworker_in_area(alpha, mopti):
    return make_member(Role.CASEWORKER, alpha, areas=[mopti], username="cw_mopti")


@pytest.fixture
def caseworker_other_area(alpha, segou):
    return make_member(Role.CASEWORKER, alpha, areas=[segou], username="cw_segou")


@pytest.fixture
def monitor(alpha, mopti):
    return make_member(Role.MONITOR, alpha, areas=[mopti], username="monitor")


@pytest.fixture
def focal_point(beta):
    return make_member(Role.FOCAL_POINT, beta, username="focal")


@pytest.fixture
def reader(beta):
    return make_member(Role.READER, beta, username="reader")


@pytest.fixture
def outsider(beta):
    return make_member(Role.MANAGER, beta, username="outsider")


@pytest.fixture
def nobody(db):
    from sentinelle.accounts.tests.factories import UserFactory

    return UserFactory(username="nobody")


def sign_in(client, user, *, verified: bool = True):
    """Log a test client in; with two-factor passed when the role needs it."""
    client.force_login(user)
    session = client.session
    # As a sign-in through the pages leaves it: the idle timeout's clock starts at the sign-in.
    session[sessions.LAST_SAVED] = int(time.time())
    if verified:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def signed_in(client):
    """signed_in(user) -> a client logged in as user, two-factor passed."""

    def _sign_in(user, *, verified: bool = True):
        return sign_in(client, user, verified=verified)

    return _sign_in


@pytest.fixture
def password():
    return TEST_PASSWORD


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Chromium:
    """One Debian Chromium per test process (pytest-xdist worker), launched by the first browser test.

    Playwright's sync API marks its event loop as running in this thread after every call; between
    browser tests the mark is taken off (`pause`) so that the other tests' ORM calls, async_to_sync and
    the like see no running loop, and put back (`resume`) before the next Playwright call."""

    def __init__(self):
        self.playwright = self.browser = self.loop = None

    def resume(self):
        from playwright.sync_api import sync_playwright

        if self.playwright is None:
            self.playwright = sync_playwright().start()
            self.loop = asyncio._get_running_loop()
        asyncio._set_running_loop(self.loop)
        if self.browser is None or not self.browser.is_connected():
            self.browser = self.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        return self.browser

    def pause(self):
        asyncio._set_running_loop(None)

    def stop(self):
        if self.playwright is None:
            return
        asyncio._set_running_loop(self.loop)
        try:
            if self.browser is not None and self.browser.is_connected():
                self.browser.close()
        finally:
            self.playwright.stop()
            asyncio._set_running_loop(None)


@pytest.fixture(scope="session")
def chromium():
    """The process's Chromium (see Chromium): closed at the end of the session."""
    process_browser = Chromium()
    yield process_browser
    process_browser.stop()


@pytest.fixture
def browser_page(chromium, live_server, monkeypatch):
    """A Playwright page in Debian's Chromium (never a downloaded browser), French by default: a fresh
    browser context per test (cookies, storage, offline state, permissions of its own) in the process's
    one Chromium. Contexts a test opens itself (page.context.browser.new_context) are closed with it."""
    # Playwright's sync API runs an event loop; the test's own ORM calls stay synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    try:
        browser = chromium.resume()
        context = browser.new_context(locale="fr-FR", base_url=live_server.url)
        context.set_default_timeout(15000)
        try:
            yield context.new_page()
        finally:
            for opened in browser.contexts:
                opened.close()
            _requests_in_flight_finish()
    finally:
        chromium.pause()


def _requests_in_flight_finish(timeout: float = 10.0) -> None:
    """Wait for the live server's request threads: a request the browser sent just before its context
    closed would otherwise run on into the next test (on SQLite, on the test's own shared connection),
    writing an audit entry or a figure stamp there, or holding the database while it is emptied. The
    server starts a thread per connection (socketserver.ThreadingMixIn: "Thread-N (process_request_thread)");
    closing the contexts closes their connections."""
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread.name.endswith("(process_request_thread)"):
            thread.join(max(0.0, deadline - time.monotonic()))
