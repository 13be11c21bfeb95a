"""Pages of results frameworks: list, framework (tree with values against targets), indicator, edits.

Reading needs INDICATOR_VIEW; editing INDICATOR_EDIT on the framework (its owner organisation; the IMO
and administrators everywhere). Views parse, authorise, call a selector or a service, render.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sentinelle.accounts.models import Organisation
from sentinelle.activities.forms_results import (
    FrameworkForm,
    IndicatorForm,
    NodeForm,
    PeriodForm,
    TargetForm,
    ValueForm,
)
from sentinelle.activities.models import IndicatorSource
from sentinelle.activities.selectors import results as selectors
from sentinelle.activities.services import results as services
from sentinelle.core.permissions import Perm, has_perm, organisations_in_scope, require_perm


def _attach(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _owners(user):
    organisations = organisations_in_scope(user, Perm.INDICATOR_EDIT)
    owners = Organisation.objects.filter(is_archived=False).order_by("acronym")
    return owners if organisations is None else owners.filter(pk__in=organisations)


@require_perm(Perm.INDICATOR_VIEW)
def framework_list(request):
    frameworks = selectors.framework_list(user=request.user)
    return render(
        request,
        "activities/results/framework_list.html",
        {"frameworks": frameworks, "can_create": has_perm(request.user, Perm.INDICATOR_EDIT)},
    )


def _period(request, framework):
    form = PeriodForm(request.GET or None, years=selectors.framework_years(framework))
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    if data.get("year") and data.get("quarter"):
        start, end = selectors.quarter_periods(data["year"])[data["quarter"] - 1]
    elif data.get("year"):
        start, end = selectors.year_period(data["year"])
    else:
        start, end = selectors.default_period(framework)
    return form, start, end, data.get("area")


@require_perm(Perm.INDICATOR_VIEW)
def framework_detail(request, public_id):
    framework = selectors.framework_get(user=request.user, public_id=public_id, request=request)
    form, start, end, area = _period(request, framework)
    exact = has_perm(request.user, Perm.STATS_EXACT)
    rows, _evaluator = selectors.framework_results(framework, start=start, end=end, area=area, exact=exact)
    context = {
        "framework": framework,
        "form": form,
        "start": start,
        "end": end,
        "area": area,
        "rows": rows,
        "can_edit": has_perm(request.user, Perm.INDICATOR_EDIT, framework),
        "thresholds": (selectors.ACHIEVEMENT_GREEN, selectors.ACHIEVEMENT_AMBER),
    }
    return render(request, "activities/results/framework_detail.html", context)


@require_perm(Perm.INDICATOR_VIEW)
def indicator_detail(request, public_id, *, value_form=None, target_form=None):
    """The indicator's figures; `value_form`/`target_form`: a refused entry, shown with what was typed."""
    indicator = selectors.indicator_get(user=request.user, public_id=public_id, request=request)
    framework = indicator.framework
    years = selectors.framework_years(framework)
    form = PeriodForm(request.GET or None, years=years)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    year = data.get("year") or min(max(timezone.localdate().year, framework.start_date.year), years[-1])
    area = data.get("area")
    report = selectors.indicator_report(
        indicator, year=year, area=area, exact=has_perm(request.user, Perm.STATS_EXACT)
    )
    can_edit = has_perm(request.user, Perm.INDICATOR_EDIT, indicator)
    context = {
        "indicator": report.indicator,
        "framework": framework,
        "report": report,
        "form": form,
        "year": year,
        "area": area,
        "chart": selectors.bar_chart(report.periods),
        "quarter_chart": selectors.bar_chart(report.quarters),
        "can_edit": can_edit,
        "value_form": value_form
        or (ValueForm() if can_edit and indicator.source == IndicatorSource.MANUAL else None),
        "target_form": target_form or (TargetForm() if can_edit else None),
        "thresholds": (selectors.ACHIEVEMENT_GREEN, selectors.ACHIEVEMENT_AMBER),
    }
    return render(request, "activities/results/indicator_detail.html", context)


# --- Edits ----------------------------------------------------------------------------------------


