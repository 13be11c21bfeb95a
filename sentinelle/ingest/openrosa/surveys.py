"""The two forms Sentinelle publishes to ODK Collect / KoboCollect, and their choice lists.

- `sentinelle_incident`: a protection monitoring incident, with the grave violations against children and
  the explosive ordnance sections shown only when their category is chosen. Victims are a repeat of
  (outcome, sex, age group, number) rows. GBV is recorded here as an allegation: a note, never a question
  about the survivor (issue 14, point 2: asking monitors for survivor details is itself a harm).
- `sentinelle_vbg`: a GBV incident the GBVIMS way, for GBV service providers' case workers only
  (Perm.GBV_SURVIVOR_RECORD; FORM_PERMS): one survivor, consent first, the classification tool with each
  question shown only after a "no" to the previous one, the IR fields.

Two forms rather than one with sections: monitors and GBV case workers are different people with
different training, GBVIMS wants its own intake (consent first, one survivor, no exact location), and a
monitor's form stays short. Question names are the IncidentRow / GBVDetails field names wherever one
exists, so that mapping.py and error messages need no translation table.
"""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sentinelle.core.permissions import Perm
from sentinelle.monitoring.classification import IS_GBV, QUESTION_KEYS, QUESTION_TEXTS, QUESTIONS
from sentinelle.monitoring.models import (
    AgeGroup,
    Category,
    DeviceType,
    GBVType,
    Outcome,
    PerpetratorCategory,
    Reliability,
    Sex,
    SharingLevel,
    SourceMechanism,
    Verification,
    ViolationType,
)
from sentinelle.monitoring.models import gbv_codes as g
from sentinelle.monitoring.models.mrm_eo_codes import ActivityAtTime, CasualtyOutcome, PerpetratorParty

from .xlsform import Choice, FormDefinition, Row, Survey, area_choices, render

INCIDENT_FORM = "sentinelle_incident"
GBV_FORM = "sentinelle_vbg"

# Categories of the monitoring form (GBV as an allegation), and the others a GBV form's incident may add.
GENERAL_CATEGORIES = list(Category.values)
EXTRA_GBV_CATEGORIES = [
    code for code in Category.values if code not in (Category.GBV, Category.CHILD_RIGHTS, Category.EXPLOSIVE)
]
PER_EVENT_VIOLATIONS = ("attack_school", "attack_hospital", "denial_access")
PERPETRATOR_SEXES = (
    ("m", _("Male")),
    ("f", _("Female")),
    ("mf", _("Male and female")),
    ("unknown", _("Unknown")),
)
NOT_IN_FUTURE = ". <= today()"


def _list(list_name: str, choices, *, only=None) -> list[Choice]:
    pairs = choices.choices if hasattr(choices, "choices") else choices
    return [Choice(list_name, value, label) for value, label in pairs if only is None or value in only]


def _yes_no() -> list[Choice]:
    return [Choice("yes_no", "yes", _("Yes")), Choice("yes_no", "no", _("No"))]


def _required(type_: str, name: str, label, **kwargs) -> Row:
    return Row(type_, name, label, required=True, required_message=_("This answer is required."), **kwargs)


def _count(name: str, label, *, minimum: int = 0, required: bool = False, **kwargs) -> Row:
    message = _("Give a whole number, 1 or more.") if minimum else _("Give a whole number, 0 or more.")
    factory = _required if required else Row
    return factory("integer", name, label, constraint=f". >= {minimum}", constraint_message=message, **kwargs)


def _date_rows(*, reported_label) -> list[Row]:
    future = _("This date is in the future.")
    return [
        _required(
            "date",
            "date_start",
            _("Date of the incident (or first day)"),
            constraint=NOT_IN_FUTURE,
            constraint_message=future,
        ),
        Row(
            "date",
            "date_end",
            _("Last day, if the incident lasted several days"),
            constraint=f". >= ${{date_start}} and {NOT_IN_FUTURE}",
            constraint_message=_("The end of the period is before its start, or in the future."),
        ),
        _required("select_one yes_no", "date_estimated", _("Is the date estimated?"), default="no"),
        _required(
            "date",
            "date_reported",
            reported_label,
            default="today()",
            constraint=f". >= ${{date_start}} and {NOT_IN_FUTURE}",
            constraint_message=_("The incident cannot be reported before it happened, nor in the future."),
        ),
    ]


