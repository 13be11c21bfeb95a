"""What one replayed change answers (the `result` of the sync contract), and the reading of the device's
values: plain helpers shared by the appliers of each kind of change."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils.dateparse import parse_date

from sentinelle.cases.services._casework import refused
from sentinelle.offline.models import ChangeStatus


@dataclass
class Outcome:
    status: str
    message: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    case: str = ""
    conflicts: list[dict] = field(default_factory=list)
    candidates: list[dict] = field(default_factory=list)
    person: str = ""

    def answer(self, change_id: str) -> dict:
        answer = {
            "change_id": change_id,
            "status": str(self.status),
            "message": self.message,
            "errors": self.errors,
            "case": self.case,
            "conflicts": self.conflicts,
            "candidates": self.candidates,
        }
        if self.person:
            answer["person"] = self.person
        return answer


def refusal(error: Exception) -> Outcome:
    """A change the service or the policy refused: its messages, by field, as the web form shows them."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            errors = {field: list(messages) for field, messages in error.message_dict.items()}
        else:
            errors = {NON_FIELD_ERRORS: list(error.messages)}
        messages = list(dict.fromkeys(message for found in errors.values() for message in found))
        return Outcome(ChangeStatus.REFUSED, " ".join(messages), errors=errors)
    message = str(error) if isinstance(error, PermissionDenied) and str(error) else refused()
    return Outcome(ChangeStatus.REFUSED, message)


# --- The device's values -------------------------------------------------------------------------------
# Values that cannot be read become None (or stay as sent) and the service says what is wrong with them,
# in its own words: one set of messages, online and offline.


def as_date(value) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return parse_date(str(value or "").strip()[:10])
    except ValueError:
        return None


def as_text(value) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def as_bool(value) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1", "on", "yes"))


def as_int(value):
    """An integer; a string of digits as one; anything else as sent (the service refuses it)."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if value == "":
        return None
    return value


def as_list(value) -> list:
    if isinstance(value, list | tuple):
        return [as_text(item) for item in value]
    return [] if value in (None, "") else [as_text(value)]


def as_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
