"""The demo results frameworks: built from the seeds, every computation valid, idempotent, pages answer."""

import io

from django.core.management.color import no_style
from django.urls import reverse

from sentinelle.accounts.tests.factories import OrganisationFactory
from sentinelle.activities import computations
from sentinelle.activities.models import (
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    ResultNode,
    ResultsFramework,
)
from sentinelle.demo.activities.results import seed_results


def _seed():
    out = io.StringIO()
    seed_results(stdout=out, style=no_style())
    return out.getvalue()


def _counts():
    return [
        model.objects.count()
        for model in (ResultsFramework, ResultNode, Indicator, IndicatorTarget, IndicatorValue)
    ]


def test_demo_frameworks_are_built_once(imo, cluster):
    OrganisationFactory(acronym="HELVETAS")
    _seed()
    assert set(ResultsFramework.objects.values_list("code", flat=True)) == {
        "CP-2020-2022",
        "PROTECT",
        "PROSMED",
    }
    strategy = ResultsFramework.objects.get(code="CP-2020-2022")
    assert sorted(strategy.nodes.filter(level="objective").values_list("code", flat=True)) == [
        "OS1",
        "OS2",
        "OS3",
        "OS4",
    ]
    assert strategy.nodes.filter(level="outcome").count() == 15
    assert ResultsFramework.objects.get(code="PROSMED").nodes.filter(level="outcome").count() == 4
    for indicator in Indicator.objects.all():
        if indicator.source == "computed":
            assert (
                computations.computation_errors(
                    indicator.computation,
                    disaggregations=indicator.disaggregations,
                    has_programme=indicator.framework.programme_id is not None,
                )
                == []
            ), indicator.code
        else:
            assert indicator.values.exists(), indicator.code
    before = _counts()
    _seed()
    assert _counts() == before


def test_demo_pages_answer(signed_in, imo, cluster):
    OrganisationFactory(acronym="HELVETAS")
    _seed()
    client = signed_in(imo)
    for framework in ResultsFramework.objects.all():
        assert (
            client.get(reverse("activities:framework-detail", args=[framework.public_id])).status_code == 200
        )
    for indicator in Indicator.objects.filter(code__in=["P.3.2", "3.3.a", "PM.4.1"]):
        assert (
            client.get(reverse("activities:indicator-detail", args=[indicator.public_id])).status_code == 200
        )