def _area_rows() -> list[Row]:
    return [
        _required("select_one region", "region", _("Region")),
        _required("select_one cercle", "cercle", _("Cercle"), choice_filter="region=${region}"),
        Row(
            "select_one commune",
            "commune",
            _("Commune (if known)"),
            choice_filter="cercle=${cercle}",
            appearance="minimal",
        ),
    ]


def _source_rows(default_mechanism: str) -> list[Row]:
    return [
        _required(
            "select_one source_mechanism",
            "source_mechanism",
            _("Source of the information"),
            default=default_mechanism,
        ),
    ]


def _text_rows(*, summary_hint) -> list[Row]:
    return [
        _required(
            "text",
            "summary",
            _("Non-identifying summary"),
            hint=summary_hint,
            appearance="multiline",
        ),
        Row(
            "text",
            "account",
            _("Account (confidential)"),
            hint=_("The full account. Stored encrypted; only your organisation reads it."),
            appearance="multiline",
        ),
    ]


# --- sentinelle_incident ---------------------------------------------------------------------------


def incident_survey() -> Survey:
    rows = [
        Row("begin_group", "when", _("When"), appearance="field-list"),
        *_date_rows(reported_label=_("Date reported")),
        Row("end_group"),
        Row("begin_group", "where", _("Where"), appearance="field-list"),
        *_area_rows(),
        Row(
            "geopoint",
            "coordinates",
            _("GPS position (optional)"),
            hint=_("Only if it puts no one at risk. Stored encrypted."),
        ),
        Row("end_group"),
        Row("begin_group", "what", _("What happened")),
        _required(
            "select_multiple category",
            "categories",
            _("Categories"),
            hint=_("Gender-based violence: the allegation only, never details about the survivor."),
        ),
        Row(
            "note",
            "gbv_allegation",
            _(
                "GBV allegation: describe what was alleged in the summary, without anything that could "
                "identify the survivor. Do not ask for survivor details: GBV service providers record them, "
                "with the survivor's consent, in their own form. Refer the survivor to them if she or he "
                "wishes."
            ),
            relevant="selected(${categories}, 'gbv')",
        ),
        _required("select_one perpetrator_category", "perpetrator_category", _("Alleged perpetrator")),
        *_text_rows(summary_hint=_("What happened, without any name or detail that identifies someone.")),
        Row("end_group"),
        _required(
            "select_one yes_no", "has_victims", _("Were people killed, injured or otherwise affected?")
        ),
        Row(
            "begin_repeat",
            "victims",
            _("Victims (one entry per outcome, sex and age group)"),
            relevant="${has_victims} = 'yes'",
        ),
        _required("select_one outcome", "victim_outcome", _("Outcome")),
        _required("select_one sex", "victim_sex", _("Sex")),
        _required("select_one age_group", "victim_age_group", _("Age group")),
        _count("victim_count", _("Number of people"), minimum=1, required=True),
        Row("end_repeat"),
        Row("begin_group", "displacement", _("Displacement caused"), appearance="field-list"),
        _count("displaced_households", _("Households displaced")),
        _count("displaced_individuals", _("Individuals displaced")),
        Row("end_group"),
        *_violation_rows(),
        *_explosive_rows(),
        Row("begin_group", "source", _("Source"), appearance="field-list"),
        *_source_rows("monitoring_interview"),
        _required("select_one reliability", "reliability", _("Source reliability"), default="f"),
        _required(
            "select_one sharing_level",
            "sharing_level",
            _("Who may read the account and the GPS position"),
            default="organisation",
        ),
        Row("end_group"),
    ]
    choices = [
        *_yes_no(),
        *_list("category", Category, only=GENERAL_CATEGORIES),
        *_list("perpetrator_category", PerpetratorCategory),
        *_list("outcome", Outcome),
        *_list("sex", Sex),
        *_list("age_group", AgeGroup),
        *_list("child_age_group", AgeGroup, only=("0_5", "6_11", "12_17", "0_17", "unknown")),
        *_list("violation_type", ViolationType),
        *_list("perpetrator_party", PerpetratorParty),
        *_list("verification", Verification),
        *_list("device_type", DeviceType),
        *_list("activity", ActivityAtTime),
        *_list("casualty_outcome", CasualtyOutcome),
        *_list("displacement_status", g.DisplacementStatus),
        *_list("source_mechanism", SourceMechanism),
        *_list("reliability", Reliability),
        *_list("sharing_level", SharingLevel),
    ]
    return Survey(
        INCIDENT_FORM,
        _("Sentinelle – Protection incident"),
        rows,
        choices,
        instance_name="concat('Incident ', ${date_start}, ' ', ${cercle})",
    )


