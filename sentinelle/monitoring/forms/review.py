"""Forms of the incident list (filters) and of the review (rejection)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sentinelle.geography.fields import AreaField
from sentinelle.monitoring.models import (
    Category,
    IncidentStatus,
    SourceMechanism,
)

from .fields import BLANK, choice_field, date_field


class IncidentFilterForm(forms.Form):
    """The list's filters; the selector applies them within the user's scope."""

    area = AreaField(label=_("Area (name or P-code, any level)"), required=False)
    date_from = date_field(_("From"), required=False)
    date_to = date_field(_("To"), required=False)
    category = choice_field(Category.choices, label=_("Category"), blank=True, required=False)
    organisation = forms.ChoiceField(label=_("Organisation"), required=False)
    status = choice_field(IncidentStatus.choices, label=_("Status"), blank=True, required=False)
    source_mechanism = choice_field(SourceMechanism.choices, label=_("Source"), blank=True, required=False)
    q = forms.CharField(label=_("Reference"), required=False, max_length=32)

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {str(o.public_id): o for o in organisations}
        self.fields["organisation"].choices = BLANK + [
            (key, o.acronym) for key, o in self.organisations.items()
        ]

    def filters(self) -> dict:
        """The valid filters (an invalid one is reported next to its field and left out)."""
        self.is_valid()
        data = dict(self.cleaned_data)
        data["organisation"] = self.organisations.get(data.get("organisation") or "")
        return {key: value for key, value in data.items() if value not in (None, "", [])}


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the rejection"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The reporting organisation sees it. No names."),
    )
