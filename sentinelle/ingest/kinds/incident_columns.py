"""The columns of the incidents import: French header, HXL hashtag, Kobo/ODK names, type.

Victims are one count column per outcome x sex x age group, tagged the HXL way
(#affected+killed+f+children+age_0_5; elderly follow the HNO convention, 60+). The coarser columns of
monitoring tables and HNO data, children or adults without a finer age attribute
(#affected+killed+f+children, #affected+killed+m+adults), are the coarse age groups 0_17 and 18_plus:
kept as they are, never spread over finer groups. A row may not give both the coarse and the finer
columns of the same outcome and sex (`victim_overlaps`): one is probably the total of the other.
Columns that only a Kobo export of the GBV form carries are declared but left out of the template.
"""

import re

from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sentinelle.ingest.kinds.base import BOOL, CODE, CODES, COUNT, DATE, NUMBER, ImportColumn
from sentinelle.monitoring.classification import IS_GBV, QUESTION_KEYS, QUESTIONS
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
from sentinelle.monitoring.models.mrm_eo_codes import ActivityAtTime, PerpetratorParty
from sentinelle.monitoring.validation import GBV_CODES

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
SQLITE_IN_LIMIT = 900


# --- Victim columns: outcome x sex x age group ---------------------------------------------------

_OUTCOME_TAG = {Outcome.KILLED: "+killed", Outcome.INJURED: "+injured", Outcome.AFFECTED: ""}
_SEX_TAG = {Sex.FEMALE: "+f", Sex.MALE: "+m", Sex.UNKNOWN: ""}
# HNO convention: children 0-17 (split here by custom attributes), adults 18-59, elderly 60+; a
# column of children or adults without a finer age attribute is the coarse group (0_17, 18_plus).
_AGE_TAG = {
    AgeGroup.AGE_0_5: "+children+age_0_5",
    AgeGroup.AGE_6_11: "+children+age_6_11",
    AgeGroup.AGE_12_17: "+children+age_12_17",
    AgeGroup.AGE_18_59: "+adults+age_18_59",
    AgeGroup.AGE_60_PLUS: "+elderly+age_60_plus",
    AgeGroup.CHILDREN: "+children",
    AgeGroup.ADULTS: "+adults",
    AgeGroup.UNKNOWN: "",
}
_AGE_ATTRIBUTES = (
    "infants",
    "children",
    "adolescents",
    "adults",
    "elderly",
    *(f"age_{a}" for a in AgeGroup.values),
)
# The finer age attributes a coarse column must not carry (#affected+killed+f+children+age_0_5 is 0-5).
_FINER = {
    AgeGroup.CHILDREN: ("infants", "adolescents", "age_0_5", "age_6_11", "age_12_17"),
    AgeGroup.ADULTS: ("elderly", "age_18_59", "age_60_plus"),
}
# The finer groups a coarse cell may be the total of (`victim_overlaps`). Not 60 and over: after the HNO
# convention, adults (18-59) and elderly (60+) are given side by side, each without the other.
_COARSE_OF = {
    AgeGroup.AGE_0_5: AgeGroup.CHILDREN,
    AgeGroup.AGE_6_11: AgeGroup.CHILDREN,
    AgeGroup.AGE_12_17: AgeGroup.CHILDREN,
    AgeGroup.AGE_18_59: AgeGroup.ADULTS,
}


def _victim_patterns(outcome: str, sex: str, age: str) -> str:
    outcome_part = _OUTCOME_TAG[outcome] or "-killed-injured-displaced-idps-refugees-hh"
    sex_part = _SEX_TAG[sex] or "-f-m-i"
    if age == AgeGroup.UNKNOWN:
        age_parts = ["-" + "-".join(_AGE_ATTRIBUTES)]
    else:
        age_parts = [f"+age_{age}"]
        if age in _FINER:
            coarse = "+children" if age == AgeGroup.CHILDREN else "+adults"
            age_parts.append(coarse + "".join(f"-{attribute}" for attribute in _FINER[age]))
        elif age == AgeGroup.AGE_60_PLUS:
            age_parts.append("+elderly")
    return "|".join(f"#affected{outcome_part}{sex_part}{part}-total" for part in age_parts)


