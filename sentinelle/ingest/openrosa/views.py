"""OpenRosa endpoints for ODK Collect / KoboCollect (formList, XForm, submission) and the help page.

Server URL for the apps: the absolute URL of /openrosa (the apps add /formList and /submission).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_safe

from sentinelle.core.permissions import Perm, has_perm, require_perm

from .auth import openrosa_response, require_device_perm
from .mapping import SubmissionError
from .submissions import submission_receive, submission_refused
from .surveys import FORM_PERMS, form_definition, form_definitions
from .xforms import form_list_xml, xform_for
from .xlsform import FormsUnavailable

XML = "text/xml; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XML_PART = "xml_submission_file"
XML_TYPES = ("text/xml", "application/xml")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def max_submission_bytes() -> int:
    return int(settings.SENTINELLE.get("OPENROSA_MAX_BYTES", DEFAULT_MAX_BYTES))


def _offered(user, definitions) -> list:
    """The forms offered to the user: the GBV form only to GBV service providers. (A definition holds no
    data, so downloading one by its address stays open; sending it is refused, see submissions.py.)"""
    return [d for d in definitions if has_perm(user, FORM_PERMS[d.form_id])]


@require_perm(Perm.INCIDENT_CREATE)
def help_page(request):
    try:
        forms = _offered(request.user, form_definitions())
    except FormsUnavailable:
        forms = None
    context = {
        "server_url": request.build_absolute_uri(reverse("openrosa:help")).rstrip("/"),
        "forms": forms,
        "form_list_url": request.build_absolute_uri(reverse("openrosa:form-list")),
    }
    return render(request, "openrosa/help.html", context)


@require_perm(Perm.INCIDENT_CREATE)
def xlsform_download(request, form_id: str):
    try:
        definition = form_definition(form_id)
    except FormsUnavailable:
        definition = None
    if definition is None:
        raise Http404(gettext("Unknown form."))
    response = HttpResponse(definition.xlsx(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{form_id}-{definition.version}.xlsx"'
    return response


@require_device_perm(Perm.INCIDENT_CREATE)
@require_safe
def form_list(request):
    wanted = request.GET.get("formID")
    try:
        definitions = [
            d for d in _offered(request.user, form_definitions()) if not wanted or d.form_id == wanted
        ]
    except FormsUnavailable:
        definitions = []  # nothing to offer until the geography is loaded; an empty list is valid
    entries = [
        (xform_for(d), request.build_absolute_uri(reverse("openrosa:form-download", args=[d.form_id])))
        for d in definitions
    ]
    return HttpResponse(form_list_xml(entries), content_type=XML)


@require_device_perm(Perm.INCIDENT_CREATE)
@require_safe
def form_download(request, form_id: str):
    try:
        definition = form_definition(form_id)
    except FormsUnavailable:
        definition = None
    if definition is None:
        return openrosa_response(gettext("Unknown form."), status=404)
    return HttpResponse(xform_for(definition).xml, content_type=XML)


def _submitted_xml(request) -> tuple[bytes, bool]:
    """The xml_submission_file part, and whether other parts (attachments) came with it."""
    limit = max_submission_bytes()
    too_big = SubmissionError(
        gettext("The submission is larger than %(size)s bytes.") % {"size": limit},
        status=413,
        reason="too_big",
    )
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
            raise too_big
    except ValueError:
        raise SubmissionError(gettext("Invalid Content-Length."), reason="length") from None
    if request.content_type != "multipart/form-data":
        raise SubmissionError(
            gettext("Send the submission as multipart/form-data with an xml_submission_file part."),
            reason="not_multipart",
        )
    try:
        parts = request.FILES.getlist(XML_PART)
        attachments = any(name != XML_PART for name in request.FILES)
    except RequestDataTooBig:
        raise too_big from None
    except (MultiPartParserError, SuspiciousOperation):
        raise SubmissionError(gettext("The multipart body cannot be read."), reason="multipart") from None
    if len(parts) != 1:
        raise SubmissionError(
            gettext("Send exactly one part named xml_submission_file (got %(count)s).")
            % {"count": len(parts)},
            reason="xml_part",
        )
    part = parts[0]
    if part.content_type not in XML_TYPES:
        raise SubmissionError(
            gettext("The xml_submission_file part must be text/xml or application/xml."), reason="xml_type"
        )
    if part.size > limit:
        raise too_big
    return part.read(), attachments


@require_device_perm(Perm.INCIDENT_CREATE)
def submission(request):
    if request.method == "HEAD":
        response = HttpResponse(status=204)
        response["X-OpenRosa-Accept-Content-Length"] = str(max_submission_bytes())
        return response
    if request.method != "POST":
        return HttpResponseNotAllowed(["HEAD", "POST"])
    try:
        xml, attachments = _submitted_xml(request)
    except SubmissionError as error:
        submission_refused(user=request.user, request=request, error=error)
        return openrosa_response(error.message, status=error.status)
    try:
        receipt = submission_receive(user=request.user, xml=xml, request=request)
    except SubmissionError as error:  # audited by submission_receive
        return openrosa_response(error.message, status=error.status)
    message = receipt.message
    if attachments:
        message += " " + gettext("Attached files are not kept by Sentinelle.")
    return openrosa_response(message, status=receipt.status, nature="submit_success")
