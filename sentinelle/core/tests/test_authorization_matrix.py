"""The authorization matrix: every URL and API route, for every role, against the policy.

For each view of the URLconf (the walker of test_urls.py) and each actor of authz_world (every role, in
three relations to ALPHA's records: own, same organisation, other organisation; plus `nobody`), through
the channel the view serves (signed-in browser, API token, OpenRosa device password):
  - an actor without the view's declared permission is refused: 403 (the API: 401 without a token too);
  - an actor with it gets an answer (never 403, never 5xx) on pages without a record (the API: 200);
  - on a record's page, the record kind and the permission the view fetches it with are *observed*, not
    written here: the test spies on `get_object_for_user` (every `*_get` selector goes through it), or
    reads which table's id the SQL compared, while an administrator opens the URL with unknown ids; then
    every actor gets 404 when `has_perm(actor, fetch perm, record)` says no, 403/404 when the declared
    permission does not reach the record, and 200/302 otherwise (never a page out of scope, never a 5xx);
  - no page shows the id of a world record that the actor reaches under none of their permissions (lists
    included: every holder of the permission is asked, in every relation);
  - POST: every refused actor (no permission: 403; out of scope: 404) posts, and nothing in the database
    changes (every table but the audit log and sessions, compared row by row).
A new view is covered without editing this file; one whose record kind the world cannot build fails with
the URL named (add a builder in authz_world.py); the short lists below say why a few views differ.
"""

from __future__ import annotations

import base64
import re
import sys
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

import conftest
from sentinelle.core import permissions
from sentinelle.core.permissions import (
    ACCESS_ATTRIBUTE,
    PUBLIC,
    VERIFIED_ATTRIBUTE,
    Perm,
    has_perm,
    roles_of,
    rule_for,
)
from sentinelle.core.tests.authz_world import ACTORS, build_world
from sentinelle.core.tests.test_urls import ALL_PATTERNS

# Views whose record is fetched by a rule of the view itself, narrower than the model's scope rule: an
# actor the policy lets through may still get 404 there (never the reverse). name -> reason.
NARROWER_THAN_POLICY: dict[str, str] = {}

# Views the matrix does not open with a record, each with its reason (kept short on purpose).
NOT_WALKED: dict[str, str] = {}


# Pages that name records by id without showing them, so a record's id there is no leak. name -> reason.
NAMES_IDS_ONLY = {
    "core:audit-list": "the audit log names each entry's object by id (never its content), by organisation",
}


# Non-record URL arguments: sample values that exist.
def _sample_args() -> dict:
    from sentinelle.ingest.openrosa.surveys import SURVEYS
    from sentinelle.reports.dashboards.figures import FIGURES

    return {
        "action": "unlock",
        "pcode": "ML05",
        "key": next(iter(FIGURES)),
        "fmt": "csv",
        "kind": "incidents",
        "extension": "csv",
        "form_id": next(iter(SURVEYS)),
        "dataset": "incidents",
        # Integer ids of records: found like the uuids (see `discover`), then the world's record is used.
        "match_id": RECORD_ID,
        "merge_id": RECORD_ID,
    }


RECORD_ID = "<record id>"

CHECKED = [
    (route, name, pattern)
    for route, name, pattern in ALL_PATTERNS
    if name and getattr(pattern.callback, ACCESS_ATTRIBUTE, None) not in (None, PUBLIC)
]


# --- Spy on the one object fetch ---------------------------------------------------------------------


class Spy:
    def __init__(self):
        self.calls: list[tuple[str, Perm, str]] = []
        self.original = permissions.get_object_for_user

    def __call__(self, user, queryset, public_id, perm, *, request=None):
        model = queryset if isinstance(queryset, type) else queryset.model
        self.calls.append((model._meta.label_lower, perm, str(public_id)))
        return self.original(user, queryset, public_id, perm, request=request)


