"""Forms of results frameworks: framework, result, indicator (with its computation), target, manual value.

Forms parse and check what a form can check; the services validate again (the computation grammar with
the same French messages) and decide.
"""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from sentinelle.accounts.models import Organisation
from sentinelle.activities import computations
from sentinelle.activities.models import (
    Disaggregation,
    IndicatorSource,
    IndicatorUnit,
    NodeLevel,
    Programme,
    ResultNode,
)
from sentinelle.geography.models import AdminArea

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodForm(forms.Form):
    """The period and area the framework and indicator pages show."""

    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False)
    quarter = forms.TypedChoiceField(label=_("Quarter"), coerce=int, required=False)
    area = forms.ModelChoiceField(
        label=_("Region"), queryset=AdminArea.objects.none(), required=False, to_field_name="pcode"
    )

    def __init__(self, *args, years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("Default period"))] + [(year, str(year)) for year in years]
        self.fields["quarter"].choices = [("", _("Whole year"))] + [
            (number, gettext("Quarter %(number)s") % {"number": number}) for number in (1, 2, 3, 4)
        ]
        self.fields["area"].queryset = AdminArea.objects.filter(level=1, version__is_default=True).order_by(
            "name_fr"
        )
        self.fields["area"].empty_label = _("All of Mali")


class FrameworkForm(forms.Form):
    code = forms.CharField(label=_("code"), max_length=40)
    name = forms.CharField(label=_("name"), max_length=300)
    programme = forms.ModelChoiceField(
        label=_("programme"), queryset=Programme.objects.none(), required=False
    )
    owner_organisation = forms.ModelChoiceField(label=_("owner"), queryset=Organisation.objects.none())
    start_date = forms.DateField(label=_("start"), widget=DATE)
    end_date = forms.DateField(label=_("end"), widget=DATE)
    description = forms.CharField(
        label=_("description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = Programme.objects.filter(is_archived=False).order_by("code")
        self.fields["owner_organisation"].queryset = (
            owners if owners is not None else Organisation.objects.none()
        )

    @staticmethod
    def initial_for(framework) -> dict:
        return {name: getattr(framework, name) for name in FrameworkForm.base_fields}


class NodeForm(forms.Form):
    level = forms.ChoiceField(label=_("level"), choices=NodeLevel.choices)
    parent = forms.ModelChoiceField(label=_("under"), queryset=ResultNode.objects.none(), required=False)
    code = forms.CharField(label=_("code"), max_length=40)
    title_fr = forms.CharField(
        label=_("title (French)"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    title_en = forms.CharField(
        label=_("title (English)"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    order = forms.IntegerField(label=_("order"), min_value=0, initial=0, required=False)

    def __init__(self, *args, framework, exclude=None, **kwargs):
        super().__init__(*args, **kwargs)
        parents = ResultNode.objects.filter(framework=framework, is_archived=False).exclude(
            level=NodeLevel.OUTPUT
        )
        if exclude is not None:
            parents = parents.exclude(pk=exclude.pk)
        self.fields["parent"].queryset = parents.order_by("order", "code")

    @staticmethod
    def initial_for(node) -> dict:
        return {name: getattr(node, name) for name in NodeForm.base_fields}


class IndicatorForm(forms.Form):
    node = forms.ModelChoiceField(label=_("result"), queryset=ResultNode.objects.none())
    code = forms.CharField(label=_("code"), max_length=40)
    name_fr = forms.CharField(
        label=_("name (French)"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    name_en = forms.CharField(
        label=_("name (English)"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    unit = forms.ChoiceField(label=_("unit"), choices=IndicatorUnit.choices)
    baseline = forms.DecimalField(label=_("baseline"), max_digits=14, decimal_places=2, required=False)
    source = forms.ChoiceField(label=_("source"), choices=IndicatorSource.choices)
    computation = forms.CharField(
        label=_("computation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "mono"}),
        help_text=_(
            'JSON, for example {"kind": "value", "dataset": "referrals", "measure": "count", '
            '"filters": {"service_type": "pss", "status": "completed"}} or {"kind": "ratio", '
            '"numerator": {...}, "denominator": {...}, "scale": 100}.'
        ),
    )
    disaggregations = forms.MultipleChoiceField(
        label=_("disaggregations"),
        choices=Disaggregation.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    means_of_verification = forms.CharField(
        label=_("means of verification"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    order = forms.IntegerField(label=_("order"), min_value=0, initial=0, required=False)

    def __init__(self, *args, framework, **kwargs):
        super().__init__(*args, **kwargs)
        self.framework = framework
        self.fields["node"].queryset = ResultNode.objects.filter(
            framework=framework, is_archived=False
        ).order_by("order", "code")

    def clean_computation(self):
        return computations.parse(self.cleaned_data.get("computation", ""))

    def clean(self):
        data = super().clean()
        if data.get("source") == IndicatorSource.COMPUTED and "computation" in data:
            errors = computations.computation_errors(
                data["computation"],
                disaggregations=data.get("disaggregations") or [],
                has_programme=self.framework.programme_id is not None,
            )
            if errors:
                self.add_error("computation", ValidationError(errors))
        return data

    @staticmethod
    def initial_for(indicator) -> dict:
        initial = {name: getattr(indicator, name) for name in IndicatorForm.base_fields}
        initial["computation"] = (
            json.dumps(indicator.computation, ensure_ascii=False, indent=2) if indicator.computation else ""
        )
        return initial


class TargetForm(forms.Form):
    period_start = forms.DateField(label=_("from"), widget=DATE)
    period_end = forms.DateField(label=_("to"), widget=DATE)
    area = forms.ModelChoiceField(
        label=_("area"), queryset=AdminArea.objects.none(), required=False, to_field_name="pcode"
    )
    value = forms.DecimalField(label=_("target"), max_digits=14, decimal_places=2, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = AdminArea.objects.filter(
            level__in=(1, 2), version__is_default=True
        ).order_by("path")
        self.fields["area"].empty_label = _("All of Mali")


class ValueForm(forms.Form):
    period_start = forms.DateField(label=_("from"), widget=DATE)
    period_end = forms.DateField(label=_("to"), widget=DATE)
    area = forms.ModelChoiceField(
        label=_("area"), queryset=AdminArea.objects.none(), required=False, to_field_name="pcode"
    )
    value = forms.DecimalField(label=_("value"), max_digits=14, decimal_places=2, min_value=0)
    evidence = forms.CharField(
        label=_("evidence"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The report, list or minutes this value comes from, and where to find it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = AdminArea.objects.filter(
            level__in=(1, 2), version__is_default=True
        ).order_by("path")
        self.fields["area"].empty_label = _("All of Mali")
