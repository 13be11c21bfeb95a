"""The device's changes, as the offline app sends them."""

import uuid

from django.utils import timezone


def change(kind, case=None, /, *, base_versions=None, recorded_at=None, change_id=None, **fields) -> dict:
    """One change of the device's outbox, as the app sends it."""
    reference = str(case.public_id) if hasattr(case, "public_id") else (case or "")
    return {
        "change_id": str(change_id or uuid.uuid4()),
        "kind": kind,
        "case": reference,
        "recorded_at": (recorded_at or timezone.now()).isoformat(),
        "base_versions": base_versions or {},
        "fields": fields,
    }
