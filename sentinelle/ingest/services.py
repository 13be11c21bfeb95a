"""Import job services: upload, validate, commit, and the worker's claim.

    job = import_job_upload(actor=user, kind="incidents", organisation=org, filename=name, content=data,
                            source="Kobo AMSS Mopti")
    value_mappings_save(actor=user, job=job, choices={entry_id: code})   # mapping_services.py
    import_job_commit(actor=user, job=job)          # when job.status == "valid"

Small files run in the request; larger ones (SENTINELLE["IMPORT_INLINE_MAX_ROWS"]) wait for
`manage.py run_jobs`, which claims them with `select_for_update(skip_locked=True)`. Whoever runs a job
(request or worker) holds its claim and renews it at every chunk; a claim not renewed within
SENTINELLE["IMPORT_JOB_TIMEOUT_SECONDS"] is taken over by the next worker.
"""

import hashlib
import logging
import os
import socket
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction, AuditOutcome
from sentinelle.core.permissions import Perm, ensure
from sentinelle.core.tasks import enqueue_after_commit
from sentinelle.core.validation import refuse
from sentinelle.ingest.kinds import get_kind
from sentinelle.ingest.models import RUNNABLE_STATUSES, ImportFile, ImportJob, ImportStatus
from sentinelle.ingest.runner import (
    COMMIT_CHUNK_ROWS,
    CommitRefused,
    Mapper,
    Outcome,
    commit_items,
    covering_area,
    file_error,
    inline_max_rows,
    open_job_file,
    preview_of,
    run_pass,
    setting,
    unmapped_of,
)
from sentinelle.ingest.sources import SourceError

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# The uploaded file is removed once the job reaches one of these: nothing will read it again.
FILE_NOT_NEEDED = (ImportStatus.INVALID, ImportStatus.COMMITTED, ImportStatus.FAILED)


class LostClaim(Exception):
    """Another worker took the job over (this one was too slow to renew its claim)."""


def max_upload_bytes() -> int:
    return int(setting("IMPORT_MAX_BYTES", 20 * 1024 * 1024))


def megabytes(size: int) -> str:
    return number_format(size / 1048576, 1)


def claim_timeout() -> timedelta:
    return timedelta(seconds=int(setting("IMPORT_JOB_TIMEOUT_SECONDS", 300)))


def worker_name(prefix: str = "worker") -> str:
    return f"{prefix}:{socket.gethostname()}:{os.getpid()}"[:100]


def _audit(job: ImportJob, step: str, *, user=None, request=None, outcome=AuditOutcome.OK, **detail):
    # Counts and codes only: never a file name or a cell (they may name people).
    audit_record(
        action=AuditAction.IMPORT,
        outcome=outcome,
        user=user,
        organisation=job.organisation,
        obj=job,
        request=request,
        detail={"step": step, "kind": job.kind, **detail},
    )


def _ensure_may_import(actor, organisation, request, *, job=None) -> None:
    ensure(
        actor,
        Perm.IMPORT_RUN,
        job,
        organisation=organisation,
        request=request,
        message=_("You may not import for this organisation."),
        object_type="ingest.importjob",
    )


# --- Upload ------------------------------------------------------------------------------------


