"""Services of the mapping step: the user maps a job's unknown values, and the job is validated again.

    job = value_mappings_save(actor=user, job=job, choices={entry_id: "state_forces", other_id: "ML0501"})

The choices are remembered (ValueMapping) for the job's organisation, source and kind, and applied to
every later import of them. Apart from services.py, which holds the jobs' engine.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sentinelle.core import crypto
from sentinelle.ingest.kinds import get_kind
from sentinelle.ingest.models import ImportJob, ImportStatus, ValueMapping
from sentinelle.ingest.services import _audit, _ensure_may_import, inline_max_rows, job_run, worker_name

# A job whose values may be mapped: validated, its file still kept.
MAPPABLE_STATUSES = (ImportStatus.MAPPING, ImportStatus.VALID)


def mapping_entries(job: ImportJob) -> dict[str, dict]:
    """The values of the job that a user may map, by entry id: those waiting for a mapping, and those the
    job took from earlier choices (which may be changed)."""
    entries = {entry["id"]: entry for entry in job.unmapped}
    for used in (job.preview or {}).get("remembered", []):
        entries.setdefault(used["id"], {**used, "current": used["code"]})
    return entries


def _check_code(kind, entry: dict, code: str) -> str:
    """The code the user chose for an entry, checked against the column: a code of its list, or the
    P-code of an area of its level (in the default COD version)."""
    from sentinelle.geography.selectors import area_get_by_pcode, as_pcode

    column = kind.columns_by_key.get(entry["column"])
    if column is None or not column.mappable:
        raise ValidationError(_("This column does not take mapped values."))
    if column.codes is not None:
        if code not in column.codes.codes:
            raise ValidationError(
                _("“%(code)s” is not a code of the column “%(column)s”.")
                % {"code": code, "column": column.french_label()}
            )
        return code
    area = area_get_by_pcode(code)
    if area is None or area.level != column.place_level:
        raise ValidationError(
            _("“%(code)s” is not the P-code of an area of level %(level)s (column “%(column)s”).")
            % {"code": code, "level": column.place_level, "column": column.french_label()}
        )
    return as_pcode(code)


def value_mappings_save(
    *, actor, job: ImportJob, choices: dict[str, str], source: str | None = None, request=None
) -> ImportJob:
    """Remember the codes chosen for the job's values (entry id -> code; an empty code is no choice),
    then validate the job again: now if it is small, else by the worker.

    `source`, when given, renames the job's source first: the choices are remembered under it. Nothing is
    saved when one choice is refused. One transaction, one audit entry (counts and codes, never a value:
    a cell may hold anything).
    """
    _ensure_may_import(actor, job.organisation, request, job=job)
    kind = get_kind(job.kind)
    inline = worker_name("request")
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status not in MAPPABLE_STATUSES:
            raise ValidationError(
                _("The values of this import can no longer be mapped: upload the file again.")
            )
        if source is not None:
            locked.source = " ".join(source.split())[:100]
        entries = mapping_entries(locked)
        chosen = []
        for identifier, code in choices.items():
            code = (code or "").strip()
            if not code:
                continue
            entry = entries.get(identifier)
            if entry is None:
                raise ValidationError(
                    _("The values of this import changed meanwhile: check your choices again.")
                )
            chosen.append((entry, _check_code(kind, entry, code)))
        created, changed = _remember(actor, locked, kind.code, chosen)
        if not created and not changed and source is None:
            raise ValidationError(_("Choose a code for at least one value."))
        locked.status, locked.progress = ImportStatus.UPLOADED, 0
        locked.background = locked.row_count > inline_max_rows()
        if locked.background:
            locked.claimed_by, locked.claimed_at = "", None
        else:
            locked.claimed_by, locked.claimed_at = inline, timezone.now()
        locked.updated_by = actor
        locked.save()
        _audit(
            locked,
            "map",
            user=actor,
            request=request,
            created=created,
            changed=changed,
            codes=sorted({code for _entry, code in chosen}),
        )
    if not locked.background:
        job_run(locked, worker=inline, request=request)
    locked.refresh_from_db()
    return locked


def _remember(actor, job: ImportJob, kind: str, chosen: list[tuple[dict, str]]) -> tuple[int, int]:
    """Create or change the job's organisation's mappings: (created, changed)."""
    created = changed = 0
    source_key = ValueMapping.source_key_of(job.source)
    for entry, code in chosen:
        existing = ValueMapping.objects.filter(
            organisation=job.organisation,
            source_key=source_key,
            kind=kind,
            column=entry["column"],
            value_hash=crypto.keyed_hash(entry["value"]),
        ).first()
        if existing is None:
            try:
                with transaction.atomic():
                    ValueMapping.objects.create(
                        organisation=job.organisation,
                        source=job.source,
                        source_key=source_key,
                        kind=kind,
                        column=entry["column"],
                        value=entry["value"],
                        code=code,
                        created_by=actor,
                        updated_by=actor,
                    )
            except IntegrityError:
                raise ValidationError(
                    _("Someone mapped the same value meanwhile: open the import again and check.")
                ) from None
            created += 1
        elif existing.code != code:
            existing.code, existing.updated_by = code, actor
            existing.save(update_fields=["code", "updated_by", "updated_at"])
            changed += 1
    return created, changed
