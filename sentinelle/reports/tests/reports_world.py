"""Fixtures of the report tests: a hand-counted month of incidents in a cercle of Mopti.

Month M = the previous calendar month; all incidents recorded by alpha's monitor in cercle ML0501:
  A1 submitted: 6 men (18-59) killed, 2 women (18-59) injured          -> 1 incident, 8 victims
  A2 verified: 3 men (18-59) killed                                    -> 1 incident, 3 victims
  A3 submitted, linked as the same event as A1                         -> not counted
  G1 GBV with consent (woman of 24)                                    -> 1 GBV incident
  G2 GBV without consent to report                                     -> in no GBV figure
  P1 in the month before M: 2 men killed                               -> previous month: 1 incident
Context and response, same cercle, by alpha:
  one displacement event of 300 people (armed conflict) in M, one of 50 the month before
  a population figure of 1,200 IDPs dated in M
  a validated awareness activity in M: 30 women and 2 men reached; beta's draft report's activity (9 women)
"""

import datetime

import pytest

from sentinelle.activities.tests.factories_results import make_activity
from sentinelle.displacement.tests.factories import make_event, make_figure
from sentinelle.monitoring.tests.factories import (
    cercle_of,
    gbv_incident_input,
    incident_input,
    link_duplicate,
    make_incident,
    victim,
)
from sentinelle.reports.analysis import previous_month


@pytest.fixture
def month():
    return previous_month(datetime.date.today())


@pytest.fixture
def cercle(mopti):
    return cercle_of(mopti, pcode="ML0501", name_fr="Mopti-cercle")


@pytest.fixture
def recorded(monitor, caseworker_in_area, imo, cercle, month, beta):
    start, _end = month
    day = start + datetime.timedelta(days=4)
    made = {}

    def make(name, status="submitted", data=None, when=day, **overrides):
        data = data or incident_input(cercle, **overrides)
        data.date_start = when
        data.date_reported = when + datetime.timedelta(days=1)
        # Survivor details (GBVIMS) are a GBV service provider's to record, never a monitor's.
        actor = caseworker_in_area if data.gbv is not None else monitor
        made[name] = make_incident(actor=actor, area=cercle, status=status, reviewer=imo, data=data)

    make("A1", victims=[victim("killed", "m", "18_59", 6), victim("injured", "f", "18_59", 2)])
    make("A2", "verified", victims=[victim("killed", "m", "18_59", 3)])
    make("A3", victims=[victim("killed", "m", "18_59", 6), victim("injured", "f", "18_59", 2)])
    link_duplicate(made["A3"], made["A1"])
    make("G1", data=gbv_incident_input(cercle))
    make("G2", data=gbv_incident_input(cercle, gbv={"consent_to_report": False, "survivor_code": "S-0002"}))
    before = previous_month(start)[0] + datetime.timedelta(days=3)
    make("P1", when=before)
    alpha = monitor.memberships.get().organisation
    make_event(cercle, alpha, date=day, individuals=300, households=50, cause="armed_conflict")
    make_event(cercle, alpha, date=before, individuals=50, households=9, cause="threat")
    make_figure(cercle, alpha, round_date=day, individuals=1200, households=200, status="idp")
    make_activity(
        alpha,
        cercle,
        "awareness",
        start=day,
        beneficiaries=[("f", "18_59", "idp", 30), ("m", "18_59", "idp", 2)],
    )
    make_activity(
        beta,
        cercle,
        "pss_session",
        start=day,
        report_status="draft",
        beneficiaries=[("f", "18_59", "idp", 9)],
    )
    return made
