"""Import pages: the jobs, an upload, a job with its errors, values to map and preview, the mapping, the
commit, and the templates."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sentinelle.accounts.selectors import organisation_choices
from sentinelle.core.audit import audit_record
from sentinelle.core.forms import errors_shown_as_messages, errors_shown_on
from sentinelle.core.models import AuditAction
from sentinelle.core.permissions import Perm, may_act_for, require_perm
from sentinelle.geography.selectors import area_get_by_pcode
from sentinelle.ingest import mapping_services, selectors, services, workbooks
from sentinelle.ingest.forms import MappingForm, UploadForm
from sentinelle.ingest.kinds import all_kinds, get_kind
from sentinelle.ingest.models import ImportStatus

PAGE_SIZE = 50
# The page shows the errors by pages of this many; the CSV has them all.
ERRORS_PER_PAGE = 100
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
    organisations = organisation_choices(user=request.user, perm=Perm.IMPORT_RUN)
    form = UploadForm(request.POST or None, request.FILES or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with errors_shown_on(form, refusal=True, refusal_field="organisation"):
            job = services.import_job_upload(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                organisation=form.cleaned_data["organisation"],
                filename=upload.name,
                content=upload.read(),
                source=form.cleaned_data["source"],
                request=request,
            )
            return redirect("ingest:job-detail", public_id=job.public_id)
    return render(request, "ingest/job_upload.html", {"form": form, "kinds": all_kinds()})


def _detail_context(request, job, mapping_form=None) -> dict:
    kind = _kind_or_none(job.kind)
    may_import = may_act_for(request.user, Perm.IMPORT_RUN, organisation=job.organisation)
    entries = _entries(job, kind)
    can_map = bool(entries) and kind is not None and may_import
    if can_map and mapping_form is None:
        mapping_form = MappingForm(entries=entries, kind=kind, initial={"source": job.source})
    return {
        "job": job,
        "kind": kind,
        # In the reader's language (the stored preview keeps the labels of the validation's language).
        "preview_labels": kind.preview_labels if kind else job.preview.get("columns", []),
        "errors_page": Paginator(job.errors, ERRORS_PER_PAGE).get_page(request.GET.get("erreurs")),
        "errors_not_kept": max(0, job.error_count - len(job.errors)),
        "can_commit": job.status == ImportStatus.VALID and may_import,
        "can_map": can_map,
        "mapping_form": mapping_form if can_map else None,
        "remembered": _labelled(kind, (job.preview or {}).get("remembered", [])),
        "poll_seconds": POLL_SECONDS,
    }


def _entries(job, kind) -> list[dict]:
    """The values the user may map now (with the labels of their suggestions), or none."""
    if kind is None or job.status not in mapping_services.MAPPABLE_STATUSES:
        return []
    return _labelled(kind, list(mapping_services.mapping_entries(job).values()))


def _labelled(kind, entries: list[dict]) -> list[dict]:
    """Entries with their suggestions and code named in the reader's language (a P-code with its area's
    name)."""
    labelled = []
    for entry in entries:
        column = kind.columns_by_key.get(entry["column"]) if kind else None
        if column is not None and column.codes is not None:
            labels = dict(column.codes.describe())
        else:
            labels = dict(entry.get("suggestions", []))
        suggested = [labels.get(code) or label or code for code, label in entry.get("suggestions", [])]
        code = entry.get("current") or entry.get("code") or ""
        if code and code not in labels and column is not None and column.codes is None:
            labels[code] = _place_label(code)
        labelled.append({**entry, "suggested": suggested, "code_label": labels.get(code, code)})
    return labelled


def _place_label(pcode: str) -> str:
    """ "Mopti (ML0501)" for a P-code of the default COD version (reference data), else the code."""
    area = area_get_by_pcode(pcode)
    return f"{area.name_fr} ({area.pcode})" if area is not None else pcode


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
    with errors_shown_as_messages(request, refusal=True):
        job = services.import_job_commit(actor=request.user, job=job, request=request)
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
@require_POST
def job_map(request, public_id):
    """The mapping step: remember the codes chosen for the job's values, then validate it again."""
    job = selectors.import_job_get(user=request.user, public_id=public_id, request=request)
    kind = _kind_or_none(job.kind)
    if kind is None:
        raise Http404(_("Not found."))
    form = MappingForm(request.POST, entries=_entries(job, kind), kind=kind)
    if not form.is_valid():
        return render(request, "ingest/job_detail.html", _detail_context(request, job, form), status=400)
    source = form.cleaned_data["source"] if "source" in request.POST else None
    with errors_shown_as_messages(request, refusal=True):
        job = mapping_services.value_mappings_save(
            actor=request.user,
            job=job,
            choices=form.choices_made(),
            source=None if source is None or source.strip() == job.source else source,
            request=request,
        )
        messages.success(request, _("Your choices are saved; the file was checked again with them."))
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
    # In the reader's language: French labels in the drop-down lists, English for English readers.
    language = translation.get_language()
    if extension == "xlsx":
        content = workbooks.template_xlsx(import_kind, language=language)
        content_type = workbooks.XLSX_CONTENT_TYPE
    else:
        content = workbooks.template_csv(import_kind, language=language)
        content_type = workbooks.CSV_CONTENT_TYPE
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="sentinelle-modele-{import_kind.code}.{extension}"'
    )
    return response
