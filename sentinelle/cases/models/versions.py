"""Field versions: how many times a field of a case or a person was changed, to detect conflicts.

A device working offline (sentinelle/offline/) takes each versioned field with its version; when it sends
a change back, the versions it was based on tell whether the server's value changed in the meantime. The
same field changed on both sides is a conflict shown to the case worker, never overwritten silently.

The services that change a versioned field bump its version in their own transaction
(services/versions.py, `field_versions_bump`); a field never changed has no row (version 0).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class VersionedRecord(models.TextChoices):
    CASE = "case", _("case")
    PERSON = "person", _("person")


# The fields whose changes are counted, by kind of record.
VERSIONED_FIELDS: dict[str, tuple[str, ...]] = {
    VersionedRecord.PERSON: ("phone", "address", "caregiver_name", "caregiver_phone"),
    VersionedRecord.CASE: ("risk_level",),
}


class FieldVersion(models.Model):
    record_type = models.CharField(_("kind of record"), max_length=16, choices=VersionedRecord.choices)
    # The record's primary key (a case's or a person's): versions never leave the server with it.
    record_id = models.PositiveBigIntegerField(_("record"))
    field = models.CharField(_("field"), max_length=32)
    version = models.PositiveIntegerField(_("version"), default=0)
    changed_at = models.DateTimeField(_("changed at"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("field version")
        verbose_name_plural = _("field versions")
        constraints = [
            models.UniqueConstraint(
                fields=["record_type", "record_id", "field"], name="cases_fieldversion_unique"
            )
        ]

    def __str__(self):
        return f"{self.record_type}:{self.record_id}.{self.field}={self.version}"
