"""Results-framework pages: roles, refusals that change nothing, values against targets, bounded queries."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from sentinelle.activities.models import Indicator, IndicatorValue, ResultsFramework
from sentinelle.activities.tests.factories_results import (
    YEAR,
    make_framework,
    make_indicator,
    make_training,
    make_tree,
)
from sentinelle.core.models import AuditEntry, AuditOutcome
from sentinelle.monitoring.tests.factories import cercle_of

PEOPLE_TRAINED = {"kind": "value", "dataset": "trainings", "measure": "participants"}
BIRTH_CERTIFICATES = {
    "kind": "value",
    "dataset": "activities",
    "measure": "people_reached",
    "filters": {"activity_type": "civil_documentation"},
}
YEAR_TARGET = (datetime.date(YEAR, 1, 1), datetime.date(YEAR, 12, 31), Decimal(10))


@pytest.fixture
def framework(alpha, mopti):
    framework = make_framework(alpha)
    _objective, _outcome, output = make_tree(framework)
    make_indicator(
        framework, output, "I1", PEOPLE_TRAINED, disaggregations=["sex", "area"], targets=[YEAR_TARGET]
    )
    make_indicator(framework, output, "M1", targets=[YEAR_TARGET])
    make_training(alpha, cercle_of(mopti), participants=[("magistrate", "m", 6), ("police", "f", 3)])
    return framework


def _url(name, obj=None):
    return reverse(f"activities:{name}", args=[obj.public_id] if obj is not None else [])


def test_reader_has_no_indicator_view(signed_in, reader, framework):
    client = signed_in(reader)
    assert client.get(_url("framework-list")).status_code == 403
    assert client.get(_url("framework-detail", framework)).status_code == 403


def test_framework_page_shows_value_against_target(signed_in, manager, framework):
    response = signed_in(manager).get(_url("framework-detail", framework), {"year": YEAR})
    assert response.status_code == 200
    rows = response.context["rows"]
    results = {result.indicator.code: result for row in rows for result in row.results}
    assert results["I1"].value == 9 and results["I1"].target == 10 and results["I1"].light == "green"
    assert results["M1"].value is None and results["M1"].light == "grey"
    assert [row.node.code for row in rows] == ["OS1", "R1", "P1"]


def test_framework_page_by_quarter_and_region(signed_in, manager, framework, segou):
    client = signed_in(manager)
    response = client.get(_url("framework-detail", framework), {"year": YEAR, "quarter": 2})
    results = {result.indicator.code: result for row in response.context["rows"] for result in row.results}
    assert response.context["start"] == datetime.date(YEAR, 4, 1)
    assert results["I1"].value == 0 and results["I1"].target is None


def test_framework_list(signed_in, imo, framework, alpha, django_assert_max_num_queries):
    for number in range(5):
        make_framework(alpha, code=f"L{number}")
    client = signed_in(imo)
    client.get(_url("framework-list"))
    with django_assert_max_num_queries(10):  # session, user, 2FA, memberships (4-5) + one list query
        response = client.get(_url("framework-list"))
    assert response.status_code == 200
    assert framework.code in response.content.decode() and "L4" in response.content.decode()


def test_framework_page_queries_are_bounded(signed_in, imo, framework, django_assert_max_num_queries):
    client = signed_in(imo)
    client.get(_url("framework-detail", framework), {"year": YEAR})  # warm the session
    node = framework.nodes.get(code="P1")
    for number in range(10):
        make_indicator(framework, node, f"X{number}", BIRTH_CERTIFICATES, targets=[YEAR_TARGET])
    # 12 indicators, 11 computed: one aggregate each, plus a constant number of queries (session, user,
    # memberships, tree, indicators, targets, values, programme, areas of the period form).
    with django_assert_max_num_queries(11 + 15):
        response = client.get(_url("framework-detail", framework), {"year": YEAR})
    assert response.status_code == 200


def test_indicator_page_by_year_quarter_sex_and_area(
    signed_in, manager, framework, django_assert_max_num_queries
):
    indicator = Indicator.objects.get(code="I1")
    client = signed_in(manager)
    client.get(_url("indicator-detail", indicator), {"year": YEAR})
    with django_assert_max_num_queries(25):
        response = client.get(_url("indicator-detail", indicator), {"year": YEAR})
    assert response.status_code == 200
    report = response.context["report"]
    year = next(result for result in report.periods if result.start.year == YEAR)
    assert year.value == 9 and year.light == "green"
    assert [result.value for result in report.quarters] == [9, 0, 0, 0]
    assert [row["value"] for row in report.breakdowns[0]["rows"]] == [3, 6]  # f, m
    assert [row["value"] for row in report.by_area] == [9]
    html = response.content.decode()
    assert "<svg" in html
    # SVG coordinates are never localised ("16,0" in French would break the drawing).
    assert not re.search(r'(x|y|width|height)="\d+,\d', html)
    # One grouped query for the periods, one per breakdown.
    assert report.queries == 3


def test_other_manager_cannot_edit_and_nothing_changes(signed_in, outsider, framework):
    client = signed_in(outsider)
    response = client.post(
        _url("framework-edit", framework),
        {"code": "FW", "name": "Pris", "start_date": f"{YEAR}-01-01", "end_date": f"{YEAR}-12-31"},
    )
    assert response.status_code == 404
    framework.refresh_from_db()
    assert framework.name == "Cadre FW"
    assert AuditEntry.objects.filter(user=outsider, outcome=AuditOutcome.DENIED).exists()
    manual = Indicator.objects.get(code="M1")
    response = client.post(
        _url("indicator-value", manual),
        {"period_start": f"{YEAR}-01-01", "period_end": f"{YEAR}-12-31", "value": "4", "evidence": "PV"},
    )
    assert response.status_code == 404
    assert not IndicatorValue.objects.exists()


def test_imo_edits_a_framework(signed_in, imo, framework, alpha):
    response = signed_in(imo).post(
        _url("framework-edit", framework),
        {
            "code": "FW",
            "name": "Cadre revu",
            "owner_organisation": alpha.pk,
            "start_date": f"{YEAR}-01-01",
            "end_date": f"{YEAR}-12-31",
        },
    )
    assert response.status_code == 302
    framework.refresh_from_db()
    assert framework.name == "Cadre revu"


def test_manager_creates_framework_node_and_indicator(signed_in, manager, alpha):
    client = signed_in(manager)
    assert client.get(_url("framework-create")).status_code == 200
    response = client.post(
        _url("framework-create"),
        {
            "code": "NEW",
            "name": "Nouveau",
            "owner_organisation": alpha.pk,
            "start_date": "2025-01-01",
            "end_date": "2025-12-31",
        },
    )
    assert response.status_code == 302
    framework = ResultsFramework.objects.get(code="NEW")
    response = client.post(
        _url("node-create", framework), {"level": "objective", "code": "OS1", "title_fr": "Objectif"}
    )
    assert response.status_code == 302
    node = framework.nodes.get()
    response = client.post(
        _url("indicator-create", framework),
        {
            "node": node.pk,
            "code": "I1",
            "name_fr": "Ratio",
            "unit": "percentage",
            "source": "computed",
            "computation": '{"kind": "ratio", "numerator": {"dataset": "referrals"}}',
        },
    )
    assert response.status_code == 200
    assert "denominator" in response.content.decode() or "dénominateur" in response.content.decode()
    assert not Indicator.objects.filter(framework=framework).exists()
    response = client.post(
        _url("indicator-create", framework),
        {
            "node": node.pk,
            "code": "I1",
            "name_fr": "Formés",
            "unit": "number",
            "source": "computed",
            "computation": '{"kind": "value", "dataset": "trainings", "measure": "participants"}',
            "disaggregations": ["sex"],
        },
    )
    assert response.status_code == 302
    indicator = Indicator.objects.get(framework=framework, code="I1")
    assert client.get(_url("indicator-edit", indicator)).status_code == 200
    assert client.get(_url("node-edit", node)).status_code == 200


def test_manual_value_entry_needs_evidence(signed_in, manager, framework):
    manual = Indicator.objects.get(code="M1")
    client = signed_in(manager)
    data = {"period_start": f"{YEAR}-01-01", "period_end": f"{YEAR}-12-31", "value": "8"}
    refused = client.post(_url("indicator-value", manual), data)
    assert not IndicatorValue.objects.exists()
    # Refused, the page comes back with what was typed and the reason next to it (issue 15, item 4).
    assert refused.status_code == 400
    assert refused.context["value_form"]["value"].value() == "8" and refused.context["value_form"].errors
    client.post(_url("indicator-value", manual), {**data, "evidence": "Liste de présence, atelier de Mopti"})
    assert IndicatorValue.objects.get().value == 8
    response = client.get(_url("indicator-detail", manual), {"year": YEAR})
    year = next(result for result in response.context["report"].periods if result.start.year == YEAR)
    assert year.value == 8 and year.light == "amber"
    client.post(
        _url("indicator-target", manual),
        {"period_start": f"{YEAR}-01-01", "period_end": f"{YEAR}-06-30", "value": "4"},
    )
    assert manual.targets.count() == 2
