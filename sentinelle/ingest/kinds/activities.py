"""The "activities" import: a partner's 4W file, one row per activity, written by activity_import_many.

Each row goes into the organisation's monthly report of the month of its start date (created when
missing). A row is refused, with its row and column, when that month is locked by the cluster or the
month's report is already submitted or validated; the whole file is then refused (all-or-nothing).
The reference column (#meta+id) identifies a row; without it, the row's typed values do (content hash),
so importing the same file twice records nothing twice.

People reached are one count column per sex and age group (#reached+f+children+age_0_5 ...; the coarse
#reached+f+children is 0-17 and #reached+f+adults 18 and over, the finer group unknown, never next to a
finer group of the same sex in one row) and one population-status column (#group+population: idp,
idp_returnee, repatriate, refugee, host) that applies to the row's counts; give several rows for several
population groups. Totals may come with them, with an
unknown part (services/counts.py): #reached+f and #reached+m are all the women and girls, all the men and
boys (their rest beyond the age columns: age unknown), #reached+total everyone (its rest: sex unknown); a
split larger than its total refuses the row. The columns and hashtags follow the 4W export
(activities/exports.py) where both have the same thing.

Participants of a training, by category and sex: #reached+trained+<category>+f / +m / +total (the total's
rest beyond women and men: sex unknown), or, for a training of one category, a category column
(#group+trained) with #reached+trained+f / +m / +total.
"""

from dataclasses import dataclass, field

from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sentinelle.activities.models import (
    Activity,
    ActivityReport,
    ActivityStatus,
    ActivityType,
    ParticipantCategory,
    Project,
    ReportingPeriod,
)
from sentinelle.activities.services.reporting import (
    BENEFICIARY_AGES,
    BENEFICIARY_SEXES,
    EDITABLE,
    ActivityLine,
    BeneficiaryCell,
    ParticipantCell,
    ParticipantTotal,
    ReachedTotal,
    activity_check,
    activity_import_many,
    month_of,
)
from sentinelle.core.codes import AgeGroup, PopulationStatus, Sex
from sentinelle.core.permissions import Perm, may_act_for
from sentinelle.core.text import normalise_text
from sentinelle.core.validation import Errors
from sentinelle.geography.models import AdminLevel
from sentinelle.geography.selectors import AreaLookupError, AreaResolver
from sentinelle.ingest.kinds import register
from sentinelle.ingest.kinds.base import CODE, COUNT, DATE, ImportColumn, ImportKind, Row, RowError
from sentinelle.ingest.runner import commit_refusals

_IN_LIMIT = 900
_AGE_TAGS = {
    AgeGroup.AGE_0_5: "+children+age_0_5",
    AgeGroup.AGE_6_11: "+children+age_6_11",
    AgeGroup.AGE_12_17: "+children+age_12_17",
    AgeGroup.CHILDREN: "+children",
    AgeGroup.AGE_18_59: "+adults+age_18_59",
    AgeGroup.AGE_60_PLUS: "+elderly+age_60_plus",
    AgeGroup.ADULTS: "+adults",
}
# What recognises each age group's column. A coarse column never takes a finer one's tag; "+adults"
# alone is 18 and over (some files mean 18-59 by it: the coarse group is right either way).
_AGE_MATCH = {
    AgeGroup.AGE_0_5: ["+age_0_5"],
    AgeGroup.AGE_6_11: ["+age_6_11"],
    AgeGroup.AGE_12_17: ["+age_12_17"],
    AgeGroup.CHILDREN: ["+children-age_0_5-age_6_11-age_12_17-infants-adolescents"],
    AgeGroup.AGE_18_59: ["+age_18_59"],
    AgeGroup.AGE_60_PLUS: ["+age_60_plus", "+elderly"],
    AgeGroup.ADULTS: ["+adults-age_18_59-age_60_plus"],
}
# The finer groups a coarse column may be the total of (adults 18-59 and elderly 60+ go side by side, as
# in the population import): both in one row for one sex could count the same people twice.
_COARSE_OF = {
    AgeGroup.AGE_0_5: AgeGroup.CHILDREN,
    AgeGroup.AGE_6_11: AgeGroup.CHILDREN,
    AgeGroup.AGE_12_17: AgeGroup.CHILDREN,
    AgeGroup.AGE_18_59: AgeGroup.ADULTS,
}
PARTICIPANT_SEXES = (Sex.FEMALE, Sex.MALE)


def reached_key(sex: str, age: str) -> str:
    return f"reached_{sex}_{age}"


