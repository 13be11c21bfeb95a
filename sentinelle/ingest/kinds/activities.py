"""The "activities" import: a partner's 4W file, one row per activity, written by activity_import_many.

Each row goes into the organisation's monthly report of the month of its start date (created when
missing). A row is refused, with its row and column, when that month is locked by the cluster or the
month's report is already submitted or validated; the whole file is then refused (all-or-nothing).
The reference column (#meta+id) identifies a row; without it, the row's typed values do (content hash),
so importing the same file twice records nothing twice.

People reached are one count column per sex and age group (#reached+f+children+age_0_5 ...) and one
population-status column (#group+population: idp, idp_returnee, repatriate, refugee, host) that applies
to the row's counts; give several rows for several population groups. The columns and hashtags follow the
4W export (activities/exports.py) where both have the same thing.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sentinelle.activities.models import (
    Activity,
    ActivityReport,
    ActivityStatus,
    ActivityType,
    Project,
    ReportingPeriod,
)
from sentinelle.activities.services.reporting import (
    BENEFICIARY_AGES,
    BENEFICIARY_SEXES,
    EDITABLE,
    ActivityInput,
    BeneficiaryCell,
    activity_errors,
    activity_import_many,
    month_of,
)
from sentinelle.core.codes import AgeGroup, PopulationStatus, Sex
from sentinelle.core.permissions import Perm, may_act_for
from sentinelle.core.text import normalise_text
from sentinelle.geography.models import AdminLevel
from sentinelle.geography.selectors import AreaLookupError, AreaResolver
from sentinelle.ingest.kinds import register
from sentinelle.ingest.kinds.base import CODE, COUNT, DATE, ImportColumn, ImportKind, Row, RowError
from sentinelle.ingest.runner import CommitRefused

_IN_LIMIT = 900
_AGE_TAGS = {
    AgeGroup.AGE_0_5: "+children+age_0_5",
    AgeGroup.AGE_6_11: "+children+age_6_11",
    AgeGroup.AGE_12_17: "+children+age_12_17",
    AgeGroup.AGE_18_59: "+adults+age_18_59",
    AgeGroup.AGE_60_PLUS: "+elderly+age_60_plus",
}


def reached_key(sex: str, age: str) -> str:
    return f"reached_{sex}_{age}"


def _reached_column(sex: str, age: str) -> ImportColumn:
    return ImportColumn(
        reached_key(sex, age),
        format_lazy("{}: {}, {}", gettext_lazy("People reached"), Sex(sex).label, AgeGroup(age).label),
        f"#reached+{sex}{_AGE_TAGS[age]}",
        type=COUNT,
        match=f"#reached+{sex}+age_{age}",
    )


REACHED_COLUMNS = [_reached_column(sex, age) for sex in BENEFICIARY_SEXES for age in BENEFICIARY_AGES]
REACHED_CELLS = {reached_key(sex, age): (sex, age) for sex in BENEFICIARY_SEXES for age in BENEFICIARY_AGES}

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
    ImportColumn("training_topic", gettext_lazy("Topic of the training"), "#activity+topic"),
    ImportColumn("training_place", gettext_lazy("Place of the training"), "#loc+training"),
    ImportColumn("training_trainers", gettext_lazy("Trainers"), "#contact+trainers"),
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
        "training_topic": ["training_topic"],
        "participants": ["training_topic"],
    }
    preview_labels = [
        gettext_lazy("Reference"),
        gettext_lazy("Month"),
        gettext_lazy("Type of activity"),
        gettext_lazy("Where"),
        gettext_lazy("People reached"),
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

    # --- Row -> ActivityInput ---------------------------------------------------------------------

    def build(self, row: Row, context: Context) -> ActivityInput:
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
        if cells and not status:
            row.error(
                "population_status",
                _(
                    "Give the population group of the people reached "
                    "(idp, idp_returnee, repatriate, refugee, host)."
                ),
            )
        start = row.get("start_date")
        # Returned even after errors (but never without a place): the runner checks the rest of the row.
        if area is None:
            raise RowError
        return ActivityInput(
            activity_type=row.get("activity_type"),
            area=area,
            start_date=start,
            end_date=row.get("end_date") or start,
            project=project,
            title=row.get("title") or "",
            status=row.get("status") or ActivityStatus.COMPLETED,
            quantity=row.get("quantity"),
            beneficiaries=[BeneficiaryCell(sex, age, status, count) for sex, age, count in cells],
            training_topic=row.get("training_topic") or "",
            training_place=row.get("training_place") or "",
            training_trainers=row.get("training_trainers") or "",
            source_key=(row.get("reference") or row.content_hash())[:64],
        )

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

    def validate(self, item: ActivityInput, context: Context) -> list[tuple[str, str]]:
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
        errors = activity_errors(item, organisation=context.organisation, month=month)
        problems += [(key, message) for key, messages in errors.items() for message in messages]
        return problems

    def source_id(self, item: ActivityInput) -> str:
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

    def commit(self, *, actor, organisation, items: list[ActivityInput]) -> tuple[int, int]:
        try:
            result = activity_import_many(actor=actor, organisation=organisation, rows=items)
        except PermissionDenied as error:
            raise CommitRefused([(0, "area", str(error))]) from error
        except ValidationError as error:
            problems = []
            for key, messages in error.message_dict.items():
                index, _dot, field_key = key.partition(".")
                problems += [(int(index) if index.isdigit() else 0, field_key or key, m) for m in messages]
            raise CommitRefused(problems) from error
        return result.created, result.unchanged

    def preview(self, item: ActivityInput) -> list[str]:
        source = "" if item.source_key.startswith("h:") else item.source_key
        return [
            source,
            item.start_date.strftime("%m/%Y") if item.start_date else "",
            str(ActivityType(item.activity_type).label) if item.activity_type in ActivityType.values else "",
            f"{item.area.name_fr} ({item.area.pcode})" if item.area else "",
            str(sum(cell.count for cell in item.beneficiaries)),
        ]
