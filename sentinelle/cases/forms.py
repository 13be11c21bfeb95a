"""Forms of case management: they check the shape of input and turn a typed commune into an area; the
rules (consent, scope, steps) are in the services."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sentinelle.accounts.models import Organisation
from sentinelle.cases.models import (
    Assistance,
    CaseType,
    ClosureReason,
    ConsentGivenBy,
    ConsentPurpose,
    DisplacementStatus,
    FollowUp,
    Reunification,
    RiskLevel,
    Urgency,
)
from sentinelle.cases.services.referrals import referral_form_fields
from sentinelle.core.codes import Sex
from sentinelle.core.permissions import Perm
from sentinelle.directory.models import ServiceType
from sentinelle.geography.fields import AreaField
from sentinelle.geography.models import AdminLevel

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
EXTERNAL = "external"


class PersonForm(forms.Form):
    """Search before create: the same fields search the register and then register the person."""

    given_name = forms.CharField(label=_("Given name"), max_length=100)
    family_name = forms.CharField(label=_("Family name"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    age = forms.IntegerField(
        label=_("Age (years, estimated if unknown)"), min_value=0, max_value=120, required=False
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    commune = AreaField(
        label=_("Commune where the person lives"),
        perm=Perm.PERSON_CREATE,
        levels=(AdminLevel.COMMUNE,),
        help_text=_("Type the name and pick the commune, e.g. Sévaré."),
    )
    # Asked only when registering.
    other_names = forms.CharField(label=_("Other names or nicknames"), max_length=200, required=False)
    age_estimated = forms.BooleanField(label=_("Age estimated"), required=False)
    displacement_status = forms.ChoiceField(
        label=_("Displacement status"),
        choices=DisplacementStatus.choices,
        initial=DisplacementStatus.HOST,
        required=False,  # asked only once the search was shown
    )
    has_disability = forms.BooleanField(label=_("Person with disability"), required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    caregiver_name = forms.CharField(label=_("Caregiver"), max_length=200, required=False)
    caregiver_phone = forms.CharField(label=_("Caregiver's phone"), max_length=30, required=False)

    SEARCH_FIELDS = ("given_name", "family_name", "phone", "age", "sex", "commune")
    AUTOCOMPLETE_OFF = True

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("autocomplete", "off")
        if user is not None:  # the view always gives it: only the communes where the user may register
            self.fields["commune"].limit_for(user)

    def search_fields(self):
        return [self[name] for name in self.SEARCH_FIELDS]

    def more_fields(self):
        return [self[name] for name in self.fields if name not in self.SEARCH_FIELDS]

    def query(self) -> dict:
        data = self.cleaned_data
        return {
            "given_name": data["given_name"],
            "family_name": data.get("family_name", ""),
            "phone": data.get("phone", ""),
            "age": data.get("age"),
            "sex": data.get("sex"),
            "area": data["commune"],
        }

    def registration(self) -> dict:
        data = self.cleaned_data
        values = self.query()
        for name in ("other_names", "age_estimated", "displacement_status", "has_disability", "address"):
            values[name] = data.get(name)
        values["caregiver_name"] = data.get("caregiver_name", "")
        values["caregiver_phone"] = data.get("caregiver_phone", "")
        values["displacement_status"] = values["displacement_status"] or DisplacementStatus.HOST
        values["other_names"] = values["other_names"] or ""
        values["address"] = values["address"] or ""
        return values


class CaseOpenForm(forms.Form):
    case_type = forms.ChoiceField(label=_("Type of case"), choices=CaseType.choices)
    risk_level = forms.ChoiceField(
        label=_("Risk level (if already known)"), choices=[("", "—"), *RiskLevel.choices], required=False
    )


class AssessmentForm(forms.Form):
    risk_level = forms.ChoiceField(label=_("Risk level"), choices=RiskLevel.choices)
    needs = forms.MultipleChoiceField(
        label=_("Needs (service types)"),
        choices=ServiceType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    summary = forms.CharField(
        label=_("Assessment summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(
        label=_("Purpose"), choices=ConsentPurpose.choices, initial=ConsentPurpose.REFERRAL
    )
    given_by = forms.ChoiceField(label=_("Given by"), choices=ConsentGivenBy.choices)
    given_on = forms.DateField(label=_("Given on"), widget=DATE)
    organisations = forms.ModelMultipleChoiceField(
        label=_("Organisations covered (referral)"),
        queryset=Organisation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The service providers of the directory. None ticked: any organisation."),
    )
    service_types = forms.MultipleChoiceField(
        label=_("Service types covered (referral)"),
        choices=ServiceType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "None ticked: any type. A referral must match both lists: one of the organisations and one "
            "of the types."
        ),
    )

    def __init__(self, *args, providers, **kwargs):
        """`providers`: the organisations a person can be referred to (directory.selectors.provider_list)."""
        super().__init__(*args, **kwargs)
        self.fields["organisations"].queryset = providers
        self.fields["given_on"].initial = timezone.localdate()


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}))


class FollowUpForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    kind = forms.ChoiceField(label=_("Kind"), choices=FollowUp.Kind.choices)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    plan_reviewed = forms.BooleanField(label=_("Case plan reviewed"), required=False)
    next_follow_up_on = forms.DateField(label=_("Next follow-up on"), widget=DATE, required=False)


class CloseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason for closure"), choices=ClosureReason.choices)
    note = forms.CharField(label=_("Closure note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ServiceGivenForm(forms.Form):
    """The feedback on a referral: the same three questions in Sentinelle and on the printed form."""

    service_given = forms.CharField(
        label=_("Service given"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    service_date = forms.DateField(
        label=_("Date of the service"), widget=DATE, required=False, help_text=_("Today if left empty.")
    )
    follow_up_needed = forms.BooleanField(label=_("Follow-up needed"), required=False)
    follow_up = forms.CharField(
        label=_("Which follow-up"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )

    def arguments(self) -> dict:
        return self.arguments_of(self.cleaned_data)

    @staticmethod
    def arguments_of(data: dict) -> dict:
        return {
            "service_given": data["service_given"],
            "service_date": data.get("service_date"),
            "follow_up_needed": data.get("follow_up_needed", False),
            "follow_up": data.get("follow_up", ""),
        }


class ServiceTypeForm(forms.Form):
    type = forms.ChoiceField(label=_("Type of service"), choices=ServiceType.choices)


class ReferralForm(forms.Form):
    """A referral to a service of one type: the service, urgency, reason, then that type's questions
    (fields named form_<key>)."""

    service = forms.ChoiceField(label=_("Service"))
    external_service = forms.CharField(
        label=_("Service outside Sentinelle (name and place)"), max_length=300, required=False
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.ROUTINE)
    reason = forms.CharField(
        label=_("Reason for referral (no names)"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    def __init__(self, *args, service_type: str, entries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.service_type = service_type
        self.services = {str(e.service.public_id): e.service for e in entries}
        self.fields["service"].choices = [
            *[(str(e.service.public_id), _service_label(e)) for e in entries],
            (EXTERNAL, _("A service outside Sentinelle (printed referral form)")),
        ]
        for spec in referral_form_fields(service_type):
            self.fields[f"form_{spec.key}"] = _spec_field(spec)

    def form_fields(self):
        return [self[name] for name in self.fields if name.startswith("form_")]

    def clean(self):
        data = super().clean()
        if data.get("service") == EXTERNAL and not data.get("external_service", "").strip():
            self.add_error("external_service", _("Name the service outside Sentinelle."))
        return data

    def arguments(self) -> dict:
        data = self.cleaned_data
        answers = {}
        for name, value in data.items():
            if name.startswith("form_") and value not in (None, ""):
                answers[name[5:]] = value.isoformat() if hasattr(value, "isoformat") else value
        external = data["service"] == EXTERNAL
        return {
            "service": None if external else self.services[data["service"]],
            "external_service": data["external_service"].strip() if external else "",
            "service_type": self.service_type,
            "urgency": data["urgency"],
            "reason": data["reason"],
            "form": answers,
        }


def _service_label(entry) -> str:
    service = entry.service
    return f"{service.name} — {service.provider.acronym} ({service.area.name_fr}, {entry.distance_label})"


def _spec_field(spec) -> forms.Field:
    common = {"label": spec.label, "required": spec.required, "help_text": spec.help_text}
    if spec.kind == "choice":
        return forms.ChoiceField(choices=[("", "—"), *spec.choices], **common)
    if spec.kind == "number":
        return forms.IntegerField(min_value=0, **common)
    if spec.kind == "date":
        return forms.DateField(widget=DATE, **common)
    return forms.CharField(max_length=500, **common)


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("All")),
            ("open", _("Open")),
            ("closed", _("Closed")),
            ("transferred", _("Transferred")),
        ],
    )
    case_type = forms.ChoiceField(
        label=_("Type of case"), required=False, choices=[("", _("All")), *CaseType.choices]
    )
    risk_level = forms.ChoiceField(
        label=_("Risk level"), required=False, choices=[("", _("All")), *RiskLevel.choices]
    )
    overdue = forms.BooleanField(label=_("With overdue tasks"), required=False)


class PlanForm(forms.Form):
    """The case plan: goals, review date and up to ACTION_ROWS actions (empty rows are ignored)."""

    ACTION_ROWS = 4

    goals = forms.CharField(label=_("Goals"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    review_on = forms.DateField(label=_("Review on"), widget=DATE, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for row in range(1, self.ACTION_ROWS + 1):
            self.fields[f"need_{row}"] = forms.ChoiceField(
                label=_("Need"), choices=[("", "—"), *ServiceType.choices], required=False
            )
            self.fields[f"description_{row}"] = forms.CharField(
                label=_("Action"), max_length=500, required=False
            )
            self.fields[f"responsible_{row}"] = forms.CharField(
                label=_("Who"), max_length=200, required=False
            )
            self.fields[f"due_on_{row}"] = forms.DateField(label=_("By when"), widget=DATE, required=False)

    def rows(self):
        return [
            [self[f"{name}_{row}"] for name in ("need", "description", "responsible", "due_on")]
            for row in range(1, self.ACTION_ROWS + 1)
        ]

    def arguments(self) -> dict:
        data = self.cleaned_data
        actions = []
        for row in range(1, self.ACTION_ROWS + 1):
            values = {
                name: data.get(f"{name}_{row}") for name in ("need", "description", "responsible", "due_on")
            }
            if any(values.values()):
                actions.append(
                    {**values, "description": values["description"] or "", "need": values["need"] or ""}
                )
        return {"goals": data.get("goals", ""), "review_on": data.get("review_on"), "actions": actions}


class AssistanceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Assistance.Kind.choices)
    amount_xof = forms.IntegerField(label=_("Amount (XOF)"), min_value=1, required=False)
    items = forms.CharField(label=_("Items given"), max_length=300, required=False)
    purpose = forms.CharField(label=_("Purpose"), max_length=300)


class BreakGlassForm(forms.Form):
    case_number = forms.CharField(label=_("Case number"), max_length=24)
    reason = forms.CharField(
        label=_("Why you must open this case now"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    hours = forms.IntegerField(label=_("For how many hours"), min_value=1, max_value=24, initial=4)


class AccessRequestForm(forms.Form):
    """A manager asks another organisation for read access to one of its cases."""

    case_number = forms.CharField(label=_("Case number"), max_length=24)
    reason = forms.CharField(
        label=_("Why you need to read this case"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    hours = forms.IntegerField(label=_("For how many hours"), min_value=1, max_value=24, initial=4)


class AccessDecisionForm(forms.Form):
    """The owning organisation's manager grants (for some hours) or refuses (saying why)."""

    DECISIONS = [("grant", _("Grant")), ("refuse", _("Refuse"))]

    decision = forms.ChoiceField(choices=DECISIONS)
    hours = forms.IntegerField(label=_("Hours"), min_value=1, max_value=24, required=False)
    reason = forms.CharField(label=_("Reason for refusing"), max_length=2000, required=False)


