"""Incident pages: the filtered list with its map, one incident with its timeline, the record and edit
form (with its HTMX parts), and the workflow actions (submit, verify, reject).

Views parse, authorise (the decorators, then the selectors' scoped fetches, 404 alike) and call the
selectors and services; every rule is in the services.
"""

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sentinelle.accounts.selectors import organisation_choices
from sentinelle.core.forms import errors_shown_as_messages, errors_shown_on
from sentinelle.core.pagination import CappedPaginator
from sentinelle.core.permissions import (
    Perm,
    area_limits,
    has_perm,
    may_act_for,
    require_perm,
)
from sentinelle.geography.maps import circles_map, counts_by_level
from sentinelle.geography.selectors import cod_version_default, cod_version_get
from sentinelle.monitoring import classification, mrm
from sentinelle.monitoring.forms import (
    IncidentEntry,
    IncidentFilterForm,
    RejectForm,
    default_initial,
    initial_from_incident,
)
from sentinelle.monitoring.models import (
    AgeGroup,
    Category,
    ExplosiveAccident,
    GBVIncident,
    Incident,
    IncidentStatus,
    Outcome,
    Sex,
)
from sentinelle.monitoring.models.gbv_codes import IRService, ReferralStatus
from sentinelle.monitoring.selectors import incidents as selectors
from sentinelle.monitoring.services import incidents as services

PAGE_SIZE = 50
# The workflow's states from which the services accept each action (buttons shown accordingly).
SUBMITTABLE = (IncidentStatus.DRAFT, IncidentStatus.REJECTED)
REVIEWABLE = (IncidentStatus.SUBMITTED, IncidentStatus.VERIFIED)
FORM_PARTS = {
    "location": "monitoring/partials/_incident_location.html",
    "sections": "monitoring/partials/_incident_sections.html",
    "gbv_tool": "monitoring/partials/_gbv_tool.html",
}


def _organisations(user, perm) -> list:
    return list(organisation_choices(user=user, perm=perm))


@require_perm(Perm.INCIDENT_VIEW)
def incident_list(request):
    form = IncidentFilterForm(
        request.GET or None, organisations=_organisations(request.user, Perm.INCIDENT_VIEW)
    )
    filters = form.filters() if form.is_bound else {}
    incidents = selectors.incident_list(user=request.user, filters=filters)
    page = CappedPaginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    version = cod_version_default()
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "map": incidents_map(selectors.incident_counts_by_area(user=request.user, filters=filters), version),
    }
    if request.htmx:
        return render(request, "monitoring/partials/_incident_results.html", context)
    context["can_create"] = has_perm(request.user, Perm.INCIDENT_CREATE)
    return render(request, "monitoring/incident_list.html", context)


@require_perm(Perm.INCIDENT_VIEW)
def incident_detail(request, public_id):
    user = request.user
    incident = selectors.incident_get(user=user, public_id=public_id, request=request)
    gbv = selectors.incident_survivor(user=user, incident=incident, request=request)
    survivor_recorded = getattr(incident, "gbv", None) is not None
    categories = list(incident.category_links.all())
    editable = has_perm(user, Perm.INCIDENT_EDIT, incident)
    reviewable = incident.status in REVIEWABLE and has_perm(user, Perm.INCIDENT_REVIEW, incident)
    context = {
        "incident": incident,
        "confidential": selectors.incident_confidential(user=user, incident=incident, request=request),
        "categories": [link.get_category_display() for link in categories],
        # A GBV incident without the GBVIMS record: what protection monitoring records, nothing more.
        "gbv_allegation": not survivor_recorded and any(link.category == Category.GBV for link in categories),
        "gbv_withheld": survivor_recorded and gbv is None,
        "victims": victim_table(incident.victim_counts.all()),
        "timeline": timeline_entries(selectors.incident_timeline(incident=incident)),
        "gbv": gbv,
        **(gbv_display(gbv) if gbv else {}),
        "violations": [
            (v, mrm.violation_count(v.type, sum(c.count for c in v.victims.all())))
            for v in incident.violations.all()
        ],
        "explosive": getattr(incident, "explosive", None),
        "can_edit": editable,
        "can_submit": editable and incident.status in SUBMITTABLE,
        "can_review": reviewable,
        "reject_form": RejectForm(),
    }
    return render(request, "monitoring/incident_detail.html", context)


def _entry_response(request, entry, *, incident=None):
    return render(request, "monitoring/incident_form.html", {"entry": entry, "incident": incident})


@require_perm(Perm.INCIDENT_CREATE)
def incident_create(request):
    organisations = _organisations(request.user, Perm.INCIDENT_CREATE)
    data = request.POST if request.method == "POST" else None
    entry = IncidentEntry(
        data,
        initial=default_initial(),
        organisations=organisations,
        survivor_details=has_perm(request.user, Perm.GBV_SURVIVOR_RECORD),
        area_limits=area_limits(request.user, Perm.INCIDENT_CREATE),
    )
    if not entry.should_save:
        entry.quiet()  # first display, or a refresh (more rows, next question): no error shown yet
    elif entry.is_valid():
        with errors_shown_on(entry):
            incident = services.incident_record(
                actor=request.user,
                organisation=entry.organisation,
                submit="save_submit" in request.POST,
                request=request,
                **entry.incident_fields(),
            )
            messages.success(
                request, _("Incident %(reference)s recorded.") % {"reference": incident.reference}
            )
            return redirect("monitoring:incident-detail", public_id=incident.public_id)
    return _entry_response(request, entry)


