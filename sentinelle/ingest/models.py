"""Import jobs: one row per uploaded file, which is at once the work queue and the history.

A job moves uploaded -> validating -> valid | invalid | mapping, then (on request) committing -> committed.
"mapping": some cells hold values that are not in their code list (a partner's own words, "FDS",
"Milice") or place names that Sentinelle does not know ("Mopit"); the user maps each to a code or a
P-code (ValueMapping, remembered for the organisation and the source of the file) and the job is
validated again. Small
files run inline in the request; large ones wait for `run_jobs`, which claims them with a row lock
(`claimed_by`, `claimed_at`); a claim older than the timeout is taken over, so a dead worker never
strands a job. The uploaded bytes live in the database (ImportFile) so that any worker on any
machine can read them, and no user-provided path ever reaches the file system.
"""

import base64

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sentinelle.core.fields import EncryptedTextField, KeyedHashField
from sentinelle.core.models import BaseModel
from sentinelle.core.text import normalise_text


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Waiting for validation")
    VALIDATING = "validating", _("Validating")
    INVALID = "invalid", _("Errors found")
    VALID = "valid", _("Ready to import")
    MAPPING = "mapping", _("Values to map")
    COMMITTING = "committing", _("Importing")
    COMMITTED = "committed", _("Imported")
    FAILED = "failed", _("Failed")


# Statuses a worker (or the request itself) still has work to do for.
RUNNABLE_STATUSES = (ImportStatus.UPLOADED, ImportStatus.VALIDATING, ImportStatus.COMMITTING)
FINISHED_STATUSES = (
    ImportStatus.INVALID,
    ImportStatus.VALID,
    ImportStatus.MAPPING,
    ImportStatus.COMMITTED,
    ImportStatus.FAILED,
)


class ImportFormat(models.TextChoices):
    XLSX = "xlsx", _("Sentinelle template (XLSX)")
    CSV = "csv", _("Sentinelle template (CSV)")
    HXL_XLSX = "hxl_xlsx", _("HXL-tagged workbook")
    HXL_CSV = "hxl_csv", _("HXL-tagged CSV")
    KOBO_XLSX = "kobo_xlsx", _("Kobo/ODK export (XLSX)")
    KOBO_CSV = "kobo_csv", _("Kobo/ODK export (CSV)")
    UNKNOWN = "unknown", _("Unrecognised")


