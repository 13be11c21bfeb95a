"""Forms of the monthly 4W reporting: they shape what people type, the services decide.

The activity form reuses the incident form's pattern for the place: chained region > cercle > commune
selects refreshed by HTMX (or a "refresh" button without JavaScript). The beneficiaries grid is one small
table per population status (age group x sex), each in a <details> that starts open when it holds a value,
so that the cells stay usable on a phone.

Under each grid, totals with an unknown part (services/counts.py): all the women and girls, all the men
and boys, everyone. What a total has beyond its cells is recorded with sex (or age) unknown, and the form
shows that part as computed; training participants have a total per category the same way. Editing an
activity shows a total only where it has an unknown part, so that changing a cell never moves people into
"unknown" behind the user's back.
"""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from sentinelle.activities.models import (
    ActivityStatus,
    ActivityType,
    ParticipantCategory,
)
from sentinelle.activities.services.counts import complete_beneficiaries, complete_participants
from sentinelle.activities.services.reporting import (
    BENEFICIARY_AGES,
    BENEFICIARY_SEXES,
    BeneficiaryCell,
    ParticipantCell,
    ParticipantTotal,
    ReachedTotal,
)
from sentinelle.core.codes import AgeGroup, PopulationStatus, Sex
from sentinelle.geography.models import AdminArea, AdminLevel
from sentinelle.geography.selectors import areas_within, cod_version_default

BLANK = [("", "—")]
MONTH_FORMAT = "%Y-%m"


def _date(label, **kwargs):
    return forms.DateField(
        label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs
    )


def _count(label, *, cell=False, part="", sex=""):
    """A count input; `part` ("cell" or "total", of `sex` or of everyone) lets the page show the unknown
    part of the totals as they are typed (static/js/sentinelle.js), as the service will count it."""
    attrs = {"inputmode": "numeric", "min": 0}
    if cell:
        attrs["aria-label"] = label
    if part:
        attrs.update({"data-part": part, "data-sex": sex})
    return forms.IntegerField(label=label, required=False, min_value=0, widget=forms.NumberInput(attrs=attrs))


def beneficiary_field(status: str, sex: str, age: str) -> str:
    return f"b_{status}_{sex}_{age}"


def participant_field(category: str, sex: str) -> str:
    return f"p_{category}_{sex}"


# The fields of the totals are named after the service's keys for their errors ("reached_total.idp" is
# the field "reached_total_idp"), so that a refusal shows next to the total it is about.


def reached_total_field(status: str, sex: str = "") -> str:
    """All the people reached of a population status ("reached_total_idp"), or all of one sex
    ("reached_f_total_idp")."""
    return f"reached_{sex}_total_{status}" if sex else f"reached_total_{status}"


def participant_total_field(category: str) -> str:
    return f"participants_{category}"


