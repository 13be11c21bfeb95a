"""The demo incidents: valid, realistic in their mix, and a second run creates nothing."""

import io

import pytest
from django.core.management.color import no_style
from django.db.models import Count, Sum

from sentinelle.demo import accounts as accounts_demo
from sentinelle.demo.monitoring import incidents as demo
from sentinelle.geography.models import CodVersion
from sentinelle.geography.tests.conftest import shipped_geography  # noqa: F401 (the fixture)
from sentinelle.monitoring.models import (
    DuplicateCandidate,
    ExplosiveAccident,
    GBVIncident,
    GraveViolation,
    Incident,
    IncidentCategory,
    IncidentEvent,
    VictimCount,
)
from sentinelle.monitoring.services.incidents import incident_import_many, incident_validate


@pytest.fixture
def demo_world(db, shipped_geography):  # noqa: F811
    """The 2015 COD as the default version (inside this test's transaction) and the demo accounts."""
    CodVersion.objects.filter(is_default=True).update(is_default=False)
    CodVersion.objects.filter(pk=shipped_geography.pk).update(is_default=True)
    accounts_demo.seed(stdout=io.StringIO(), style=no_style())


def _counts():
    return (
        Incident.objects.count(),
        IncidentEvent.objects.count(),
        VictimCount.objects.count(),
        DuplicateCandidate.objects.count(),
    )


def test_demo_is_valid_realistic_and_idempotent(demo_world, monkeypatch):
    validated = []

    def validating_import(**kwargs):
        for row in kwargs["rows"]:
            incident_validate(row)
        validated.extend(kwargs["rows"])
        return incident_import_many(**kwargs)

    monkeypatch.setattr(demo, "incident_import_many", validating_import)
    out = io.StringIO()
    demo.seed(stdout=out, style=no_style())
    assert "Demo incidents:" in out.getvalue()

    total = Incident.objects.count()
    assert 400 <= total <= 800
    assert len(validated) == total
    statuses = dict(Incident.objects.values_list("status").annotate(n=Count("id")))
    assert statuses["verified"] + statuses["submitted"] > 0.85 * total
    assert statuses["draft"] > 0 and statuses["rejected"] > 0
    assert Incident.objects.values("organisation").distinct().count() >= 7
    assert Incident.objects.values("source_mechanism").distinct().count() >= 6
    mopti = Incident.objects.filter(area__path__startswith="ML/ML05/").count()
    assert mopti > total * 0.4
    for prefix in ("ML/ML04/", "ML/ML06/", "ML/ML07/", "ML/ML07/ML0704/"):
        assert Incident.objects.filter(area__path__startswith=prefix).exists(), prefix

    # Typed details where the categories call for them; totals in step with the counts.
    categories = dict(IncidentCategory.objects.values_list("category").annotate(n=Count("id")))
    # GBV: survivors only in the GBV service provider's records (UNFPA), allegations in monitoring.
    survivors = GBVIncident.objects.values_list("incident__organisation__acronym", flat=True)
    assert set(survivors) == {"UNFPA"} and len(survivors) > 20
    allegations = IncidentCategory.objects.filter(category="gbv", incident__gbv__isnull=True)
    assert categories["gbv"] == len(survivors) + allegations.count() and allegations.count() > 10
    assert not allegations.filter(incident__organisation__acronym="UNFPA").exists()
    assert GBVIncident.objects.filter(consent_to_report=True).count() > GBVIncident.objects.count() / 2
    assert categories["explosive"] == ExplosiveAccident.objects.count()
    assert ExplosiveAccident.objects.filter(
        device_type="ied", incident__area__path__startswith="ML/ML05/"
    ).exists()
    assert set(GraveViolation.objects.values_list("type", flat=True)) >= {
        "recruitment",
        "killing",
        "attack_school",
    }
    assert Incident.objects.filter(displaced_households__gt=0).exists()
    counted = VictimCount.objects.aggregate(n=Sum("count"))["n"]
    assert Incident.objects.aggregate(n=Sum("victims_total"))["n"] == counted

    # Duplicates: some for the IMO to review, one pair linked.
    assert DuplicateCandidate.objects.filter(status="pending").exists()
    assert DuplicateCandidate.objects.filter(status="linked").count() == 1
    assert Incident.objects.filter(duplicate_of__isnull=False).count() == 1

    # Drafts belong to demo users who may edit them.
    drafters = set(Incident.objects.filter(status="draft").values_list("created_by__username", flat=True))
    assert drafters <= {"monitor.amss", "caseworker.drc"}

    before = _counts()
    again = io.StringIO()
    demo.seed(stdout=again, style=no_style())
    assert _counts() == before
    assert "nothing created" in again.getvalue()
