"""Typed details of an incident: GBV (GBVIMS), grave violations against children (MRM), explosive ordnance."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sentinelle.core.record_keys import record_key_field

from .codes import AgeGroup, Sex
from .gbv_codes import (
    AbductionType,
    Disability,
    DisplacementStage,
    DisplacementStatus,
    GBVType,
    HarmfulPractice,
    LegalAction,
    LocationType,
    MaritalStatus,
    PerpetratorAgeGroup,
    PerpetratorRelationship,
    PerpetratorSex,
    ReferredFrom,
    ReportedElsewhere,
    ReportingDelay,
    SeparationStatus,
    TimeOfDay,
    YesNoUnknown,
)
from .incidents import Incident
from .mrm_eo_codes import (
    ActivityAtTime,
    CasualtyOutcome,
    DeviceType,
    PerpetratorParty,
    Verification,
    ViolationType,
)


class GBVIncident(models.Model):
    """The GBVIMS view of an incident: one survivor, no identity, the classification tool's answers.

    `gbv_type` and the case-context flags are derived by the classification service from the answers,
    which are kept in order (`classification_answers`) so that the derivation can be explained and audited.
    """

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="gbv")
    survivor_code = models.CharField(_("survivor code"), max_length=32, blank=True)
    survivor_age = models.PositiveSmallIntegerField(
        _("survivor's age at the incident"), null=True, blank=True
    )
    survivor_age_estimated = models.BooleanField(_("age estimated"), default=False)
    survivor_sex = models.CharField(_("survivor's sex"), max_length=8, choices=Sex.choices)
    displacement_status = models.CharField(
        _("displacement status at report"), max_length=24, choices=DisplacementStatus.choices
    )
    disability = models.CharField(_("person with disability"), max_length=16, choices=Disability.choices)
    marital_status = models.CharField(_("marital status"), max_length=16, choices=MaritalStatus.choices)
    separation_status = models.CharField(
        _("unaccompanied or separated child"),
        max_length=24,
        choices=SeparationStatus.choices,
        default=SeparationStatus.NO,
    )
    displacement_stage = models.CharField(
        _("stage of displacement at incident"), max_length=24, choices=DisplacementStage.choices
    )
    time_of_day = models.CharField(_("time of day"), max_length=16, choices=TimeOfDay.choices)
    location_type = models.CharField(_("type of place"), max_length=24, choices=LocationType.choices)
    # [["penetration", false], ["sexual_contact", true], ...] in the order the tool asked them.
    classification_answers = models.JSONField(_("classification tool answers"), default=list)
    gbv_type = models.CharField(_("GBV type"), max_length=24, choices=GBVType.choices)
    harmful_practice = models.CharField(
        _("harmful traditional practice"), max_length=24, choices=HarmfulPractice.choices
    )
    goods_exchanged = models.CharField(
        _("money, goods, benefits or services exchanged"), max_length=8, choices=YesNoUnknown.choices
    )
    abduction_type = models.CharField(_("type of abduction"), max_length=24, choices=AbductionType.choices)
    reported_elsewhere = models.CharField(
        _("previously reported this incident"), max_length=16, choices=ReportedElsewhere.choices
    )
    previous_incidents = models.CharField(
        _("previous GBV incidents"), max_length=8, choices=YesNoUnknown.choices
    )
    perpetrator_count = models.PositiveSmallIntegerField(
        _("number of alleged primary perpetrators"), default=1
    )
    perpetrator_sex = models.CharField(
        _("alleged perpetrator sex"), max_length=8, choices=PerpetratorSex.choices
    )
    perpetrator_age_group = models.CharField(
        _("alleged perpetrator age group"), max_length=8, choices=PerpetratorAgeGroup.choices
    )
    perpetrator_relationship = models.CharField(
        _("alleged perpetrator - survivor relationship"),
        max_length=24,
        choices=PerpetratorRelationship.choices,
    )
    perpetrator_occupation = models.CharField(_("alleged perpetrator occupation"), max_length=100, blank=True)
    previous_incident_with_perpetrator = models.CharField(
        _("previous incident with this perpetrator"), max_length=8, choices=YesNoUnknown.choices
    )
    referred_from = models.CharField(_("referred from"), max_length=24, choices=ReferredFrom.choices)
    # {"health": "referred", "psychosocial": "provided_by_agency", ...}: one IR referral status per service.
    referrals = models.JSONField(_("referral status per service"), default=dict, blank=True)
    wants_legal_action = models.CharField(_("wants legal action"), max_length=16, choices=LegalAction.choices)
    # Consent to share non-identifying information for reporting: GBV statistics count only these.
    consent_to_report = models.BooleanField(_("consent to report (non-identifying)"), default=False)
    # Derived (classification service): kept for statistics and the IR export.
    reporting_delay = models.CharField(
        _("time between incident and report"), max_length=24, choices=ReportingDelay.choices
    )
    is_intimate_partner_violence = models.BooleanField(_("intimate partner violence"), default=False)
    is_child_sexual_abuse = models.BooleanField(_("child sexual abuse"), default=False)
    is_early_marriage = models.BooleanField(_("early marriage"), default=False)
    is_possible_sexual_exploitation = models.BooleanField(_("possible sexual exploitation"), default=False)
    is_possible_sexual_slavery = models.BooleanField(_("possible sexual slavery"), default=False)
    is_harmful_traditional_practice = models.BooleanField(_("harmful traditional practice"), default=False)

    # The cell key method (core/record_keys.py): secret, drawn by the database.
    record_key = record_key_field()

    class Meta:
        verbose_name = _("GBV incident")
        verbose_name_plural = _("GBV incidents")
        indexes = [models.Index(fields=["gbv_type", "consent_to_report"])]

    def __str__(self):
        return f"{self.incident_id} {self.gbv_type}"


class GraveViolation(models.Model):
    """One grave violation against children within an incident (an incident may hold several)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="violations")
    type = models.CharField(_("violation"), max_length=24, choices=ViolationType.choices)
    perpetrator_party = models.CharField(
        _("party responsible"), max_length=24, choices=PerpetratorParty.choices
    )
    verification = models.CharField(
        _("verification"), max_length=16, choices=Verification.choices, default=Verification.PENDING
    )
    # For attacks on schools or hospitals and denial of access: what was hit (school, health centre...).
    facility = models.CharField(_("facility or aid affected"), max_length=200, blank=True)

    # The cell key method (core/record_keys.py): secret, drawn by the database.
    record_key = record_key_field()

    class Meta:
        ordering = ["incident", "type"]
        verbose_name = _("grave violation")
        verbose_name_plural = _("grave violations")
        indexes = [models.Index(fields=["type", "verification"])]

    def __str__(self):
        return self.type


