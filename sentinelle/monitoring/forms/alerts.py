"""Forms of the alert pages: they check the shape of the input; the services check the rest."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sentinelle.geography.fields import AreaField
from sentinelle.geography.models import AdminLevel
from sentinelle.monitoring.models import AlertRule, Category, ViolationType

LEVEL_CHOICES = [
    (level.value, level.label) for level in (AdminLevel.REGION, AdminLevel.CERCLE, AdminLevel.COMMUNE)
]


class AlertRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    kind = forms.ChoiceField(label=_("Kind"), choices=AlertRule.Kind.choices, widget=forms.RadioSelect)
    categories = forms.MultipleChoiceField(
        label=_("Categories"),
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any category."),
    )
    violation_types = forms.MultipleChoiceField(
        label=_("Grave violations against children"),
        choices=ViolationType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: any incident, with or without a grave violation."),
    )
    area = AreaField(
        label=_("Within (name or P-code)"),
        required=False,
        levels=[level for level, _label in LEVEL_CHOICES],
        help_text=_("Type a name and pick the region, cercle or commune. Empty: the whole country."),
    )
    area_level = forms.TypedChoiceField(
        label=_("Count per area of level"), choices=LEVEL_CHOICES, coerce=int, initial=AdminLevel.CERCLE
    )
    metric = forms.ChoiceField(label=_("What is counted"), choices=AlertRule.Metric.choices)
    threshold = forms.IntegerField(
        label=_("Threshold"),
        min_value=1,
        initial=1,
        help_text=_(
            "Threshold rules: the total in the window. “Every incident” rules: what one incident must reach."
        ),
    )
    window_days = forms.IntegerField(label=_("Window (days)"), min_value=1, max_value=366, initial=7)
    webhook_url = forms.URLField(
        label=_("Webhook URL (optional)"),
        required=False,
        assume_scheme="https",
        help_text=_("Receives a JSON POST for each alert of this rule, without identifying data."),
    )

    @classmethod
    def initial_for(cls, rule: AlertRule) -> dict:
        initial = {name: getattr(rule, name) for name in cls.base_fields if name != "area"}
        initial["area"] = rule.area if rule.area_id else ""
        return initial


class FlashReportForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    what = forms.CharField(label=_("What happened"), required=False, widget=forms.Textarea(attrs={"rows": 6}))
    where = forms.CharField(label=_("Where"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    when = forms.CharField(label=_("When"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    victims = forms.CharField(
        label=_("Victims by sex and age"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    displacement = forms.CharField(
        label=_("Displacement"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    perpetrators = forms.CharField(
        label=_("Alleged perpetrators"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Categories only, never a name."),
    )
    immediate_needs = forms.CharField(
        label=_("Immediate needs"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": _("Health, shelter, food, protection, psychosocial support…")}
        ),
        help_text=_(
            "To be filled in before publishing: the needs reported by the partners on the ground "
            "(write “none known” if there are none)."
        ),
    )
    response = forms.CharField(
        label=_("Response under way"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, suggested_needs: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if suggested_needs:
            # The needs the incidents' categories usually call for: shown, never filled in for the IMO
            # (publishing waits for the needs the partners report).
            field = self.fields["immediate_needs"]
            field.help_text = format_lazy("{} {}", field.help_text, suggested_needs)

    @classmethod
    def initial_for(cls, report) -> dict:
        return {name: getattr(report, name) for name in cls.base_fields}


class AreaFollowForm(forms.Form):
    area = AreaField(label=_("Area (name or P-code)"), levels=[level for level, _label in LEVEL_CHOICES])
