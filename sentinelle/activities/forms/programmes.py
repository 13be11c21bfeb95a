"""Forms of programmes and projects: what people type; the services (services/programmes.py) decide.

Each form's cleaned data are its service's keyword arguments.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from sentinelle.accounts.models import Organisation
from sentinelle.activities.models import Currency, Programme
from sentinelle.geography.models import AdminArea, AdminLevel
from sentinelle.geography.selectors import cod_version_default


def _date(label, **kwargs):
    return forms.DateField(
        label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs
    )


class _ReferenceForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=300)
    start_date = _date(_("Start"))
    end_date = _date(_("End"))
    budget = forms.DecimalField(
        label=_("Budget"), required=False, min_value=0, max_digits=16, decimal_places=2
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial=Currency.XOF)
    donors = forms.ModelMultipleChoiceField(
        label=_("Donors"),
        required=False,
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    areas = forms.ModelMultipleChoiceField(
        label=_("Areas"),
        required=False,
        queryset=AdminArea.objects.none(),
        help_text=_("Regions and cercles where it works."),
    )

    def __init__(self, *args, organisations=None, donors=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["donors"].queryset = donors if donors is not None else Organisation.objects.none()
        self.fields["areas"].queryset = (
            AdminArea.objects.filter(
                version=cod_version_default(), level__in=(AdminLevel.REGION, AdminLevel.CERCLE)
            )
            .defer("geometry", "bbox")
            .order_by("path")
        )
        self.fields["areas"].label_from_instance = lambda a: (
            a.name_fr if a.level == AdminLevel.REGION else f"— {a.name_fr}"
        )

    @classmethod
    def initial_for(cls, instance) -> dict:
        """The form's values for an existing programme or project (its lists of organisations and areas)."""
        initial = {}
        for name in cls.base_fields:
            value = getattr(instance, name)
            initial[name] = list(value.all()) if hasattr(value, "all") else value
        return initial


class ProgrammeForm(_ReferenceForm):
    lead_organisation = forms.ModelChoiceField(
        label=_("Lead organisation"), queryset=Organisation.objects.none()
    )
    implementing_partners = forms.ModelMultipleChoiceField(
        label=_("Implementing partners"),
        required=False,
        queryset=Organisation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    field_order = [
        "code",
        "name",
        "lead_organisation",
        "donors",
        "implementing_partners",
        "start_date",
        "end_date",
        "budget",
        "currency",
        "areas",
        "description",
    ]

    def __init__(self, *args, organisations=None, partners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_organisation"].queryset = organisations
        self.fields["implementing_partners"].queryset = partners
        self.order_fields(self.field_order)


class ProjectForm(_ReferenceForm):
    organisation = forms.ModelChoiceField(
        label=_("Implementing organisation"), queryset=Organisation.objects.none()
    )
    programme = forms.ModelChoiceField(
        label=_("Programme"), required=False, queryset=Programme.objects.none()
    )
    field_order = [
        "code",
        "name",
        "organisation",
        "programme",
        "donors",
        "start_date",
        "end_date",
        "budget",
        "currency",
        "areas",
    ]

    def __init__(self, *args, organisations=None, programmes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["programme"].queryset = programmes
        self.order_fields(self.field_order)