def _number(value) -> int | None:
    """A count typed in the form (bound or initial), None when empty or not a whole number."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def parse_month(value) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(value or "", MONTH_FORMAT).date()
    except ValueError:
        return None


class LocationMixin:
    """Chained region > cercle > commune selects (each level lists the children of the level above)."""

    def _raw(self, name):
        return (self.data.get(self.add_prefix(name)) if self.is_bound else self.initial.get(name)) or ""

    area_limits = None  # the user's areas for this work (None: anywhere); only those are offered

    def _location_choices(self):
        self.version = cod_version_default()
        areas = areas_within(
            AdminArea.objects.filter(version=self.version), self.area_limits, ancestors=True
        ).only("pk", "pcode", "name_fr", "level", "parent_id", "path", "version_id")
        regions = sorted(areas.filter(level=AdminLevel.REGION), key=lambda a: a.name_fr)
        region = next((a for a in regions if a.pcode == self._raw("region")), None)
        if region is None and len(regions) == 1 and self.area_limits is not None:
            region = regions[0]  # one region to work in: chosen already
            self.initial.setdefault("region", region.pcode)
        cercles = sorted(
            areas.filter(parent=region) if region else areas.filter(level=AdminLevel.CERCLE),
            key=lambda a: a.name_fr,
        )
        cercle = next((a for a in cercles if a.pcode == self._raw("cercle")), None)
        communes = sorted(areas.filter(parent=cercle), key=lambda a: a.name_fr) if cercle else []
        self.areas = {a.pcode: a for a in [*regions, *cercles, *communes]}
        self.fields["region"].choices = BLANK + [(a.pcode, a.name_fr) for a in regions]
        if region:
            self.fields["cercle"].choices = BLANK + [(a.pcode, a.name_fr) for a in cercles]
        else:
            names = {a.pk: a.name_fr for a in regions}
            groups: dict[str, list] = {}
            for a in cercles:
                groups.setdefault(names.get(a.parent_id, ""), []).append((a.pcode, a.name_fr))
            self.fields["cercle"].choices = BLANK + sorted(groups.items())
        self.fields["commune"].choices = BLANK + [(a.pcode, a.name_fr) for a in communes]


class ActivityForm(LocationMixin, forms.Form):
    organisation = forms.ChoiceField(label=_("Organisation"), required=False)
    month = forms.CharField(widget=forms.HiddenInput, required=False)
    project = forms.ChoiceField(label=_("Project"), required=False)
    activity_type = forms.ChoiceField(label=_("Type of activity"), choices=BLANK + ActivityType.choices)
    title = forms.CharField(label=_("Title"), required=False, max_length=300)
    region = forms.ChoiceField(label=_("Region"), required=False)
    cercle = forms.ChoiceField(label=_("Cercle"), required=False)
    commune = forms.ChoiceField(label=_("Commune"), required=False, help_text=_("If known."))
    start_date = _date(_("Start"))
    end_date = _date(_("End"))
    status = forms.ChoiceField(
        label=_("Status"), choices=ActivityStatus.choices, initial=ActivityStatus.COMPLETED
    )
    quantity = forms.IntegerField(
        label=_("Quantity"),
        required=False,
        min_value=0,
        help_text=_("Sessions held, documents obtained, structures rehabilitated... depending on the type."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}),
    )
    training_topic = forms.CharField(label=_("Topic of the training"), required=False, max_length=300)
    training_place = forms.CharField(label=_("Place"), required=False, max_length=200)
    training_trainers = forms.CharField(label=_("Trainers"), required=False, max_length=300)

    def __init__(self, *args, organisations=(), projects=(), area_limits=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.area_limits = area_limits
        self.organisations = {str(o.public_id): o for o in organisations}
        if len(organisations) > 1:
            self.fields["organisation"].choices = BLANK + [
                (str(o.public_id), o.acronym) for o in organisations
            ]
            self.fields["organisation"].required = True
        else:
            del self.fields["organisation"]
        self.projects = {str(p.public_id): p for p in projects}
        self.fields["project"].choices = BLANK + [
            (str(p.public_id), f"{p.organisation.acronym} – {p.code} {p.name}"[:120]) for p in projects
        ]
        for status, status_label in PopulationStatus.choices:
            for sex in BENEFICIARY_SEXES:
                for age in BENEFICIARY_AGES:
                    label = f"{status_label}, {Sex(sex).label}, {AgeGroup(age).label}"
                    self.fields[beneficiary_field(status, sex, age)] = _count(
                        label, cell=True, part="cell", sex=sex
                    )
                self.fields[reached_total_field(status, sex)] = _count(
                    f"{status_label}, {Sex(sex).label}, {_('all ages (total)')}",
                    cell=True,
                    part="total",
                    sex=sex,
                )
            self.fields[reached_total_field(status)] = _count(
                f"{_('Total of the people reached, sex unknown included')} ({status_label})", part="total"
            )
        for category, category_label in ParticipantCategory.choices:
            for sex in BENEFICIARY_SEXES:
                self.fields[participant_field(category, sex)] = _count(
                    f"{category_label}, {Sex(sex).label}", cell=True, part="cell", sex=sex
                )
            self.fields[participant_total_field(category)] = _count(
                f"{category_label}, {_('total')}", cell=True, part="total"
            )
        self._location_choices()

    def beneficiary_grid(self) -> list[dict]:
        """One table per population status: rows of (age label, [field per sex]), the row of the totals
        by sex, the total of everyone, and the unknown part the totals leave (computed)."""
        tables = []
        for index, (status, caption) in enumerate(PopulationStatus.choices):
            rows = [
                (
                    AgeGroup(age).label,
                    [self[beneficiary_field(status, sex, age)] for sex in BENEFICIARY_SEXES],
                )
                for age in BENEFICIARY_AGES
            ]
            rows.append(
                (_("All ages (total)"), [self[reached_total_field(status, sex)] for sex in BENEFICIARY_SEXES])
            )
            total = self[reached_total_field(status)]
            fields = [f for _label, row in rows for f in row] + [total]
            is_open = index == 0 or any(f.value() not in (None, "") or f.errors for f in fields)
            tables.append(
                {
                    "status": status,
                    "caption": caption,
                    "rows": rows,
                    "total": total,
                    "open": is_open,
                    **self._unknown(status),
                }
            )
        return tables

    def _unknown(self, status: str) -> dict:
        """The people of `status` with sex unknown and with age unknown, from the values typed."""
        cells = [
            BeneficiaryCell(sex, age, status, number)
            for sex in BENEFICIARY_SEXES
            for age in BENEFICIARY_AGES
            if (number := _number(self[beneficiary_field(status, sex, age)].value()))
        ]
        totals = [
            ReachedTotal(status, number, sex)
            for sex in (*BENEFICIARY_SEXES, "")
            if (number := _number(self[reached_total_field(status, sex)].value())) is not None
        ]
        completed, _errors = complete_beneficiaries(cells, totals)
        return {
            "unknown_sex": sum(c.count for c in completed if c.sex == Sex.UNKNOWN),
            "unknown_age": sum(c.count for c in completed if c.age_group == AgeGroup.UNKNOWN),
        }

    def participant_rows(self) -> list:
        """(category, [field per sex, total field, the unknown part computed])."""
        rows = []
        for category, label in ParticipantCategory.choices:
            fields = [self[participant_field(category, sex)] for sex in BENEFICIARY_SEXES]
            total = self[participant_total_field(category)]
            cells = [
                ParticipantCell(category, sex, number)
                for sex, field in zip(BENEFICIARY_SEXES, fields, strict=True)
                if (number := _number(field.value()))
            ]
            number = _number(total.value())
            totals = [ParticipantTotal(category, number)] if number is not None else []
            completed, _errors = complete_participants(cells, totals)
            unknown = sum(c.count for c in completed if c.sex == Sex.UNKNOWN)
            rows.append((label, [*fields, total, unknown]))
        return rows

    def clean(self):
        data = super().clean()
        if not data.get("cercle") and "cercle" not in self.errors:
            self.add_error("cercle", _("Choose at least the cercle (and the commune if known)."))
        data["area"] = self.areas.get(data.get("commune") or "") or self.areas.get(data.get("cercle") or "")
        data["organisation_obj"] = (
            self.organisations.get(data.get("organisation") or "")
            if "organisation" in self.fields
            else next(iter(self.organisations.values()), None)
        )
        data["project_obj"] = self.projects.get(data.get("project") or "")
        return data

    def activity_values(self) -> dict:
        """activity_create's (and activity_update's) arguments from the cleaned data: the grid's cells and
        totals, training details only for a training."""
        data = self.cleaned_data
        return {
            "activity_type": data["activity_type"],
            "area": data["area"],
            "start_date": data["start_date"],
            "end_date": data["end_date"],
            "project": data["project_obj"],
            "title": data.get("title", ""),
            "status": data["status"],
            "quantity": data.get("quantity"),
            "beneficiaries": [
                BeneficiaryCell(sex, age, status, data[beneficiary_field(status, sex, age)])
                for status in PopulationStatus.values
                for sex in BENEFICIARY_SEXES
                for age in BENEFICIARY_AGES
                if data.get(beneficiary_field(status, sex, age))
            ],
            "reached_totals": [
                ReachedTotal(status, data[reached_total_field(status, sex)], sex)
                for status in PopulationStatus.values
                for sex in (*BENEFICIARY_SEXES, "")
                if data.get(reached_total_field(status, sex)) is not None
            ],
            "training_topic": data.get("training_topic", "")
            if data["activity_type"] == ActivityType.TRAINING
            else "",
            "training_place": data.get("training_place", "")
            if data["activity_type"] == ActivityType.TRAINING
            else "",
            "training_trainers": data.get("training_trainers", "")
            if data["activity_type"] == ActivityType.TRAINING
            else "",
            "participants": [
                ParticipantCell(category, sex, data[participant_field(category, sex)])
                for category in ParticipantCategory.values
                for sex in BENEFICIARY_SEXES
                if data.get(participant_field(category, sex))
                and data["activity_type"] == ActivityType.TRAINING
            ],
            "participant_totals": [
                ParticipantTotal(category, data[participant_total_field(category)])
                for category in ParticipantCategory.values
                if data.get(participant_total_field(category)) is not None
                and data["activity_type"] == ActivityType.TRAINING
            ],
        }


def activity_initial(activity) -> dict:
    """The form's values for an existing activity."""
    area = activity.area
    commune = area if area.level == AdminLevel.COMMUNE else None
    cercle = area.parent if commune else area
    initial = {
        "project": str(activity.project.public_id) if activity.project else "",
        "activity_type": activity.activity_type,
        "title": activity.title,
        "region": cercle.parent.pcode if cercle.parent else "",
        "cercle": cercle.pcode,
        "commune": commune.pcode if commune else "",
        "start_date": activity.start_date,
        "end_date": activity.end_date,
        "status": activity.status,
        "quantity": activity.quantity,
        "organisation": str(activity.organisation.public_id),
    }
    _beneficiary_initial(initial, list(activity.beneficiaries.all()))
    training = (
        getattr(activity, "training", None) if activity.activity_type == ActivityType.TRAINING else None
    )
    if training:
        initial.update(
            training_topic=training.topic, training_place=training.place, training_trainers=training.trainers
        )
        participants = list(training.participants.all())
        for p in participants:
            if p.sex in BENEFICIARY_SEXES:
                initial[participant_field(p.category, p.sex)] = p.count
        for category in {p.category for p in participants if p.sex not in BENEFICIARY_SEXES}:
            initial[participant_total_field(category)] = sum(
                p.count for p in participants if p.category == category
            )
    return initial


