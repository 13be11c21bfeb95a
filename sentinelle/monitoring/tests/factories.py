"""Builders for monitoring tests: valid inputs, and incidents written through the real services.

    area = cercle_of(mopti)                        # a level-2 area under a conftest region
    data = incident_input(area, categories=["life"], victims=[victim("killed", "m", "18_59", 2)])
    incident = record_incident(monitor, area, submit=True)              # through incident_record
    incident = make_incident(actor=monitor, area=area, status="verified", reviewer=imo)
    gbv = incident_input(area, **gbv_overrides())                     # a valid GBV incident
    alleged = gbv_allegation_input(area)                              # a monitor's GBV allegation

Inputs are plain dataclasses (no database); `record_incident` and `make_incident` go through the
services, so the permission checks, validation, timeline and audit apply as in production.
"""

from __future__ import annotations

import datetime
from dataclasses import replace

from django.utils import timezone

from sentinelle.geography.models import AdminArea
from sentinelle.geography.tests.factories import AdminAreaFactory
from sentinelle.monitoring.inputs import (
    CasualtyLine,
    ExplosiveDetails,
    GBVDetails,
    IncidentRow,
    VictimCell,
    ViolationLine,
    ViolationVictimCell,
)


def today() -> datetime.date:
    return timezone.localdate()


def days_ago(days: int) -> datetime.date:
    return today() - datetime.timedelta(days=days)


# --- Areas -----------------------------------------------------------------------------------


def cercle_of(region: AdminArea, *, pcode: str | None = None, name_fr: str | None = None) -> AdminArea:
    """A cercle (level 2) under `region`; the same one on every call with the same P-code."""
    pcode = pcode or f"{region.pcode}01"
    existing = AdminArea.objects.filter(version=region.version, pcode=pcode).first()
    if existing is not None:
        return existing
    return AdminAreaFactory(
        parent=region, version=region.version, level=2, pcode=pcode, name_fr=name_fr or f"Cercle {pcode}"
    )


def commune_of(cercle: AdminArea, *, pcode: str | None = None, name_fr: str | None = None) -> AdminArea:
    """A commune (level 3) under `cercle`; the same one on every call with the same P-code."""
    pcode = pcode or f"{cercle.pcode}01"
    existing = AdminArea.objects.filter(version=cercle.version, pcode=pcode).first()
    if existing is not None:
        return existing
    return AdminAreaFactory(
        parent=cercle, version=cercle.version, level=3, pcode=pcode, name_fr=name_fr or f"Commune {pcode}"
    )


# --- Inputs (no database) ----------------------------------------------------------------------


def victim(outcome: str = "killed", sex: str = "m", age_group: str = "18_59", count: int = 1) -> VictimCell:
    return VictimCell(outcome=outcome, sex=sex, age_group=age_group, count=count)


def gbv_input(**overrides) -> GBVDetails:
    """A valid GBV survivor record: an adult woman, rape (first question answered yes), consent given."""
    values = {
        "survivor_sex": "f",
        "survivor_age": 24,
        "displacement_status": "idp",
        "marital_status": "married",
        "displacement_stage": "during_refuge",
        "time_of_day": "night",
        "location_type": "bush",
        "answers": {"penetration": True},
        "perpetrator_count": 1,
        "perpetrator_sex": "m",
        "perpetrator_age_group": "18_25",
        "perpetrator_relationship": "armed_actor",
        "referred_from": "self",
        "referrals": {"health": "referred", "psychosocial": "provided_by_agency"},
        "consent_to_report": True,
        "survivor_code": "S-0001",
    }
    values.update(overrides)
    return GBVDetails(**values)


def violation_input(type: str = "killing", **overrides) -> ViolationLine:
    """A valid grave violation; child victims only for the per-victim types."""
    from sentinelle.monitoring.models import COUNTED_PER_VICTIM

    values = {
        "type": type,
        "perpetrator_party": "nsag",
        "verification": "pending",
        "facility": "" if type in COUNTED_PER_VICTIM else "École fondamentale",
        "victims": [ViolationVictimCell(sex="m", age_group="12_17", count=1)]
        if type in COUNTED_PER_VICTIM
        else [],
    }
    values.update(overrides)
    return ViolationLine(**values)


def casualty(outcome: str = "injured", sex: str = "m", age: int | None = 30, civilian: bool = True):
    return CasualtyLine(sex=sex, outcome=outcome, age=age, civilian=civilian)


def explosive_input(**overrides) -> ExplosiveDetails:
    values = {
        "device_type": "ied",
        "activity": "travelling",
        "casualties": [casualty("killed", "m", 34), casualty("injured", "f", 12)],
    }
    values.update(overrides)
    return ExplosiveDetails(**values)


def incident_input(area: AdminArea, **overrides) -> IncidentRow:
    """A valid incident in `area` (level 2 or deeper): two men killed by a non-state armed group."""
    values = {
        "date_start": days_ago(10),
        "date_reported": days_ago(8),
        "area": area,
        "categories": ["life"],
        "perpetrator_category": "nsag",
        "source_mechanism": "monitoring_interview",
        "account": "Récit confidentiel recueilli lors d'un entretien de monitoring.",
        "summary": "Deux civils tués lors d'une attaque sur la route du marché.",
        "victims": [victim("killed", "m", "18_59", 2)],
        "reliability": "b",
    }
    values.update(overrides)
    return IncidentRow(**values)


