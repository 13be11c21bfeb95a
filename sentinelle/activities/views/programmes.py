"""Programme and project pages: list, detail, create and edit (PROGRAMME_MANAGE)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sentinelle.accounts.models import Organisation
from sentinelle.activities.forms_reporting import ProgrammeForm, ProjectForm, attach_errors
from sentinelle.activities.models import Programme
from sentinelle.activities.selectors import programmes as selectors
from sentinelle.activities.services import programmes as services
from sentinelle.core.permissions import Perm, ensure, has_perm, require_perm


@require_perm(Perm.PROGRAMME_VIEW)
def programme_list(request):
    q = request.GET.get("q", "").strip()[:100]
    context = {
        "programmes": selectors.programme_list(user=request.user, q=q),
        "projects": selectors.project_list(user=request.user).filter(programme__isnull=True),
        "q": q,
        "can_manage": has_perm(request.user, Perm.PROGRAMME_MANAGE),
    }
    return render(request, "activities/programmes/programme_list.html", context)


@require_perm(Perm.PROGRAMME_VIEW)
def programme_detail(request, public_id):
    programme = selectors.programme_get(user=request.user, public_id=public_id, request=request)
    context = {
        "programme": programme,
        "can_manage": has_perm(request.user, Perm.PROGRAMME_MANAGE, programme),
        "can_add_project": has_perm(request.user, Perm.PROGRAMME_MANAGE),
    }
    return render(request, "activities/programmes/programme_detail.html", context)


def _programme_form(request, data=None, initial=None):
    organisations = Organisation.objects.filter(is_archived=False).order_by("acronym")
    return ProgrammeForm(
        data,
        initial=initial,
        organisations=selectors.manageable_organisations(request.user),
        partners=organisations,
        donors=selectors.donor_choices(),
    )


@require_perm(Perm.PROGRAMME_MANAGE)
@require_http_methods(["GET", "POST"])
def programme_create(request):
    form = _programme_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            programme = services.programme_create(actor=request.user, data=form.to_input(), request=request)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("The programme is recorded."))
            return redirect("activities:programme-detail", public_id=programme.public_id)
    return render(request, "activities/programmes/programme_form.html", {"form": form, "programme": None})


@require_perm(Perm.PROGRAMME_MANAGE)
@require_http_methods(["GET", "POST"])
def programme_edit(request, public_id):
    programme = selectors.programme_get(user=request.user, public_id=public_id, request=request)
    ensure(request.user, Perm.PROGRAMME_MANAGE, programme, request=request)
    initial = {
        "code": programme.code,
        "name": programme.name,
        "lead_organisation": programme.lead_organisation,
        "start_date": programme.start_date,
        "end_date": programme.end_date,
        "budget": programme.budget,
        "currency": programme.currency,
        "description": programme.description,
        "donors": list(programme.donors.all()),
        "implementing_partners": list(programme.implementing_partners.all()),
        "areas": list(programme.areas.all()),
    }
    form = _programme_form(request, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.programme_update(
                actor=request.user, programme=programme, data=form.to_input(), request=request
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("The programme is updated."))
            return redirect("activities:programme-detail", public_id=programme.public_id)
    return render(
        request, "activities/programmes/programme_form.html", {"form": form, "programme": programme}
    )


@require_perm(Perm.PROGRAMME_VIEW)
def project_detail(request, public_id):
    project = selectors.project_get(user=request.user, public_id=public_id, request=request)
    context = {"project": project, "can_manage": has_perm(request.user, Perm.PROGRAMME_MANAGE, project)}
    return render(request, "activities/programmes/project_detail.html", context)


def _project_form(request, data=None, initial=None):
    return ProjectForm(
        data,
        initial=initial,
        organisations=selectors.manageable_organisations(request.user),
        programmes=Programme.objects.filter(is_archived=False).order_by("code"),
        donors=selectors.donor_choices(),
    )


@require_perm(Perm.PROGRAMME_MANAGE)
@require_http_methods(["GET", "POST"])
def project_create(request):
    initial = {}
    programme_id = request.GET.get("programme", "")
    if programme_id:
        initial["programme"] = Programme.objects.filter(public_id__iexact=programme_id[:36]).first()
    form = _project_form(request, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(actor=request.user, data=form.to_input(), request=request)
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("The project is recorded."))
            return redirect("activities:project-detail", public_id=project.public_id)
    return render(request, "activities/programmes/project_form.html", {"form": form, "project": None})


@require_perm(Perm.PROGRAMME_MANAGE)
@require_http_methods(["GET", "POST"])
def project_edit(request, public_id):
    project = selectors.project_get(user=request.user, public_id=public_id, request=request)
    ensure(request.user, Perm.PROGRAMME_MANAGE, project, request=request)
    initial = {
        "code": project.code,
        "name": project.name,
        "organisation": project.organisation,
        "programme": project.programme,
        "start_date": project.start_date,
        "end_date": project.end_date,
        "budget": project.budget,
        "currency": project.currency,
        "donors": list(project.donors.all()),
        "areas": list(project.areas.all()),
    }
    form = _project_form(request, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_update(
                actor=request.user, project=project, data=form.to_input(), request=request
            )
        except ValidationError as error:
            attach_errors(form, error)
        else:
            messages.success(request, _("The project is updated."))
            return redirect("activities:project-detail", public_id=project.public_id)
    return render(request, "activities/programmes/project_form.html", {"form": form, "project": project})