def _violation_rows() -> list[Row]:
    per_event = " or ".join(f"${{violation_type}} = '{code}'" for code in PER_EVENT_VIOLATIONS)
    return [
        Row(
            "begin_group",
            "child_rights",
            _("Grave violations against children"),
            relevant="selected(${categories}, 'child_rights')",
        ),
        _count("violation_number", _("How many grave violations?"), minimum=1, required=True),
        Row("begin_repeat", "violations", _("Grave violation"), repeat_count="${violation_number}"),
        _required("select_one violation_type", "violation_type", _("Violation")),
        _required("select_one perpetrator_party", "perpetrator_party", _("Party responsible")),
        _required("select_one verification", "verification", _("Verification"), default="pending"),
        Row("text", "facility", _("School, hospital or aid affected"), relevant=per_event),
        Row(
            "begin_repeat",
            "violation_victims",
            _("Child victims (one entry per sex and age group)"),
            relevant=f"not({per_event})",
        ),
        _required("select_one sex", "child_sex", _("Sex")),
        _required("select_one child_age_group", "child_age_group", _("Age group")),
        _count("child_count", _("Number of children"), minimum=1, required=True),
        Row("end_repeat"),
        Row("end_repeat"),
        Row("end_group"),
    ]


def _explosive_rows() -> list[Row]:
    return [
        Row(
            "begin_group",
            "explosive",
            _("Explosive ordnance accident"),
            relevant="selected(${categories}, 'explosive')",
        ),
        _required("select_one device_type", "device_type", _("Device")),
        _required("select_one activity", "activity", _("Activity at the time"), default="unknown"),
        _required("select_one yes_no", "has_casualties", _("Were people killed or injured?")),
        Row(
            "begin_repeat",
            "casualties",
            _("Casualty (one entry per person killed or injured)"),
            relevant="${has_casualties} = 'yes'",
        ),
        _required("select_one sex", "casualty_sex", _("Sex")),
        Row(
            "integer",
            "casualty_age",
            _("Age (if known)"),
            constraint=". >= 0 and . <= 120",
            constraint_message=_("Give an age between 0 and 120."),
        ),
        _required("select_one casualty_outcome", "casualty_outcome", _("Killed or injured")),
        _required("select_one yes_no", "casualty_civilian", _("Civilian?"), default="yes"),
        Row("select_one displacement_status", "casualty_displacement_status", _("Displacement status")),
        Row("end_repeat"),
        Row("end_group"),
    ]


# --- sentinelle_vbg ----------------------------------------------------------------------------------


