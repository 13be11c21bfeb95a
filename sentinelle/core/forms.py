from contextlib import contextmanager

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from sentinelle.core.models import AuditAction, AuditOutcome


class AuditFilterForm(forms.Form):
    username = forms.CharField(label=_("User"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", "—"), *AuditAction.choices])
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=[("", "—"), *AuditOutcome.choices]
    )
    object_id = forms.CharField(label=_("Object identifier"), required=False, max_length=64)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


def attach_service_errors(form: forms.Form, error: ValidationError, *, prefix: str = "") -> None:
    """Show a service's ValidationError on the form: each message on its field, the rest on the whole form.

    A service names fields by its own keyword arguments; where a form renders them under a prefix or with dots
    (`form.answer` for a nested form's field `form_answer`), `prefix` and the dot rule map them back.
    A form made of several parts (monitoring's IncidentEntry) routes the names itself: `add_service_errors`.
    """
    if hasattr(form, "add_service_errors"):
        form.add_service_errors(error)
        return
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, field_messages in error.message_dict.items():
        field = prefix + name.replace(".", "_") if name != NON_FIELD_ERRORS else None
        form.add_error(field if field in form.fields else None, field_messages)


def _refusal_text(error: PermissionDenied, refusal) -> str:
    return (
        str(refusal)
        if isinstance(refusal, str | Promise)
        else str(error) or _("You are not allowed to do this.")
    )


@contextmanager
def errors_shown_on(form: forms.Form, *, prefix: str = "", refusal=None, refusal_field: str | None = None):
    """The one submit pattern for a form: a service's refusal goes onto the form, the view renders it again.

        if form.is_valid():
            with errors_shown_on(form):
                case = case_open(user=request.user, **form.cleaned_data)
                return redirect(case)
        return render(request, template, {"form": form})

    The refused call wrote nothing (services run in one transaction), and the typed text is still in the form.
    Where a choice on the form itself can be refused by the policy (an organisation or area the user may not
    act for; the service audits the refusal), `refusal=True` shows that refusal on the form too (its own
    text, or `refusal` when a text is given; beside `refusal_field` when the refused choice is one field)
    instead of a 403 page that would lose what was typed.
    """
    try:
        yield form
    except ValidationError as error:
        attach_service_errors(form, error, prefix=prefix)
    except PermissionDenied as error:
        if not refusal:
            raise
        form.add_error(refusal_field, _refusal_text(error, refusal))


@contextmanager
def errors_shown_as_messages(request, *, refusal=None):
    """The one submit pattern for a button without a form: a refusal becomes an error message (with
    `refusal=True`, a policy refusal too, as in errors_shown_on)."""
    try:
        yield
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except PermissionDenied as error:
        if not refusal:
            raise
        messages.error(request, _refusal_text(error, refusal))
