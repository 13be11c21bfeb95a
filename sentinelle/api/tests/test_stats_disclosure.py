"""The cell key method through the statistics API and the dashboards (core/disclosure.py):

- consistency: the same question answers the same across requests, in another process and on a later
  day, until the data change; a dashboard download and the API agree on the same cell;
- keys never leave: no answer, download or report holds a cell key;
- what readers may vary: calendar months, quarters or years; one area and one code per filter; a daily
  throttle per user shared by the API and the dashboards (analysts, with exact figures, are not counted).
"""

import csv
import datetime
import io
import json
import os
import re
import subprocess
import sys

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from sentinelle.core import datasets
from sentinelle.core.disclosure import CELL_KEY
from sentinelle.monitoring.tests.factories import cercle_of, make_incident
from sentinelle.reports.dashboards.figures import FIGURES

pytestmark = pytest.mark.django_db

URL = "/api/v1/stats/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
# The field a cell key travels under inside the machinery ("cell_key", the method's name, is not one).
KEY = re.compile(rf"\b{CELL_KEY}\b")


@pytest.fixture
def figures(monitor, outsider, mopti, segou, caseworker_in_area):
    """Incidents in Mopti (23) and Ségou (9); open cases in a commune of Mopti: 12 GBV, 7 child protection."""
    from sentinelle.cases.tests.factories_cases import make_case
    from sentinelle.monitoring.tests.factories import commune_of

    for _ in range(23):
        make_incident(actor=monitor, area=cercle_of(mopti), status="submitted")
    for _ in range(9):
        make_incident(actor=outsider, area=cercle_of(segou), status="submitted", categories=["property"])
    commune = commune_of(cercle_of(mopti))
    for index in range(12):
        make_case(caseworker_in_area, commune, case_type="gbv", risk_level="high", given_name=f"G{index}")
    for index in range(7):
        make_case(
            caseworker_in_area,
            commune,
            case_type="child_protection",
            risk_level="high",
            given_name=f"C{index}",
        )
    return {"mopti": mopti}


def _ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


# --- Consistency ------------------------------------------------------------------------------------


def test_the_same_question_answers_the_same_across_requests_and_days(api, reader, figures, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 6, 12, 0), tick=False)
    client = api(reader)
    params = {"group_by": "admin1", "date_from": "2020-01-01", "date_to": "2030-12-31"}
    first = _ok(client.get(f"{URL}incidents/", params))
    assert _ok(client.get(f"{URL}incidents/", params)) == first
    # A week later (the figure cache long expired, the figures computed afresh): the same answer.
    time_machine.move_to(datetime.datetime(2026, 12, 13, 12, 0), tick=False)
    assert _ok(api(reader).get(f"{URL}incidents/", params))["rows"] == first["rows"]
    # Until the data change: one more incident in Mopti gives Mopti's records a new key (its figure may
    # move, within 2 of 24); Ségou's records, unchanged, read the same.
    make_incident(actor=_monitor(), area=cercle_of(figures["mopti"]), status="submitted")
    after = {row["admin1"]: row["count"] for row in _ok(api(reader).get(f"{URL}incidents/", params))["rows"]}
    before = {row["admin1"]: row["count"] for row in first["rows"]}
    assert after["ML04"] == before["ML04"] and abs(after["ML05"] - 24) <= 2


def _monitor():
    from sentinelle.accounts.models import User

    return User.objects.get(username="monitor")