def _classification_rows() -> list[Row]:
    """The tool in order: each question appears only after a "no" to the previous one."""
    rows = [
        Row("begin_group", "classification", _("GBV classification tool")),
        Row("note", "classification_note", _("Answer in order: the first “yes” gives the type of violence.")),
    ]
    previous = ""
    for key in QUESTION_KEYS:
        extra = {}
        if key == IS_GBV:
            extra = {
                "constraint": ". = 'no'",
                "constraint_message": _(
                    "If it is GBV, one of the questions above must be answered yes: ask them again from the "
                    "first one, and ask a supervisor if the answers do not change."
                ),
            }
        relevant = f"${{{previous}}} = 'no'" if previous else ""
        rows.append(_required("select_one yes_no", key, QUESTION_TEXTS[key], relevant=relevant, **extra))
        previous = key
    # One note per outcome, shown when its answer is given: the type the tool derives, before sending.
    for key, gbv_type in [*QUESTIONS, (IS_GBV, GBVType.NON_GBV)]:
        answer = "no" if gbv_type == GBVType.NON_GBV else "yes"
        rows.append(
            Row(
                "note",
                f"type_{gbv_type}",
                format_lazy("{}{}", _("Type of violence according to the tool: "), GBVType(gbv_type).label),
                relevant=f"${{{key}}} = '{answer}'",
            )
        )
    rows.append(Row("end_group"))
    return rows


def _referral_rows() -> list[Row]:
    rows = [
        Row("begin_group", "services", _("Referrals"), appearance="field-list"),
        _required("select_one referred_from", "referred_from", _("Referred to you by"), default="self"),
    ]
    for code, label in g.IRService.choices:
        rows.append(Row("select_one referral_status", f"referral_{code}", label))
    rows += [
        _required("select_one legal_action", "wants_legal_action", _("Does the survivor want legal action?")),
        Row("end_group"),
    ]
    return rows