def _beneficiary_initial(initial: dict, cells: list) -> None:
    """The cells of known sex and age group, and a total only where the stored cells have an unknown part
    (so that the form gives the same cells back)."""
    for cell in cells:
        if cell.sex in BENEFICIARY_SEXES and cell.age_group in BENEFICIARY_AGES:
            initial[beneficiary_field(cell.population_status, cell.sex, cell.age_group)] = cell.count
    for status in {cell.population_status for cell in cells}:
        mine = [cell for cell in cells if cell.population_status == status]
        for sex in BENEFICIARY_SEXES:
            if any(c.sex == sex and c.age_group not in BENEFICIARY_AGES for c in mine):
                initial[reached_total_field(status, sex)] = sum(c.count for c in mine if c.sex == sex)
        if any(c.sex not in BENEFICIARY_SEXES for c in mine):
            initial[reached_total_field(status)] = sum(c.count for c in mine)


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment for the organisation"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to return the report: say what must be corrected."),
    )


class FourWFilterForm(forms.Form):
    month = forms.ChoiceField(label=_("Month"), required=False)
    area = forms.ChoiceField(label=_("Region or cercle"), required=False)
    organisation = forms.ChoiceField(label=_("Organisation"), required=False)
    activity_type = forms.ChoiceField(
        label=_("Type of activity"), required=False, choices=BLANK + ActivityType.choices
    )
    project = forms.ChoiceField(label=_("Project"), required=False)

    def __init__(self, *args, months=(), organisations=(), projects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = BLANK + [
            (m.strftime(MONTH_FORMAT), m.strftime("%m/%Y")) for m in months
        ]
        version = cod_version_default()
        areas = list(
            AdminArea.objects.filter(version=version, level__in=(AdminLevel.REGION, AdminLevel.CERCLE))
            .only("pk", "pcode", "name_fr", "level", "parent_id", "path", "version_id")
            .order_by("path")
        )
        self.areas = {a.pcode: a for a in areas}
        self.fields["area"].choices = BLANK + [
            (a.pcode, a.name_fr if a.level == AdminLevel.REGION else f"— {a.name_fr}") for a in areas
        ]
        self.organisations = {o.acronym: o for o in organisations}
        self.fields["organisation"].choices = BLANK + [(o.acronym, o.acronym) for o in organisations]
        self.projects = {p.code: p for p in projects}
        self.fields["project"].choices = BLANK + [(p.code, p.code) for p in projects]