def _victim_column(outcome: str, sex: str, age: str) -> ImportColumn:
    return ImportColumn(
        key=f"victims_{outcome}_{sex}_{age}",
        label=format_lazy("{} – {} – {}", Outcome(outcome).label, Sex(sex).label, AgeGroup(age).label),
        hxl=f"#affected{_OUTCOME_TAG[outcome]}{_SEX_TAG[sex]}{_AGE_TAG[age]}",
        match=_victim_patterns(outcome, sex, age),
        type=COUNT,
        kobo=(f"{outcome}_{sex}_{age}",),
    )


VICTIM_CELLS = [(o, s, a) for o in Outcome.values for s in Sex.values for a in AgeGroup.values]
VICTIM_COLUMNS = [_victim_column(*cell) for cell in VICTIM_CELLS]
VICTIM_BY_KEY = {column.key: cell for column, cell in zip(VICTIM_COLUMNS, VICTIM_CELLS, strict=True)}


def victim_overlaps(row) -> None:
    """Record an error on each coarse victim cell of the row (children, adults) when a finer cell of the
    same outcome and sex is also filled: the file may give a total and its breakdown, which added up
    would count the same victims twice."""
    finer: dict[str, list[str]] = {}
    for key in row.raw:
        cell = VICTIM_BY_KEY.get(key)
        if cell is not None and cell[2] in _COARSE_OF and row.get(key):
            outcome, sex, age = cell
            finer.setdefault(f"victims_{outcome}_{sex}_{_COARSE_OF[age]}", []).append(key)
    for coarse_key, keys in finer.items():
        if row.get(coarse_key):
            row.error(
                coarse_key,
                _(
                    "This row gives these victims both without finer age group (this column) and by "
                    "finer age group (%(columns)s): give one or the other, not both, or the same victims "
                    "could be counted twice."
                )
                % {"columns": ", ".join(f"“{row.columns[key].french_label()}”" for key in keys)},
            )


# --- The other columns -----------------------------------------------------------------------------

GENERAL_COLUMNS = [
    ImportColumn(
        "source_id",
        gettext_lazy("Identifier"),
        "#event+id",
        kobo=("instanceID", "_uuid"),
        help=gettext_lazy(
            "Your identifier of the incident: imported again, the same identifier changes nothing."
        ),
    ),
    ImportColumn(
        "date_start",
        gettext_lazy("Date of the incident"),
        "#date+occurred",
        match="#date+occurred-end",
        type=DATE,
        required=True,
        help=gettext_lazy("2024-03-31 or 31/03/2024; the first day if it lasted several days."),
    ),
    ImportColumn("date_end", gettext_lazy("Last day (if several days)"), "#date+occurred+end", type=DATE),
    ImportColumn(
        "date_estimated", gettext_lazy("Date estimated (yes/no)"), "#meta+date_estimated", type=BOOL
    ),
    ImportColumn("date_reported", gettext_lazy("Date reported"), "#date+reported", type=DATE, required=True),
    ImportColumn("adm1_code", gettext_lazy("Region (P-code)"), "#adm1+code", kobo=("region",)),
    ImportColumn("adm1_name", gettext_lazy("Region"), "#adm1+name", match="#adm1-code"),
    ImportColumn("adm2_code", gettext_lazy("Cercle (P-code)"), "#adm2+code", kobo=("cercle",)),
    ImportColumn("adm2_name", gettext_lazy("Cercle"), "#adm2+name", match="#adm2-code"),
    ImportColumn("adm3_code", gettext_lazy("Commune (P-code)"), "#adm3+code", kobo=("commune",)),
    ImportColumn("adm3_name", gettext_lazy("Commune"), "#adm3+name", match="#adm3-code"),
    ImportColumn("settlement", gettext_lazy("Locality (name or P-code)"), "#loc+name", match="#loc-facility"),
    ImportColumn(
        "categories",
        gettext_lazy("Categories"),
        "#event+type",
        type=CODES,
        choices=Category,
        required=True,
        required_unless=("gbv_survivor_sex",),
        help=gettext_lazy(
            "One or more codes separated by “;”. gbv alone is a GBV allegation: no survivor details."
        ),
    ),
    ImportColumn(
        "perpetrator_category",
        gettext_lazy("Alleged perpetrator"),
        "#group",
        type=CODE,
        choices=PerpetratorCategory,
        help=gettext_lazy("A category, never a name."),
    ),
    ImportColumn(
        "source_mechanism", gettext_lazy("Source"), "#meta+source", type=CODE, choices=SourceMechanism
    ),
    ImportColumn(
        "reliability",
        gettext_lazy("Source reliability (A-F)"),
        "#meta+reliability",
        type=CODE,
        choices=Reliability,
    ),
    ImportColumn(
        "sharing_level", gettext_lazy("Sharing level"), "#meta+sharing", type=CODE, choices=SharingLevel
    ),
    ImportColumn(
        "organisation",
        gettext_lazy("Organisation"),
        "#org",
        help=gettext_lazy("Optional: checked against the import's."),
    ),
    ImportColumn(
        "summary",
        gettext_lazy("Non-identifying summary"),
        "#description",
        match="#description-account",
        help=gettext_lazy("No name, no detail that identifies someone."),
    ),
    ImportColumn(
        "account",
        gettext_lazy("Account (confidential)"),
        "#description+account",
        help=gettext_lazy("Stored encrypted; only your organisation reads it."),
    ),
    ImportColumn("latitude", gettext_lazy("Latitude"), "#geo+lat", type=NUMBER),
    ImportColumn("longitude", gettext_lazy("Longitude"), "#geo+lon", type=NUMBER),
    ImportColumn(
        "coordinates", gettext_lazy("GPS position"), "#geo+coord", kobo=("coordinates",), in_template=False
    ),
    ImportColumn(
        "displaced_households", gettext_lazy("Households displaced"), "#affected+displaced+hh", type=COUNT
    ),
    ImportColumn(
        "displaced_individuals",
        gettext_lazy("Individuals displaced"),
        "#affected+displaced+ind",
        match="#affected+displaced-hh",
        type=COUNT,
    ),
]

