"""Code lists every domain shares (design §4): sex and age groups."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    FEMALE = "f", _("Female")
    MALE = "m", _("Male")
    UNKNOWN = "unknown", _("Unknown")


class AgeGroup(models.TextChoices):
    AGE_0_5 = "0_5", _("0-5 years")
    AGE_6_11 = "6_11", _("6-11 years")
    AGE_12_17 = "12_17", _("12-17 years")
    AGE_18_59 = "18_59", _("18-59 years")
    AGE_60_PLUS = "60_plus", _("60 years and over")
    UNKNOWN = "unknown", _("Unknown age")


CHILD_AGE_GROUPS = (AgeGroup.AGE_0_5, AgeGroup.AGE_6_11, AgeGroup.AGE_12_17)


def age_group_of(age: int | None) -> str:
    if age is None:
        return AgeGroup.UNKNOWN
    if age <= 5:
        return AgeGroup.AGE_0_5
    if age <= 11:
        return AgeGroup.AGE_6_11
    if age <= 17:
        return AgeGroup.AGE_12_17
    if age <= 59:
        return AgeGroup.AGE_18_59
    return AgeGroup.AGE_60_PLUS


class PopulationStatus(models.TextChoices):
    """Population groups of design §4, shared by displacement figures, needs and activity beneficiaries."""

    IDP = "idp", _("Internally displaced")
    IDP_RETURNEE = "idp_returnee", _("Returned IDP")
    REPATRIATE = "repatriate", _("Repatriated refugee")
    REFUGEE = "refugee", _("Refugee")
    HOST = "host", _("Host community")