def import_job_upload(
    *,
    actor,
    kind: str,
    organisation,
    filename: str,
    content: bytes,
    source: str = "",
    run_now: bool | None = None,
    request=None,
):
    """Store the file as a new job, check its columns, and validate it now if it is small.

    `source` names where the file comes from (e.g. "Kobo AMSS Mopti"): the values mapped for one file
    are applied to every later file of the organisation with the same source and kind.

    `run_now` forces the choice (the command line always runs now); by default a file of more than
    SENTINELLE["IMPORT_INLINE_MAX_ROWS"] rows waits for the worker.
    """
    _ensure_may_import(actor, organisation, request)
    # Refused under "file", the upload form's field (`filename` and `content` are the file).
    try:
        get_kind(kind)
    except LookupError as error:
        refuse(str(error), "file")
    if len(content) > max_upload_bytes():
        refuse(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": megabytes(len(content)), "limit": megabytes(max_upload_bytes())},
            "file",
        )
    opened = open_job_file(kind, content)
    row_count = opened.table.row_count if opened.table else 0
    background = row_count > inline_max_rows() if run_now is None else not run_now
    name = os.path.basename(str(filename or "").replace("\\", "/"))[:255] or "import"
    inline = worker_name("request")
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind,
            organisation=organisation,
            original_filename=name,
            source=" ".join(str(source or "").split())[:100],
            format=opened.columns.format if opened.columns else "unknown",
            row_count=row_count,
            background=background,
            warnings=opened.warnings,
            created_by=actor,
            updated_by=actor,
        )
        if not opened.errors:
            ImportFile.objects.create(
                job=job,
                content=ImportFile.encode(content),
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
            )
        if opened.errors:
            for field_name, value in _error_fields(opened.errors).items():
                setattr(job, field_name, value)
            job.save()
        elif not background:
            # Claimed from birth so that no worker picks up what this request is about to run.
            job.claimed_by, job.claimed_at = inline, timezone.now()
            job.save(update_fields=["claimed_by", "claimed_at"])
        _audit(
            job, "upload", user=actor, request=request, rows=row_count, format=job.format, result=job.status
        )
    if not opened.errors and not background:
        job_run(job, worker=inline, request=request, opened=opened)
        job.refresh_from_db()
    return job


def _error_fields(errors: list[dict]) -> dict:
    return {
        "status": ImportStatus.INVALID,
        "errors": errors,
        "error_count": len(errors),
        "validated_at": timezone.now(),
    }


# --- Commit ------------------------------------------------------------------------------------


def import_job_commit(*, actor, job: ImportJob, run_now: bool | None = None, request=None) -> ImportJob:
    """Write a valid job's records: now if it is small (or `run_now`), else by the worker."""
    _ensure_may_import(actor, job.organisation, request, job=job)
    inline = worker_name("request")
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != ImportStatus.VALID:
            raise ValidationError(_("Only a job without errors can be imported."))
        locked.status = ImportStatus.COMMITTING
        locked.committed_by = actor
        locked.updated_by = actor
        locked.progress = 0
        locked.attempts = 0
        if run_now is not None:
            locked.background = not run_now
        if locked.background:
            locked.claimed_by, locked.claimed_at = "", None
        else:
            locked.claimed_by, locked.claimed_at = inline, timezone.now()
        locked.save()
        _audit(locked, "commit_requested", user=actor, request=request, rows=locked.row_count)
    if not locked.background:
        job_run(locked, worker=inline, request=request)
    locked.refresh_from_db()
    return locked


# --- Running a job (request or worker) ---------------------------------------------------------


def _follow_up_overdue(now) -> Q:
    """Committed jobs whose follow-ups were queued (`_follow_up_queue`) but are still not done a claim
    timeout after the commit: the task was lost or its worker died. The import worker runs them."""
    return Q(status=ImportStatus.COMMITTED) & ~Q(follow_up_ids=[]) & Q(committed_at__lt=now - claim_timeout())


def job_claim(*, worker: str) -> ImportJob | None:
    """The oldest job with work left whose claim is free or stale, now claimed by `worker`."""
    now = timezone.now()
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(skip_locked=True)
            .filter(Q(status__in=RUNNABLE_STATUSES) | _follow_up_overdue(now))
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - claim_timeout()))
            .order_by("created_at", "id")
            .first()
        )
        if job is None:
            return None
        if job.claimed_by:
            logger.warning(
                "import job %s: claim of %s expired, taken over by %s", job.pk, job.claimed_by, worker
            )
        job.claimed_by, job.claimed_at = worker, now
        job.attempts += 1
        job.save(update_fields=["claimed_by", "claimed_at", "attempts"])
    return job


