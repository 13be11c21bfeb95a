"""Forms of the directory: they check the shape of input and turn place names into areas, nothing more."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from sentinelle.accounts.models import Organisation, User
from sentinelle.directory.models import Cost, ServiceStatus, ServiceType
from sentinelle.geography.fields import AreaField
from sentinelle.geography.models import AdminLevel
from sentinelle.geography.selectors import (
    AreaLookupError,
    area_pick,
    settlement_find_by_name,
    settlement_get_by_pcode,
)

_SEPARATORS = re.compile(r"[\n;,]+")


def area_label(area) -> str:
    return f"{area.name_fr} ({area.pcode})"


def resolve_place(value: str):
    """One area for a name, a P-code or "Name (P-code)" (the code wins, so that edited values resolve
    exactly); AreaLookupError with a French message."""
    return area_pick(value)


class SearchForm(forms.Form):
    place = forms.CharField(
        label=_("Commune or cercle"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    area = forms.UUIDField(required=False, widget=forms.HiddenInput)
    cercle = forms.ChoiceField(label=_("or pick a cercle"), required=False)
    type = forms.ChoiceField(
        label=_("Type of service"), required=False, choices=[("", _("All types")), *ServiceType.choices]
    )
    q = forms.CharField(label=_("Name or organisation"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[(ServiceStatus.ACTIVE, ServiceStatus.ACTIVE.label), ("all", _("All statuses"))]
        + [choice for choice in ServiceStatus.choices if choice[0] != ServiceStatus.ACTIVE],
    )

    def __init__(self, *args, cercles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cercle"].choices = [("", "—"), *cercles]

    def status_filter(self) -> str:
        value = self.cleaned_data.get("status") or ServiceStatus.ACTIVE
        return "" if value == "all" else value


class ServiceForm(forms.Form):
    name = forms.CharField(label=_("Name of the service"), max_length=200)
    service_type = forms.ChoiceField(label=_("Type of service"), choices=ServiceType.choices)
    provider = forms.ModelChoiceField(label=_("Provider"), queryset=Organisation.objects.none())
    area = AreaField(
        label=_("Commune where it is delivered"),
        levels=(AdminLevel.COMMUNE,),
        help_text=_("Type the name and pick the commune (or its P-code, e.g. ML050606)."),
    )
    settlement = forms.CharField(label=_("Settlement (village, quartier)"), max_length=120, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    areas_served = forms.CharField(
        label=_("Areas served"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One per line (names or P-codes: regions, cercles, communes). Empty: the communes of the "
            "cercle where the service is delivered."
        ),
    )
    opening_hours = forms.CharField(label=_("Opening hours"), max_length=200, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    languages = forms.CharField(
        label=_("Languages"), max_length=200, required=False, help_text=_("e.g. Bambara, Fulfulde, French")
    )
    cost = forms.ChoiceField(label=_("Cost"), choices=Cost.choices, initial=Cost.FREE)
    eligibility = forms.CharField(
        label=_("Eligibility"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    capacity_per_month = forms.IntegerField(label=_("Capacity per month"), min_value=0, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=ServiceStatus.choices, initial=ServiceStatus.ACTIVE)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers
        if providers.count() == 1 and not self.initial.get("provider"):
            self.initial["provider"] = providers.first()

    @classmethod
    def initial_for(cls, service) -> dict:
        initial = {name: getattr(service, name) for name in cls.base_fields}
        initial["settlement"] = service.settlement.name if service.settlement else ""
        initial["areas_served"] = "\n".join(area_label(area) for area in service.areas_served.all())
        return initial

    def clean_areas_served(self):
        areas, problems = [], []
        for token in _SEPARATORS.split(self.cleaned_data.get("areas_served") or ""):
            if not token.strip():
                continue
            try:
                areas.append(resolve_place(token.strip()))
            except AreaLookupError as error:
                problems.append(error.message)
        if problems:
            raise forms.ValidationError(problems)
        return areas

    def clean(self):
        cleaned = super().clean()
        area, name = cleaned.get("area"), (cleaned.get("settlement") or "").strip()
        cleaned["settlement"] = None
        if area is not None and name:
            settlement = settlement_get_by_pcode(name, version=area.version)
            if settlement is None:
                commune = area if area.level <= AdminLevel.COMMUNE else area.parent
                found = list(settlement_find_by_name(name, parent=commune)[:2])
                if len(found) != 1:
                    self.add_error(
                        "settlement",
                        _("No single settlement named “%(name)s” near %(area)s: give its P-code.")
                        % {"name": name, "area": area.name_fr},
                    )
                    return cleaned
                settlement = found[0]
            cleaned["settlement"] = settlement
        return cleaned


class FocalPointsForm(forms.Form):
    focal_points = forms.ModelMultipleChoiceField(
        label=_("Focal points"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("They receive the referrals sent to this service."),
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["focal_points"].queryset = members
        self.fields["focal_points"].label_from_instance = lambda user: (
            f"{user.display_name} ({user.username})"
        )
