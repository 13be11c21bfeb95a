"""A hand-counted world for the dashboard tests, built with the domains' factories and services.

Mopti (ML05), cercle Bandiagara (ML0501):
  6 incidents "life" (verified), 2 men 18-59 killed each                      -> 12 victims m 18_59
  1 incident "life" linked as a duplicate of the first                          -> not counted
  1 draft incident "life"                                                       -> not counted
  2 GBV incidents with consent to report (woman 24, rape), 1 without consent    -> incidents 2, GBV 2
  (an incident whose survivor did not consent is in no figure at all)
Ségou (ML04), cercle Ségou (ML0401):
  1 grave-violations incident (child_rights + life): killing of 3 boys 12-17 and an attack on a school
                                                                                -> MRM count 4
  1 explosive incident: one man 34 killed, one girl 12 injured                  -> 2 casualties

Incidents: 10 (life 7, gbv 2, child_rights 1, explosive 1); Mopti 8, Ségou 2.
Victims: m 18_59 13, f 18_59 2, m 12_17 3, f 12_17 1 (19).
Cases (Mopti, case worker of ALPHA): 6 GBV cases high risk, 2 child protection cases medium risk.
Referrals: 6 (one per GBV case, to BETA's health service): all accepted, 5 completed.
Population (latest rounds): Bandiagara idp 1 200, Ségou idp_returnee 40; people in need (this year):
Bandiagara idp 5 000, Ségou idp 2 000.
Activities (ALPHA, validated report): awareness in Bandiagara reaching f 18_59 idp 300 + m 18_59 idp 200;
a draft report's activity in Ségou (150) does not count.
"""

import pytest
from django.utils import timezone

from sentinelle.activities.tests.factories_reporting import ActivityFactory, ReportFactory
from sentinelle.cases.services.referrals import referral_accept, referral_complete
from sentinelle.cases.tests.factories_cases import consent_for, make_case, make_referral, make_service
from sentinelle.displacement.tests.factories import make_figure, make_need
from sentinelle.monitoring.inputs import ViolationVictimCell
from sentinelle.monitoring.tests.factories import (
    cercle_of,
    commune_of,
    days_ago,
    explosive_incident_input,
    gbv_incident_input,
    link_duplicate,
    make_incident,
    victim,
    violation_incident_input,
    violation_input,
)


@pytest.fixture(name="world")
def world_fixture(mopti, segou, monitor, imo, alpha, beta, caseworker_in_area, focal_point, admin):
    from sentinelle.accounts.tests.factories import make_member
    from sentinelle.core.models import Role

    bandiagara = cercle_of(mopti, pcode="ML0501", name_fr="Bandiagara")
    dourou = commune_of(bandiagara, pcode="ML050101", name_fr="Dourou")
    segou_cercle = cercle_of(segou, pcode="ML0401", name_fr="Ségou")
    segou_monitor = make_member(Role.MONITOR, alpha, areas=[segou], username="monitor_segou")

    life = [make_incident(actor=monitor, area=bandiagara, status="verified", reviewer=imo) for _ in range(6)]
    duplicate = make_incident(actor=monitor, area=bandiagara, status="submitted")
    link_duplicate(duplicate, life[0])
    make_incident(actor=monitor, area=bandiagara, status="draft")
    for consent in (True, True, False):
        make_incident(
            actor=caseworker_in_area,  # survivor details: a GBV service provider's
            area=bandiagara,
            status="submitted",
            data=gbv_incident_input(bandiagara, gbv={"consent_to_report": consent}),
        )
    killing = violation_input("killing", victims=[ViolationVictimCell(sex="m", age_group="12_17", count=3)])
    make_incident(
        actor=segou_monitor,
        area=segou_cercle,
        status="verified",
        reviewer=imo,
        data=violation_incident_input(
            segou_cercle,
            killing,
            violation_input("attack_school"),
            victims=[victim("killed", "m", "12_17", 3)],
        ),
    )
    make_incident(
        actor=segou_monitor,
        area=segou_cercle,
        status="submitted",
        data=explosive_incident_input(segou_cercle),
    )

    service = make_service(beta, dourou, "health", focal_points=[focal_point], name="CSCOM Dourou")
    for index in range(6):
        case = make_case(
            caseworker_in_area, dourou, case_type="gbv", risk_level="high", given_name=f"A{index}"
        )
        consent_for(caseworker_in_area, case, organisations=[beta])
        referral = make_referral(caseworker_in_area, case, service)
        referral_accept(actor=focal_point, referral=referral)
        if index < 5:
            referral_complete(actor=focal_point, referral=referral, service_given="Soins.")
    for index in range(2):
        make_case(
            caseworker_in_area,
            dourou,
            case_type="child_protection",
            risk_level="medium",
            given_name=f"B{index}",
        )

    make_figure(bandiagara, alpha, status="idp", individuals=1200, households=240, round_date=days_ago(20))
    make_figure(
        segou_cercle, alpha, status="idp_returnee", individuals=40, households=8, round_date=days_ago(20)
    )
    year = timezone.localdate().year
    make_need(bandiagara, alpha, year=year, population_status="idp", people_in_need=5000)
    make_need(segou_cercle, alpha, year=year, population_status="idp", people_in_need=2000)

    report = ReportFactory(organisation=alpha, status="validated")
    ActivityFactory(
        report=report,
        area=bandiagara,
        start_date=days_ago(15),
        end_date=days_ago(15),
        reached=[("f", "18_59", "idp", 300), ("m", "18_59", "idp", 200)],
    )
    draft = ReportFactory(organisation=beta, status="draft")
    ActivityFactory(
        report=draft,
        area=segou_cercle,
        start_date=days_ago(15),
        end_date=days_ago(15),
        reached=[("f", "18_59", "idp", 150)],
    )
    return {"bandiagara": bandiagara, "dourou": dourou, "segou_cercle": segou_cercle}