def _heartbeat(job: ImportJob, worker: str, **changes) -> None:
    updated = ImportJob.objects.filter(pk=job.pk, claimed_by=worker).update(
        claimed_at=timezone.now(), **changes
    )
    if not updated:
        raise LostClaim(job.pk)


def _release(job: ImportJob, worker: str, **changes) -> None:
    """Save the step's result and free the claim, unless another worker has taken the job over."""
    changes.update(claimed_by="", claimed_at=None, updated_at=timezone.now())
    if not ImportJob.objects.filter(pk=job.pk, claimed_by=worker).update(**changes):
        raise LostClaim(job.pk)
    for name, value in changes.items():
        setattr(job, name, value)
    if changes.get("status") in FILE_NOT_NEEDED:
        _purge_file(job)


def job_run(job: ImportJob, *, worker: str, request=None, opened=None) -> None:
    """Do the job's next step (validate, commit or follow up) while holding its claim."""
    if job.status == ImportStatus.COMMITTED:
        _follow_up(job, worker=worker)
        return
    if job.attempts > MAX_ATTEMPTS:
        _release(
            job,
            worker,
            status=ImportStatus.FAILED,
            failure=_("The processing was interrupted %(count)s times; upload the file again.")
            % {"count": MAX_ATTEMPTS},
        )
        return
    try:
        if job.status in (ImportStatus.UPLOADED, ImportStatus.VALIDATING):
            _validate(job, worker=worker, request=request, opened=opened)
        elif job.status == ImportStatus.COMMITTING:
            _commit(job, worker=worker, request=request)
    except LostClaim:
        logger.warning("import job %s: claim lost by %s", job.pk, worker)
    except FileGone:
        _release(
            job,
            worker,
            status=ImportStatus.FAILED,
            failure=_("The file of this import is no longer kept; upload it again."),
        )
    except Exception:
        logger.exception("import job %s failed", job.pk)
        try:
            _release(
                job,
                worker,
                status=ImportStatus.FAILED,
                failure=_(
                    "An internal error stopped the import; the technical team can read the server log."
                ),
            )
        except LostClaim:
            return
        _audit(job, "failed", user=job.committed_by or job.created_by, outcome=AuditOutcome.FAILED)


def _content(job: ImportJob) -> bytes:
    text = ImportFile.objects.filter(job_id=job.pk).values_list("content", flat=True).first()
    if text is None:
        raise FileGone(job.pk)
    return ImportFile.decode(text)


class FileGone(Exception):
    """The job's file was removed (kept only while the job needs it)."""


def _purge_file(job: ImportJob) -> None:
    ImportFile.objects.filter(job_id=job.pk).delete()


def files_purge(*, older_than_days: int | None = None) -> int:
    """Remove the files of finished jobs, and of valid jobs left unimported too long; how many."""
    days = int(setting("IMPORT_KEEP_DAYS", 30)) if older_than_days is None else older_than_days
    stale = Q(job__status__in=FILE_NOT_NEEDED) | Q(
        job__status=ImportStatus.VALID, job__updated_at__lt=timezone.now() - timedelta(days=days)
    )
    stale |= Q(job__status=ImportStatus.MAPPING, job__updated_at__lt=timezone.now() - timedelta(days=days))
    count, _detail = ImportFile.objects.filter(stale).delete()
    return count


