"""With the demo data (real Mali boundaries), every dashboard figure has data and the national dashboard
stays light (measured: about 29 KB compressed with its stylesheets and scripts, 31 queries)."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from sentinelle.accounts.models import User
from sentinelle.core.tests.test_page_weight import BUDGET_BYTES, first_load_bytes
from sentinelle.geography.models import CodVersion
from sentinelle.geography.tests.conftest import shipped_geography  # noqa: F401  (the real 2015 COD)
from sentinelle.reports.dashboards.figures import FIGURES
from sentinelle.reports.dashboards.pages import PAGES
from sentinelle.reports.dashboards.scope import DashboardScope

pytestmark = pytest.mark.django_db


def test_demo_data_fills_every_dashboard(signed_in, shipped_geography):  # noqa: F811
    # The session's shipped COD is kept non-default for other tests; the demo runs on it as `make run` does.
    CodVersion.objects.filter(pk=shipped_geography.pk).update(is_default=True)
    call_command("seed_demo", stdout=io.StringIO())
    imo = User.objects.filter(memberships__role="imo").first()
    scope = DashboardScope.for_user(imo)
    assert [key for key, build in FIGURES.items() if build(scope).table.is_empty] == []
    client = signed_in(imo)
    for name in PAGES:
        assert client.get(reverse(f"reports:dashboard-{name}")).status_code == 200
    for role in ("imo", "reader"):
        user = User.objects.filter(memberships__role=role).first()
        response = signed_in(user).get(reverse("reports:dashboard-national"))
        total, _assets = first_load_bytes(response.content)
        assert total < BUDGET_BYTES, f"{role}: first load {total} bytes compressed"
