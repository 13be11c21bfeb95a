"""Pages of results frameworks: list, framework (tree with values against targets), indicator, edits.

Reading needs INDICATOR_VIEW; editing INDICATOR_EDIT on the framework (its owner organisation; the IMO
and administrators everywhere). Views parse, authorise, call a selector or a service, render.
"""

from functools import partial

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sentinelle.activities.forms.results import (
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
from sentinelle.activities.views import form_page
from sentinelle.core.forms import errors_shown_on
from sentinelle.core.permissions import Perm, has_perm, require_perm


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


def _to_framework(framework):
    return lambda _written: ("activities:framework-detail", framework.public_id)


def _to_indicator(written):
    return "activities:indicator-detail", written.public_id


@require_perm(Perm.INDICATOR_EDIT)
@require_http_methods(["GET", "POST"])
def framework_create(request):
    form = FrameworkForm(request.POST or None, owners=selectors.owner_choices(user=request.user))
    return form_page(
        request,
        form,
        services.framework_create,
        success=_("The results framework is created. Add its objectives and results."),
        then=lambda framework: ("activities:framework-detail", framework.public_id),
        template="activities/results/framework_form.html",
        context={"framework": None},
    )


@require_perm(Perm.INDICATOR_EDIT)
@require_http_methods(["GET", "POST"])
def framework_edit(request, public_id):
    framework = selectors.framework_get(
        user=request.user, public_id=public_id, request=request, perm=Perm.INDICATOR_EDIT
    )
    form = FrameworkForm(
        request.POST or None,
        owners=selectors.owner_choices(user=request.user),
        initial=FrameworkForm.initial_for(framework),
    )
    with errors_shown_on(
        form,
        refusal=_("You may not give the framework to this organisation."),
        refusal_field="owner_organisation",
    ):
        return form_page(
            request,
            form,
            partial(services.framework_update, framework=framework),
            success=_("The results framework is updated."),
            then=_to_framework(framework),
            template="activities/results/framework_form.html",
            context={"framework": framework},
        )
    return render(request, "activities/results/framework_form.html", {"form": form, "framework": framework})


@require_perm(Perm.INDICATOR_EDIT)
@require_http_methods(["GET", "POST"])
def node_create(request, public_id):
    framework = selectors.framework_get(
        user=request.user, public_id=public_id, request=request, perm=Perm.INDICATOR_EDIT
    )
    return form_page(
        request,
        NodeForm(request.POST or None, framework=framework),
        partial(services.node_create, framework=framework),
        success=_("The result is added."),
        then=_to_framework(framework),
        template="activities/results/node_form.html",
        context={"framework": framework, "node": None},
    )


@require_perm(Perm.INDICATOR_EDIT)
@require_http_methods(["GET", "POST"])
def node_edit(request, public_id):
    node = selectors.node_get(user=request.user, public_id=public_id, request=request)
    framework = node.framework
    return form_page(
        request,
        NodeForm(request.POST or None, framework=framework, exclude=node, initial=NodeForm.initial_for(node)),
        partial(services.node_update, node=node),
        success=_("The result is updated."),
        then=_to_framework(framework),
        template="activities/results/node_form.html",
        context={"framework": framework, "node": node},
    )


@require_perm(Perm.INDICATOR_EDIT)
@require_http_methods(["GET", "POST"])
def indicator_create(request, public_id):
    framework = selectors.framework_get(
        user=request.user, public_id=public_id, request=request, perm=Perm.INDICATOR_EDIT
    )
    return form_page(
        request,
        IndicatorForm(request.POST or None, framework=framework),
        partial(services.indicator_create, framework=framework),
        success=_("The indicator is added. Give it its targets."),
        then=_to_indicator,
        template="activities/results/indicator_form.html",
        context={"framework": framework, "indicator": None},
    )


@require_perm(Perm.INDICATOR_EDIT)
@require_http_methods(["GET", "POST"])
def indicator_edit(request, public_id):
    indicator = selectors.indicator_get(
        user=request.user, public_id=public_id, request=request, perm=Perm.INDICATOR_EDIT
    )
    framework = indicator.framework
    return form_page(
        request,
        IndicatorForm(
            request.POST or None, framework=framework, initial=IndicatorForm.initial_for(indicator)
        ),
        partial(services.indicator_update, indicator=indicator),
        success=_("The indicator is updated."),
        then=lambda _written: ("activities:indicator-detail", indicator.public_id),
        template="activities/results/indicator_form.html",
        context={"framework": framework, "indicator": indicator},
    )


def _indicator_entry(request, public_id, form_class, service, success: str, form_name: str):
    """A target or a value posted from the indicator's page: written, back to the page; refused, the page
    again with what was typed in `form_name`."""
    indicator = selectors.indicator_get(
        user=request.user, public_id=public_id, request=request, perm=Perm.INDICATOR_EDIT
    )
    form = form_class(request.POST)
    if form.is_valid():
        with errors_shown_on(form):
            service(actor=request.user, indicator=indicator, request=request, **form.cleaned_data)
            messages.success(request, success)
            return redirect("activities:indicator-detail", public_id=indicator.public_id)
    response = indicator_detail(request, indicator.public_id, **{form_name: form})
    response.status_code = 400
    return response


@require_perm(Perm.INDICATOR_EDIT)
@require_POST
def target_set(request, public_id):
    done = _("The target is saved.")
    return _indicator_entry(request, public_id, TargetForm, services.target_set, done, "target_form")


@require_perm(Perm.INDICATOR_EDIT)
@require_POST
def value_record(request, public_id):
    done = _("The value and its evidence are recorded.")
    return _indicator_entry(
        request, public_id, ValueForm, services.indicator_value_record, done, "value_form"
    )