def _validate(job: ImportJob, *, worker: str, request=None, opened=None) -> None:
    job.status, job.progress = ImportStatus.VALIDATING, 0
    _heartbeat(job, worker, status=job.status, progress=0)
    # The request that stored the file has it open already; a worker reads it from the database.
    opened = opened or open_job_file(job.kind, _content(job))
    if opened.errors:
        _release(job, worker, warnings=opened.warnings, **_error_fields(opened.errors))
        _audit(
            job, "validate", user=job.created_by, request=request, result="invalid", errors=job.error_count
        )
        return
    mapper = Mapper(opened, job=job)
    try:
        outcome = run_pass(mapper, on_progress=lambda done: _heartbeat(job, worker, progress=done))
    except SourceError as error:
        outcome = Outcome(errors=[file_error(str(error))], error_count=1)
    if not outcome.row_count and not outcome.error_count:
        outcome = Outcome(
            errors=[file_error(_("The file has column headers but no data row."))], error_count=1
        )
    if outcome.unknowns:
        status = ImportStatus.MAPPING
    else:
        status = ImportStatus.INVALID if outcome.error_count else ImportStatus.VALID
    _release(
        job,
        worker,
        status=status,
        row_count=outcome.row_count,
        valid_count=outcome.valid_count,
        error_count=outcome.error_count,
        errors=outcome.errors,
        unmapped=unmapped_of(mapper, outcome),
        value_map=mapper.values.applied(),
        warnings=opened.warnings,
        existing_count=outcome.existing_count,
        preview=preview_of(opened, outcome, mapper),
        progress=outcome.row_count,
        validated_at=timezone.now(),
        area=covering_area(outcome),
    )
    _audit(
        job,
        "validate",
        user=job.created_by,
        request=request,
        result=job.status,
        rows=job.row_count,
        errors=job.error_count,
        to_map=len(job.unmapped),
    )


def _refuse_commit(job, worker, outcome: Outcome, *, request=None, status=ImportStatus.INVALID) -> None:
    _release(job, worker, status=status, errors=outcome.errors, error_count=outcome.error_count)
    _audit(job, "commit", user=job.committed_by, request=request, result=job.status, errors=job.error_count)


def _with_unknowns(outcome: Outcome) -> Outcome:
    """At commit, a value without a mapping can only mean the file or the mappings changed since the
    validation: an error of its row, never a silent guess."""
    for unknown in outcome.unknowns.found.values():
        outcome.add_error(
            unknown.first_row,
            unknown.column,
            _("This value has no mapping any more: check the file again."),
            unknown.value,
        )
    return outcome


def _commit(job: ImportJob, *, worker: str, request=None) -> None:
    opened = open_job_file(job.kind, _content(job))
    if opened.errors:
        _refuse_commit(
            job, worker, Outcome(errors=opened.errors, error_count=len(opened.errors)), request=request
        )
        return
    # The mappings the validation applied, not those of today: the commit writes what the preview showed.
    mapper = Mapper(opened, job=job, domain_checks=False, value_map=job.value_map)
    actor = job.committed_by
    if job.row_count <= inline_max_rows():
        # Small job: validated again and written in one transaction, all or nothing.
        try:
            outcome = run_pass(mapper, keep_items=True, count_existing=False)
        except SourceError as error:
            outcome = Outcome(errors=[file_error(str(error))], error_count=1)
        if outcome.error_count or outcome.unknowns:
            _refuse_commit(job, worker, _with_unknowns(outcome), request=request)
            return
        try:
            with transaction.atomic():
                created, unchanged, follow_up_ids = commit_items(
                    mapper, actor=actor, items=outcome.items, numbers=outcome.numbers, outcome=outcome
                )
                _release(
                    job,
                    worker,
                    status=ImportStatus.COMMITTED,
                    created_count=created,
                    unchanged_count=unchanged,
                    progress=outcome.row_count,
                    committed_at=timezone.now(),
                    follow_up_ids=follow_up_ids,
                )
                _audit(job, "commit", user=actor, request=request, created=created, unchanged=unchanged)
        except CommitRefused:
            _refuse_commit(job, worker, outcome, request=request)
            return
        _follow_up_queue(job)
        return
    # Large job, validated before: chunk by chunk from where the last attempt stopped, each chunk
    # in a transaction that also moves `progress`, so that a crash neither loses nor repeats rows.
    for chunk in mapper.chunks(start=job.progress, size=COMMIT_CHUNK_ROWS):
        outcome = Outcome()
        items, numbers = [], []
        for number, values in chunk:
            item = mapper.map(number, values, outcome)
            if item is not None:
                items.append(item)
                numbers.append(number)
        try:
            if outcome.error_count or outcome.unknowns:
                outcome = _with_unknowns(outcome)
                raise CommitRefused([])
            with transaction.atomic():
                created, unchanged, follow_up_ids = commit_items(
                    mapper, actor=actor, items=items, numbers=numbers, outcome=outcome
                )
                changes = {}
                if follow_up_ids:
                    # Rewritten whole (this worker holds the claim): a few hundred kB for 100,000 rows.
                    job.follow_up_ids = [*job.follow_up_ids, *follow_up_ids]
                    changes["follow_up_ids"] = job.follow_up_ids
                _heartbeat(
                    job,
                    worker,
                    progress=F("progress") + len(chunk),
                    created_count=F("created_count") + created,
                    unchanged_count=F("unchanged_count") + unchanged,
                    **changes,
                )
        except CommitRefused:
            # Only when reference data changed since the validation; the chunks before stay imported
            # and importing the file again after a fix leaves them unchanged.
            _refuse_commit(job, worker, outcome, request=request, status=ImportStatus.FAILED)
            return
    job.refresh_from_db()
    _release(job, worker, status=ImportStatus.COMMITTED, committed_at=timezone.now())
    _audit(
        job, "commit", user=actor, request=request, created=job.created_count, unchanged=job.unchanged_count
    )
    _follow_up_queue(job)


