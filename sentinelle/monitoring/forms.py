"""The incident form: it only shapes what a person types into an `IncidentInput`.

Every rule about incidents (dates, levels, codes, what a category requires, GBV completeness) lives in
`services.incidents.incident_validate`; its `ValidationError.message_dict` is mapped back onto the fields
here (`IncidentEntry.add_service_errors`). The form is split in parts that the page renders separately
so that HTMX can refresh one part (the location selects, the sections of the ticked categories, the
GBV classification tool) and a browser without JavaScript can do the same with a "refresh" button.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sentinelle.geography.models import AdminArea, Settlement
from sentinelle.geography.selectors import AreaLookupError, area_resolve, cod_version_default
from sentinelle.monitoring import classification
from sentinelle.monitoring.inputs import (
    CasualtyInput,
    ExplosiveInput,
    GBVInput,
    IncidentInput,
    VictimCell,
    ViolationInput,
    ViolationVictimCell,
)
from sentinelle.monitoring.models import (
    AgeGroup,
    Casualty,
    Category,
    ExplosiveAccident,
    GBVIncident,
    GraveViolation,
    IncidentStatus,
    Outcome,
    PerpetratorCategory,
    Reliability,
    Sex,
    SharingLevel,
    SourceMechanism,
)
from sentinelle.monitoring.models import gbv_codes as gbv

BLANK = [("", "—")]
YES_NO = [("yes", _("Yes")), ("no", _("No"))]
# Categories whose typed details have a section of their own in the form.
SECTION_OF_CATEGORY = {
    Category.GBV: "gbv",
    Category.CHILD_RIGHTS: "violations",
    Category.EXPLOSIVE: "explosive",
}
CHILD_CELLS = ("0_5", "6_11", "12_17", "unknown")
COORDINATES = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*[,;\s]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


def _choice(choices, *, label, blank=False, **kwargs):
    kwargs.setdefault("required", True)
    return forms.ChoiceField(label=label, choices=(BLANK if blank else []) + list(choices), **kwargs)


def _count(label, *, cell=False):
    """A count; a cell of a grid has no visible label of its own, so it carries it for screen readers."""
    attrs = {"inputmode": "numeric", "min": 0}
    if cell:
        attrs["aria-label"] = label
    return forms.IntegerField(label=label, required=False, min_value=0, widget=forms.NumberInput(attrs=attrs))


def _date(label, **kwargs):
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}), **kwargs)


# IncidentForm fields handed as they are to IncidentInput (and read back from an Incident to edit it).
MAIN_PLAIN_FIELDS = [
    *("date_start", "date_end", "date_reported", "coordinates", "perpetrator_category", "source_mechanism"),
    *("summary", "account", "displaced_households", "displaced_individuals", "reliability", "sharing_level"),
]
CONFIDENTIAL = ("account", "coordinates")


def victim_field_name(outcome: str, sex: str, age_group: str) -> str:
    return f"v_{outcome}_{sex}_{age_group}"


class IncidentForm(forms.Form):
    """The incident itself: when, where, what, who was affected, where the information comes from."""

    organisation = forms.ChoiceField(label=_("Reporting organisation"), required=False)
    date_start = _date(_("Date of the incident (or start of the period)"))
    date_end = _date(_("End of the period"), required=False, help_text=_("Only if it lasted several days."))
    date_estimated = forms.BooleanField(label=_("The date is estimated"), required=False)
    date_reported = _date(_("Date reported"))
    region = forms.ChoiceField(label=_("Region"), required=False)
    cercle = forms.ChoiceField(label=_("Cercle"), required=False)
    commune = forms.ChoiceField(label=_("Commune"), required=False, help_text=_("If known."))
    settlement = forms.ChoiceField(label=_("Village or settlement"), required=False, help_text=_("Optional."))
    coordinates = forms.CharField(
        label=_("GPS coordinates (latitude, longitude)"),
        required=False,
        max_length=64,
        help_text=_("Optional, e.g. 14.4939, -4.1989. Kept encrypted."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    categories = forms.MultipleChoiceField(
        label=_("Categories"), required=False, choices=Category.choices, widget=forms.CheckboxSelectMultiple
    )
    perpetrator_category = _choice(PerpetratorCategory.choices, label=_("Alleged perpetrator"), blank=True)
    summary = forms.CharField(
        label=_("Summary (non-identifying)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What happened, without names, exact places or details that could identify someone."),
    )
    account = forms.CharField(
        label=_("Account (confidential)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "autocomplete": "off"}),
        help_text=_("Kept encrypted. Never write names, phone numbers or addresses of victims or witnesses."),
    )
    displaced_households = _count(_("Households displaced"))
    displaced_individuals = _count(_("Individuals displaced"))
    source_mechanism = _choice(SourceMechanism.choices, label=_("Source of the information"), blank=True)
    reliability = _choice(
        Reliability.choices, label=_("Source reliability"), initial=Reliability.CANNOT_BE_JUDGED
    )
    sharing_level = _choice(
        SharingLevel.choices,
        label=_("Who may read the account and coordinates"),
        initial=SharingLevel.ORGANISATION,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, version=None, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.version = version or cod_version_default()
        for outcome, outcome_label in Outcome.choices:
            for sex, sex_label in Sex.choices:
                for age, age_label in AgeGroup.choices:
                    self.fields[victim_field_name(outcome, sex, age)] = _count(
                        f"{outcome_label}, {sex_label}, {age_label}", cell=True
                    )
        if len(organisations) > 1:
            self.fields["organisation"].choices = BLANK + [
                (str(o.public_id), o.acronym) for o in organisations
            ]
            self.fields["organisation"].required = True
        else:
            del self.fields["organisation"]
        self.organisations = {str(o.public_id): o for o in organisations}
        self._location_choices()

    def _raw(self, name):
        return (self.data.get(self.add_prefix(name)) if self.is_bound else self.initial.get(name)) or ""

    def _location_choices(self):
        """Options of the chained selects: each level lists the children of the level above.

        Without a region, every cercle is offered (grouped by region) so that the form works without
        JavaScript; communes and settlements only appear once their parent is chosen.
        """
        areas = AdminArea.objects.filter(version=self.version).only(
            "pk", "pcode", "name_fr", "level", "parent_id", "path", "version_id"
        )
        regions = list(areas.filter(level=1).order_by("name_fr"))
        region = next((a for a in regions if a.pcode == self._raw("region")), None)
        cercles = list(areas.filter(parent=region) if region else areas.filter(level=2))
        cercles.sort(key=lambda a: a.name_fr)
        cercle = next((a for a in cercles if a.pcode == self._raw("cercle")), None)
        communes = sorted(areas.filter(parent=cercle), key=lambda a: a.name_fr) if cercle else []
        commune = next((a for a in communes if a.pcode == self._raw("commune")), None)
        settlements = []
        if commune:
            settlements = list(
                Settlement.objects.filter(admin3=commune)
                .only("pk", "pcode", "name", "version_id", "admin3_id")
                .order_by("name")
            )
            for settlement in settlements:  # the service checks that it lies in the area given
                settlement.admin3 = commune
        self.areas = {a.pcode: a for a in [*regions, *cercles, *communes]}
        self.settlements = {s.pcode: s for s in settlements}
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
        self.fields["settlement"].choices = BLANK + [(s.pcode, s.name) for s in settlements]

    def victim_grid(self) -> list[dict]:
        """The victims grid, one table per outcome: rows of (age label, [bound field per sex]).

        A table starts open when it is the first one or holds a value or an error, so nothing typed
        is hidden on a phone.
        """
        tables = []
        for index, (outcome, caption) in enumerate(Outcome.choices):
            rows = [
                (age_label, [self[victim_field_name(outcome, sex, age)] for sex in Sex.values])
                for age, age_label in AgeGroup.choices
            ]
            cells = [field for _age, fields in rows for field in fields]
            is_open = index == 0 or any(field.value() not in (None, "") or field.errors for field in cells)
            tables.append({"caption": caption, "rows": rows, "open": is_open})
        return tables

    def clean_coordinates(self):
        """ "14.49, -4.19" or "14.49 -4.19" as "14.49000,-4.19000"; the service checks the range."""
        value = self.cleaned_data["coordinates"].strip()
        if not value:
            return ""
        match = COORDINATES.match(value)
        if not match:
            raise ValidationError(_("Write the latitude then the longitude, separated by a comma."))
        return f"{float(match[1]):.5f},{float(match[2]):.5f}"

    def clean(self):
        data = super().clean()
        commune, cercle = data.get("commune"), data.get("cercle")
        if not cercle and "cercle" not in self.errors:
            self.add_error("cercle", _("Choose at least the cercle (and the commune if known)."))
        data["area"] = self.areas.get(commune) or self.areas.get(cercle)
        data["settlement_obj"] = self.settlements.get(data.get("settlement") or "")
        return data

    def victims(self) -> list[VictimCell]:
        cells = []
        for outcome in Outcome.values:
            for sex in Sex.values:
                for age in AgeGroup.values:
                    count = self.cleaned_data.get(victim_field_name(outcome, sex, age))
                    if count:
                        cells.append(VictimCell(outcome=outcome, sex=sex, age_group=age, count=count))
        return cells


# The GBV fields the form takes straight from the model (labels and code lists defined once, there).
GBV_PLAIN_FIELDS = [
    *("survivor_code", "survivor_sex", "survivor_age", "survivor_age_estimated", "displacement_status"),
    *("disability", "marital_status", "separation_status", "displacement_stage", "time_of_day"),
    *("location_type", "harmful_practice", "goods_exchanged", "abduction_type", "reported_elsewhere"),
    *("previous_incidents", "perpetrator_count", "perpetrator_sex", "perpetrator_age_group"),
    *("perpetrator_relationship", "perpetrator_occupation", "previous_incident_with_perpetrator"),
    *("referred_from", "wants_legal_action", "consent_to_report"),
]
# What a new GBV section shows preselected: the defaults every channel uses (inputs.GBVInput).
GBV_DEFAULTS = {
    name: value
    for name, value in vars(GBVInput(survivor_sex="")).items()
    if name in GBV_PLAIN_FIELDS and name != "survivor_sex"
}
NUMBER = forms.NumberInput(attrs={"inputmode": "numeric", "min": 0})


class GBVForm(forms.ModelForm):
    """One survivor (never an identity), the classification tool, consent and referrals (GBVIMS IR).

    A ModelForm only for its fields: nothing is saved from it; `to_input` hands a GBVInput to the service.
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
            self.fields[f"ref_{service}"] = _choice(
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

    def to_input(self) -> GBVInput:
        data = self.cleaned_data
        return GBVInput(
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
                self.fields[f"c_{sex}_{age}"] = _count(f"{sex_label}, {ages[age]}", cell=True)

    def victim_rows(self):
        ages = dict(AgeGroup.choices)
        return [(ages[age], [self[f"c_{sex}_{age}"] for sex in Sex.values]) for age in CHILD_CELLS]

    def to_input(self) -> ViolationInput | None:
        data = self.cleaned_data
        if not data.get("type"):  # an extra row left empty
            return None
        cells = [(sex, age) for sex in Sex.values for age in CHILD_CELLS if data.get(f"c_{sex}_{age}")]
        return ViolationInput(
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

    def to_input(self) -> CasualtyInput | None:
        data = self.cleaned_data
        if not data.get("outcome"):  # an extra row left empty
            return None
        return CasualtyInput(
            sex=data["sex"],
            outcome=data["outcome"],
            age=data.get("age"),
            civilian=bool(data.get("civilian")),
            displacement_status=data.get("displacement_status") or "",
        )


ViolationFormSet = formset_factory(ViolationForm, extra=1, max_num=20, absolute_max=20)
CasualtyFormSet = formset_factory(CasualtyForm, extra=2, max_num=50, absolute_max=50)
# Buttons that re-render the form (more rows, next question, sections) without saving anything.
REFRESH_BUTTONS = {"refresh": None, "add_violation": "violations", "add_casualty": "casualties"}


class IncidentEntry:
    """All the parts of the incident form, bound together; the views and templates use this."""

    def __init__(self, data=None, *, initial=None, version=None, organisations=()):
        initial = initial or {}
        self.refresh = bool(data) and any(name in data for name in REFRESH_BUTTONS)
        if data is not None and self.refresh:
            data = data.copy()
            for button, prefix in REFRESH_BUTTONS.items():
                if prefix and button in data:
                    total = f"{prefix}-TOTAL_FORMS"
                    data[total] = str(min(int(data.get(total) or 0) + 1, 50))
        self.data = data
        categories = (
            data.getlist("categories")
            if data is not None
            else (initial.get("main") or {}).get("categories", [])
        )
        self.sections = {SECTION_OF_CATEGORY[c] for c in categories if c in SECTION_OF_CATEGORY}
        # Sections that were on the page that was posted: only those are bound to the data; a section
        # that appears now (its category was just ticked) starts from its initial values.
        posted = set(data.getlist("sections")) if data is not None else set()
        # A section ticked but not on the page that was posted (no JavaScript): show it before saving.
        self.missing_sections = bool(data is not None and self.sections - posted)

        def bound(section):
            return data if section in posted else None

        self.main = IncidentForm(
            data, initial=initial.get("main"), version=version, organisations=organisations
        )
        self.gbv = GBVForm(bound("gbv"), prefix="gbv", initial=initial.get("gbv") or GBV_DEFAULTS)
        self.violations = ViolationFormSet(
            bound("violations"), prefix="violations", initial=initial.get("violations")
        )
        self.explosive = ExplosiveForm(
            bound("explosive"),
            prefix="explosive",
            initial=initial.get("explosive") or {"activity": "unknown"},
        )
        self.casualties = CasualtyFormSet(
            bound("explosive"), prefix="casualties", initial=initial.get("casualties")
        )
        self.section_errors = {"victims": [], "gbv_tool": [], "violations": [], "casualties": []}

    @property
    def should_save(self) -> bool:
        return self.data is not None and not self.refresh and not self.missing_sections

    def _parts(self):
        yield self.main
        if "gbv" in self.sections:
            yield self.gbv
        if "violations" in self.sections:
            yield self.violations
        if "explosive" in self.sections:
            yield self.explosive
            yield self.casualties

    def is_valid(self) -> bool:
        # Every part is validated (no short-circuit) so that all errors show at once.
        results = [part.is_valid() for part in self._parts()]
        return all(results)

    def quiet(self):
        """Show the posted values without validating them (a partial refresh is not a submission)."""
        for part in (self.main, self.gbv, self.explosive, *self.violations, *self.casualties):
            part._errors = forms.utils.ErrorDict()
        for formset in (self.violations, self.casualties):
            formset._errors, formset._non_form_errors = [], forms.utils.ErrorList()
        return self

    @property
    def organisation(self):
        return self.main.organisations.get(self.main.cleaned_data.get("organisation") or "")

    def to_input(self, *, source_id: str = "") -> IncidentInput:
        data = self.main.cleaned_data
        violations = []
        if "violations" in self.sections:
            violations = [v for v in (form.to_input() for form in self.violations) if v is not None]
        explosive = None
        if "explosive" in self.sections:
            explosive = ExplosiveInput(
                device_type=self.explosive.cleaned_data["device_type"],
                activity=self.explosive.cleaned_data["activity"],
                casualties=[c for c in (form.to_input() for form in self.casualties) if c is not None],
            )
        return IncidentInput(
            **{name: data[name] for name in MAIN_PLAIN_FIELDS},
            date_estimated=bool(data.get("date_estimated")),
            area=data["area"],
            settlement=data.get("settlement_obj"),
            categories=list(data.get("categories") or []),
            victims=self.main.victims(),
            source_id=source_id,
            gbv=self.gbv.to_input() if "gbv" in self.sections else None,
            violations=violations,
            explosive=explosive,
        )

    def add_service_errors(self, error: ValidationError) -> None:
        """Put the services' messages next to their fields ("gbv.survivor_age", "violations.0.type")."""
        if not hasattr(error, "error_dict"):
            self.main.add_error(None, error.messages)
            return
        for key, messages in error.message_dict.items():
            self._route(key, messages)

    def _route(self, key: str, messages: list[str]) -> None:
        parts = [p for p in re.split(r"[.\[\]]+", key) if p]
        head, rest = (parts[0], parts[1:]) if parts else ("__all__", [])
        if head == "area":
            self._add(self.main, "commune" if self.main.data.get("commune") else "cercle", messages)
        elif head == "victims":
            self.section_errors["victims"] += messages
        elif head == "gbv":
            name = rest[0] if rest else None
            if name == "answers":
                self.section_errors["gbv_tool"] += messages
            else:
                self._add(self.gbv, name, messages)
        elif head == "violations":
            self._add_row(self.violations, rest, messages, "violations")
        elif head == "explosive" and rest[:1] == ["casualties"]:
            self._add_row(self.casualties, rest[1:], messages, "casualties")
        elif head == "explosive":
            self._add(self.explosive, rest[0] if rest else None, messages)
        else:
            self._add(self.main, head, messages)

    def _add_row(self, formset, rest, messages, section):
        if rest and rest[0].isdigit() and int(rest[0]) < len(formset.forms):
            self._add(formset.forms[int(rest[0])], rest[1] if len(rest) > 1 else None, messages)
        else:
            self.section_errors[section] += messages

    @staticmethod
    def _add(form, name, messages):
        if name == "__all__" or (name is not None and name not in form.fields):
            name = None
        if name is not None and name in form.errors:
            form.errors[name].extend(messages)
        else:
            form.add_error(name, messages)


def initial_from_incident(incident, confidential: dict | None) -> dict:
    """The form's initial values for editing an incident (typed details included)."""
    area = incident.area
    codes = area.path_pcodes
    main = {name: getattr(incident, name) for name in MAIN_PLAIN_FIELDS if name not in CONFIDENTIAL}
    main.update(
        date_estimated=incident.date_estimated,
        region=codes[1] if len(codes) > 1 else "",
        cercle=codes[2] if len(codes) > 2 else "",
        commune=codes[3] if len(codes) > 3 else "",
        settlement=incident.settlement.pcode if incident.settlement_id else "",
        categories=[link.category for link in incident.category_links.all()],
    )
    if confidential:
        main["account"] = confidential.get("account", "")
        main["coordinates"] = confidential.get("coordinates", "")
    for cell in incident.victim_counts.all():
        main[victim_field_name(cell.outcome, cell.sex, cell.age_group)] = cell.count
    initial = {"main": main}
    # A missing one-to-one detail raises RelatedObjectDoesNotExist, an AttributeError.
    gbv_detail = getattr(incident, "gbv", None)
    if gbv_detail is not None:
        values = {name: getattr(gbv_detail, name) for name in GBVForm.base_fields}
        values.update(
            {f"q_{key}": "yes" if answer else "no" for key, answer in gbv_detail.classification_answers}
        )
        values.update({f"ref_{service}": status for service, status in (gbv_detail.referrals or {}).items()})
        initial["gbv"] = values
    violations = []
    for violation in incident.violations.all():
        row = {name: getattr(violation, name) for name in ViolationForm.base_fields}
        row.update({f"c_{v.sex}_{v.age_group}": v.count for v in violation.victims.all()})
        violations.append(row)
    initial["violations"] = violations
    accident = getattr(incident, "explosive", None)
    if accident is not None:
        initial["explosive"] = {"device_type": accident.device_type, "activity": accident.activity}
        initial["casualties"] = [
            {name: getattr(c, name) for name in CasualtyForm.base_fields} for c in accident.casualties.all()
        ]
    return initial


def default_initial() -> dict:
    return {"main": {"date_reported": timezone.localdate()}}


class IncidentFilterForm(forms.Form):
    """The list's filters; the selector applies them within the user's scope."""

    area = forms.CharField(
        label=_("Area (name or P-code, any level)"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"list": "area-names", "autocomplete": "off"}),
    )
    date_from = _date(_("From"), required=False)
    date_to = _date(_("To"), required=False)
    category = _choice(Category.choices, label=_("Category"), blank=True, required=False)
    organisation = forms.ChoiceField(label=_("Organisation"), required=False)
    status = _choice(IncidentStatus.choices, label=_("Status"), blank=True, required=False)
    source_mechanism = _choice(SourceMechanism.choices, label=_("Source"), blank=True, required=False)
    q = forms.CharField(label=_("Reference"), required=False, max_length=32)

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {str(o.public_id): o for o in organisations}
        self.fields["organisation"].choices = BLANK + [
            (key, o.acronym) for key, o in self.organisations.items()
        ]

    def clean_area(self):
        value = self.cleaned_data["area"].strip()
        if not value:
            return None
        try:
            return area_resolve(value)
        except AreaLookupError as error:
            raise ValidationError(error.message) from None

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
