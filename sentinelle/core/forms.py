from contextlib import contextmanager

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
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


@contextmanager
def errors_shown_on(form: forms.Form, *, prefix: str = ""):
    """The one submit pattern for a form: a service's refusal goes onto the form, the view renders it again.

        if form.is_valid():
            with errors_shown_on(form):
                case = case_open(user=request.user, **form.cleaned_data)
                return redirect(case)
        return render(request, template, {"form": form})

    The refused call wrote nothing (services run in one transaction), and the typed text is still in the form.
    """
    try:
        yield form
    except ValidationError as error:
        attach_service_errors(form, error, prefix=prefix)


@contextmanager
def errors_shown_as_messages(request):
    """The one submit pattern for a button without a form: a refusal becomes an error message."""
    try:
        yield
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
