"""The 4W demo: seeds' programmes, six months of reports, idempotent."""

import io

import pytest
from django.core.management.color import no_style

from sentinelle.activities.models import Activity, ActivityReport, Programme, Project, ReportingPeriod
from sentinelle.activities.tests.factories_reporting import last_month, this_month
from sentinelle.demo.activities.programmes import seed_programmes
from sentinelle.demo.activities.reporting import seed_reporting
from sentinelle.geography.tests.factories import AdminAreaFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_places(mopti):
    tombouctou = AdminAreaFactory(parent=mopti.parent, level=1, pcode="ML06", name_fr="Tombouctou")
    for pcode, name in (("ML0501", "Mopti"), ("ML0502", "Bandiagara"), ("ML0506", "Douentza")):
        cercle = AdminAreaFactory(parent=mopti, level=2, pcode=pcode, name_fr=name)
        AdminAreaFactory(parent=cercle, level=3, pcode=f"{pcode}01", name_fr=f"{name} commune")
    AdminAreaFactory(parent=tombouctou, level=2, pcode="ML0601", name_fr="Tombouctou")


def run():
    out = io.StringIO()
    seed_programmes(stdout=out, style=no_style())
    seed_reporting(stdout=out, style=no_style())
    return out.getvalue()


def test_demo_is_complete_and_idempotent(demo_places):
    run()
    counts = (
        Programme.objects.count(),
        Project.objects.count(),
        ActivityReport.objects.count(),
        Activity.objects.count(),
    )

    protect = Programme.objects.get(code="PROTECT")
    assert (protect.budget, protect.currency) == (11270000, "CHF")
    assert "DDC" in set(protect.donors.values_list("acronym", flat=True))
    assert {p.code for p in Programme.objects.all()} == {"PROTECT", "REVIVRE2", "PROSMED"}
    last = ReportingPeriod.objects.get(month=last_month())
    assert last.is_locked and last.fourw_published_at is not None
    assert set(last.reports.values_list("status", flat=True)) == {"validated"}
    current = ReportingPeriod.objects.get(month=this_month())
    assert not current.is_locked
    assert dict(current.reports.values_list("organisation__acronym", "status")) == {
        "DRC": "draft",
        "AMSS": "submitted",
    }
    assert Activity.objects.filter(report__period=last).count() > 5
    assert ReportingPeriod.objects.count() == 6

    output = run()

    assert (
        Programme.objects.count(),
        Project.objects.count(),
        ActivityReport.objects.count(),
        Activity.objects.count(),
    ) == counts
    assert "0 monthly reports" in output
