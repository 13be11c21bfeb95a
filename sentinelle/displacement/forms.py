"""Forms of population movement: they check the shape of the input and name the area; the services
check everything else (levels, dates, totals, permissions) and their errors are attached to the fields.
Each form's cleaned data are its service's keyword arguments."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sentinelle.core.codes import AgeGroup, PopulationStatus, Sex
from sentinelle.core.permissions import Perm
from sentinelle.displacement.models import (
    FIGURE_STATUS_CHOICES,
    EventCause,
    FigureSource,
    ReturnCondition,
)
from sentinelle.geography.fields import AreaField
from sentinelle.geography.models import AdminLevel

BREAKDOWN_CELLS = [(sex, age) for sex in Sex.values for age in AgeGroup.values]


def _blank(choices) -> list:
    return [("", "—"), *choices]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


# Where population figures are recorded: cercles and communes (regions too for people in need); the
# pickers offer the user's own areas for this work, and the services check the levels.
RECORDED_LEVELS = (AdminLevel.CERCLE, AdminLevel.COMMUNE)
CERCLE_OR_COMMUNE = _("Type a name (or a P-code, ML0501) and pick the cercle or commune.")


def _recorded_area(label, *, levels=RECORDED_LEVELS, help_text=CERCLE_OR_COMMUNE, **kwargs) -> AreaField:
    return AreaField(label=label, perm=Perm.POPULATION_MANAGE, levels=levels, help_text=help_text, **kwargs)


class _OrganisationForm(forms.Form):
    organisation = forms.ModelChoiceField(label=_("Reporting organisation"), queryset=None)

    def __init__(self, *args, organisations, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        for field in self.fields.values():
            if isinstance(field, AreaField):
                field.limit_for(user)
        if organisations.count() == 1 and not self.initial.get("organisation"):
            self.initial["organisation"] = organisations.first()


class FigureForm(_OrganisationForm):
    area = _recorded_area(_("Area"))
    round_date = forms.DateField(label=_("Date of the round"), widget=DateInput())
    status = forms.ChoiceField(label=_("Population status"), choices=_blank(FIGURE_STATUS_CHOICES))
    source = forms.ChoiceField(label=_("Source"), choices=FigureSource.choices)
    households = forms.IntegerField(label=_("Households"), min_value=0, required=False)
    individuals = forms.IntegerField(label=_("Individuals"), min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for sex, age in BREAKDOWN_CELLS:
            self.fields[f"n_{sex}_{age}"] = forms.IntegerField(
                label=f"{Sex(sex).label} · {AgeGroup(age).label}", min_value=0, required=False
            )

    def breakdown_fields(self):
        return [self[f"n_{sex}_{age}"] for sex, age in BREAKDOWN_CELLS]

    def main_fields(self):
        return [self[name] for name in ("organisation", "area", "round_date", "status", "source")] + [
            self["households"],
            self["individuals"],
        ]

    @classmethod
    def initial_for(cls, figure, breakdown: dict) -> dict:
        initial = {
            name: getattr(figure, name)
            for name in (
                "organisation",
                "area",
                "round_date",
                "status",
                "source",
                "households",
                "individuals",
            )
        }
        initial.update({f"n_{sex}_{age}": count for (sex, age), count in breakdown.items()})
        return initial

    def clean(self):
        """The cells by sex and age become one `breakdown` ((sex, age group) -> count, empty cells left out),
        so that the cleaned data are figure_record's arguments."""
        cleaned = super().clean()
        cleaned["breakdown"] = {
            (sex, age): cleaned[f"n_{sex}_{age}"]
            for sex, age in BREAKDOWN_CELLS
            if cleaned.get(f"n_{sex}_{age}")
        }
        for sex, age in BREAKDOWN_CELLS:
            cleaned.pop(f"n_{sex}_{age}", None)
        return cleaned


class EventForm(_OrganisationForm):
    date = forms.DateField(label=_("Date of the displacement"), widget=DateInput())
    destination_area = _recorded_area(_("Area of arrival"))
    # People may come from anywhere: the origin is not limited to the user's areas.
    origin_area = AreaField(
        label=_("Area of origin"), required=False, help_text=_("Leave empty when the origin is not known.")
    )
    individuals = forms.IntegerField(label=_("Individuals"), min_value=1)
    households = forms.IntegerField(label=_("Households"), min_value=0, required=False)
    cause = forms.ChoiceField(label=_("Cause"), choices=_blank(EventCause.choices))
    source = forms.ChoiceField(label=_("Source"), choices=FigureSource.choices)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What happened, without any name or detail that identifies someone."),
    )


class IntentionForm(_OrganisationForm):
    area = _recorded_area(_("Area"))
    survey_date = forms.DateField(label=_("Date of the survey"), widget=DateInput())
    population_status = forms.ChoiceField(label=_("Population status"), choices=_blank(FIGURE_STATUS_CHOICES))
    households_surveyed = forms.IntegerField(label=_("Households surveyed"), min_value=0)
    wish_return = forms.IntegerField(label=_("Wish to return"), min_value=0)
    wish_stay = forms.IntegerField(label=_("Wish to stay"), min_value=0)
    wish_elsewhere = forms.IntegerField(label=_("Wish to settle elsewhere"), min_value=0)
    conditions = forms.MultipleChoiceField(
        label=_("Conditions for return named"),
        choices=ReturnCondition.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    source = forms.ChoiceField(label=_("Source"), choices=FigureSource.choices)


class NeedForm(_OrganisationForm):
    area = _recorded_area(
        _("Area"),
        levels=(AdminLevel.REGION, *RECORDED_LEVELS),
        help_text=_("Type a name (or a P-code) and pick the region, cercle or commune."),
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    population_status = forms.ChoiceField(
        label=_("Population group"), choices=_blank(PopulationStatus.choices)
    )
    people_in_need = forms.IntegerField(label=_("People in need"), min_value=0)
    source = forms.CharField(label=_("Source"), max_length=100, help_text=_("e.g. HNO 2024"))


# --- Filters --------------------------------------------------------------------------------------


class _FilterForm(forms.Form):
    area = AreaField(label=_("Area"), required=False, help_text="")

    def value(self, name: str):
        return self.cleaned_data.get(name) if self.is_valid() else None

    def filters(self) -> dict:
        """Every filter by name (the selector's keyword arguments), None when not given or not valid."""
        return {name: self.value(name) or None for name in self.fields}


class OverviewForm(_FilterForm):
    as_of = forms.DateField(label=_("As of"), required=False, widget=DateInput())


class FigureFilterForm(_FilterForm):
    status = forms.ChoiceField(
        label=_("Population status"), choices=_blank(FIGURE_STATUS_CHOICES), required=False
    )
    source = forms.ChoiceField(label=_("Source"), choices=_blank(FigureSource.choices), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())


class EventFilterForm(_FilterForm):
    cause = forms.ChoiceField(label=_("Cause"), choices=_blank(EventCause.choices), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())


class NeedFilterForm(_FilterForm):
    year = forms.IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
    population_status = forms.ChoiceField(
        label=_("Population group"), choices=_blank(PopulationStatus.choices), required=False
    )
