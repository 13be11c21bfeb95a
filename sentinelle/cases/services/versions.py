"""Bump the versions of the fields a service changed (models/versions.py): one call, in the service's
transaction, so that a version moves exactly when its value does."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from sentinelle.cases.models import Case, FieldVersion, Person
from sentinelle.cases.models.versions import VERSIONED_FIELDS, VersionedRecord

__all__ = ["field_versions_bump"]

_RECORD_TYPES = {Case: VersionedRecord.CASE, Person: VersionedRecord.PERSON}


def field_versions_bump(model, record_id: int, fields: Iterable[str], *, actor=None) -> None:
    """Count one more change of each of `fields` of the record (`model` Case or Person, by primary key);
    fields that are not versioned are ignored, so a service may pass every field it changed."""
    record_type = _RECORD_TYPES[model]
    versioned = [name for name in dict.fromkeys(fields) if name in VERSIONED_FIELDS[record_type]]
    now = timezone.now()
    for name in versioned:
        rows = FieldVersion.objects.filter(record_type=record_type, record_id=record_id, field=name)
        if rows.update(version=F("version") + 1, changed_at=now, changed_by=actor):
            continue
        try:
            with transaction.atomic():
                FieldVersion.objects.create(
                    record_type=record_type,
                    record_id=record_id,
                    field=name,
                    version=1,
                    changed_at=now,
                    changed_by=actor,
                )
        except IntegrityError:
            # A concurrent first change inserted the row (the services lock the record, so only a write
            # outside them could): count this change on it.
            rows.update(version=F("version") + 1, changed_at=now, changed_by=actor)
