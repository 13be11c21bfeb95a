"""Import pages: the jobs, an upload, a job with its errors and preview, the commit, and the templates."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, require_perm
from sentinelle.ingest import selectors, services, workbooks
from sentinelle.ingest.forms import UploadForm
from sentinelle.ingest.kinds import all_kinds, get_kind

PAGE_SIZE = 50
# The page shows this many errors; the CSV has all that were kept.
ERRORS_SHOWN = 200
POLL_SECONDS = 2


@require_perm(Perm.IMPORT_RUN)
@require_GET
def job_list(request):
    jobs = selectors.import_job_list(user=request.user)
    page = Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("page"))
    kinds = all_kinds()
    labels = {kind.code: kind.label for kind in kinds}
    for job in page:
        job.kind_label = labels.get(job.kind, job.kind)
    return render(request, "ingest/job_list.html", {"page": page, "kinds": kinds})


@require_perm(Perm.IMPORT_RUN)
@require_http_methods(["GET", "POST"])
def job_upload(request):
    organisations = selectors.organisations_for_import(user=request.user)
    form = UploadForm(request.POST or None, request.FILES or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_job_upload(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                organisation=form.cleaned_data["organisation"],
                filename=upload.name,
                content=upload.read(),
                request=request,
            )
        except ValidationError as error:
            form.add_error("file", error)
        except PermissionDenied as error:
            form.add_error("organisation", str(error))
        else:
            return redirect("ingest:job-detail", public_id=job.public_id)
    return render(request, "ingest/job_upload.html", {"form": form, "kinds": all_kinds()})


def _detail_context(request, job) -> dict:
    kind = _kind_or_none(job.kind)
    return {
        "job": job,
        "kind": kind,
        # In the reader's language (the stored preview keeps the labels of the validation's language).
        "preview_labels": kind.preview_labels if kind else job.preview.get("columns", []),
        "errors_shown": job.errors[:ERRORS_SHOWN],
        "errors_hidden": max(0, job.error_count - ERRORS_SHOWN),
        "can_commit": job.status == "valid" and services.can_import_for(request.user, job.organisation),
        "poll_seconds": POLL_SECONDS,
    }


def _kind_or_none(code):
    try:
        return get_kind(code)
    except LookupError:
        return None


@require_perm(Perm.IMPORT_RUN)
@require_GET
def job_detail(request, public_id):
    job = selectors.import_job_get(user=request.user, public_id=public_id, request=request)
    return render(request, "ingest/job_detail.html", _detail_context(request, job))


@require_perm(Perm.IMPORT_RUN)
@require_GET
def job_status(request, public_id):
    """The progress fragment that the detail page polls; a finished job reloads the whole page."""
    job = selectors.import_job_get(user=request.user, public_id=public_id, request=request)
    response = render(request, "ingest/partials/_job_status.html", _detail_context(request, job))
    if not job.is_running:
        response["HX-Refresh"] = "true"
    return response


@require_perm(Perm.IMPORT_RUN)
@require_POST
def job_commit(request, public_id):
    job = selectors.import_job_get(user=request.user, public_id=public_id, request=request)
    try:
        job = services.import_job_commit(actor=request.user, job=job, request=request)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect("ingest:job-detail", public_id=job.public_id)
    if job.status == "committed":
        messages.success(
            request,
            _("Import done. Records created: %(created)s; already there (unchanged): %(unchanged)s.")
            % {"created": job.created_count, "unchanged": job.unchanged_count},
        )
    elif job.status == "committing":
        messages.info(request, _("The import runs in the background; this page shows its progress."))
    return redirect("ingest:job-detail", public_id=job.public_id)


@require_perm(Perm.IMPORT_RUN)
@require_GET
def job_errors(request, public_id):
    job = selectors.import_job_get(user=request.user, public_id=public_id, request=request)
    audit_record(
        action=AuditAction.EXPORT,
        user=request.user,
        obj=job,
        organisation=job.organisation,
        request=request,
        detail={"export": "import_errors", "errors": len(job.errors)},
    )
    response = HttpResponse(workbooks.errors_csv(job), content_type=workbooks.CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="erreurs-import-{job.public_id}.csv"'
    return response


@require_perm(Perm.IMPORT_RUN)
@require_GET
def template_download(request, kind, extension):
    try:
        import_kind = get_kind(kind)
    except LookupError:
        raise Http404(_("Not found.")) from None
    if extension not in ("xlsx", "csv"):
        raise Http404(_("Not found."))
    if extension == "xlsx":
        content, content_type = workbooks.template_xlsx(import_kind), workbooks.XLSX_CONTENT_TYPE
    else:
        content, content_type = workbooks.template_csv(import_kind), workbooks.CSV_CONTENT_TYPE
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="sentinelle-modele-{import_kind.code}.{extension}"'
    )
    return response