def test_the_same_cell_gives_the_same_figure_in_another_process(api, reader, figures):
    from sentinelle.core.datasets import Filters

    [row] = datasets.aggregate("incidents", filters=Filters(areas=(figures["mopti"],)))
    answer = _ok(api(reader).get(f"{URL}incidents/", {"area": "ML05"}))["total"]["count"]
    code = (
        "import sys; from sentinelle.core.disclosure import published; "
        f"print(published({row['count']}, {row[CELL_KEY]}, threshold=5))"
    )
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
        result = subprocess.run(  # noqa: S603 (this interpreter, a fixed program)
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        assert int(result.stdout.strip()) == answer


def test_a_dashboard_download_and_the_api_agree_on_the_same_cell(api, signed_in, reader, figures):
    response = signed_in(reader).get(reverse("reports:dashboard-export", args=["caseload_by_risk", "csv"]))
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    tags_at = next(i for i, line in enumerate(lines) if line and line[0].startswith("#"))
    columns = [tag.rsplit("+", 1)[-1] for tag in lines[tags_at][2:]]
    high = dict(zip(columns, next(line for line in lines if line[0] == "high")[2:], strict=True))
    api_rows = _ok(api(reader).get(f"{URL}cases/", {"group_by": "risk_level,case_type", "status": "open"}))[
        "rows"
    ]
    by_type = {row["case_type"]: row["count"] for row in api_rows if row["risk_level"] == "high"}
    assert int(high["child_protection"]) == by_type["child_protection"]
    assert int(high["gbv"]) == by_type["gbv"] and abs(by_type["gbv"] - 12) <= 2


# --- Keys never leave ---------------------------------------------------------------------------------


def test_no_answer_download_or_report_holds_a_key(api, signed_in, reader, imo, figures):
    for user in (reader, imo):
        client = api(user)
        for dataset in datasets.all_datasets():
            for fmt in ("json", "csv", "hxl"):
                for group_by in ("", "admin1"):
                    response = client.get(f"{URL}{dataset.name}/", {"group_by": group_by, "format": fmt})
                    body = response.content.decode("utf-8-sig")
                    assert not KEY.search(body) and "record_key" not in body, (dataset.name, fmt)
        web = signed_in(user)
        for key in FIGURES:
            for fmt in ("csv", "xlsx"):
                response = web.get(reverse("reports:dashboard-export", args=[key, fmt]))
                if fmt == "csv":
                    text = response.content.decode("utf-8-sig")
                else:
                    book = load_workbook(io.BytesIO(response.content))
                    text = json.dumps(
                        [[c.value for c in row] for sheet in book for row in sheet.iter_rows()], default=str
                    )
                assert not KEY.search(text) and "record_key" not in text, (key, fmt)
    from sentinelle.reports.analysis import monthly_figures

    today = datetime.date.today()
    assert not KEY.search(json.dumps(monthly_figures(start=today.replace(day=1), end=today), default=str))


# --- What readers may vary ------------------------------------------------------------------------------


def test_readers_periods_are_widened_to_calendar_blocks_and_said_so(api, reader, imo, figures):
    params = {"date_from": "2026-02-10", "date_to": "2026-03-05"}
    data = _ok(api(reader).get(f"{URL}incidents/", params, **EN))
    assert (data["filters"]["date_from"], data["filters"]["date_to"]) == ("2026-01-01", "2026-03-31")
    assert any("Period widened" in note for note in data["notes"])
    exact = _ok(api(imo).get(f"{URL}incidents/", params))
    assert (exact["filters"]["date_from"], exact["filters"]["date_to"]) == ("2026-02-10", "2026-03-05")


@pytest.mark.parametrize(
    "params",
    [
        {"area": ["ML05", "ML04"]},
        {"category": "life,property"},
        {"organisation": ["ALPHA", "BETA"]},
    ],
)
def test_readers_ask_one_area_organisation_and_code_at_a_time(api, reader, imo, figures, params):
    response = api(reader).get(f"{URL}incidents/", params, **EN)
    assert response.status_code == 400 and "at a time" in response.json()["detail"]
    assert api(imo).get(f"{URL}incidents/", params).status_code == 200


def test_readers_figures_are_throttled_per_day_across_the_api_and_the_dashboards(
    api, signed_in, reader, imo, figures, settings
):
    from sentinelle.core.models import AuditEntry

    settings.SENTINELLE = {
        **settings.SENTINELLE,
        "THROTTLES": {**settings.SENTINELLE["THROTTLES"], "stats.user": "3/1d"},
    }
    client = api(reader)
    assert client.get(f"{URL}incidents/").status_code == 200
    assert client.get(f"{URL}cases/").status_code == 200
    assert signed_in(reader).get(reverse("reports:dashboard-national")).status_code == 200
    refused = client.get(f"{URL}incidents/", **EN)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 3600
    page = signed_in(reader).get(reverse("reports:dashboard-export", args=["incidents_map", "csv"]))
    assert page.status_code == 429 and int(page["Retry-After"]) > 3600
    assert AuditEntry.objects.filter(object_type="throttle", object_id="stats.user").exists()
    # The catalogue is not a figure; analysts (exact figures) are not counted.
    assert client.get(URL).status_code == 200
    for _ in range(5):
        assert api(imo).get(f"{URL}incidents/").status_code == 200
