"""The harmonised referral form: for each type of service, only the fields that service needs.

Data with French labels once translated; `referral_form_clean` checks a submitted form against it and
`referral_form_display` turns a stored form into (label, value) pairs for the queue and the printed form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import formats
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from sentinelle.core.validation import Errors
from sentinelle.directory.models import ServiceType

# --- --------------------------------------------------------------------

YES_NO_UNKNOWN = (("yes", _("Yes")), ("no", _("No")), ("unknown", _("Unknown")))
YES_NO_UNDECIDED = (("yes", _("Yes")), ("no", _("No")), ("undecided", _("Undecided")))


@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    # choice | text | number | date
    kind: str = "choice"
    choices: tuple = ()
    required: bool = True
    help_text: str = ""


LANGUAGE = FormField(
    "language",
    _("Language the person prefers"),
    "text",
    required=False,
    help_text=_("e.g. Bambara, Fulfulde, Songhai, Tamasheq, French"),
)

# Per service type, the minimum the receiving service needs to act, in the order it is asked.
REFERRAL_FORMS: dict[str, list[FormField]] = {
    ServiceType.HEALTH: [
        FormField(
            "time_since_incident",
            _("Time since the incident"),
            choices=(
                ("under_72h", _("Less than 72 hours (post-exposure prophylaxis still possible)")),
                ("72_120h", _("72 to 120 hours (emergency contraception still possible)")),
                ("over_120h", _("More than 120 hours")),
                ("not_applicable", _("Not applicable (no sexual violence)")),
            ),
            help_text=_("For sexual violence, care within 72 hours prevents HIV infection: refer at once."),
        ),
        FormField(
            "health_need",
            _("Care needed"),
            choices=(
                ("clinical_management_of_rape", _("Clinical management of rape")),
                ("injury", _("Care of injuries")),
                ("reproductive_health", _("Sexual and reproductive health")),
                ("mental_health", _("Mental health")),
                ("chronic_illness", _("Chronic illness or disability")),
                ("other", pgettext_lazy("care needed", "Other")),
            ),
        ),
        FormField("known_allergies", _("Known allergies?"), choices=YES_NO_UNKNOWN),
        FormField("injuries", _("Injuries or pain needing care now?"), choices=YES_NO_UNKNOWN),
        LANGUAGE,
    ],
    ServiceType.PSS: [
        FormField(
            "distress_level",
            _("Level of distress observed"),
            choices=(("mild", _("Mild")), ("moderate", _("Moderate")), ("severe", _("Severe"))),
        ),
        FormField("risk_of_self_harm", _("Thoughts of self-harm or suicide?"), choices=YES_NO_UNKNOWN),
        FormField(
            "preferred_staff_sex",
            _("Prefers to be received by"),
            choices=(("female", _("A woman")), ("male", _("A man")), ("no_preference", _("No preference"))),
            required=False,
        ),
        LANGUAGE,
    ],
    ServiceType.LEGAL: [
        FormField(
            "legal_need",
            _("Legal need"),
            choices=(
                ("criminal_complaint", _("Criminal complaint")),
                ("family", _("Family matter (marriage, divorce, custody, inheritance)")),
                ("land_property", _("Land or property")),
                ("detention", _("Arrest or detention")),
                ("documentation", _("Civil documentation")),
                ("other", pgettext_lazy("legal need", "Other")),
            ),
        ),
        FormField("wants_legal_action", _("Does the person want legal action?"), choices=YES_NO_UNDECIDED),
        FormField("deadline", _("Hearing date or legal deadline, if any"), "date", required=False),
        LANGUAGE,
    ],
    ServiceType.CIVIL_DOCUMENTATION: [
        FormField(
            "document_needed",
            _("Document needed"),
            choices=(
                ("birth_certificate", _("Birth certificate (or supplementary judgement)")),
                ("national_id", _("National identity card / NINA")),
                ("nationality_certificate", _("Certificate of nationality")),
                ("marriage_certificate", _("Marriage certificate")),
                ("death_certificate", _("Death certificate")),
                ("other", pgettext_lazy("document needed", "Other")),
            ),
        ),
        FormField(
            "supporting_documents",
            _("Supporting documents or witnesses available?"),
            choices=YES_NO_UNKNOWN,
        ),
        LANGUAGE,
    ],
    ServiceType.SECURITY: [
        FormField("immediate_danger", _("Is the person in immediate danger?"), choices=YES_NO_UNKNOWN),
        FormField(
            "wants_complaint", _("Does the person want to file a complaint?"), choices=YES_NO_UNDECIDED
        ),
        LANGUAGE,
    ],
    ServiceType.SHELTER: [
        FormField("immediate_danger", _("Is the person in immediate danger?"), choices=YES_NO_UNKNOWN),
        FormField(
            "duration_needed",
            _("Stay needed"),
            choices=(
                ("few_nights", _("A few nights")),
                ("weeks", _("Several weeks")),
                ("unknown", _("Unknown")),
            ),
        ),
        FormField("accompanying_children", _("Children coming with the person"), "number", required=False),
        LANGUAGE,
    ],
    ServiceType.LIVELIHOOD: [
        FormField(
            "livelihood_need",
            _("Support needed"),
            choices=(
                ("income_activity", _("Income-generating activity")),
                ("vocational_training", _("Vocational training")),
                ("cash_for_work", _("Cash for work")),
                ("other", pgettext_lazy("support needed", "Other")),
            ),
        ),
        FormField("household_size", _("People in the household"), "number", required=False),
        LANGUAGE,
    ],
    ServiceType.EDUCATION: [
        FormField(
            "schooling_level",
            _("Last level of schooling"),
            choices=(
                ("none", _("Never went to school")),
                ("primary", _("Primary (fondamental 1)")),
                ("lower_secondary", _("Lower secondary (fondamental 2)")),
                ("secondary", _("Secondary")),
                ("koranic", _("Koranic school only")),
            ),
        ),
        FormField("months_out_of_school", _("Months out of school"), "number", required=False),
        LANGUAGE,
    ],
    ServiceType.CHILD_PROTECTION: [
        FormField(
            "care_situation",
            _("Care situation of the child"),
            choices=(
                ("with_parents", _("With one or both parents")),
                ("with_relatives", _("With relatives")),
                ("unaccompanied", _("Unaccompanied")),
                ("separated", _("Separated, with another adult")),
                ("alternative_care", _("In alternative care")),
            ),
        ),
        FormField(
            "caregiver_informed", _("Is the caregiver informed of the referral?"), choices=YES_NO_UNKNOWN
        ),
        LANGUAGE,
    ],
    ServiceType.CASH_IPA: [
        FormField("assistance_need", _("Need the assistance would cover"), "text"),
        FormField("household_size", _("People in the household"), "number", required=False),
    ],
    ServiceType.REHABILITATION: [
        FormField(
            "rehabilitation_need",
            _("Rehabilitation needed"),
            choices=(
                ("prosthesis_orthosis", _("Prosthesis or orthosis")),
                ("mobility_aid", _("Wheelchair or walking aid")),
                ("physiotherapy", _("Physiotherapy")),
                ("other", pgettext_lazy("rehabilitation needed", "Other")),
            ),
        ),
        FormField("explosive_injury", _("Injury caused by an explosive device?"), choices=YES_NO_UNKNOWN),
        LANGUAGE,
    ],
    ServiceType.OTHER: [FormField("need", _("What is needed"), "text"), LANGUAGE],
}

TEXT_MAX_LENGTH = 300


def referral_form_fields(service_type: str) -> list[FormField]:
    return REFERRAL_FORMS.get(service_type, REFERRAL_FORMS[ServiceType.OTHER])


def _clean_value(spec: FormField, value):
    """The stored value (codes, ISO dates, ints, short text); raises ValueError with a French message."""
    if spec.kind == "choice":
        if value not in {code for code, _label in spec.choices}:
            raise ValueError(gettext("Choose one of the proposed answers."))
        return value
    if spec.kind == "number":
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError(gettext("Enter a whole number.")) from None
        if number < 0:
            raise ValueError(gettext("Enter a whole number.")) from None
        return number
    if spec.kind == "date":
        if isinstance(value, date):
            return value.isoformat()
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError(gettext("Enter a date.")) from None
    text = str(value).strip()
    if len(text) > TEXT_MAX_LENGTH:
        raise ValueError(gettext("Write at most %(count)s characters.") % {"count": TEXT_MAX_LENGTH})
    return text


def referral_form_clean(errors: Errors, service_type: str, form: dict) -> dict:
    """Check the referral form of a service type: what is wrong goes to `errors` by "form.<field>"
    (French once translated); returns the answers that are right."""
    specs = {spec.key: spec for spec in referral_form_fields(service_type)}
    cleaned = {}
    for key in form or {}:
        if key not in specs:
            errors.add(f"form.{key}", gettext("This question is not part of this referral form."))
    for key, spec in specs.items():
        value = (form or {}).get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.required:
                errors.add(f"form.{key}", gettext("This field is required."))
            continue
        try:
            cleaned[key] = _clean_value(spec, value)
        except ValueError as error:
            errors.add(f"form.{key}", str(error))
    return cleaned


def referral_form_display(service_type: str, form: dict) -> list[tuple[str, str]]:
    """(question, answer) pairs in the form's order, answers as labels, for pages and the printed form."""
    pairs = []
    for spec in referral_form_fields(service_type):
        if spec.key not in form:
            continue
        value = form[spec.key]
        if spec.kind == "choice":
            value = dict(spec.choices).get(value, value)
        elif spec.kind == "date":
            value = formats.date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT")
        pairs.append((str(spec.label), str(value)))
    return pairs


