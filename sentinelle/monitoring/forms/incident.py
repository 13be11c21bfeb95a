"""The incident form: it only shapes what a person types into the services' keyword arguments.

Every rule about incidents (dates, levels, codes, what a category requires, GBV completeness) lives in
`services.incidents.incident_validate`; its `ValidationError.message_dict` is mapped back onto the fields
here (`IncidentEntry.add_service_errors`). The form is split in parts that the page renders separately
so that HTMX can refresh one part (the location selects, the sections of the ticked categories, the
GBV classification tool) and a browser without JavaScript can do the same with a "refresh" button.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sentinelle.geography.models import AdminArea, Settlement
from sentinelle.geography.selectors import areas_within, cod_version_default
from sentinelle.monitoring.inputs import (
    ExplosiveDetails,
    VictimCell,
)
from sentinelle.monitoring.models import (
    AgeGroup,
    Category,
    Outcome,
    PerpetratorCategory,
    Reliability,
    Sex,
    SharingLevel,
    SourceMechanism,
)
from sentinelle.monitoring.validation import survivor_details_refused

from .details import (
    GBV_DEFAULTS,
    CasualtyForm,
    CasualtyFormSet,
    ExplosiveForm,
    GBVForm,
    ViolationForm,
    ViolationFormSet,
)
from .fields import (
    BLANK,
    CONFIDENTIAL,
    COORDINATES,
    GBV_ALLEGATION,
    GBV_LEVELS,
    GBV_SURVIVOR,
    MAIN_PLAIN_FIELDS,
    SECTION_OF_CATEGORY,
    choice_field,
    count_field,
    date_field,
    victim_field_name,
)


class IncidentForm(forms.Form):
    """The incident itself: when, where, what, who was affected, where the information comes from."""

    organisation = forms.ChoiceField(label=_("Reporting organisation"), required=False)
    date_start = date_field(_("Date of the incident (or start of the period)"))
    date_end = date_field(
        _("End of the period"), required=False, help_text=_("Only if it lasted several days.")
    )
    date_estimated = forms.BooleanField(label=_("The date is estimated"), required=False)
    date_reported = date_field(_("Date reported"))
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
    perpetrator_category = choice_field(
        PerpetratorCategory.choices, label=_("Alleged perpetrator"), blank=True
    )
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
    displaced_households = count_field(_("Households displaced"))
    displaced_individuals = count_field(_("Individuals displaced"))
    source_mechanism = choice_field(SourceMechanism.choices, label=_("Source of the information"), blank=True)
    reliability = choice_field(
        Reliability.choices, label=_("Source reliability"), initial=Reliability.CANNOT_BE_JUDGED
    )
    sharing_level = choice_field(
        SharingLevel.choices,
        label=_("Who may read the account and coordinates"),
        initial=SharingLevel.ORGANISATION,
        widget=forms.RadioSelect,
    )

    def __init__(
        self, *args, version=None, organisations=(), survivor_details=False, area_limits=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.version = version or cod_version_default()
        self.area_limits = area_limits  # the user's areas for this work (None: anywhere)
        if survivor_details:  # a GBV service provider chooses; anyone else records the allegation only
            self.fields["gbv_level"] = forms.ChoiceField(
                label=_("What you record of this GBV incident"),
                choices=GBV_LEVELS,
                required=False,
                initial=GBV_ALLEGATION,
                widget=forms.RadioSelect,
            )
        for outcome, outcome_label in Outcome.choices:
            for sex, sex_label in Sex.choices:
                for age, age_label in AgeGroup.choices:
                    self.fields[victim_field_name(outcome, sex, age)] = count_field(
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
        # Only the user's areas, and the regions above them (issue 15: never offer what will be refused).
        areas = areas_within(
            AdminArea.objects.filter(version=self.version), self.area_limits, ancestors=True
        ).only("pk", "pcode", "name_fr", "level", "parent_id", "path", "version_id")
        regions = list(areas.filter(level=1).order_by("name_fr"))
        region = next((a for a in regions if a.pcode == self._raw("region")), None)
        if region is None and len(regions) == 1 and self.area_limits is not None:
            region = regions[0]  # one region to work in: chosen already
            self.initial.setdefault("region", region.pcode)
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


REFRESH_BUTTONS = {"refresh": None, "add_violation": "violations", "add_casualty": "casualties"}


class IncidentEntry:
    """All the parts of the incident form, bound together; the views and templates use this.

    GBV: the survivor section (GBVIMS) is only for `survivor_details` users (GBV service providers, who
    choose between the allegation and the survivor's record); anyone else records the allegation, and is
    told so, never asked for survivor details. Survivor details posted by them anyway (a stale or forged
    page) are refused with a message, never dropped silently.
    """

    def __init__(
        self,
        data=None,
        *,
        initial=None,
        version=None,
        organisations=(),
        survivor_details=False,
        area_limits=None,
    ):
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
        self.may_record_survivor = survivor_details
        if data is not None:
            level = data.get("gbv_level") or (GBV_SURVIVOR if "gbv" in posted else GBV_ALLEGATION)
        else:
            level = (initial.get("main") or {}).get("gbv_level") or GBV_ALLEGATION
        self.gbv_ticked = Category.GBV in categories
        if not (survivor_details and level == GBV_SURVIVOR):
            self.sections.discard("gbv")
        self.gbv_allegation = self.gbv_ticked and "gbv" not in self.sections
        # Survivor details on record that this user may not change (recorded by a GBV service provider).
        self.survivor_on_record = bool(initial.get("gbv")) and not survivor_details
        self.survivor_refused = "gbv" in posted and not survivor_details
        # A section ticked but not on the page that was posted (no JavaScript): show it before saving; so
        # too the survivor section a provider has just switched off (what it held is not saved).
        self.missing_sections = bool(
            data is not None
            and (self.sections - posted or (survivor_details and "gbv" in posted - self.sections))
        )

        if survivor_details and data is not None and not data.get("gbv_level"):
            data = data.copy()
            data["gbv_level"] = level  # the choice the page shows is the one acted on

        def bound(section):
            return data if section in posted else None

        self.main = IncidentForm(
            data,
            initial=initial.get("main"),
            version=version,
            organisations=organisations,
            survivor_details=survivor_details,
            area_limits=area_limits,
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
        if self.survivor_refused:
            self.main.add_error(None, survivor_details_refused())
            results.append(False)
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

    def incident_fields(self, *, source_id: str = "") -> dict:
        """The keyword arguments of `incident_record` and `incident_update` (the incident's fields)."""
        data = self.main.cleaned_data
        violations = []
        if "violations" in self.sections:
            violations = [v for v in (form.to_line() for form in self.violations) if v is not None]
        explosive = None
        if "explosive" in self.sections:
            explosive = ExplosiveDetails(
                device_type=self.explosive.cleaned_data["device_type"],
                activity=self.explosive.cleaned_data["activity"],
                casualties=[c for c in (form.to_line() for form in self.casualties) if c is not None],
            )
        return {
            **{name: data[name] for name in MAIN_PLAIN_FIELDS},
            "date_estimated": bool(data.get("date_estimated")),
            "area": data["area"],
            "settlement": data.get("settlement_obj"),
            "categories": list(data.get("categories") or []),
            "victims": self.main.victims(),
            "source_id": source_id,
            "gbv": self.gbv.to_details() if "gbv" in self.sections else None,
            "violations": violations,
            "explosive": explosive,
        }

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
        elif head == "gbv" and "gbv" not in self.sections:
            self._add(self.main, None, messages)  # no survivor section on the page
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
    main["gbv_level"] = GBV_ALLEGATION if gbv_detail is None else GBV_SURVIVOR
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