def import_job_follow_up(*, job: ImportJob, worker: str | None = None) -> int:
    """Run a committed job's pending follow-ups now, whatever their number: the queued task
    (ingest/tasks.py), or the command line, which has no worker to leave them to. The number of
    records followed up (0 when none wait, or another worker holds the job)."""
    job.refresh_from_db()
    if job.status != ImportStatus.COMMITTED or not job.follow_up_ids:
        return 0
    worker = worker or worker_name("command")
    claimed_at = timezone.now()
    stale = claimed_at - claim_timeout()
    claimed = (
        ImportJob.objects.filter(pk=job.pk)
        .filter(Q(claimed_by="") | Q(claimed_at__lt=stale))
        .update(claimed_by=worker, claimed_at=claimed_at)
    )
    if not claimed:
        return 0  # a worker holds them
    job.claimed_by, job.claimed_at = worker, claimed_at
    count = len(job.follow_up_ids)
    _follow_up(job, worker=worker)
    return count


def _follow_up_queue(job: ImportJob) -> None:
    """After the job's last commit: its follow-ups (duplicates, alerts) become a task queued after
    commit, as a submission's do; the job keeps their record ids until they are done, so a lost task or
    a worker dying mid-way leaves them to the import worker (`_follow_up_overdue`), never forgotten."""
    if job.follow_up_ids:
        from sentinelle.ingest.tasks import import_job_follow_up_run

        enqueue_after_commit(import_job_follow_up_run, job_id=job.pk)


def _follow_up(job: ImportJob, *, worker: str) -> None:
    """Run the follow-ups of the job's committed records once, then forget them.

    The records are imported whatever happens here: a failure is logged and the follow-ups are not
    retried (the job stays committed); alert rules log and skip their own failures already.
    """
    ids = list(job.follow_up_ids)
    try:
        if ids:
            get_kind(job.kind).follow_up(ids=ids)
    except Exception:
        logger.exception("import job %s: the follow-ups of %s records failed", job.pk, len(ids))
    try:
        _release(job, worker, follow_up_ids=[])
    except LostClaim:
        logger.warning("import job %s: claim lost by %s during the follow-ups", job.pk, worker)


def jobs_run_pending(*, worker: str, limit: int | None = None) -> int:
    """Claim and run jobs until none is left (or `limit` were run); how many were run."""
    done = 0
    while limit is None or done < limit:
        job = job_claim(worker=worker)
        if job is None:
            break
        job_run(job, worker=worker)
        done += 1
    return done