def gbv_overrides(**gbv) -> dict:
    """Overrides that make `incident_input` a GBV incident (one survivor, GBVIMS details)."""
    details = gbv_input(**gbv)
    return {
        "categories": ["gbv"],
        "perpetrator_category": "nsag",
        "source_mechanism": "gbvims",
        "summary": "Une femme déplacée survivante de violence sexuelle, prise en charge.",
        "victims": [victim("affected", details.survivor_sex, _age_group(details.survivor_age), 1)],
        "gbv": details,
    }


def gbv_incident_input(area: AdminArea, *, gbv: dict | None = None, **overrides) -> IncidentRow:
    """A GBVIMS record (survivor details): only a GBV service provider may record it (caseworker_in_area)."""
    return incident_input(area, **{**gbv_overrides(**(gbv or {})), **overrides})


def gbv_allegation_input(area: AdminArea, **overrides) -> IncidentRow:
    """What a protection monitor records of GBV: the allegation, no survivor details (issue 14, point 2)."""
    values = {
        "categories": ["gbv"],
        "perpetrator_category": "nsag",
        "source_mechanism": "monitoring_interview",
        "summary": "Allégation de violences sexuelles contre deux femmes au point d'eau, selon un leader.",
        "victims": [victim("affected", "f", "unknown", 2)],
    }
    values.update(overrides)
    return incident_input(area, **values)


def violation_incident_input(area: AdminArea, *violations: ViolationLine, **overrides) -> IncidentRow:
    """A grave-violations incident (default: one boy of 12-17 killed by a non-state armed group)."""
    violations = list(violations) or [violation_input("killing")]
    values = {
        "categories": ["child_rights", "life"],
        "source_mechanism": "mrm",
        "summary": "Un garçon tué lors d'une attaque contre le village.",
        "victims": [victim("killed", "m", "12_17", 1)],
        "violations": violations,
    }
    values.update(overrides)
    return incident_input(area, **values)


def explosive_incident_input(area: AdminArea, **overrides) -> IncidentRow:
    """An IED on a road: one man killed, one girl injured (victims match the casualties)."""
    values = {
        "categories": ["explosive"],
        "perpetrator_category": "unknown",
        "summary": "Un véhicule a sauté sur un engin explosif improvisé.",
        "victims": [victim("killed", "m", "18_59", 1), victim("injured", "f", "12_17", 1)],
        "explosive": explosive_input(),
    }
    values.update(overrides)
    return incident_input(area, **values)


def _age_group(age: int | None) -> str:
    from sentinelle.monitoring.models import age_group_of

    return str(age_group_of(age))


# --- Through the services ----------------------------------------------------------------------


def record_incident(
    actor, area: AdminArea, *, organisation=None, submit: bool = False, data=None, **overrides
):
    """incident_record with a valid input (or `data`), as `actor` would do it from the web form."""
    from sentinelle.monitoring.services.incidents import incident_record

    data = data if data is not None else incident_input(area, **overrides)
    return incident_record(actor=actor, organisation=organisation, submit=submit, **vars(data))


def make_incident(
    *, actor, area: AdminArea, status: str = "draft", reviewer=None, organisation=None, data=None, **overrides
):
    """An incident in `status` (draft, submitted, verified, rejected), each step through its service.

    `reviewer` (an IMO or the organisation's manager) verifies or rejects; default: the actor.
    """
    from sentinelle.monitoring.services.incidents import incident_reject, incident_verify

    incident = record_incident(
        actor, area, organisation=organisation, submit=status != "draft", data=data, **overrides
    )
    if status == "verified":
        incident = incident_verify(actor=reviewer or actor, incident=incident)
    elif status == "rejected":
        incident = incident_reject(actor=reviewer or actor, incident=incident, reason="Doublon interne.")
    return incident


def link_duplicate(duplicate, canonical) -> None:
    """Mark `duplicate` as another report of `canonical` without a review (duplicate_link needs a
    candidate pair), keeping the figures' roll-ups current as the service does."""
    from sentinelle.monitoring.models import Incident
    from sentinelle.monitoring.rollups import incident_rollups_updating

    with incident_rollups_updating(incident_ids=[duplicate.pk]):
        Incident.objects.filter(pk=duplicate.pk).update(duplicate_of=canonical)


def with_source(data: IncidentRow, source_id: str) -> IncidentRow:
    return replace(data, source_id=source_id)


# factory_boy-like name for those who look for it.
IncidentFactory = make_incident


def flash_report_of(alert):
    """The alert's flash report as its readers get it: an incident alert's draft is written from the
    incidents when first read (services/flash_reports.flash_report_refresh)."""
    from sentinelle.monitoring.services.flash_reports import flash_report_refresh

    return flash_report_refresh(report=alert.flash_report)