def _reached_column(sex: str, age: str) -> ImportColumn:
    return ImportColumn(
        reached_key(sex, age),
        format_lazy("{}: {}, {}", gettext_lazy("People reached"), Sex(sex).label, AgeGroup(age).label),
        f"#reached+{sex}{_AGE_TAGS[age]}",
        type=COUNT,
        match="|".join(f"#reached+{sex}{part}-trained" for part in _AGE_MATCH[age]),
    )


REACHED_COLUMNS = [_reached_column(sex, age) for sex in BENEFICIARY_SEXES for age in BENEFICIARY_AGES]
REACHED_CELLS = {reached_key(sex, age): (sex, age) for sex in BENEFICIARY_SEXES for age in BENEFICIARY_AGES}
REACHED_TOTAL_COLUMNS = [
    *(
        ImportColumn(
            f"reached_{sex}_total",
            format_lazy(
                "{}: {}, {}", gettext_lazy("People reached"), Sex(sex).label, gettext_lazy("all ages")
            ),
            f"#reached+{sex}",
            type=COUNT,
            match=f"#reached+{sex}-trained",
            help=gettext_lazy(
                "Optional total of this sex, every age: beyond the age columns, the rest is counted "
                "with age unknown."
            ),
        )
        for sex in BENEFICIARY_SEXES
    ),
    ImportColumn(
        "reached_unknown_sex",
        gettext_lazy("People reached: sex unknown"),
        "#reached+unknown_sex",
        type=COUNT,
        match="#reached+unknown_sex-trained",
        help=gettext_lazy("People whose sex is not known (their age is not known either)."),
    ),
    ImportColumn(
        "reached_total",
        gettext_lazy("People reached: total"),
        "#reached+total",
        type=COUNT,
        match="#reached+total-trained",
        help=gettext_lazy(
            "Optional: everyone reached. Beyond what the columns by sex give, the rest is counted with sex "
            "unknown, never spread over women and men; columns by sex that add up to more refuse the row."
        ),
    ),
]


def participants_key(category: str, part: str) -> str:
    """The column of a category's participants: part is a sex or "total"."""
    return f"participants_{category}_{part}"


def _participant_columns(category: str, label) -> list[ImportColumn]:
    columns = [
        ImportColumn(
            participants_key(category, sex),
            format_lazy("{}: {}, {}", gettext_lazy("Participants"), label, Sex(sex).label),
            f"#reached+trained+{category}+{sex}",
            type=COUNT,
        )
        for sex in PARTICIPANT_SEXES
    ]
    columns.append(
        ImportColumn(
            participants_key(category, "total"),
            format_lazy("{}: {}, {}", gettext_lazy("Participants"), label, gettext_lazy("total")),
            f"#reached+trained+{category}+total",
            type=COUNT,
            match=f"#reached+trained+{category}+total|#reached+trained+{category}-f-m",
            help=gettext_lazy(
                "Optional: beyond the women and the men, the rest is counted with sex unknown."
            ),
        )
    )
    return columns


PARTICIPANT_COLUMNS = [
    ImportColumn(
        "participant_category",
        gettext_lazy("Category of the participants"),
        "#group+trained",
        type=CODE,
        choices=ParticipantCategory,
        help=gettext_lazy(
            "For a training of one category: the category that the three columns that follow count."
        ),
    ),
    *(
        ImportColumn(
            f"participants_{part}",
            format_lazy("{}: {}", gettext_lazy("Participants"), label),
            f"#reached+trained+{part}",
            type=COUNT,
            help=gettext_lazy("Participants of the category of the row's category column."),
        )
        for part, label in (
            (Sex.FEMALE, Sex.FEMALE.label),
            (Sex.MALE, Sex.MALE.label),
            ("total", gettext_lazy("total")),
        )
    ),
    *(
        column
        for category, label in ParticipantCategory.choices
        for column in _participant_columns(category, label)
    ),
]
_PARTICIPANT_ERROR_COLUMNS = {
    f"participants.{category}": [
        participants_key(category, "total"),
        "participants_total",
        *(participants_key(category, sex) for sex in PARTICIPANT_SEXES),
        *(f"participants_{sex}" for sex in PARTICIPANT_SEXES),
    ]
    for category in ParticipantCategory.values
}

