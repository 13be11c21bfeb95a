"""The reports' demo: last month's analysis and the PROSMED quarterly report, published, idempotent."""

import datetime
import io

import pytest
from django.core.management.color import no_style

from sentinelle.activities.tests.factories_results import make_framework, make_programme, make_tree
from sentinelle.demo import reports as demo
from sentinelle.reports.models import Report, ReportKind, ReportVersion

pytestmark = pytest.mark.django_db


def test_the_demo_publishes_both_reports_once(imo, cluster, alpha):
    out = io.StringIO()
    demo.seed(stdout=out, style=no_style())
    assert "PROSMED" in out.getvalue()  # no framework yet: the quarterly report is skipped, said so
    programme = make_programme("PROSMED", alpha)
    framework = make_framework(
        alpha,
        code="PROSMED",
        programme=programme,
        start=datetime.date(2023, 1, 1),
        end=datetime.date(2024, 12, 31),
    )
    make_tree(framework)
    demo.seed(stdout=io.StringIO(), style=no_style())
    monthly = Report.objects.get(kind=ReportKind.MONTHLY_ANALYSIS)
    quarterly = Report.objects.get(kind=ReportKind.PROGRAMME_QUARTERLY)
    assert monthly.is_published and quarterly.is_published
    assert "Mopti" in monthly.published_version.narrative["context"]
    assert quarterly.published_version.narrative["overview"].startswith("Au cours du trimestre")
    before = ReportVersion.objects.count()
    demo.seed(stdout=io.StringIO(), style=no_style())
    assert ReportVersion.objects.count() == before