@contextmanager
def spying():
    """Replace get_object_for_user wherever it was imported by name (every sentinelle module)."""
    spy = Spy()
    patched = []
    for name, module in list(sys.modules.items()):
        if not name.startswith("sentinelle") or module is None:
            continue
        if getattr(module, "get_object_for_user", None) is spy.original:
            patched.append(module)
            module.get_object_for_user = spy
    try:
        yield spy
    finally:
        for module in patched:
            module.get_object_for_user = spy.original


def _tables() -> dict:
    return {model._meta.db_table: model._meta.label_lower for model in apps.get_models()}


def _fetched_by_sql(queries, value: str) -> str | None:
    """The model whose public id (or integer id) a query compared with `value`: fetches that do not go
    through get_object_for_user (a view's own rule, an integer id)."""
    if value.isdigit():
        pattern = rf'"(\w+)"\."id" (?:=|IN \() ?{value}\b'
    else:
        pattern = rf'"(\w+)"\."public_id" (?:=|IN \() ?\'?({uuid.UUID(value).hex}|{value})'
    tables = _tables()
    for query in queries:
        for match in re.finditer(pattern, query["sql"]):
            if match.group(1) in tables:
                return tables[match.group(1)]
    return None


# --- The world, once per module ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build_world()
            built.args = _sample_args() | built.args
            built.channels = {"ui": {}, "api": {}, "device": {}}
            for name, user in built.actors.items():
                built.channels["ui"][name] = conftest.sign_in(Client(raise_request_exception=False), user)
                built.channels["api"][name] = _api_client(user)
                built.channels["device"][name] = _device_client(user)
            yield built
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _api_client(user) -> APIClient:
    from sentinelle.api.models import ApiToken
    from sentinelle.api.tokens import PREFIX_LENGTH, new_token, token_hash

    # Directly, not through api_token_create: `nobody` may not create a token, yet must be refused.
    token = new_token()
    ApiToken.objects.create(
        user=user,
        label="authz",
        prefix=token[:PREFIX_LENGTH],
        secret_hash=token_hash(token),
        expires_at="2999-01-01T00:00:00Z",
        created_by=user,
        updated_by=user,
    )
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _device_client(user) -> Client:
    from django.contrib.auth.hashers import make_password

    from sentinelle.accounts.models import DeviceCredential

    # Directly too: a device password of an account whose role does not record incidents is refused.
    secret = "authz-device-secret"
    DeviceCredential.objects.create(
        user=user, label="authz", secret_hash=make_password(secret), created_by=user, updated_by=user
    )
    basic = base64.b64encode(f"{user.username}:{secret}".encode()).decode()
    return Client(
        raise_request_exception=False, HTTP_AUTHORIZATION=f"Basic {basic}", HTTP_X_OPENROSA_VERSION="1.0"
    )


SKIPPED_TABLES = {"core.auditentry", "sessions.session"}
VOLATILE_FIELDS = {"last_used_at", "last_login", "last_seen_at", "last_activity"}


