"""Forms of the reports: generate a monthly analysis or a quarterly report, edit the narrative."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sentinelle.geography.models import AdminArea
from sentinelle.reports.analysis import month_bounds, previous_month
from sentinelle.reports.quarterly import previous_quarter, quarter_bounds


class MonthlyForm(forms.Form):
    month = forms.CharField(
        label=_("Month"), widget=forms.DateInput(attrs={"type": "month"}), help_text=_("Year and month.")
    )
    region = forms.ModelChoiceField(
        label=_("Region"),
        queryset=AdminArea.objects.none(),
        required=False,
        empty_label=_("All of Mali"),
        help_text=_("Optional: the analysis of one region."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = AdminArea.objects.filter(version__is_default=True, level=1).order_by(
            "name_fr"
        )
        self.fields["region"].label_from_instance = lambda area: area.name_fr
        if not self.is_bound:
            self.initial.setdefault("month", previous_month(timezone.localdate())[0].strftime("%Y-%m"))

    def clean_month(self):
        try:
            day = datetime.datetime.strptime(self.cleaned_data["month"].strip(), "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("Give the month as YYYY-MM.")) from None
        if day > timezone.localdate():
            raise forms.ValidationError(_("The month has not started yet."))
        return month_bounds(day)


class QuarterlyForm(forms.Form):
    framework = forms.ModelChoiceField(label=_("Results framework"), queryset=None)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        coerce=int,
        choices=[(q, _("Q%(quarter)s") % {"quarter": q}) for q in (1, 2, 3, 4)],
    )

    def __init__(self, *args, frameworks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["framework"].queryset = frameworks
        self.fields["framework"].label_from_instance = lambda framework: (
            f"{framework.code} — {framework.name}"
        )
        if not self.is_bound:
            year, quarter = previous_quarter(timezone.localdate())
            self.initial.setdefault("year", year)
            self.initial.setdefault("quarter", quarter)

    def clean(self):
        data = super().clean()
        if "year" in data and "quarter" in data:
            data["period"] = quarter_bounds(data["year"], data["quarter"])
        return data


class NarrativeForm(forms.Form):
    def __init__(self, *args, sections: list[tuple[str, str]], narrative: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for key, title in sections:
            self.fields[key] = forms.CharField(
                label=title,
                required=False,
                max_length=20_000,
                initial=narrative.get(key, ""),
                widget=forms.Textarea(attrs={"rows": 6}),
            )