# The GBV survivor columns (GBVIMS): for GBV service providers only; a monitor leaves them empty.
SURVIVOR_ONLY = gettext_lazy(
    "GBV service providers only, with the survivor's consent; leave empty for a GBV allegation."
)

DETAIL_COLUMNS = [
    ImportColumn(
        "mrm_violations",
        gettext_lazy("Grave violations against children (MRM)"),
        "#meta+mrm+violation",
        type=CODES,
        choices=ViolationType,
        kobo=("violation_type",),
        help=gettext_lazy("For the category child_rights; child victims come from the victim columns."),
    ),
    ImportColumn(
        "mrm_party",
        gettext_lazy("Party responsible (MRM)"),
        "#meta+mrm+party",
        type=CODE,
        choices=PerpetratorParty,
        kobo=("perpetrator_party",),
    ),
    ImportColumn(
        "mrm_verification",
        gettext_lazy("Verification (MRM)"),
        "#meta+mrm+verification",
        type=CODE,
        choices=Verification,
        kobo=("verification",),
    ),
    ImportColumn(
        "mrm_facility", gettext_lazy("School or hospital attacked"), "#loc+facility", kobo=("facility",)
    ),
    ImportColumn(
        "eo_device",
        gettext_lazy("Explosive device"),
        "#meta+eo+device",
        type=CODE,
        choices=DeviceType,
        kobo=("device_type",),
    ),
    ImportColumn(
        "eo_activity",
        gettext_lazy("Activity at the time of the explosion"),
        "#meta+eo+activity",
        type=CODE,
        choices=ActivityAtTime,
        kobo=("activity",),
    ),
    ImportColumn(
        "gbv_survivor_sex",
        gettext_lazy("GBV survivor: sex"),
        "#meta+gbv+survivor_sex",
        type=CODE,
        choices=Sex,
        kobo=("survivor_sex",),
        help=SURVIVOR_ONLY,
    ),
    ImportColumn(
        "gbv_survivor_age",
        gettext_lazy("GBV survivor: age"),
        "#meta+gbv+survivor_age",
        type=COUNT,
        kobo=("survivor_age",),
        help=SURVIVOR_ONLY,
    ),
    ImportColumn(
        "gbv_type",
        gettext_lazy("GBV type (classification tool)"),
        "#meta+gbv+type",
        type=CODE,
        choices=GBVType,
        help=format_lazy(
            "{} {}",
            SURVIVOR_ONLY,
            gettext_lazy("The answers of the classification tool follow from the type."),
        ),
    ),
    ImportColumn(
        "gbv_consent",
        gettext_lazy("GBV: consent to report (yes/no)"),
        "#meta+gbv+consent",
        type=BOOL,
        kobo=("consent_to_report",),
        help=SURVIVOR_ONLY,
    ),
]