class TransferForm(forms.Form):
    to_user = forms.ModelChoiceField(label=_("Case worker"), queryset=None)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = users
        self.fields["to_user"].label_from_instance = lambda user: user.username


class TracingRequestForm(forms.Form):
    inquirer_name = forms.CharField(label=_("Name of the person looking for the child"), max_length=200)
    inquirer_phone = forms.CharField(label=_("Their phone"), max_length=30, required=False)
    inquirer_relationship = forms.CharField(label=_("Relationship to the child"), max_length=100)
    sought_given_name = forms.CharField(label=_("Child's given name"), max_length=100)
    sought_family_name = forms.CharField(label=_("Child's family name"), max_length=100, required=False)
    sought_other_names = forms.CharField(
        label=_("Child's other names or nicknames"), max_length=200, required=False
    )
    sought_sex = forms.ChoiceField(label=_("Child's sex"), choices=Sex.choices)
    sought_age = forms.IntegerField(
        label=_("Child's age now (estimated)"), min_value=0, max_value=25, required=False
    )
    # Anywhere: a child may have been separated far from the case worker's areas.
    last_seen_commune = AreaField(label=_("Last seen in (commune)"), levels=(AdminLevel.COMMUNE,))
    last_seen_on = forms.DateField(label=_("Last seen on"), widget=DATE, required=False)
    last_seen_details = forms.CharField(
        label=_("Circumstances of separation"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("autocomplete", "off")

    def arguments(self) -> dict:
        data = dict(self.cleaned_data)
        data["last_seen_area"] = data.pop("last_seen_commune")
        return data


class ReunificationForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Reunification.Outcome.choices)
    care_arrangement = forms.CharField(
        label=_("Care arrangement"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    next_follow_up_on = forms.DateField(label=_("Next follow-up on"), widget=DATE, required=False)


class StatisticsForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=DATE, required=False)
    date_to = forms.DateField(label=_("To"), widget=DATE, required=False)
    service_type = forms.ChoiceField(
        label=_("Type of service"), choices=[("", _("All")), *ServiceType.choices], required=False
    )
    area_level = forms.ChoiceField(
        label=_("Areas"), choices=[("1", _("Regions")), ("2", _("Cercles"))], required=False
    )


class CollaboratorsForm(forms.Form):
    collaborators = forms.ModelMultipleChoiceField(
        label=_("Collaborators"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collaborators"].queryset = users
        self.fields["collaborators"].label_from_instance = lambda user: user.username
