"""A commune where GBV and other records sit side by side, with distinctive counts (the GBV floor tests).

Mopti (ML05) > Bandiagara (ML0501) > Dourou (ML050101), Sangha (ML050102); the protocol's level is the
region (GBV_MIN_ADMIN_LEVEL = 1).

Dourou:
  7 "life" incidents and 9 "property" incidents (two men killed each)        -> 16 incidents, 32 victims
  6 GBV incidents with consent to report (one woman each)                    -> the GBV count: 6
  1 grave-violations incident: the killing of 7 boys                          -> MRM 7
  1 grave-violations incident: sexual violence against 6 girls (GBV too)      -> MRM 6, GBV
  open cases: 6 GBV (high risk), 7 child protection (medium), 8 general protection (low)
  referrals: one per GBV case (6) and per child protection case (7), to BETA's health service
Sangha: 5 "life" incidents.

Today's figures for Dourou would give the GBV counts away by subtraction (cases: 21 - 7 - 8 = 6). Below
the region a reader's figures count none of the GBV records: `add_gbv(world)` records as many again in
Dourou, and no figure a reader gets below the region may move.
"""

import pytest

from sentinelle.cases.tests.factories_cases import consent_for, make_case, make_referral, make_service
from sentinelle.monitoring.inputs import ViolationVictimCell
from sentinelle.monitoring.tests.factories import (
    cercle_of,
    commune_of,
    gbv_incident_input,
    make_incident,
    victim,
    violation_incident_input,
    violation_input,
)

GBV = 6
NON_GBV_CASES = {"child_protection": 7, "general_protection": 8}


def _gbv_records(world, *, round_: int) -> None:
    dourou, monitor, caseworker = world["dourou"], world["monitor"], world["caseworker"]
    for _ in range(GBV):
        # GBVIMS records (survivor details): a GBV service provider's case worker records them.
        make_incident(actor=caseworker, area=dourou, status="submitted", data=gbv_incident_input(dourou))
    sexual_violence = violation_input(
        "sexual_violence", victims=[ViolationVictimCell(sex="f", age_group="12_17", count=GBV)]
    )
    make_incident(
        actor=monitor,
        area=dourou,
        status="submitted",
        data=violation_incident_input(
            dourou,
            sexual_violence,
            categories=["child_rights"],
            victims=[victim("injured", "f", "12_17", GBV)],
        ),
    )
    for index in range(GBV):
        case = make_case(
            caseworker, dourou, case_type="gbv", risk_level="high", given_name=f"G{round_}-{index}"
        )
        consent_for(caseworker, case, organisations=[world["beta"]])
        make_referral(caseworker, case, world["service"])


def add_gbv(world) -> None:
    """As many GBV records again in Dourou."""
    world["rounds"] += 1
    _gbv_records(world, round_=world["rounds"])


@pytest.fixture
def gbv_world(settings, mopti, segou, monitor, caseworker_in_area, focal_point, beta):
    settings.SENTINELLE = {**settings.SENTINELLE, "GBV_MIN_ADMIN_LEVEL": 1}
    bandiagara = cercle_of(mopti, pcode="ML0501", name_fr="Bandiagara")
    dourou = commune_of(bandiagara, pcode="ML050101", name_fr="Dourou")
    sangha = commune_of(bandiagara, pcode="ML050102", name_fr="Sangha")
    service = make_service(beta, dourou, "health", focal_points=[focal_point], name="CSCOM Dourou")
    world = {
        "mopti": mopti,
        "bandiagara": bandiagara,
        "dourou": dourou,
        "sangha": sangha,
        "monitor": monitor,
        "caseworker": caseworker_in_area,
        "beta": beta,
        "service": service,
        "rounds": 0,
    }
    for category, count in (("life", 7), ("property", 9)):
        for _ in range(count):
            make_incident(actor=monitor, area=dourou, status="submitted", categories=[category])
    for _ in range(5):
        make_incident(actor=monitor, area=sangha, status="submitted")
    killing = violation_input("killing", victims=[ViolationVictimCell(sex="m", age_group="12_17", count=7)])
    make_incident(
        actor=monitor,
        area=dourou,
        status="submitted",
        data=violation_incident_input(dourou, killing, victims=[victim("killed", "m", "12_17", 7)]),
    )
    for case_type, count in NON_GBV_CASES.items():
        risk = "medium" if case_type == "child_protection" else "low"
        for index in range(count):
            case = make_case(
                caseworker_in_area,
                dourou,
                case_type=case_type,
                risk_level=risk,
                given_name=f"{case_type}{index}",
            )
            if case_type == "child_protection":
                consent_for(caseworker_in_area, case, organisations=[beta])
                make_referral(caseworker_in_area, case, service)
    _gbv_records(world, round_=0)
    return world