COLUMNS = [
    ImportColumn(
        "reference",
        gettext_lazy("Reference"),
        "#meta+id",
        help=gettext_lazy("Your own identifier of the activity: importing the file again changes nothing."),
    ),
    ImportColumn(
        "organisation",
        gettext_lazy("Organisation"),
        "#org+acronym",
        match="#org",
        help=gettext_lazy("Optional: rows of another organisation are refused."),
    ),
    ImportColumn("project", gettext_lazy("Project (code)"), "#activity+project"),
    ImportColumn(
        "activity_type",
        gettext_lazy("Type of activity"),
        "#activity+type",
        type=CODE,
        choices=ActivityType,
        required=True,
        match="#activity+type-code|#activity+type+code",
    ),
    ImportColumn("title", gettext_lazy("Title"), "#activity+name"),
    ImportColumn("status", gettext_lazy("Status"), "#status", type=CODE, choices=ActivityStatus),
    ImportColumn("adm2_name", gettext_lazy("Cercle"), "#adm2+name"),
    ImportColumn("adm2_code", gettext_lazy("Cercle (P-code)"), "#adm2+code"),
    ImportColumn("adm3_name", gettext_lazy("Commune"), "#adm3+name"),
    ImportColumn("adm3_code", gettext_lazy("Commune (P-code)"), "#adm3+code"),
    ImportColumn("start_date", gettext_lazy("Start"), "#date+start", type=DATE, required=True),
    ImportColumn(
        "end_date", gettext_lazy("End"), "#date+end", type=DATE, help=gettext_lazy("The start date if empty.")
    ),
    ImportColumn("quantity", gettext_lazy("Quantity"), "#output+num", type=COUNT),
    ImportColumn(
        "population_status",
        gettext_lazy("Population group of the people reached"),
        "#group+population",
        type=CODE,
        choices=PopulationStatus,
    ),
    *REACHED_COLUMNS,
    *REACHED_TOTAL_COLUMNS,
    ImportColumn("training_topic", gettext_lazy("Topic of the training"), "#activity+topic"),
    ImportColumn("training_place", gettext_lazy("Place of the training"), "#loc+training"),
    ImportColumn("training_trainers", gettext_lazy("Trainers"), "#contact+trainers"),
    *PARTICIPANT_COLUMNS,
]


@dataclass
class Context:
    resolver: AreaResolver
    organisation: object
    actor: object
    projects: dict = field(default_factory=dict)  # normalised code -> Project of the organisation
    months: dict = field(default_factory=dict)  # month -> refusal message or ""
    allowed: dict = field(default_factory=dict)  # area id -> bool