class ViolationVictims(models.Model):
    """Child victims of one violation by sex and age group."""

    violation = models.ForeignKey(GraveViolation, on_delete=models.CASCADE, related_name="victims")
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    age_group = models.CharField(_("age group"), max_length=8, choices=AgeGroup.choices)
    count = models.PositiveIntegerField(_("number"))

    class Meta:
        verbose_name = _("child victims")
        verbose_name_plural = _("child victims")
        constraints = [
            models.UniqueConstraint(
                fields=["violation", "sex", "age_group"], name="monitoring_violation_victims_cell"
            ),
            models.CheckConstraint(condition=Q(count__gt=0), name="monitoring_violation_victims_positive"),
        ]

    def __str__(self):
        return f"{self.sex}/{self.age_group}: {self.count}"


class ExplosiveAccident(models.Model):
    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="explosive")
    device_type = models.CharField(_("explosive device"), max_length=24, choices=DeviceType.choices)
    activity = models.CharField(_("activity at the time"), max_length=16, choices=ActivityAtTime.choices)

    class Meta:
        verbose_name = _("explosive ordnance accident")
        verbose_name_plural = _("explosive ordnance accidents")

    def __str__(self):
        return self.device_type


class Casualty(models.Model):
    """One casualty of an explosive ordnance accident (no identity: sex, age, outcome)."""

    accident = models.ForeignKey(ExplosiveAccident, on_delete=models.CASCADE, related_name="casualties")
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)
    age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True)
    age_group = models.CharField(_("age group"), max_length=8, choices=AgeGroup.choices)
    outcome = models.CharField(_("outcome"), max_length=8, choices=CasualtyOutcome.choices)
    civilian = models.BooleanField(_("civilian"), default=True)
    displacement_status = models.CharField(
        _("displacement status"), max_length=24, choices=DisplacementStatus.choices, blank=True
    )

    # The cell key method (core/record_keys.py): secret, drawn by the database.
    record_key = record_key_field()

    class Meta:
        verbose_name = _("casualty")
        verbose_name_plural = _("casualties")

    def __str__(self):
        return f"{self.outcome} {self.sex} {self.age_group}"