# GBV fields that a Kobo export of the GBV form carries (not in the template: GBVIMS partners use it).
GBV_CODE_FIELDS = {name: codes for name, codes in GBV_CODES.items() if name != "survivor_sex"}
KOBO_COLUMNS = [
    # A Kobo export's row number, to which the repeat sheets point (_parent_index).
    ImportColumn("kobo_index", "_index", "#meta+kobo+index", kobo=("_index",), in_template=False),
    ImportColumn(
        "kobo_has_victims",
        "has_victims",
        "#meta+kobo+has_victims",
        type=BOOL,
        kobo=("has_victims",),
        in_template=False,
    ),
    ImportColumn(
        "kobo_has_casualties",
        "has_casualties",
        "#meta+kobo+has_casualties",
        type=BOOL,
        kobo=("has_casualties",),
        in_template=False,
    ),
]
# Questions of the forms that carry no data of their own (counts of repeats, notes).
KOBO_IGNORED = frozenset({"violation_number", "intro", "classification_note", "gbv_allegation"})

GBV_FORM_COLUMNS = [
    *(
        ImportColumn(
            f"gbv_{name}",
            name,
            f"#meta+gbv+{name}",
            type=CODE,
            choices=choices,
            kobo=(name,),
            in_template=False,
        )
        for name, choices in GBV_CODE_FIELDS.items()
    ),
    ImportColumn(
        "gbv_survivor_age_estimated",
        "survivor_age_estimated",
        "#meta+gbv+age_estimated",
        type=BOOL,
        kobo=("survivor_age_estimated",),
        in_template=False,
    ),
    ImportColumn(
        "gbv_perpetrator_count",
        "perpetrator_count",
        "#meta+gbv+perpetrator_count",
        type=COUNT,
        kobo=("perpetrator_count",),
        in_template=False,
    ),
    ImportColumn(
        "gbv_perpetrator_occupation",
        "perpetrator_occupation",
        "#meta+gbv+perpetrator_occupation",
        kobo=("perpetrator_occupation",),
        in_template=False,
    ),
    ImportColumn(
        "gbv_survivor_code",
        "survivor_code",
        "#meta+gbv+survivor_code",
        kobo=("survivor_code",),
        in_template=False,
    ),
    ImportColumn(
        "gbv_other_categories",
        "other_categories",
        "#meta+gbv+other_categories",
        type=CODES,
        choices=Category,
        kobo=("other_categories",),
        in_template=False,
    ),
    *(
        ImportColumn(f"gbv_q_{key}", key, f"#meta+gbv+q_{key}", type=BOOL, kobo=(key,), in_template=False)
        for key in QUESTION_KEYS
    ),
    *(
        ImportColumn(
            f"gbv_referral_{code}",
            f"referral_{code}",
            f"#meta+gbv+referral_{code}",
            type=CODE,
            choices=g.ReferralStatus,
            kobo=(f"referral_{code}",),
            in_template=False,
        )
        for code in g.IRService.values
    ),
]

GBV_KEYS = frozenset(
    [c.key for c in DETAIL_COLUMNS if c.key.startswith("gbv_")] + [c.key for c in GBV_FORM_COLUMNS]
)
AREA_KEYS = ("adm3_code", "adm3_name", "adm2_code", "adm2_name", "adm1_code", "adm1_name")
LEVEL_KEYS = {3: ("adm3_code", "adm3_name"), 2: ("adm2_code", "adm2_name"), 1: ("adm1_code", "adm1_name")}
TYPE_TO_VIOLATION_OUTCOME = {"killing": Outcome.KILLED, "maiming": Outcome.INJURED}


def answers_for_type(gbv_type: str) -> dict[str, bool]:
    """The classification tool's answers that give `gbv_type`: "no" up to its question, then "yes"."""
    answers = {}
    for key, question_type in QUESTIONS:
        answers[key] = question_type == gbv_type
        if answers[key]:
            return answers
    answers[IS_GBV] = False
    return answers