@register
class ActivityImport(ImportKind):
    code = "activities"
    label = gettext_lazy("Activities (4W)")
    description = gettext_lazy(
        "Your organisation's activities of the month: one row per activity, with the people reached by "
        "sex and age group. Each row goes into the monthly report of its start date."
    )
    columns = COLUMNS
    required_any = [["adm2_code", "adm2_name", "adm3_code", "adm3_name"]]
    perm = Perm.ACTIVITY_EDIT
    commit_validates = True
    error_columns = {
        "activity_type": ["activity_type"],
        "area": ["adm3_code", "adm3_name", "adm2_code", "adm2_name"],
        "start_date": ["start_date"],
        "end_date": ["end_date"],
        "project": ["project"],
        "quantity": ["quantity"],
        "beneficiaries": ["population_status"],
        "reached_total": ["reached_total"],
        **{f"reached_{sex}_total": [f"reached_{sex}_total"] for sex in BENEFICIARY_SEXES},
        "training_topic": ["training_topic"],
        "participants": [
            "participant_category",
            *(column.key for column in PARTICIPANT_COLUMNS[1:]),
            "training_topic",
        ],
        **_PARTICIPANT_ERROR_COLUMNS,
    }
    instructions = [
        gettext_lazy(
            "People reached: give what you know. The columns by sex and age group are the known part; "
            "“all ages” columns are all the women and girls, all the men and boys; the total is everyone. "
            "What a total has beyond its detail is counted with sex (or age) unknown: never spread over "
            "women and men. A detail larger than its total refuses the row."
        ),
        gettext_lazy(
            "Training participants: the columns of each category (women, men, total), or, for a "
            "training of one category, the category column and its three columns (HXL #group+trained, "
            "#reached+trained+f, +m, +total). A total larger than its women and men: the rest is counted "
            "with sex unknown."
        ),
    ]
    preview_labels = [
        gettext_lazy("Reference"),
        gettext_lazy("Month"),
        gettext_lazy("Type of activity"),
        gettext_lazy("Where"),
        gettext_lazy("People reached"),
        gettext_lazy("Participants"),
    ]

    def start(self, *, job) -> Context:
        organisation = job.organisation
        projects = {
            normalise_text(p.code): p
            for p in Project.objects.filter(organisation=organisation, is_archived=False)
        }
        return Context(
            resolver=AreaResolver(),
            organisation=organisation,
            actor=job.committed_by or job.created_by,
            projects=projects,
        )

    # --- Row -> ActivityLine ---------------------------------------------------------------------

    def build(self, row: Row, context: Context) -> ActivityLine:
        if row.has("organisation"):
            value = row.get("organisation") or ""
            own = {normalise_text(context.organisation.acronym), normalise_text(context.organisation.name)}
            if normalise_text(value) not in own:
                row.error(
                    "organisation",
                    _("This row is an activity of %(value)s, not of %(organisation)s.")
                    % {"value": value, "organisation": context.organisation.acronym},
                )
        area = self._area(row, context)
        project = None
        if row.has("project"):
            project = context.projects.get(normalise_text(row.get("project") or ""))
            if project is None:
                row.error(
                    "project",
                    _("No project “%(code)s” of %(organisation)s in Sentinelle.")
                    % {"code": row.get("project"), "organisation": context.organisation.acronym},
                )
        status = row.get("population_status")
        cells = []
        for key, (sex, age) in REACHED_CELLS.items():
            count = row.get(key)
            if count:
                cells.append((sex, age, count))
        self._check_overlaps(row, cells)
        if row.get("reached_unknown_sex"):
            cells.append((Sex.UNKNOWN, AgeGroup.UNKNOWN, row.get("reached_unknown_sex")))
        totals = [
            (sex, row.get(key))
            for sex, key in (
                *((sex, f"reached_{sex}_total") for sex in BENEFICIARY_SEXES),
                ("", "reached_total"),
            )
            if row.get(key) is not None
        ]
        if (cells or any(count for _sex, count in totals)) and not status:
            row.error(
                "population_status",
                _(
                    "Give the population group of the people reached "
                    "(idp, idp_returnee, repatriate, refugee, host)."
                ),
            )
        participants, participant_totals = self._participants(row)
        start = row.get("start_date")
        # Returned even after errors (but never without a place): the runner checks the rest of the row.
        if area is None:
            raise RowError
        return ActivityLine(
            activity_type=row.get("activity_type"),
            area=area,
            start_date=start,
            end_date=row.get("end_date") or start,
            project=project,
            title=row.get("title") or "",
            status=row.get("status") or ActivityStatus.COMPLETED,
            quantity=row.get("quantity"),
            beneficiaries=[BeneficiaryCell(sex, age, status, count) for sex, age, count in cells],
            reached_totals=[ReachedTotal(status, count, sex) for sex, count in totals] if status else [],
            training_topic=row.get("training_topic") or "",
            training_place=row.get("training_place") or "",
            training_trainers=row.get("training_trainers") or "",
            participants=participants,
            participant_totals=participant_totals,
            source_key=(row.get("reference") or row.content_hash())[:64],
        )

    def _check_overlaps(self, row: Row, cells: list[tuple]) -> None:
        given = {(sex, age) for sex, age, _count in cells}
        for sex, age in sorted(given):
            coarse = _COARSE_OF.get(age)
            if coarse is not None and (sex, coarse) in given:
                row.error(
                    reached_key(sex, coarse),
                    _(
                        "This row gives this sex both without finer age group (this column) and by finer "
                        "age group (“%(column)s”): give one or the other, not both, or the same people "
                        "could be counted twice."
                    )
                    % {"column": self.columns_by_key[reached_key(sex, age)].french_label()},
                )
                given.discard((sex, coarse))

    def _participants(self, row: Row) -> tuple[list[ParticipantCell], list[ParticipantTotal]]:
        """Participants by category and sex from the columns of each category, and from the category
        column with its own three columns (a training of one category)."""
        cells, totals = [], []
        for category in ParticipantCategory.values:
            for sex in PARTICIPANT_SEXES:
                count = row.get(participants_key(category, sex))
                if count:
                    cells.append(ParticipantCell(category, sex, count))
            total = row.get(participants_key(category, "total"))
            if total is not None:
                totals.append(ParticipantTotal(category, total))
        generic = {part: row.get(f"participants_{part}") for part in (*PARTICIPANT_SEXES, "total")}
        if all(count is None for count in generic.values()):
            return cells, totals
        category = row.get("participant_category")
        if category is None:
            if not row.has("participant_category"):
                row.error(
                    "participant_category",
                    _("Give the category of the participants (%(codes)s).")
                    % {"codes": ", ".join(ParticipantCategory.values)},
                )
            return cells, totals
        given = {cell.category for cell in cells} | {total.category for total in totals}
        if category in given:
            row.error(
                "participant_category",
                _(
                    "The participants “%(category)s” are given twice: in the columns of their category "
                    "and with the category column."
                )
                % {"category": ParticipantCategory(category).label},
            )
            return cells, totals
        for sex in PARTICIPANT_SEXES:
            if generic[sex]:
                cells.append(ParticipantCell(category, sex, generic[sex]))
        if generic["total"] is not None:
            totals.append(ParticipantTotal(category, generic["total"]))
        return cells, totals

    def _area(self, row: Row, context: Context):
        key = next(
            (k for k in ("adm3_code", "adm3_name", "adm2_code", "adm2_name") if row.has(k)), "adm2_code"
        )
        try:
            cercle = None
            if row.has("adm2_code") or row.has("adm2_name"):
                value = row.get("adm2_code") or row.get("adm2_name")
                cercle = context.resolver.resolve(value, level=AdminLevel.CERCLE)
            if row.has("adm3_code") or row.has("adm3_name"):
                value = row.get("adm3_code") or row.get("adm3_name")
                return context.resolver.resolve(value, level=AdminLevel.COMMUNE, parent=cercle)
            return cercle
        except AreaLookupError as error:
            row.error(key, str(error))
            return None

    # --- Domain ---------------------------------------------------------------------------------

    def _month_problem(self, month, context: Context) -> str:
        if month not in context.months:
            report = (
                ActivityReport.objects.filter(organisation=context.organisation, period__month=month)
                .select_related("period")
                .first()
            )
            period = report.period if report else ReportingPeriod.objects.filter(month=month).first()
            message = ""
            if period is not None and period.is_locked:
                message = _("The period %(month)s is locked: only an administrator can reopen it.") % {
                    "month": month.strftime("%m/%Y")
                }
            elif report is not None and report.status not in EDITABLE:
                message = _("The report of %(month)s is %(status)s: it can no longer be changed.") % {
                    "month": month.strftime("%m/%Y"),
                    "status": str(report.get_status_display()).lower(),
                }
            context.months[month] = message
        return context.months[month]

    def validate(self, item: ActivityLine, context: Context) -> list[tuple[str, str]]:
        problems = []
        month = month_of(item.start_date)
        problem = self._month_problem(month, context)
        if problem:
            problems.append(("start_date", problem))
        if item.area.pk not in context.allowed:
            context.allowed[item.area.pk] = may_act_for(
                context.actor, Perm.ACTIVITY_EDIT, organisation=context.organisation, area=item.area
            )
        if not context.allowed[item.area.pk]:
            problems.append(
                (
                    "area",
                    _("You may not record activities of %(organisation)s in %(area)s.")
                    % {"organisation": context.organisation.acronym, "area": item.area.name_fr},
                )
            )
        errors = Errors()
        activity_check(errors, item, organisation=context.organisation, month=month)
        problems += [(key, message) for key, messages in errors.as_dict().items() for message in messages]
        return problems

    def source_id(self, item: ActivityLine) -> str:
        return item.source_key

    def existing(self, *, organisation, source_ids: list[str]) -> set[str]:
        found = set()
        for start in range(0, len(source_ids), _IN_LIMIT):
            found.update(
                Activity.objects.filter(
                    organisation=organisation,
                    is_archived=False,
                    source_key__in=source_ids[start : start + _IN_LIMIT],
                ).values_list("source_key", flat=True)
            )
        return found

    def commit(self, *, actor, organisation, items: list[ActivityLine]) -> tuple[int, int]:
        with commit_refusals():
            result = activity_import_many(actor=actor, organisation=organisation, rows=items)
        return result.created, result.unchanged

    def preview(self, item: ActivityLine) -> list[str]:
        source = "" if item.source_key.startswith("h:") else item.source_key
        return [
            source,
            item.start_date.strftime("%m/%Y") if item.start_date else "",
            str(ActivityType(item.activity_type).label) if item.activity_type in ActivityType.values else "",
            f"{item.area.name_fr} ({item.area.pcode})" if item.area else "",
            str(sum(cell.count for cell in item.completed_beneficiaries())),
            str(sum(cell.count for cell in item.completed_participants())),
        ]