def fingerprint() -> dict:
    """Every row of every table (but the audit log, sessions and last-use stamps): counts in one query,
    then the content of the tables that have rows."""
    models = [m for m in apps.get_models() if not m._meta.proxy and m._meta.label_lower not in SKIPPED_TABLES]
    quote = connection.ops.quote_name
    sql = " UNION ALL ".join(
        f"SELECT {index}, COUNT(*) FROM {quote(m._meta.db_table)}" for index, m in enumerate(models)
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        counts = dict(cursor.fetchall())
    state = {}
    with connection.cursor() as cursor:
        for index, model in enumerate(models):
            state[model._meta.label_lower] = counts[index]
            if counts[index]:
                # Raw rows (never decrypted): cheaper than the ORM, and a changed ciphertext counts too.
                columns = ", ".join(
                    quote(f.column) for f in model._meta.concrete_fields if f.name not in VOLATILE_FIELDS
                )
                pk = quote(model._meta.pk.column)
                cursor.execute(f"SELECT {columns} FROM {quote(model._meta.db_table)} ORDER BY {pk}")
                state[model._meta.label_lower] = hash(repr(cursor.fetchall()))
    return state


# --- Discovery: which record each URL argument names, and with which permission ----------------------


def _reverse(name, pattern, values: dict) -> str:
    return reverse(name, kwargs={key: values[key] for key in pattern.pattern.converters})


def _uuid_keys(pattern) -> list[str]:
    return [key for key, conv in pattern.pattern.converters.items() if "UUID" in type(conv).__name__]


def discover(world, route, name, pattern, channel) -> tuple[dict, dict, list[str]]:
    """(url values, {key: (label, perm or None)}, problems) found by opening the URL as admin, with unknown
    ids, one argument at a time (a view fetches its second record only once the first is found)."""
    values = {key: world.args.get(key, "x") for key in pattern.pattern.converters}
    kinds: dict[str, tuple[str, Perm | None]] = {}
    problems: list[str] = []
    admin = world.channels[channel]["admin"]
    keys = [key for key in _uuid_keys(pattern) if key not in world.args]
    keys += [key for key in pattern.pattern.converters if world.args.get(key) == RECORD_ID]
    for _round in keys:
        pending = [key for key in keys if key not in kinds]
        if not pending:
            break
        probes = {
            key: str(900_000_000 + index) if world.args.get(key) == RECORD_ID else str(uuid.uuid4())
            for index, key in enumerate(pending)
        }
        url = _reverse(name, pattern, values | probes)
        with spying() as spy, CaptureQueriesContext(connection) as queries, transaction.atomic():
            response = admin.get(url, secure=True)
            if response.status_code == 405:
                response = admin.post(url, secure=True)
            transaction.set_rollback(True)
        found = False
        for key, probe in probes.items():
            seen = [(label, perm) for label, perm, public_id in spy.calls if public_id == probe]
            label, perm = seen[0] if seen else (_fetched_by_sql(queries.captured_queries, probe), None)
            if label is None:
                continue
            kinds[key] = (label, perm)
            found = True
            obj = world.objects.get(label)
            if obj is None:
                problems.append(f"{route}: no {label} in authz_world (add a builder)")
                return values, kinds, problems
            values[key] = obj.pk if world.args.get(key) == RECORD_ID else obj.public_id
        if not found:
            break
    for key in keys:
        if key not in kinds:
            problems.append(
                f"{route}: cannot tell which record <{key}> names (status {response.status_code})"
            )
    return values, kinds, problems


# --- The matrix ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    allowed: bool  # holds the view's declared permission
    fetched: bool = True  # every record named by the URL is in scope for the permission it is fetched with
    acts: bool = True  # ... and for the declared permission on that record

    @property
    def reaches(self) -> bool:
        return self.allowed and self.fetched and self.acts


def _may(user, perm, obj) -> bool:
    try:
        return has_perm(user, perm, obj)
    except ImproperlyConfigured:  # no scope rule for this model and permission pair: the fetch decides
        return True


def expected_for(world, actor: str, declared: Perm, kinds: dict, records: dict) -> Expected:
    user = world.actors[actor]
    if not has_perm(user, declared):
        return Expected(False, False, False)
    fetched = acts = True
    for key, (_label, perm) in kinds.items():
        obj = records[key]
        fetched &= _may(user, perm or declared, obj)
        acts &= _may(user, declared, obj)
    return Expected(True, fetched, acts)


def record_sets(world, kinds: dict) -> list[dict]:
    """The world's record for each argument, then each variant of one argument in turn."""
    base = {key: world.objects[label] for key, (label, _perm) in kinds.items()}
    sets = [base]
    for key, (label, _perm) in kinds.items():
        sets += [base | {key: variant} for variant in world.variants.get(label, ())]
    return sets


def _channel(route, pattern) -> str:
    if route.startswith("api/"):
        return "api"
    if getattr(pattern.callback, "csrf_exempt", False):
        return "device"  # OpenRosa: each request carries a device password, no session
    return "ui"


def _actors_to_ask(world, declared, kinds) -> list[str]:
    """Every actor holding the permission (scope differs between them: the record's, a list's rows);
    one actor per set of roles for records read whole (reference data) and for refusals by declaration."""
    public = bool(kinds) and all(
        _public(label, perm or declared) and _public(label, declared) for label, perm in kinds.values()
    )
    chosen, seen = [], set()
    for actor in ACTORS:
        user = world.actors[actor]
        holds = has_perm(user, declared)
        if holds and not public:
            chosen.append(actor)
            continue
        key = (holds, frozenset(roles_of(user)))
        if key not in seen:
            seen.add(key)
            chosen.append(actor)
    return chosen


def _public(label: str, perm: Perm) -> bool:
    """Reference data read whole: the organisation and areas of the asker make no difference."""
    try:
        return rule_for(apps.get_model(label), perm).public
    except ImproperlyConfigured:
        return False


def _judge_get(name, declared, kinds, expected: Expected, status: int, channel: str) -> str | None:
    if status >= 500:
        return "server error"
    if not expected.allowed:
        # 405 before the permission check (require_POST outermost) reveals nothing; POST is checked below.
        return None if status in (403, 405) else f"expected 403 (no {declared})"
    if status == 405:
        return None
    if kinds and not expected.fetched:
        return None if status == 404 else f"expected 404: out of scope for {kinds}"
    if kinds and not expected.acts:
        return None if status in (403, 404) else f"expected 403/404: {declared} out of scope on {kinds}"
    if status == 403:
        return f"expected an answer: holds {declared}" + (f" on {kinds}" if kinds else "")
    if kinds and status not in (200, 302) and name not in NARROWER_THAN_POLICY:
        return f"expected 200/302: in scope for {kinds}"
    if channel == "api" and status != 200:
        return "expected 200"
    return None


def _leak(world, actor: str, response, records: dict) -> str | None:
    """A record of the world named on the page (by its public id) that the actor reaches under none of
    their permissions (records the URL itself names are judged above)."""
    if getattr(response, "streaming", False) or not response.get("Content-Type", "").startswith(
        ("text/", "application/json")
    ):
        return None
    body = response.content.decode("utf-8", "replace")
    named = {(type(obj), obj.pk) for obj in records.values()}
    for label, obj in world.all_records():
        if (type(obj), obj.pk) in named:
            continue
        if str(obj.public_id) in body and not world.reaches(actor, label, obj):
            return f"shows {label} {obj.public_id}, which {actor} reaches under no permission"
    return None


def check(world, route, name, pattern) -> list[str]:
    declared = getattr(pattern.callback, ACCESS_ATTRIBUTE)
    channel = _channel(route, pattern)
    values, kinds, problems = discover(world, route, name, pattern, channel)
    if problems:
        return [] if name in NOT_WALKED else problems
    wrong: list[str] = []
    for records in record_sets(world, kinds):
        ids = {
            key: obj.pk if world.args.get(key) == RECORD_ID else obj.public_id for key, obj in records.items()
        }
        wrong += walk(world, _reverse(name, pattern, values | ids), name, declared, channel, kinds, records)
    return wrong


def walk(world, url, name, declared, channel, kinds, records) -> list[str]:
    clients = world.channels[channel]
    wrong: list[str] = []
    if channel == "api":
        status = APIClient(raise_request_exception=False).get(url).status_code
        if status != 401:
            wrong.append(f"anonymous: GET {url} -> {status}, expected 401")
    refused: list[str] = []
    for actor in _actors_to_ask(world, declared, kinds):
        expected = expected_for(world, actor, declared, kinds, records)
        response = clients[actor].get(url, secure=True)
        status = response.status_code
        problem = _judge_get(name, declared, kinds, expected, status, channel)
        if status == 200 and not problem and name not in NAMES_IDS_ONLY:
            problem = _leak(world, actor, response, records)
        if problem:
            wrong.append(f"{actor}: GET {url} -> {status}, {problem}")
        if not expected.reaches:
            refused.append(actor)
    # POST: every actor who may not do it (no permission, or the record out of scope) changes nothing.
    if channel != "api" and refused:
        before = fingerprint()
        for actor in refused:
            expected = expected_for(world, actor, declared, kinds, records)
            status = clients[actor].post(url, {}, secure=True).status_code
            want = (403,) if not expected.allowed else (403, 404, 405) if expected.fetched else (404, 405)
            if status not in want:
                wrong.append(f"{actor}: POST {url} -> {status}, expected one of {want}")
        if fingerprint() != before:
            wrong.append(f"POST {url} by refused actors {refused} changed the database")
    return wrong


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "name", "pattern"), CHECKED, ids=[p[0] or "/" for p in CHECKED])
def test_every_view_answers_as_the_policy_says(world, route, name, pattern):
    wrong = check(world, route, name, pattern)
    assert not wrong, "\n".join(wrong)