@require_perm(Perm.INCIDENT_EDIT)
def incident_edit(request, public_id):
    user = request.user
    incident = selectors.incident_get(
        user=user, public_id=public_id, perm=Perm.INCIDENT_EDIT, request=request
    )
    confidential = selectors.incident_confidential(user=user, incident=incident, request=request)
    data = request.POST if request.method == "POST" else None
    entry = IncidentEntry(
        data,
        initial=initial_from_incident(incident, confidential),
        version=incident.area.version,
        survivor_details=may_act_for(
            user, Perm.GBV_SURVIVOR_RECORD, organisation=incident.organisation, area=incident.area
        ),
        area_limits=area_limits(user, Perm.INCIDENT_EDIT, organisation=incident.organisation),
    )
    if not entry.should_save:
        entry.quiet()
    elif entry.is_valid():
        with errors_shown_on(entry):
            incident = services.incident_update(
                actor=user, incident=incident, request=request, **entry.incident_fields()
            )
            if "save_submit" in request.POST and incident.is_draft:
                incident = services.incident_submit(actor=user, incident=incident, request=request)
            messages.success(request, _("Incident %(reference)s saved.") % {"reference": incident.reference})
            return redirect("monitoring:incident-detail", public_id=incident.public_id)
    return _entry_response(request, entry, incident=incident)


@require_perm(Perm.INCIDENT_CREATE)
@require_POST
def incident_form_part(request):
    """One part of the form re-drawn from what is typed so far (HTMX); nothing is saved."""
    template = FORM_PARTS.get(request.GET.get("part", ""))
    version = cod_version_get(request.POST.get("cod_version") or None)
    if template is None or version is None:
        raise Http404
    survivor_details = has_perm(request.user, Perm.GBV_SURVIVOR_RECORD)
    entry = IncidentEntry(
        request.POST,
        version=version,
        survivor_details=survivor_details,
        area_limits=area_limits(request.user, Perm.INCIDENT_CREATE),
    )
    return render(request, template, {"entry": entry.quiet()})


def _transition(request, incident, action, done: str):
    """Run a workflow service; a refused state change is explained, a refused user gets 403."""
    with errors_shown_as_messages(request):
        incident = action()
        messages.success(request, done % {"reference": incident.reference})
    return redirect("monitoring:incident-detail", public_id=incident.public_id)


@require_perm(Perm.INCIDENT_EDIT)
@require_POST
def incident_submit(request, public_id):
    incident = selectors.incident_get(user=request.user, public_id=public_id, request=request)
    return _transition(
        request,
        incident,
        lambda: services.incident_submit(actor=request.user, incident=incident, request=request),
        _("Incident %(reference)s submitted for review."),
    )


@require_perm(Perm.INCIDENT_REVIEW)
@require_POST
def incident_verify(request, public_id):
    incident = selectors.incident_get(user=request.user, public_id=public_id, request=request)
    return _transition(
        request,
        incident,
        lambda: services.incident_verify(actor=request.user, incident=incident, request=request),
        _("Incident %(reference)s verified."),
    )


@require_perm(Perm.INCIDENT_REVIEW)
@require_POST
def incident_reject(request, public_id):
    incident = selectors.incident_get(user=request.user, public_id=public_id, request=request)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for the rejection."))
        return redirect("monitoring:incident-detail", public_id=incident.public_id)
    reason = form.cleaned_data["reason"]
    return _transition(
        request,
        incident,
        lambda: services.incident_reject(
            actor=request.user, incident=incident, reason=reason, request=request
        ),
        _("Incident %(reference)s rejected."),
    )


# --- Display helpers -------------------------------------------------------------------------------


def victim_table(cells) -> list[dict]:
    """Victim counts as rows (outcome, age group) x columns (sex), only the rows that have someone."""
    counts = {(c.outcome, c.sex, c.age_group): c.count for c in cells}
    rows = []
    for outcome, outcome_label in Outcome.choices:
        for age, age_label in AgeGroup.choices:
            values = [counts.get((outcome, sex, age), 0) for sex in Sex.values]
            if any(values):
                rows.append(
                    {"outcome": outcome_label, "age": age_label, "counts": values, "total": sum(values)}
                )
    return rows


def gbv_display(gbv) -> dict:
    """The GBV block: the derivation in words, the case-context terms, the referrals with labels."""
    flags = [label for name, label in classification.CASE_CONTEXT_LABELS.items() if getattr(gbv, name)]
    services_labels, statuses = dict(IRService.choices), dict(ReferralStatus.choices)
    referrals = [
        (services_labels.get(service, service), statuses.get(status, status))
        for service, status in (gbv.referrals or {}).items()
    ]
    return {
        "gbv_explanation": classification.derivation_explanation(gbv),
        "gbv_flags": flags,
        "gbv_referrals": referrals,
    }


DETAIL_MODELS = {"gbv": GBVIncident, "explosive": ExplosiveAccident}
TIMELINE_LABELS = {
    "categories": gettext_lazy("categories"),
    "victims": gettext_lazy("victims"),
    "violations": gettext_lazy("grave violations"),
    "explosive.casualties": gettext_lazy("casualties"),
}


def _field_label(key: str) -> str:
    """A changed field's name as the timeline shows it ("gbv.survivor_age" -> "survivor's age...")."""
    if key in TIMELINE_LABELS:
        return str(TIMELINE_LABELS[key])
    prefix, _dot, name = key.rpartition(".")
    model = DETAIL_MODELS.get(prefix, Incident)
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return key


def timeline_entries(events) -> list[dict]:
    return [
        {"event": event, "fields": [_field_label(key) for key in event.changes or {}]} for event in events
    ]


def incidents_map(counts_by_area: list[tuple[str, int]], version) -> dict | None:
    """A light SVG of the filtered incidents: one circle per cercle sized by count (geography/maps.py)."""
    if version is None:
        return None
    return circles_map(counts_by_level(counts_by_area, 2), version, level=2)
