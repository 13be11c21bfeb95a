"""Schemathesis against the published OpenAPI schema, through Django's WSGI application.

Every operation of /api/v1/schema/ is called with generated parameters (valid ones and deliberately
invalid ones), as a reader, a case worker, an administrator and without a token, on a database seeded
with a row of each resource (detail operations are also called with those rows' ids, not only random
UUIDs). The API must never answer 5xx, and every refusal must be a 4xx with a message in its body.

Hypothesis runs inside the test (the seeded database of the test serves every example), bounded and
derandomized so the run is reproducible and stays well under a minute.
"""

import datetime
import json

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from sentinelle.activities.tests.factories_results import (
    YEAR,
    make_activity,
    make_framework,
    make_indicator,
    make_tree,
)
from sentinelle.api.tokens import api_token_create
from sentinelle.cases.tests.factories_cases import (
    commune_in,
    consent_for,
    make_case,
    make_referral,
    make_service,
)
from sentinelle.displacement.tests.factories import make_event, make_figure
from sentinelle.monitoring.tests.factories import cercle_of, make_incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """A bare WSGIHandler runs Django's request signals, whose close_old_connections would close the
    test's connection inside its transaction (PostgreSQL then answers "connection is closed"); the test
    client leaves them out for the same reason."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


SCHEMA_URL = "/api/v1/schema/?format=json"
EXAMPLES = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def world(
    monitor, outsider, caseworker_in_area, caseworker_other_area, focal_point, alpha, beta, mopti, segou
):
    """A row of every resource, in both organisations; path prefix -> public ids."""
    mopti_cercle, segou_cercle = cercle_of(mopti), cercle_of(segou)
    mopti_commune, segou_commune = commune_in(mopti, "Sévaré"), commune_in(segou, "Markala")
    incidents = [
        make_incident(actor=monitor, area=mopti_cercle, status="submitted"),
        make_incident(actor=outsider, area=segou_cercle, status="submitted", sharing_level="cluster"),
    ]
    case = make_case(caseworker_in_area, mopti_commune, case_type="child_protection", given_name="Fatoumata")
    other_case = make_case(caseworker_other_area, segou_commune, case_type="general_protection")
    service = make_service(beta, mopti_commune, "health", focal_points=[focal_point])
    consent_for(caseworker_in_area, case, organisations=[beta])
    referral = make_referral(caseworker_in_area, case, service)
    activity = make_activity(alpha, mopti_cercle, beneficiaries=[("f", "0_5", "idp", 4)])
    make_activity(beta, segou_cercle)
    framework = make_framework(alpha)
    _objective, _outcome, output = make_tree(framework)
    indicator = make_indicator(
        framework,
        output,
        "I1",
        {"kind": "value", "dataset": "activities", "measure": "people_reached"},
        targets=[(datetime.date(YEAR, 1, 1), datetime.date(YEAR, 12, 31), 20)],
    )
    figure = make_figure(mopti, alpha, individuals=1200, households=240)
    event = make_event(mopti_cercle, alpha)
    return {
        "/api/v1/incidents/": [i.public_id for i in incidents],
        "/api/v1/cases/": [case.public_id, other_case.public_id],
        "/api/v1/persons/": [case.person.public_id, other_case.person.public_id],
        "/api/v1/services/": [service.public_id],
        "/api/v1/referrals/": [referral.public_id],
        "/api/v1/referrals/received/": [referral.public_id],
        "/api/v1/activities/": [activity.public_id],
        "/api/v1/indicators/": [indicator.public_id],
        "/api/v1/population-figures/": [figure.public_id],
        "/api/v1/displacement-events/": [event.public_id],
    }


@pytest.fixture
def tokens(reader, caseworker_in_area, admin):
    headers = {"anonymous": {}, "bad token": {"Authorization": "Token stl_not-a-real-token"}}
    for name, user in (("reader", reader), ("caseworker", caseworker_in_area), ("admin", admin)):
        _token, secret = api_token_create(actor=user, label="schemathesis")
        headers[name] = {"Authorization": f"Token {secret}"}
    return headers


def _message_of(response) -> str:
    """The refusal's message: DRF's {"detail": ...}, a field -> messages mapping, or plain text."""
    text = response.content.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()
    if isinstance(data, dict):
        if "detail" in data:
            return str(data["detail"]).strip()
        return "; ".join(f"{key}: {value}" for key, value in data.items() if value)
    return str(data).strip()


def _strategy(operation):
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    return st.one_of([operation.as_strategy(generation_mode=mode) for mode in modes])


def test_no_operation_answers_5xx_and_every_refusal_says_why(world, tokens):
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, WSGIHandler())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20, [op.label for op in operations]
    seen_statuses: dict[str, set[int]] = {}
    per_operation: dict[tuple[str, str], set[int]] = {}
    for operation in operations:
        known = (
            world.get(operation.path.replace("{public_id}/", ""), [])
            if "{public_id}" in operation.path
            else []
        )

        def call_as_everyone(case):
            for who, headers in tokens.items():
                # A case generated without credentials (negative "security") drops the token: then the
                # call is anonymous, and must be refused like one.
                response = case.call(headers=headers)
                label = f"{who} {case.method} {case.formatted_path} {case.query}"
                assert response.status_code < 500, (label, response.status_code, response.content[:500])
                seen_statuses.setdefault(who, set()).add(response.status_code)
                per_operation.setdefault((who, case.operation.label), set()).add(response.status_code)
                if response.status_code >= 400:
                    assert _message_of(response), (label, response.status_code, "refusal without a message")
                if who in ("anonymous", "bad token"):
                    # Refused before anything is read (404 only where the path itself does not resolve).
                    assert response.status_code in (401, 403, 404), (label, response.status_code)

        given(case=_strategy(operation))(EXAMPLES(call_as_everyone))()
        # Detail operations are also called, exactly, with the ids of the seeded rows.
        for public_id in known:
            call_as_everyone(operation.Case(path_parameters={"public_id": str(public_id)}))
    # The run reached data, not only refusals.
    assert 200 in seen_statuses["admin"] and 200 in seen_statuses["reader"]
    assert 200 in seen_statuses["caseworker"]
    # The administrator reads every operation at least once (the run is not only about refusals); the
    # received referrals are the service focal points' only.
    missed = [
        op.label
        for op in operations
        if 200 not in per_operation.get(("admin", op.label), set()) and "/received/{" not in op.path
    ]
    assert not missed, missed


HOSTILE_VALUES = ["\x00", "ML05\x00", "%_", "9" * 30, "9999-99-99", "é" * 2000, "admin1," * 200]


def _nul_parameters(found: list):
    """A database execute wrapper that records every query parameter holding a NUL byte."""

    def wrapper(execute, sql, params, many, context):
        rows = params if many else [params]
        for row in rows or []:
            values = row.values() if isinstance(row, dict) else (row or [])
            found.extend(value for value in values if isinstance(value, str) and "\x00" in value)
        return execute(sql, params, many, context)

    return wrapper


def test_hostile_query_values_on_every_list(world, tokens):
    """Values a fuzzer rarely finds: NUL bytes (SQLite takes them in a query, PostgreSQL answers an
    error: the API must refuse them before any query), LIKE wildcards, huge numbers, impossible dates,
    long and repeated lists."""
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, WSGIHandler())
    for result in schema.get_all_operations():
        operation = result.ok()
        if "{public_id}" in operation.path:
            continue
        path_parameters = {"dataset": "incidents"} if "{dataset}" in operation.path else {}
        for name in [parameter.name for parameter in operation.query]:
            for value in HOSTILE_VALUES:
                case = operation.Case(path_parameters=path_parameters, query={name: value})
                nul: list = []
                with connection.execute_wrapper(_nul_parameters(nul)):
                    response = case.call(headers=tokens["admin"])
                label = (operation.label, name, value[:20], response.status_code)
                assert response.status_code < 500, label
                assert not nul, (label, "a NUL byte reached the database")
                if response.status_code >= 400:
                    assert _message_of(response), label
