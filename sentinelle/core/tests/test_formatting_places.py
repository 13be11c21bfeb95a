"""The places issue 15 (item 12) reported, now written the French way: population figures grouped by
thousands like the dashboards' ("28380" beside "177 825"), money ("35000 XOF"), the dashboard's period and
the device list (ISO dates), and "Étape :" with its no-break space (the French text in the PO fragment)."""

import datetime

import pytest
from django.urls import reverse

from sentinelle.accounts import devices
from sentinelle.cases.services.cases import assistance_request
from sentinelle.cases.tests.factories_cases import commune_in, make_case
from sentinelle.displacement.tests.conftest import places  # noqa: F401  (fixture)
from sentinelle.displacement.tests.factories import d, make_figure
from sentinelle.reports.dashboards.scope import DashboardScope
from sentinelle.reports.views.dashboards import describe

pytestmark = pytest.mark.django_db

NNBSP, NBSP = "\u202f", "\u00a0"


def test_population_figures_are_grouped_by_thousands(signed_in, monitor, alpha, places):  # noqa: F811
    make_figure(places.dourou, alpha, individuals=28380, households=4730, round_date=d(2024, 3, 31))

    page = signed_in(monitor).get(reverse("displacement:overview"), {"as_of": "2024-04-30"}).content.decode()

    assert f"28{NNBSP}380" in page and "28380" not in page
    assert f"4{NNBSP}730" in page


def test_money_has_thousands_and_its_currency_after(signed_in, caseworker_in_area, mopti):
    case = make_case(caseworker_in_area, commune_in(mopti, "Douentza"), case_type="ipa")
    assistance_request(actor=caseworker_in_area, case=case, kind="cash", amount_xof=35000, purpose="Loyer")

    page = (
        signed_in(caseworker_in_area)
        .get(reverse("cases:case-detail", args=[case.public_id]))
        .content.decode()
    )

    assert f"35{NNBSP}000{NBSP}XOF" in page and "35000 XOF" not in page


def test_the_dashboard_period_is_written_in_french_dates(imo):
    scope = DashboardScope.for_user(
        imo, date_from=datetime.date(2026, 1, 1), date_to=datetime.date(2026, 12, 7)
    )

    (period, *_rest) = describe(scope)

    assert "01/01/2026" in period and "07/12/2026" in period and "2026-01-01" not in period


def test_the_device_list_writes_french_dates(signed_in, monitor):
    credential, _secret = devices.device_credential_create(actor=monitor, label="Tablette Sévaré")

    page = signed_in(monitor).get(reverse("accounts:device-list")).content.decode()

    assert credential.created_at.strftime("%d/%m/%Y") in page
    assert credential.created_at.strftime("%Y-%m-%d") not in page


def test_the_case_step_keeps_its_colon_inside_the_translation(signed_in, caseworker_in_area, mopti):
    case = make_case(caseworker_in_area, commune_in(mopti, "Douentza"))

    page = (
        signed_in(caseworker_in_area)
        .get(reverse("cases:case-detail", args=[case.public_id]))
        .content.decode()
    )

    assert "Étape:" not in page  # "Étape :" once the fragment is merged, "Step:" until then
    assert "Étape\u00a0:" in page or "Step:" in page