class ImportJob(BaseModel):
    kind = models.CharField(_("kind of records"), max_length=32)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="import_jobs",
    )
    # Shown to the user only; never used as a path.
    original_filename = models.CharField(_("file name"), max_length=255)
    # The name under which the value mappings of the file are remembered for the organisation (e.g.
    # "Kobo AMSS Mopti"); empty: the organisation's files without a named source.
    source = models.CharField(_("source of the file"), max_length=100, blank=True)
    format = models.CharField(
        _("format"), max_length=16, choices=ImportFormat.choices, default=ImportFormat.UNKNOWN
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    valid_count = models.PositiveIntegerField(_("valid rows"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    # [{"row": 12 | None, "column": "Date de l'incident" | "", "value": "32/01/2024", "message": "…"}],
    # every error of every row, in French, up to runner.MAX_ERRORS (error_count counts them all).
    errors = models.JSONField(_("errors"), default=list, blank=True)
    # The values waiting for a mapping, one entry per column and value, with the rows holding it:
    # [{"id", "column" (key), "header", "value", "rows", "first_row", "place_level", "suggestions"}].
    unmapped = models.JSONField(_("values to map"), default=list, blank=True)
    # The mappings the validation applied, {column key: {normalised value: code}}: the commit applies
    # exactly these, so that it writes what the preview showed even if a mapping changes meanwhile.
    value_map = models.JSONField(_("mappings applied"), default=dict, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    # {"columns": [...], "rows": [{"row": 3, "values": [...]}], "mapping": [[file header, field]]}
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    # Rows already in the database (same source identifier), found while validating.
    existing_count = models.PositiveIntegerField(_("rows already imported"), default=0)
    created_count = models.PositiveIntegerField(_("records created"), default=0)
    unchanged_count = models.PositiveIntegerField(_("records unchanged"), default=0)
    # Data rows done in the current step (validation or import); the import resumes from here.
    progress = models.PositiveIntegerField(_("rows done"), default=0)
    # True when the job is too large for the request and waits for `run_jobs`.
    background = models.BooleanField(_("processed in the background"), default=False)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    validated_at = models.DateTimeField(_("validated at"), null=True, blank=True)
    committed_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    # Who works on the job now; a claim whose heartbeat is older than the timeout may be taken over.
    claimed_by = models.CharField(_("claimed by"), max_length=100, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    failure = models.TextField(_("reason of the failure"), blank=True)
    # The smallest area holding every valid row (set at validation); staff limited to areas see a job
    # only when it lies inside theirs (or when they uploaded it).
    area = models.ForeignKey(
        "geography.AdminArea",
        verbose_name=_("area of the rows"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Records committed whose follow-ups (for incidents: duplicates and alerts) have not run yet. Saved
    # in the transaction that writes them, so that a worker that dies before running them leaves them
    # to the next one; emptied once they have run.
    follow_up_ids = models.JSONField(_("records awaiting their follow-ups"), default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        indexes = [
            models.Index(fields=["organisation", "-created_at"]),
            models.Index(fields=["status", "claimed_at"]),
        ]

    def __str__(self):
        return f"{self.kind} {self.original_filename} ({self.status})"

    @property
    def is_running(self) -> bool:
        return self.status in RUNNABLE_STATUSES

    @property
    def percent(self) -> int:
        if not self.row_count:
            return 0
        return min(100, round(100 * self.progress / self.row_count))


class ImportFile(models.Model):
    """The uploaded bytes, apart from the job so that lists and claims never load them.

    Encrypted like identity fields (a file may hold confidential accounts), base64 inside the
    ciphertext; removed as soon as the job no longer needs it (invalid, imported, failed, or left
    unimported for SENTINELLE["IMPORT_KEEP_DAYS"]).
    """

    job = models.OneToOneField(ImportJob, on_delete=models.CASCADE, related_name="file", primary_key=True)
    content = EncryptedTextField(_("content"))
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("imported file")
        verbose_name_plural = _("imported files")

    def __str__(self):
        return f"{self.job_id}: {self.size} B"

    @staticmethod
    def encode(content: bytes) -> str:
        return base64.b64encode(content).decode("ascii")

    @staticmethod
    def decode(text: str) -> bytes:
        return base64.b64decode(text)


class ValueMapping(BaseModel):
    """A partner's own word for a code ("FDS" -> state_forces) or for a place ("Mopit" -> ML0501), chosen
    once by a user of the organisation and applied to every later import of the same organisation,
    source and kind. Created and changed only by `value_mappings_save`, which audits it.

    The value is whatever the partner typed in a code-list cell, which may be anything (a name typed in
    the perpetrator column): it is stored encrypted, and found by its keyed hash (case, accents and
    punctuation ignored, as the import compares values).
    """

    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="value_mappings",
    )
    source = models.CharField(_("source of the file"), max_length=100, blank=True)
    source_key = models.CharField(_("source (normalised)"), max_length=100, blank=True)
    kind = models.CharField(_("kind of records"), max_length=32)
    column = models.CharField(_("column"), max_length=64)
    value = EncryptedTextField(_("value in the file"))
    value_hash = KeyedHashField(_("value in the file (keyed hash)"), source="value")
    # A code of the column's list, or the P-code of an area of the column's level.
    code = models.CharField(_("code"), max_length=64)

    class Meta:
        verbose_name = _("value mapping")
        verbose_name_plural = _("value mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "source_key", "kind", "column", "value_hash"],
                name="ingest_value_mapping_unique",
            )
        ]
        indexes = [models.Index(fields=["organisation", "source_key", "kind"])]

    def __str__(self):
        return f"{self.kind}.{self.column} -> {self.code}"

    @staticmethod
    def source_key_of(source: str) -> str:
        return normalise_text(source or "")[:100]
