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
    # The coarser disaggregation of monitoring tables and HNO data: children or adults, the finer group
    # unknown. Partners' figures come this way and must be kept, not dropped or spread over finer groups.
    CHILDREN = "0_17", _("Children 0-17 years (finer group unknown)")
    ADULTS = "18_plus", _("Adults 18 years and over (finer group unknown)")
    UNKNOWN = "unknown", _("Unknown age")


CHILD_AGE_GROUPS = (AgeGroup.AGE_0_5, AgeGroup.AGE_6_11, AgeGroup.AGE_12_17, AgeGroup.CHILDREN)
ADULT_AGE_GROUPS = (AgeGroup.AGE_18_59, AgeGroup.AGE_60_PLUS, AgeGroup.ADULTS)
# The groups a recorded age falls in (a person's, a survivor's): never the coarse ones.
FINE_AGE_GROUPS = tuple(group for group in AgeGroup if group not in (AgeGroup.CHILDREN, AgeGroup.ADULTS))


class AgeBand(models.TextChoices):
    """Children, adults or unknown: the level every age group adds up to, fine or coarse."""

    CHILDREN = "children", _("Children (0-17 years)")
    ADULTS = "adults", _("Adults (18 years and over)")
    UNKNOWN = "unknown", _("Unknown age")


def age_band_of(age_group: str) -> str:
    if age_group in CHILD_AGE_GROUPS:
        return AgeBand.CHILDREN
    if age_group in ADULT_AGE_GROUPS:
        return AgeBand.ADULTS
    return AgeBand.UNKNOWN


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


def age_band_expression(field: str):
    """`age_band_of` in SQL: the band (children, adults, unknown) of an age group field, fine or coarse;
    None where the field is (a row without victims)."""
    from django.db.models import Case, CharField, Value, When

    return Case(
        When(**{f"{field}__isnull": True}, then=Value(None)),
        When(**{f"{field}__in": [str(group) for group in CHILD_AGE_GROUPS]}, then=Value(AgeBand.CHILDREN)),
        When(**{f"{field}__in": [str(group) for group in ADULT_AGE_GROUPS]}, then=Value(AgeBand.ADULTS)),
        default=Value(AgeBand.UNKNOWN),
        output_field=CharField(),
    )


class PopulationStatus(models.TextChoices):
    """Population groups of design §4, shared by displacement figures, needs and activity beneficiaries."""

    IDP = "idp", _("Internally displaced")
    IDP_RETURNEE = "idp_returnee", _("Returned IDP")
    REPATRIATE = "repatriate", _("Repatriated refugee")
    REFUGEE = "refugee", _("Refugee")
    HOST = "host", _("Host community")
