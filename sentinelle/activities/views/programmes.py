"""Programme and project pages: list, detail, create and edit (PROGRAMME_MANAGE)."""

from functools import partial

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sentinelle.activities.forms.programmes import ProgrammeForm, ProjectForm
from sentinelle.activities.selectors import programmes as selectors
from sentinelle.activities.services import programmes as services
from sentinelle.activities.views import form_page
from sentinelle.core.permissions import Perm, ensure, has_perm, require_perm


@require_perm(Perm.PROGRAMME_VIEW)
def programme_list(request):
    q = request.GET.get("q", "").strip()[:100]
    context = {
        "programmes": selectors.programme_list(user=request.user, q=q),
        "projects": selectors.project_list(user=request.user, without_programme=True),
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
    return ProgrammeForm(
        data,
        initial=initial,
        organisations=selectors.manageable_organisations(user=request.user),
        partners=selectors.partner_choices(user=request.user),
        donors=selectors.donor_choices(user=request.user),
    )


@require_perm(Perm.PROGRAMME_MANAGE)
@require_http_methods(["GET", "POST"])
def programme_create(request):
    return form_page(
        request,
        _programme_form(request, request.POST or None),
        services.programme_create,
        success=_("The programme is recorded."),
        then=lambda programme: ("activities:programme-detail", programme.public_id),
        template="activities/programmes/programme_form.html",
        context={"programme": None},
    )


@require_perm(Perm.PROGRAMME_MANAGE)
@require_http_methods(["GET", "POST"])
def programme_edit(request, public_id):
    programme = selectors.programme_get(user=request.user, public_id=public_id, request=request)
    ensure(request.user, Perm.PROGRAMME_MANAGE, programme, request=request)
    return form_page(
        request,
        _programme_form(request, request.POST or None, initial=ProgrammeForm.initial_for(programme)),
        partial(services.programme_update, programme=programme),
        success=_("The programme is updated."),
        then=lambda programme: ("activities:programme-detail", programme.public_id),
        template="activities/programmes/programme_form.html",
        context={"programme": programme},
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
        organisations=selectors.manageable_organisations(user=request.user),
        programmes=selectors.programme_choices(user=request.user),
        donors=selectors.donor_choices(user=request.user),
    )


@require_perm(Perm.PROGRAMME_MANAGE)
@require_http_methods(["GET", "POST"])
def project_create(request):
    initial = {}
    programme_id = request.GET.get("programme", "")
    if programme_id:
        initial["programme"] = selectors.programme_find(user=request.user, public_id=programme_id)
    return form_page(
        request,
        _project_form(request, request.POST or None, initial=initial),
        services.project_create,
        success=_("The project is recorded."),
        then=lambda project: ("activities:project-detail", project.public_id),
        template="activities/programmes/project_form.html",
        context={"project": None},
    )


@require_perm(Perm.PROGRAMME_MANAGE)
@require_http_methods(["GET", "POST"])
def project_edit(request, public_id):
    project = selectors.project_get(user=request.user, public_id=public_id, request=request)
    ensure(request.user, Perm.PROGRAMME_MANAGE, project, request=request)
    return form_page(
        request,
        _project_form(request, request.POST or None, initial=ProjectForm.initial_for(project)),
        partial(services.project_update, project=project),
        success=_("The project is updated."),
        then=lambda project: ("activities:project-detail", project.public_id),
        template="activities/programmes/project_form.html",
        context={"project": project},
    )