# --- The printed referral form: what it says of the person, per type of service -------------------

# Besides the person's code, the urgency and the form's questions above, a type of service gets only
# these facts about the person (design §6 "minimum necessary"): a clinic needs sex, age and disability,
# not the story; a legal service also needs where the person lives and their displacement status (which
# court, which documents) and the reason for referral. "reason" is the case worker's reason for referral
# (written without names). Never printed: name, phone, address, caregiver, the incident's account.
SEX, AGE, AGE_GROUP, DISABILITY, DISPLACEMENT, COMMUNE, REASON = (
    "sex",
    "age",
    "age_group",
    "disability",
    "displacement_status",
    "commune",
    "reason",
)
SLIP_FIELDS: dict[str, tuple[str, ...]] = {
    ServiceType.HEALTH: (SEX, AGE, DISABILITY),
    ServiceType.PSS: (SEX, AGE_GROUP, REASON),
    ServiceType.LEGAL: (SEX, AGE, COMMUNE, DISPLACEMENT, REASON),
    ServiceType.CIVIL_DOCUMENTATION: (SEX, AGE, COMMUNE, DISPLACEMENT),
    ServiceType.SECURITY: (SEX, AGE_GROUP, COMMUNE, REASON),
    ServiceType.SHELTER: (SEX, AGE, DISABILITY),
    ServiceType.LIVELIHOOD: (SEX, AGE_GROUP, COMMUNE, DISPLACEMENT, DISABILITY),
    ServiceType.EDUCATION: (SEX, AGE, COMMUNE, DISPLACEMENT),
    ServiceType.CHILD_PROTECTION: (SEX, AGE, COMMUNE, DISPLACEMENT, REASON),
    ServiceType.CASH_IPA: (SEX, AGE_GROUP, COMMUNE, DISPLACEMENT, DISABILITY),
    ServiceType.REHABILITATION: (SEX, AGE, DISABILITY),
    ServiceType.OTHER: (SEX, AGE_GROUP, REASON),
}
# A GBV case's reason for referral may tell the incident: a referral consent covers the form's coded
# answers, not the survivor's account, so it is left off whatever the type (GBVIMS: the survivor tells
# the service what they choose).
WITHHELD_FOR_GBV = frozenset({REASON})


def slip_fields(service_type: str, *, gbv: bool) -> tuple[str, ...]:
    """The person's facts the printed form of this type of service shows, in order."""
    fields = SLIP_FIELDS.get(service_type, SLIP_FIELDS[ServiceType.OTHER])
    return tuple(field for field in fields if not (gbv and field in WITHHELD_FOR_GBV))
