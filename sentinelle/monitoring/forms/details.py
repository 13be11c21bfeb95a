"""Typed details of an incident: the GBV survivor and tool, grave violations, explosive casualties."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from sentinelle.monitoring import classification
from sentinelle.monitoring.inputs import (
    CasualtyLine,
    GBVDetails,
    ViolationLine,
    ViolationVictimCell,
)
from sentinelle.monitoring.models import (
    AgeGroup,
    Casualty,
    ExplosiveAccident,
    GBVIncident,
    GraveViolation,
    Sex,
)
from sentinelle.monitoring.models import gbv_codes as gbv

from .fields import CHILD_CELLS, YES_NO, choice_field, count_field

GBV_PLAIN_FIELDS = [
    *("survivor_code", "survivor_sex", "survivor_age", "survivor_age_estimated", "displacement_status"),
    *("disability", "marital_status", "separation_status", "displacement_stage", "time_of_day"),
    *("location_type", "harmful_practice", "goods_exchanged", "abduction_type", "reported_elsewhere"),
    *("previous_incidents", "perpetrator_count", "perpetrator_sex", "perpetrator_age_group"),
    *("perpetrator_relationship", "perpetrator_occupation", "previous_incident_with_perpetrator"),
    *("referred_from", "wants_legal_action", "consent_to_report"),
]
# What a new GBV section shows preselected: the defaults every channel uses (inputs.GBVDetails).
GBV_DEFAULTS = {
    name: value
    for name, value in vars(GBVDetails(survivor_sex="")).items()
    if name in GBV_PLAIN_FIELDS and name != "survivor_sex"
}
NUMBER = forms.NumberInput(attrs={"inputmode": "numeric", "min": 0})


class GBVForm(forms.ModelForm):
    """One survivor (never an identity), the classification tool, consent and referrals (GBVIMS IR).

    A ModelForm only for its fields: nothing is saved from it; `to_details` hands a GBVDetails to the service.
    """

    class Meta:
        model = GBVIncident
        fields = GBV_PLAIN_FIELDS
        widgets = {"survivor_age": NUMBER, "perpetrator_count": NUMBER}
        help_texts = {
            "survivor_code": _("A code, never a name."),
            "consent_to_report": _("Without this consent the incident is not counted in GBV statistics."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key in self.question_keys():
            self.fields[f"q_{key}"] = forms.ChoiceField(
                label=classification.QUESTION_TEXTS[key],
                choices=YES_NO,
                required=False,
                widget=forms.RadioSelect,
            )
        for service, label in gbv.IRService.choices:
            self.fields[f"ref_{service}"] = choice_field(
                gbv.ReferralStatus.choices, label=label, blank=True, required=False
            )

    @staticmethod
    def question_keys() -> list[str]:
        return list(classification.QUESTION_KEYS)

    def raw_answers(self) -> dict[str, bool]:
        """The tool's answers in order, up to the first "yes" (later answers are not part of the tool)."""
        answers = {}
        for key in self.question_keys():
            value = self[f"q_{key}"].value()
            if value not in ("yes", "no"):
                break
            answers[key] = value == "yes"
            if answers[key]:
                break
        return answers

    def tool(self) -> dict:
        """What the page shows of the tool: the questions reached so far and, once decided, the type.

        The tool asks one question at a time and stops at the first "yes"; a question is shown once
        every question before it was answered "no".
        """
        answers = self.raw_answers()
        keys = self.question_keys()
        decided = any(answers.values()) or len(answers) == len(keys)
        shown = keys[: len(answers) + (0 if decided else 1)]
        result, problem, label = None, "", ""
        if decided:
            try:
                result = classification.classify(answers)
            except ValidationError as error:
                problem = " ".join(error.messages)
            else:
                label = gbv.GBVType(result.gbv_type).label
        questions = [self[f"q_{key}"] for key in shown]
        return {"questions": questions, "result": result, "type_label": label, "problem": problem}

    def referral_fields(self):
        return [self[f"ref_{service}"] for service in gbv.IRService.values]

    def to_details(self) -> GBVDetails:
        data = self.cleaned_data
        return GBVDetails(
            **{name: data[name] for name in GBV_PLAIN_FIELDS},
            answers=self.raw_answers(),
            referrals={s: data[f"ref_{s}"] for s in gbv.IRService.values if data.get(f"ref_{s}")},
        )


class ViolationForm(forms.ModelForm):
    """One grave violation against children, with its child victims by sex and age group."""

    class Meta:
        model = GraveViolation
        fields = ["type", "perpetrator_party", "verification", "facility"]
        help_texts = {"facility": _("For attacks on schools or hospitals and denial of access.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ages = dict(AgeGroup.choices)
        for sex, sex_label in Sex.choices:
            for age in CHILD_CELLS:
                self.fields[f"c_{sex}_{age}"] = count_field(f"{sex_label}, {ages[age]}", cell=True)

    def victim_rows(self):
        ages = dict(AgeGroup.choices)
        return [(ages[age], [self[f"c_{sex}_{age}"] for sex in Sex.values]) for age in CHILD_CELLS]

    def to_line(self) -> ViolationLine | None:
        data = self.cleaned_data
        if not data.get("type"):  # an extra row left empty
            return None
        cells = [(sex, age) for sex in Sex.values for age in CHILD_CELLS if data.get(f"c_{sex}_{age}")]
        return ViolationLine(
            type=data["type"],
            perpetrator_party=data["perpetrator_party"],
            verification=data["verification"],
            facility=data["facility"],
            victims=[ViolationVictimCell(sex=s, age_group=a, count=data[f"c_{s}_{a}"]) for s, a in cells],
        )


class ExplosiveForm(forms.ModelForm):
    class Meta:
        model = ExplosiveAccident
        fields = ["device_type", "activity"]


class CasualtyForm(forms.ModelForm):
    """One casualty of an explosive ordnance accident: sex, age, outcome; never a name."""

    class Meta:
        model = Casualty
        fields = ["outcome", "sex", "age", "civilian", "displacement_status"]
        widgets = {"age": NUMBER}

    def to_line(self) -> CasualtyLine | None:
        data = self.cleaned_data
        if not data.get("outcome"):  # an extra row left empty
            return None
        return CasualtyLine(
            sex=data["sex"],
            outcome=data["outcome"],
            age=data.get("age"),
            civilian=bool(data.get("civilian")),
            displacement_status=data.get("displacement_status") or "",
        )


ViolationFormSet = formset_factory(ViolationForm, extra=1, max_num=20, absolute_max=20)
CasualtyFormSet = formset_factory(CasualtyForm, extra=2, max_num=50, absolute_max=50)
# Buttons that re-render the form (more rows, next question, sections) without saving anything.