def test_the_lists_name_only_existing_views():
    names = {name for _route, name, _pattern in CHECKED}
    assert set(NARROWER_THAN_POLICY) <= names
    assert set(NOT_WALKED) <= names
    assert set(NAMES_IDS_ONLY) <= names


# --- The second factor: every state of a session of a role that needs it ------------------------------

UI_BEHIND_SECOND_FACTOR = [
    (route, name, pattern)
    for route, name, pattern in CHECKED
    if _channel(route, pattern) == "ui" and getattr(pattern.callback, VERIFIED_ATTRIBUTE, True)
]


def _second_factor_sessions(world) -> dict[str, tuple[Client, str]]:
    """A signed-in session without the second factor, for each state of the user's devices, with the page
    the user must be sent to."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from sentinelle.accounts.tests.factories import make_member
    from sentinelle.core.models import Role

    alpha = world.orgs["alpha"]
    confirmed = world.actors["manager"]  # has a confirmed device (conftest.sign_in made one)
    none = make_member(Role.CASEWORKER, alpha, username="authz_2fa_none")
    pending = make_member(Role.ADMIN, world.orgs["cluster"], username="authz_2fa_pending")
    TOTPDevice.objects.create(user=pending, name="pending", confirmed=False)
    sessions = {}
    for label, user, target in (
        ("confirmed device", confirmed, "accounts:otp-verify"),
        ("no device", none, "accounts:otp-setup"),
        ("unconfirmed device", pending, "accounts:otp-setup"),
    ):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        sessions[label] = (client, reverse(target))
    return sessions


@pytest.mark.django_db
def test_no_page_opens_before_the_second_factor(world):
    """Password alone: every page of a role that needs two-factor sends the session to the two-factor
    pages, for GET and POST alike, whatever the state of the user's devices, and nothing changes."""
    sessions = _second_factor_sessions(world)
    wrong = []
    before = fingerprint()
    for _route, name, pattern in UI_BEHIND_SECOND_FACTOR:
        values = {key: world.args.get(key, "x") for key in pattern.pattern.converters}
        values |= {key: uuid.uuid4() for key in _uuid_keys(pattern)}
        values |= {key: "1" for key, value in values.items() if value == RECORD_ID}
        url = _reverse(name, pattern, values)
        for label, (client, target) in sessions.items():
            for method in (client.get, client.post):
                response = method(url, secure=True)
                location = response.get("Location", "")
                if response.status_code == 405:
                    continue  # the method is refused before anything else (require_POST outermost)
                if response.status_code != 302 or not location.startswith(target):
                    wrong.append(
                        f"{label}: {method.__name__.upper()} {url} -> {response.status_code} {location}"
                    )
    assert fingerprint() == before, "a request without the second factor changed the database"
    assert not wrong, "\n".join(wrong)
