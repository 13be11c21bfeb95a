"""Field builders and constants shared by the incident forms."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from sentinelle.monitoring.models import (
    Category,
)

BLANK = [("", "—")]
YES_NO = [("yes", _("Yes")), ("no", _("No"))]
# Categories whose typed details have a section of their own in the form.
SECTION_OF_CATEGORY = {
    Category.GBV: "gbv",
    Category.CHILD_RIGHTS: "violations",
    Category.EXPLOSIVE: "explosive",
}
# Child victims of a grave violation: the coarse group (children 0-17, the finer group unknown) after the
# fine ones, so that a violation imported with it is edited without losing it.
CHILD_CELLS = ("0_5", "6_11", "12_17", "0_17", "unknown")
# What is recorded of a GBV incident: the allegation (protection monitoring), or the survivor's GBVIMS record,
# which only GBV service providers may give (Perm.GBV_SURVIVOR_RECORD); monitors are never asked for it.
GBV_ALLEGATION, GBV_SURVIVOR = "allegation", "survivor"
GBV_LEVELS = [
    (GBV_ALLEGATION, _("Allegation only, without survivor details")),
    (GBV_SURVIVOR, _("Survivor details (GBV form, with the survivor's consent)")),
]
COORDINATES = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*[,;\s]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


def choice_field(choices, *, label, blank=False, **kwargs):
    kwargs.setdefault("required", True)
    return forms.ChoiceField(label=label, choices=(BLANK if blank else []) + list(choices), **kwargs)


def count_field(label, *, cell=False):
    """A count; a cell of a grid has no visible label of its own, so it carries it for screen readers."""
    attrs = {"inputmode": "numeric", "min": 0}
    if cell:
        attrs["aria-label"] = label
    return forms.IntegerField(label=label, required=False, min_value=0, widget=forms.NumberInput(attrs=attrs))


def date_field(label, **kwargs):
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}), **kwargs)


# IncidentForm fields handed as they are to the services (and read back from an Incident to edit it).
MAIN_PLAIN_FIELDS = [
    *("date_start", "date_end", "date_reported", "coordinates", "perpetrator_category", "source_mechanism"),
    *("summary", "account", "displaced_households", "displaced_individuals", "reliability", "sharing_level"),
]
CONFIDENTIAL = ("account", "coordinates")


def victim_field_name(outcome: str, sex: str, age_group: str) -> str:
    return f"v_{outcome}_{sex}_{age_group}"
