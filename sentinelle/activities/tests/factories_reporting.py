"""Small factories and places for the 4W tests: programmes, projects, reports and activities."""

import datetime

import factory
import pytest
from django.utils import timezone

from sentinelle.accounts.tests.factories import OrganisationFactory
from sentinelle.activities.models import (
    Activity,
    ActivityReport,
    Beneficiaries,
    Programme,
    Project,
    ReportingPeriod,
)
from sentinelle.activities.rollups import KEYED_BY
from sentinelle.core.rollups import rollups_add
from sentinelle.geography.tests.factories import AdminAreaFactory


def this_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


def last_month() -> datetime.date:
    return (this_month() - datetime.timedelta(days=1)).replace(day=1)


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme

    code = factory.Sequence(lambda n: f"PRG{n}")
    name = factory.LazyAttribute(lambda o: f"Programme {o.code}")
    lead_organisation = factory.SubFactory(OrganisationFactory)
    start_date = datetime.date(2021, 3, 1)
    end_date = datetime.date(2033, 7, 31)
    currency = "CHF"


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    code = factory.Sequence(lambda n: f"PRJ{n}")
    name = factory.LazyAttribute(lambda o: f"Projet {o.code}")
    organisation = factory.SubFactory(OrganisationFactory)
    start_date = datetime.date(2021, 3, 1)
    end_date = datetime.date(2033, 7, 31)


class PeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportingPeriod
        django_get_or_create = ("month",)

    month = factory.LazyFunction(this_month)


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityReport
        django_get_or_create = ("organisation", "period")

    organisation = factory.SubFactory(OrganisationFactory)
    period = factory.SubFactory(PeriodFactory)


class ActivityFactory(factory.django.DjangoModelFactory):
    """An awareness session on the first day of the report's month, with `reached` cells if given."""

    class Meta:
        model = Activity
        skip_postgeneration_save = True

    report = factory.SubFactory(ReportFactory)
    organisation = factory.LazyAttribute(lambda o: o.report.organisation)
    activity_type = "awareness"
    area = None
    start_date = factory.LazyAttribute(lambda o: o.report.period.month)
    end_date = factory.LazyAttribute(lambda o: o.start_date)

    @factory.post_generation
    def reached(self, create, extracted, **kwargs):
        """reached=[("f", "18_59", "idp", 12), ...]"""
        if create and extracted:
            Beneficiaries.objects.bulk_create(
                Beneficiaries(activity=self, sex=s, age_group=a, population_status=p, count=c)
                for s, a, p, c in extracted
            )

    @factory.post_generation
    def figures(self, create, extracted, **kwargs):
        """The figures' roll-ups count the activity as the services would (core/rollups.py)."""
        if create:
            rollups_add(keyed_by=KEYED_BY, ids=[self.pk])


@pytest.fixture(name="places")
def places_fixture(mopti, segou):
    """Two cercles of Mopti (one commune each) and one of Ségou."""
    bandiagara = AdminAreaFactory(parent=mopti, level=2, pcode="ML0501", name_fr="Bandiagara")
    dourou = AdminAreaFactory(parent=bandiagara, level=3, pcode="ML050101", name_fr="Dourou")
    douentza = AdminAreaFactory(parent=mopti, level=2, pcode="ML0503", name_fr="Douentza")
    segou_cercle = AdminAreaFactory(parent=segou, level=2, pcode="ML0401", name_fr="Ségou")
    pelengana = AdminAreaFactory(parent=segou_cercle, level=3, pcode="ML040101", name_fr="Pélengana")
    return {
        "bandiagara": bandiagara,
        "dourou": dourou,
        "douentza": douentza,
        "segou_cercle": segou_cercle,
        "pelengana": pelengana,
    }
