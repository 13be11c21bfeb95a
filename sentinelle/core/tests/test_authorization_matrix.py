"""The authorization matrix: every URL and API route, for every role, against the policy.

For each view of the URLconf (the walker of test_urls.py) and each actor of authz_world (every role, in
three relations to ALPHA's records: own, same organisation, other organisation; plus `nobody`):
  - an actor without the view's declared permission is refused: 403 (the API: 403 too);
  - an actor with it gets an answer (never 403, never 5xx) on pages without a record;
  - on a record's page, the object kind and the permission the view checks it with are *observed*, not
    written here: the test spies on `get_object_for_user` (every `*_get` selector goes through it) while an
    administrator opens the URL; then every actor gets 200/302 exactly when
    `has_perm(actor, perm, record)` says so and 404 otherwise (never a page out of scope, never a 5xx);
  - POST-only views: every actor who is refused (no permission: 403; out of scope: 404) posts, and
    nothing in the database changes.
A new view is covered without editing this file; one whose record kind the world cannot build fails with
the URL named (add a builder in authz_world.py), and the short lists below say why a few views differ.
"""

from __future__ import annotations

import re
import sys
import uuid
from contextlib import contextmanager

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.db.models import Count, Max
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

import conftest
from sentinelle.core import permissions
from sentinelle.core.permissions import ACCESS_ATTRIBUTE, PUBLIC, Perm, has_perm
from sentinelle.core.tests.authz_world import ACTORS, build_world
from sentinelle.core.tests.test_urls import ALL_PATTERNS

# Views whose record is fetched by a rule of the view itself, narrower than the model's scope rule: an
# actor the policy lets through may still get 404 there (never the reverse). name -> reason.
NARROWER_THAN_POLICY = {}

# Views the matrix does not open with a record, each with its reason (kept short on purpose).
NOT_WALKED = {}

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
        "match_id": "0",
        "merge_id": "0",
    }


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
    """The model whose public_id a query compared with `value` (fetches outside get_object_for_user)."""
    hexed = uuid.UUID(value).hex
    tables = _tables()
    for query in queries:
        sql = query["sql"]
        for match in re.finditer(r'"(\w+)"\."public_id" (?:=|IN \() ?\'?(%s|%s)' % (hexed, value), sql):
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
            built.args = _sample_args()
            built.clients = {}
            built.api = {}
            for name, user in built.actors.items():
                built.clients[name] = conftest.sign_in(Client(), user)
                built.api[name] = _api_client(user)
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
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def fingerprint() -> dict:
    """Row counts and last change of every table but the audit log and sessions."""
    state = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in ("core.auditentry", "sessions.session") or model._meta.proxy:
            continue
        manager = model._base_manager
        fields = {f.name for f in model._meta.concrete_fields}
        if "updated_at" in fields:
            state[label] = tuple(manager.aggregate(n=Count("pk"), last=Max("updated_at")).values())
        else:
            state[label] = manager.count()
    return state


# --- Discovery: which record each URL argument names, and with which permission ----------------------


def _reverse(name, pattern, values: dict) -> str:
    return reverse(name, kwargs={key: values[key] for key in pattern.pattern.converters})


def _uuid_keys(pattern) -> list[str]:
    return [key for key, conv in pattern.pattern.converters.items() if "UUID" in type(conv).__name__]


def discover(world, route, name, pattern) -> tuple[dict, dict, list[str]]:
    """(url values, {uuid key: (label, perm or None)}, problems) found by opening the URL as admin."""
    values = {key: world.args.get(key, "x") for key in pattern.pattern.converters}
    kinds: dict[str, tuple[str, Perm | None]] = {}
    problems: list[str] = []
    admin = world.api["admin"] if route.startswith("api/") else world.clients["admin"]
    keys = _uuid_keys(pattern)
    for _round in keys:
        pending = [key for key in keys if key not in kinds]
        if not pending:
            break
        probes = {key: str(uuid.uuid4()) for key in pending}
        url = _reverse(name, pattern, values | probes)
        with spying() as spy, CaptureQueriesContext(connection) as queries, transaction.atomic():
            response = admin.get(url)
            if response.status_code == 405:
                response = admin.post(url)
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
            values[key] = obj.public_id
        if not found:
            break
    for key in keys:
        if key not in kinds:
            problems.append(f"{route}: cannot tell which record <{key}> names (status {response.status_code})")
    return values, kinds, problems


# --- The matrix ---------------------------------------------------------------------------------------


def expected_for(world, actor: str, declared: Perm, kinds: dict) -> tuple[bool, bool]:
    """(holds the declared permission, may reach every record named by the URL)."""
    user = world.actors[actor]
    if not has_perm(user, declared):
        return False, False
    for label, perm in kinds.values():
        if not has_perm(user, perm or declared, world.objects[label]):
            return True, False
    return True, True


def check(world, route, name, pattern) -> list[str]:
    declared = getattr(pattern.callback, ACCESS_ATTRIBUTE)
    api = route.startswith("api/")
    values, kinds, problems = discover(world, route, name, pattern)
    if problems:
        if name in NOT_WALKED:
            return []
        return problems
    url = _reverse(name, pattern, values)
    wrong: list[str] = []
    post_refused: list[str] = []
    for actor in ACTORS:
        allowed, reaches = expected_for(world, actor, declared, kinds)
        client = world.api[actor] if api else world.clients[actor]
        status = client.get(url).status_code
        got = f"{actor}: GET {url} -> {status}"
        if status >= 500:
            wrong.append(f"{got} (server error)")
        elif not allowed:
            if status != 403:
                wrong.append(f"{got}, expected 403 (no {declared})")
        elif status == 403:
            wrong.append(f"{got}, expected an answer ({actor} holds {declared})")
        elif status == 405:
            if not reaches:
                post_refused.append(actor)
        elif kinds and not reaches:
            if status != 404:
                wrong.append(f"{got}, expected 404: out of scope for {kinds}")
        elif kinds and status not in (200, 302) and name not in NARROWER_THAN_POLICY:
            wrong.append(f"{got}, expected 200/302: in scope for {kinds}")
        elif not kinds and api and status != 200:
            wrong.append(f"{got}, expected 200")
        if not allowed and not api and status == 403:
            pass
    # POST: every actor who may not do it (no permission, or the record out of scope) changes nothing.
    if not api:
        refused = [a for a in ACTORS if not expected_for(world, a, declared, kinds)[1]]
        if refused:
            before = fingerprint()
            for actor in refused:
                allowed, _reaches = expected_for(world, actor, declared, kinds)
                status = world.clients[actor].post(url, {}).status_code
                want = (403,) if not allowed else (404, 405)
                if status not in want:
                    wrong.append(f"{actor}: POST {url} -> {status}, expected {want}")
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
