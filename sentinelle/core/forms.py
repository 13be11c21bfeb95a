from django import forms
from django.utils.translation import gettext_lazy as _

from sentinelle.core.models import AuditAction, AuditOutcome


class AuditFilterForm(forms.Form):
    username = forms.CharField(label=_("User"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", "—"), *AuditAction.choices])
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=[("", "—"), *AuditOutcome.choices]
    )
    object_id = forms.CharField(label=_("Object identifier"), required=False, max_length=64)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
