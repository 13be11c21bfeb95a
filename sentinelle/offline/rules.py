"""The offline forms' fields, rules and French messages, as data for the device (/hors-ligne/regles.json).

The fields come from the web pages' forms (labels, choices, lengths, what is required); the rules the
services add (a date not in the future, not before the case was opened; the next follow-up after this one;
a child's assent only for a child) are declared next to them, and the messages are the services' own
strings (the same msgids, so the same French): the device refuses what the server would, in the same
words, and the server checks everything again at sync. tests/test_rules.py holds them to the services.
"""

from __future__ import annotations

import hashlib
import json

from django import forms
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.utils.text import capfirst
from django.utils.translation import gettext

from sentinelle.accounts.models import Organisation
from sentinelle.cases.forms import (
    AssessmentForm,
    CaseOpenForm,
    ConsentForm,
    FollowUpForm,
    NoteForm,
    PersonForm,
)
from sentinelle.cases.models import Assessment, CasePlanAction, ConsentGivenBy, Task
from sentinelle.cases.services.persons import MAX_AGE
from sentinelle.core.permissions import Perm, area_limits
from sentinelle.geography.models import AdminArea, AdminLevel
from sentinelle.geography.selectors import areas_within, cod_version_get

__all__ = ["PIN_MIN_LENGTH", "field_label", "offline_rules"]

# Digits of the PIN that opens the device's store (the client asks for it twice at enrolment).
PIN_MIN_LENGTH = 6

# The contact details of a person a device may change (person_update), and the case's risk level: the
# versioned fields (cases/models/versions.py), named "<record>.<field>" on the wire.
PERSON_UPDATE_FIELDS = ("phone", "address", "caregiver_name", "caregiver_phone")
REGISTER_PERSON_FIELDS = (
    "given_name",
    "family_name",
    "sex",
    "age",
    "phone",
    "address",
    "caregiver_name",
    "caregiver_phone",
    "displacement_status",
)


def _kind(field: forms.Field) -> str:
    if isinstance(field, forms.MultipleChoiceField):
        return "multichoice"
    if isinstance(field, forms.ChoiceField):
        return "choice"
    if isinstance(field, forms.DateField):
        return "date"
    if isinstance(field, forms.BooleanField):
        return "boolean"
    if isinstance(field, forms.IntegerField):
        return "integer"
    if isinstance(field.widget, forms.Textarea):
        return "textarea"
    return "text"


def _described(name: str, field: forms.Field, **rules) -> dict:
    """One field of a web form as data: its name, label, type, whether it is required, and its limits."""
    kind = _kind(field)
    spec = {"name": name, "label": str(field.label), "type": kind, "required": bool(field.required)}
    if kind in ("choice", "multichoice"):
        spec["choices"] = [[str(value), str(label)] for value, label in field.choices if value != ""]
    if getattr(field, "max_length", None):
        spec["max_length"] = field.max_length
    if getattr(field, "min_value", None) is not None:
        spec["min_value"] = field.min_value
    if getattr(field, "max_value", None) is not None:
        spec["max_value"] = field.max_value
    spec.update(rules)
    return spec


def _from_form(form_class, names, *, rules: dict | None = None, **init) -> list[dict]:
    fields = form_class(**init).fields
    rules = rules or {}
    return [_described(name, fields[name], **rules.get(name, {})) for name in names]


def _date(name: str, label, *, required: bool, not_before_opened: bool = False) -> dict:
    """A date a service takes that the web form does not ask (defaults to today): never in the future."""
    spec = {"name": name, "label": str(capfirst(label)), "type": "date", "required": required}
    spec["not_after_today"] = True
    if not_before_opened:
        spec["not_before_opened"] = True
    return spec


def _choice(name: str, label, choices, *, required: bool = True, **rules) -> dict:
    spec = {"name": name, "label": str(capfirst(label)), "type": "choice", "required": required}
    spec["choices"] = [[str(value), str(text)] for value, text in choices]
    spec.update(rules)
    return spec


def field_label(key: str) -> str:
    """The label of a versioned field ("person.phone", "case.risk_level"), as its form shows it."""
    record, _dot, name = key.partition(".")
    if record == "case" and name == "risk_level":
        return str(AssessmentForm().fields["risk_level"].label)
    return str(PersonForm().fields[name].label)


