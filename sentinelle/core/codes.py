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


# Upper bound (inclusive) of each age group; older than the last bound: 60 and over.
AGE_GROUP_BOUNDS = (
    (5, AgeGroup.AGE_0_5),
    (11, AgeGroup.AGE_6_11),
    (17, AgeGroup.AGE_12_17),
    (59, AgeGroup.AGE_18_59),
)


def age_group_of(age: int | None) -> str:
    if age is None:
        return AgeGroup.UNKNOWN
    for bound, group in AGE_GROUP_BOUNDS:
        if age <= bound:
            return group
    return AgeGroup.AGE_60_PLUS


def age_group_expression(field: str):
    """`age_group_of` in SQL, for figures grouped by the age group of a recorded age."""
    from django.db.models import Case, CharField, Value, When

    return Case(
        When(**{f"{field}__isnull": True}, then=Value(AgeGroup.UNKNOWN)),
        *(When(**{f"{field}__lte": bound}, then=Value(group)) for bound, group in AGE_GROUP_BOUNDS),
        default=Value(AgeGroup.AGE_60_PLUS),
        output_field=CharField(),
    )


class PopulationStatus(models.TextChoices):
    """Population groups of design §4, shared by displacement figures, needs and activity beneficiaries."""

    IDP = "idp", _("Internally displaced")
    IDP_RETURNEE = "idp_returnee", _("Returned IDP")
    REPATRIATE = "repatriate", _("Repatriated refugee")
    REFUGEE = "refugee", _("Refugee")
    HOST = "host", _("Host community")
