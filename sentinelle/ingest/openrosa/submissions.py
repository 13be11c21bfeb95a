"""Receiving one OpenRosa submission: parse, check it is new, map, validate, record as a submitted incident.

Idempotency is by instanceID (the incident's source_id in the device user's organisation): a device that
re-sends because it never saw our answer gets a success and nothing is written twice. To tell a re-send
from a different document reusing the same instanceID (ODK Central answers 409 then), each accepted
submission leaves an IMPORT audit entry holding a SHA-256 fingerprint of its answers: the incident
itself may be edited later in Sentinelle, the fingerprint of what the device sent does not change.

Refusals are audited as DENIED with a reason code; no answer ever goes into the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext

from sentinelle.core.audit import audit_record
from sentinelle.core.figure_cache import figures_changed
from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.core.permissions import Perm, audit_refusal, has_perm, home_organisation
from sentinelle.monitoring.models import Channel, Incident
from sentinelle.monitoring.services.incidents import (
    incident_find_by_source,
    incident_record,
    incident_validate,
)

from .mapping import Submission, SubmissionError, answers_to_row, parse_submission
from .surveys import FORM_PERMS, SURVEYS, form_definition
from .xlsform import FormsUnavailable

# IncidentRow fields whose question has another name (or is a group) in the forms.
FIELD_QUESTIONS = {
    "area": "cercle",
    "settlement": "commune",
    "victims": "victims",
    "violations": "child_rights",
    "gbv": "classification",
    "gbv.answers": "classification",
    "gbv.referrals": "services",
    "explosive": "explosive",
    "explosive.casualties": "casualties",
}


@dataclass(frozen=True)
class Receipt:
    status: int
    message: str
    incident: Incident | None = None
    created: bool = False


def device_organisation(user):
    """The organisation a device's submissions belong to: the user's first that lets them record."""
    return home_organisation(user, Perm.INCIDENT_CREATE)


def _received_fingerprint(incident: Incident) -> str | None:
    detail = (
        AuditEntry.objects.filter(
            action=AuditAction.IMPORT,
            object_type="monitoring.incident",
            object_id=str(incident.public_id),
            detail__channel=Channel.ODK,
        )
        .values_list("detail", flat=True)
        .first()
    )
    return (detail or {}).get("fingerprint")


def _already_received(incident: Incident, submission: Submission) -> Receipt:
    fingerprint = _received_fingerprint(incident)
    if fingerprint is not None and fingerprint != submission.fingerprint:
        raise SubmissionError(
            gettext(
                "A different submission with the same instance identifier was already received (incident "
                "%(reference)s). Correct the incident in Sentinelle rather than re-sending an edited form."
            )
            % {"reference": incident.reference},
            status=409,
            reason="conflict",
        )
    return Receipt(
        201,
        gettext("Already received: incident %(reference)s. Nothing was duplicated.")
        % {"reference": incident.reference},
        incident,
    )


def _label(field: str, labels: dict[str, str]) -> str:
    question = FIELD_QUESTIONS.get(field) or field.rsplit(".", 1)[-1]
    return labels.get(question, field)


def _invalid(errors: dict[str, list[str]], form_id: str) -> SubmissionError:
    """One message naming each question (French label) and what is wrong with it."""
    try:
        labels = form_definition(form_id).labels
    except FormsUnavailable:
        labels = {}
    lines = [
        f"{_label(field, labels)} : {message}" for field, messages in errors.items() for message in messages
    ]
    return SubmissionError(
        gettext("The submission was not recorded:") + "\n" + "\n".join(lines), status=400, reason="validation"
    )


def submission_refused(
    *, user, request, error: SubmissionError, form_id: str = "", organisation=None
) -> None:
    """Audit a refused submission (the reason code and the form, never the answers)."""
    audit_refusal(
        user,
        organisation=organisation or device_organisation(user),
        object_type="monitoring.incident",
        request=request,
        detail={"channel": Channel.ODK, "reason": error.reason, "form": form_id[:64], "status": error.status},
    )


def _record(user, organisation, submission: Submission, request) -> Receipt:
    data, errors = answers_to_row(submission)
    try:
        incident_validate(data)
    except ValidationError as error:
        # All problems at once, but not twice: an answer that could not be read is not validated again.
        for field, messages in error.message_dict.items():
            if FIELD_QUESTIONS.get(field, field) not in errors:
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise _invalid(errors, submission.form_id)
    with transaction.atomic():
        try:
            incident = incident_record(
                actor=user,
                organisation=organisation,
                channel=Channel.ODK,
                submit=True,
                request=request,
                **vars(data),
            )
        except ValidationError as error:  # e.g. outside the user's areas of responsibility
            raise _invalid(error.message_dict, submission.form_id) from None
        if _received_fingerprint(incident) is not None:  # a concurrent request recorded it first
            return _already_received(incident, submission)
        audit_record(
            action=AuditAction.IMPORT,
            user=user,
            obj=incident,
            organisation=organisation,
            request=request,
            detail={
                "channel": Channel.ODK,
                "form": submission.form_id,
                "version": submission.version[:64],
                "fingerprint": submission.fingerprint,
            },
        )
        figures_changed("monitoring")
    return Receipt(
        201,
        gettext("Incident %(reference)s received by Sentinelle. Thank you.")
        % {"reference": incident.reference},
        incident,
        created=True,
    )


def submission_receive(*, user, xml: bytes, request=None) -> Receipt:
    """Record the submission `xml` for the device's user; SubmissionError (audited) when refused."""
    organisation = device_organisation(user)
    form_id = ""
    try:
        submission = parse_submission(xml)
        form_id = submission.form_id
        if form_id not in SURVEYS:
            raise SubmissionError(
                gettext("Unknown form “%(form)s”: download the forms again from Sentinelle.")
                % {"form": form_id},
                status=404,
                reason="unknown_form",
            )
        if not has_perm(user, FORM_PERMS[form_id]):
            raise SubmissionError(
                gettext(
                    "This form records survivor details: only GBV service providers may send it. Record "
                    "the incident as an allegation with the form “Sentinelle – Protection incident”."
                ),
                status=403,
                reason="form_not_allowed",
            )
        if not submission.version:
            raise SubmissionError(
                gettext("The submission does not say its form version."), reason="no_version"
            )
        if not submission.instance_id:
            raise SubmissionError(gettext("The submission has no instanceID."), reason="no_instance_id")
        existing = incident_find_by_source(organisation=organisation, source_id=submission.instance_id)
        if existing is not None:
            return _already_received(existing, submission)
        if submission.deprecated_id and incident_find_by_source(
            organisation=organisation, source_id=submission.deprecated_id
        ):
            raise SubmissionError(
                gettext("This form was already sent: correct the incident in Sentinelle."),
                status=409,
                reason="edit",
            )
        return _record(user, organisation, submission, request)
    except PermissionDenied as error:  # audited by the incident service
        raise SubmissionError(str(error), status=403, reason="permission") from None
    except SubmissionError as error:
        submission_refused(
            user=user, request=request, error=error, form_id=form_id, organisation=organisation
        )
        raise