@require_perm(Perm.INDICATOR_EDIT)
@require_http_methods(["GET", "POST"])
def framework_create(request):
    form = FrameworkForm(request.POST or None, owners=_owners(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            framework = services.framework_create(actor=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            _attach(form, error)
        else:
            messages.success(request, _("The results framework is created. Add its objectives and results."))
            return redirect("activities:framework-detail", public_id=framework.public_id)
    return render(request, "activities/results/framework_form.html", {"form": form, "framework": None})


@require_perm(Perm.INDICATOR_EDIT)
@require_http_methods(["GET", "POST"])
def framework_edit(request, public_id):
    framework = selectors.framework_get(
        user=request.user, public_id=public_id, request=request, perm=Perm.INDICATOR_EDIT
    )
    form = FrameworkForm(
        request.POST or None, owners=_owners(request.user), initial=FrameworkForm.initial_for(framework)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.framework_update(
                actor=request.user, framework=framework, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            _attach(form, error)
        except PermissionDenied:
            form.add_error("owner_organisation", _("You may not give the framework to this organisation."))
        else:
            messages.success(request, _("The results framework is updated."))
            return redirect("activities:framework-detail", public_id=framework.public_id)
    return render(request, "activities/results/framework_form.html", {"form": form, "framework": framework})


@require_perm(Perm.INDICATOR_EDIT)
@require_http_methods(["GET", "POST"])
def node_create(request, public_id):
    framework = selectors.framework_get(
        user=request.user, public_id=public_id, request=request, perm=Perm.INDICATOR_EDIT
    )
    form = NodeForm(request.POST or None, framework=framework)
    if request.method == "POST" and form.is_valid():
        try:
            services.node_create(
                actor=request.user, framework=framework, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            _attach(form, error)
        else:
            messages.success(request, _("The result is added."))
            return redirect("activities:framework-detail", public_id=framework.public_id)
    return render(
        request, "activities/results/node_form.html", {"form": form, "framework": framework, "node": None}
    )


@require_perm(Perm.INDICATOR_EDIT)
@require_http_methods(["GET", "POST"])
def node_edit(request, public_id):
    node = selectors.node_get(user=request.user, public_id=public_id, request=request)
    framework = node.framework
    form = NodeForm(
        request.POST or None, framework=framework, exclude=node, initial=NodeForm.initial_for(node)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.node_update(actor=request.user, node=node, request=request, **form.cleaned_data)
        except ValidationError as error:
            _attach(form, error)
        else:
            messages.success(request, _("The result is updated."))
            return redirect("activities:framework-detail", public_id=framework.public_id)
    return render(
        request, "activities/results/node_form.html", {"form": form, "framework": framework, "node": node}
    )


@require_perm(Perm.INDICATOR_EDIT)
@require_http_methods(["GET", "POST"])
def indicator_create(request, public_id):
    framework = selectors.framework_get(
        user=request.user, public_id=public_id, request=request, perm=Perm.INDICATOR_EDIT
    )
    form = IndicatorForm(request.POST or None, framework=framework)
    if request.method == "POST" and form.is_valid():
        try:
            indicator = services.indicator_create(
                actor=request.user, framework=framework, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            _attach(form, error)
        else:
            messages.success(request, _("The indicator is added. Give it its targets."))
            return redirect("activities:indicator-detail", public_id=indicator.public_id)
    return render(
        request,
        "activities/results/indicator_form.html",
        {"form": form, "framework": framework, "indicator": None},
    )


@require_perm(Perm.INDICATOR_EDIT)
@require_http_methods(["GET", "POST"])
def indicator_edit(request, public_id):
    indicator = selectors.indicator_get(
        user=request.user, public_id=public_id, request=request, perm=Perm.INDICATOR_EDIT
    )
    framework = indicator.framework
    form = IndicatorForm(
        request.POST or None, framework=framework, initial=IndicatorForm.initial_for(indicator)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.indicator_update(
                actor=request.user, indicator=indicator, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            _attach(form, error)
        else:
            messages.success(request, _("The indicator is updated."))
            return redirect("activities:indicator-detail", public_id=indicator.public_id)
    return render(
        request,
        "activities/results/indicator_form.html",
        {"form": form, "framework": framework, "indicator": indicator},
    )


def _posted(request, form, write, success: str, public_id, form_name: str):
    """Write, then back to the indicator; refused, the indicator's page again with what was typed."""
    if form.is_valid():
        try:
            write(**form.cleaned_data)
        except ValidationError as error:
            _attach(form, error)
        else:
            messages.success(request, success)
            return redirect("activities:indicator-detail", public_id=public_id)
    response = indicator_detail(request, public_id, **{form_name: form})
    response.status_code = 400
    return response


@require_perm(Perm.INDICATOR_EDIT)
@require_POST
def target_set(request, public_id):
    indicator = selectors.indicator_get(
        user=request.user, public_id=public_id, request=request, perm=Perm.INDICATOR_EDIT
    )

    def write(**data):
        services.target_set(actor=request.user, indicator=indicator, request=request, **data)

    done = _("The target is saved.")
    return _posted(request, TargetForm(request.POST), write, done, indicator.public_id, "target_form")


@require_perm(Perm.INDICATOR_EDIT)
@require_POST
def value_record(request, public_id):
    indicator = selectors.indicator_get(
        user=request.user, public_id=public_id, request=request, perm=Perm.INDICATOR_EDIT
    )

    def write(**data):
        services.indicator_value_record(actor=request.user, indicator=indicator, request=request, **data)

    done = _("The value and its evidence are recorded.")
    return _posted(request, ValueForm(request.POST), write, done, indicator.public_id, "value_form")