def gbv_survey() -> Survey:
    minor = "${survivor_age} = '' or ${survivor_age} < 18"
    rows = [
        Row(
            "note",
            "intro",
            _("One form per survivor. Never write a name, an address or a telephone number."),
        ),
        _required(
            "select_one yes_no",
            "consent_to_report",
            _("Did the survivor consent to non-identifying information being used in statistics?"),
        ),
        Row("begin_group", "when", _("When"), appearance="field-list"),
        *_date_rows(reported_label=_("Date of the interview (date reported)")),
        _required("select_one time_of_day", "time_of_day", _("Time of day"), default="unknown"),
        Row("end_group"),
        Row("begin_group", "where", _("Where"), appearance="field-list"),
        *_area_rows(),
        _required("select_one location_type", "location_type", _("Type of place")),
        Row("end_group"),
        Row("begin_group", "survivor", _("Survivor"), appearance="field-list"),
        Row(
            "text",
            "survivor_code",
            _("Survivor code (never a name)"),
            constraint="string-length(.) <= 32",
            constraint_message=_("32 characters at most."),
        ),
        _required("select_one survivor_sex", "survivor_sex", _("Sex")),
        Row(
            "integer",
            "survivor_age",
            _("Age at the time of the incident"),
            constraint=". >= 0 and . <= 120",
            constraint_message=_("Give an age between 0 and 120."),
        ),
        Row(
            "select_one yes_no",
            "survivor_age_estimated",
            _("Is the age estimated?"),
            relevant="${survivor_age} != ''",
        ),
        _required(
            "select_one displacement_status", "displacement_status", _("Displacement status at report")
        ),
        _required(
            "select_one displacement_stage", "displacement_stage", _("Stage of displacement at the incident")
        ),
        _required("select_one marital_status", "marital_status", _("Marital status"), default="unknown"),
        _required("select_one disability", "disability", _("Person with a disability?"), default="no"),
        Row(
            "select_one separation_status",
            "separation_status",
            _("Unaccompanied or separated child?"),
            relevant=minor,
        ),
        Row("end_group"),
        *_classification_rows(),
        Row("begin_group", "context", _("Context"), appearance="field-list"),
        _required(
            "select_one harmful_practice", "harmful_practice", _("Harmful traditional practice"), default="no"
        ),
        _required(
            "select_one yes_no_unknown",
            "goods_exchanged",
            _("Were money, goods, benefits or services exchanged?"),
            default="unknown",
        ),
        _required("select_one abduction_type", "abduction_type", _("Type of abduction"), default="none"),
        _required(
            "select_one reported_elsewhere",
            "reported_elsewhere",
            _("Was this incident reported elsewhere before?"),
            default="no",
        ),
        _required(
            "select_one yes_no_unknown", "previous_incidents", _("Previous GBV incidents?"), default="unknown"
        ),
        Row("end_group"),
        Row("begin_group", "perpetrator", _("Alleged perpetrator(s)"), appearance="field-list"),
        _count(
            "perpetrator_count",
            _("Number of alleged primary perpetrators"),
            minimum=1,
            required=True,
            default="1",
        ),
        _required("select_one perpetrator_sex", "perpetrator_sex", _("Sex of the alleged perpetrator(s)")),
        _required(
            "select_one perpetrator_age_group", "perpetrator_age_group", _("Age group"), default="unknown"
        ),
        _required(
            "select_one perpetrator_relationship",
            "perpetrator_relationship",
            _("Relationship to the survivor"),
            default="unknown",
        ),
        Row("text", "perpetrator_occupation", _("Occupation (never a name)")),
        _required(
            "select_one yes_no_unknown",
            "previous_incident_with_perpetrator",
            _("Previous incident with this perpetrator?"),
            default="unknown",
        ),
        _required("select_one perpetrator_category", "perpetrator_category", _("Category of perpetrator")),
        Row("end_group"),
        *_referral_rows(),
        Row("begin_group", "report", _("Account"), appearance="field-list"),
        *_text_rows(
            summary_hint=_("Shared with the cluster: no name, no place more precise than the commune.")
        ),
        Row(
            "select_multiple extra_category",
            "other_categories",
            _("Other violations in the same incident (optional)"),
        ),
        *_source_rows("gbvims"),
        Row("end_group"),
    ]
    choices = [
        *_yes_no(),
        *_list("yes_no_unknown", g.YesNoUnknown),
        *_list("time_of_day", g.TimeOfDay),
        *_list("location_type", g.LocationType),
        *_list("survivor_sex", Sex, only=("f", "m")),
        *_list("displacement_status", g.DisplacementStatus),
        *_list("displacement_stage", g.DisplacementStage),
        *_list("marital_status", g.MaritalStatus),
        *_list("disability", g.Disability),
        *_list("separation_status", g.SeparationStatus),
        *_list("harmful_practice", g.HarmfulPractice),
        *_list("abduction_type", g.AbductionType),
        *_list("reported_elsewhere", g.ReportedElsewhere),
        *_list("perpetrator_sex", PERPETRATOR_SEXES),
        *_list("perpetrator_age_group", g.PerpetratorAgeGroup),
        *_list("perpetrator_relationship", g.PerpetratorRelationship),
        *_list("perpetrator_category", PerpetratorCategory),
        *_list("referred_from", g.ReferredFrom),
        *_list("referral_status", g.ReferralStatus),
        *_list("legal_action", g.LegalAction),
        *_list("extra_category", Category, only=EXTRA_GBV_CATEGORIES),
        *_list("source_mechanism", SourceMechanism),
    ]
    return Survey(
        GBV_FORM,
        _("Sentinelle – GBV incident"),
        rows,
        choices,
        instance_name="concat('VBG ', ${date_start}, ' ', ${cercle})",
    )


SURVEYS = {INCIDENT_FORM: incident_survey, GBV_FORM: gbv_survey}
# Who is offered each form (formList, help page) and may send it: the GBV form is a GBV service provider's.
FORM_PERMS = {INCIDENT_FORM: Perm.INCIDENT_CREATE, GBV_FORM: Perm.GBV_SURVIVOR_RECORD}
# Repeats, by question name: the XML of a submission has one element per instance.
REPEATS = frozenset({"victims", "violations", "violation_victims", "casualties"})


def form_definitions() -> list[FormDefinition]:
    """Every published form, rendered; FormsUnavailable when the geography is not loaded."""
    areas = area_choices()
    return [render(build(), areas) for build in SURVEYS.values()]


def form_definition(form_id: str) -> FormDefinition | None:
    if form_id not in SURVEYS:
        return None
    return render(SURVEYS[form_id](), area_choices())
