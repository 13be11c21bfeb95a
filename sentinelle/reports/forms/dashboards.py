"""The one filter form of every dashboard: period (with quick choices), area, category, organisation and
population status. It only reads the query string; `scope_values` gives what DashboardScope takes."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sentinelle.accounts.selectors import organisation_list
from sentinelle.core import datasets
from sentinelle.core.codes import PopulationStatus
from sentinelle.core.permissions import Perm, has_perm
from sentinelle.geography.fields import AreaField
from sentinelle.geography.models import AdminLevel

PERIODS = [
    ("last_12_months", _("Last 12 months")),
    ("last_month", _("Last month")),
    ("last_quarter", _("Last quarter")),
    ("this_year", _("This year")),
    ("custom", _("Dates given")),
]
DEFAULT_PERIOD = "last_12_months"
# Readers' figures cover calendar months, quarters or years (core.disclosure.reader_period): twelve
# rolling months would be widened to two years, so their page opens on this year.
READER_DEFAULT_PERIOD = "this_year"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def period_dates(period: str, today: datetime.date) -> tuple[datetime.date | None, datetime.date | None]:
    """The first and last day of a quick choice, relative to `today` (calendar months and quarters)."""
    first_of_month = today.replace(day=1)
    if period == "last_month":
        end = first_of_month - datetime.timedelta(days=1)
        return end.replace(day=1), end
    if period == "last_quarter":
        quarter_start = first_of_month.replace(month=3 * ((today.month - 1) // 3) + 1)
        end = quarter_start - datetime.timedelta(days=1)
        return end.replace(month=3 * ((end.month - 1) // 3) + 1, day=1), end
    if period == "this_year":
        return today.replace(month=1, day=1), today
    if period == "last_12_months":
        month = first_of_month.month - 11
        year = first_of_month.year + (month - 1) // 12
        return datetime.date(year, (month - 1) % 12 + 1, 1), today
    return None, None


def _category_choices():
    choices = datasets.get("incidents").dimensions["category"].choices or {}
    return [("", _("All categories")), *choices.items()]


class DashboardFilterForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    area = AreaField(
        label=_("Area"),
        required=False,
        levels=(AdminLevel.REGION, AdminLevel.CERCLE, AdminLevel.COMMUNE),
        help_text=_("Type a name and pick the region, cercle or commune (or a P-code). Empty: all of Mali."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=(), required=False)
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=None,
        required=False,
        to_field_name="acronym",
        empty_label=_("All organisations"),
    )
    population_status = forms.ChoiceField(
        label=_("Population status"),
        choices=[("", _("All population groups")), *PopulationStatus.choices],
        required=False,
    )

    def __init__(self, *args, user, fixed_area=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_area = fixed_area
        exact = has_perm(user, Perm.STATS_EXACT)
        self.default_period = DEFAULT_PERIOD if exact else READER_DEFAULT_PERIOD
        self.fields["period"].initial = self.default_period
        self.fields["category"].choices = _category_choices()
        self.fields["organisation"].queryset = organisation_list(user=user).only("pk", "acronym", "name")
        if fixed_area is not None:
            del self.fields["area"]

    def clean(self):
        cleaned = super().clean()
        # Dates typed in win over the quick choice; no dates and no choice: the default period.
        if cleaned.get("date_from") or cleaned.get("date_to"):
            cleaned["period"] = "custom"
        else:
            period = cleaned.get("period") or self.default_period
            period = self.default_period if period == "custom" else period
            cleaned["period"] = period
            cleaned["date_from"], cleaned["date_to"] = period_dates(period, timezone.localdate())
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise ValidationError({"date_to": _("The end of the period is before its start.")})
        return cleaned

    def scope_values(self) -> dict:
        """The values for DashboardScope: the form's when valid, the default period otherwise."""
        if self.is_bound and self.is_valid():
            data = self.cleaned_data
        else:
            start, end = period_dates(self.default_period, timezone.localdate())
            data = {"date_from": start, "date_to": end}
        return {
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "area": self.fixed_area if self.fixed_area is not None else data.get("area"),
            "organisation": data.get("organisation"),
            "category": data.get("category") or "",
            "population_status": data.get("population_status") or "",
        }
