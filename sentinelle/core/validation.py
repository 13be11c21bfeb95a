"""The one way services validate their input: collect every error, then refuse once with all of them.

A service builds an `Errors`, checks everything it can (`errors.add(field, message)`), and calls
`errors.raise_if_any()` before it writes. The ValidationError it raises maps each field (or NON_FIELD for the
whole input) to its messages, so a form shows every problem at once and an import lists every cell at once.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

NON_FIELD = NON_FIELD_ERRORS


class Errors:
    """Messages by field, in the order they were found."""

    def __init__(self) -> None:
        self._messages: dict[str, list[str]] = {}

    def add(self, field: str | None, message) -> None:
        self._messages.setdefault(field or NON_FIELD, []).append(str(message))

    def merge(self, error: ValidationError, *, prefix: str = "") -> None:
        """Take in a ValidationError raised by a helper or another service (its fields under `prefix`)."""
        if hasattr(error, "error_dict"):
            for field, messages in error.message_dict.items():
                for message in messages:
                    self.add(NON_FIELD if field == NON_FIELD else prefix + field, message)
        else:
            for message in error.messages:
                self.add(NON_FIELD, message)

    def __contains__(self, field: str) -> bool:
        return field in self._messages

    def __bool__(self) -> bool:
        return bool(self._messages)

    def as_dict(self) -> dict[str, list[str]]:
        return {field: list(messages) for field, messages in self._messages.items()}

    def raise_if_any(self) -> None:
        if self._messages:
            raise ValidationError(self.as_dict())


def refuse(message, field: str | None = None):
    """Refuse at once with one message: for a single condition that makes every other check pointless."""
    raise ValidationError({field or NON_FIELD: [message]})