def _forms() -> dict:
    dated = {"not_after_today": True, "not_before_opened": True}
    return {
        "follow_up": {
            "fields": _from_form(
                FollowUpForm,
                ("date", "kind", "notes", "plan_reviewed", "next_follow_up_on"),
                rules={"date": dated, "next_follow_up_on": {"after": "date"}},
            )
        },
        "note": {"fields": _from_form(NoteForm, ("text",))},
        "task_done": {
            "fields": [
                _choice("task", Task._meta.verbose_name, [], choices_from="tasks"),
                _date("done_on", Task._meta.get_field("done_on").verbose_name, required=False),
            ]
        },
        "assessment": {
            "fields": [
                *_from_form(AssessmentForm, ("risk_level",)),
                _date(
                    "assessed_on",
                    Assessment._meta.get_field("assessed_on").verbose_name,
                    required=False,
                    not_before_opened=True,
                ),
                *_from_form(AssessmentForm, ("needs", "summary")),
            ],
            "conflicts_on": ["case.risk_level"],
        },
        "plan_action_done": {
            "fields": [
                _choice(
                    "action",
                    CasePlanAction._meta.get_field("description").verbose_name,
                    [],
                    choices_from="plan_actions",
                ),
                _date("done_on", Task._meta.get_field("done_on").verbose_name, required=False),
            ]
        },
        "consent": {
            "fields": _from_form(
                ConsentForm,
                ("purpose", "given_by", "given_on"),
                rules={
                    "given_by": {"child_only": [ConsentGivenBy.CHILD_ASSENT.value]},
                    "given_on": {"not_after_today": True},
                },
                providers=Organisation.objects.none(),
            )
        },
        "person_update": {
            "fields": [{**spec, "required": False} for spec in _from_form(PersonForm, PERSON_UPDATE_FIELDS)],
            "conflicts_on": [f"person.{name}" for name in PERSON_UPDATE_FIELDS],
        },
        "register": {
            "fields": [
                *_from_form(PersonForm, REGISTER_PERSON_FIELDS),
                _choice("area", PersonForm().fields["commune"].label, [], choices_from="areas"),
                *_from_form(CaseOpenForm, ("case_type", "risk_level")),
            ]
        },
    }


def _messages() -> dict:
    return {
        # core: the web forms' and the services' own messages (Django's for lengths and numbers).
        "required": gettext("This field is required."),
        "date_missing": gettext("Enter a date."),
        "date_future": gettext("This date is in the future."),
        "date_before_opened": gettext("This date is before the case was opened."),
        "choice": gettext("Unknown value: %(value)s."),
        "max_length": str(MaxLengthValidator.message),
        "min_value": str(MinValueValidator.message),
        "max_value": str(MaxValueValidator.message),
        "integer": str(forms.IntegerField.default_error_messages["invalid"]),
        "next_follow_up": gettext("The next follow-up must come after this one."),
        "child_assent": gettext("A child's assent is only recorded for a child."),
        "given_name": gettext("Enter the person's given name."),
        "sex": gettext("Choose the person's sex (or unknown)."),
        "age": gettext("Enter an age between 0 and %(max)s years.") % {"max": MAX_AGE},
        "area": gettext("Choose the commune where the person lives."),
        "displacement_status": gettext("Choose a displacement status from the list."),
        # The device's own questions.
        "pin_short": gettext("The PIN must have at least %(count)s digits.") % {"count": PIN_MIN_LENGTH},
        "pin_digits": gettext("The PIN is made of digits only."),
        "pin_mismatch": gettext("The two PINs differ."),
    }


def _areas(user) -> list[list[str]]:
    """The communes where the user may register a person (their scope for PERSON_CREATE), by P-code."""
    version = cod_version_get(None)
    if version is None:
        return []
    limits = area_limits(user, Perm.PERSON_CREATE)
    if limits == []:
        return []
    communes = AdminArea.objects.filter(version=version, level=AdminLevel.COMMUNE)
    communes = areas_within(communes, limits).select_related("parent").defer("geometry", "parent__geometry")
    return [
        [area.pcode, f"{area.name_fr} ({area.parent.name_fr})" if area.parent_id else area.name_fr]
        for area in communes.order_by("name_fr", "pcode")
    ]


def offline_rules(*, user) -> dict:
    """The forms, messages and communes of the offline app for this user; `version` changes with them."""
    body = {"forms": _forms(), "messages": _messages(), "areas": _areas(user)}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return {"version": digest[:16], **body}
