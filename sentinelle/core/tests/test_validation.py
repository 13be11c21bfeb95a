"""One validation style (collect every error, refuse once) and one submit pattern (errors on the form)."""

import pytest
from django import forms
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory

from sentinelle.core.forms import attach_service_errors, errors_shown_as_messages, errors_shown_on
from sentinelle.core.validation import NON_FIELD, Errors, refuse


class NameForm(forms.Form):
    name = forms.CharField()
    answer_text = forms.CharField(required=False)


def test_errors_collect_every_message_then_refuse_once_with_all():
    errors = Errors()
    assert not errors
    errors.add("name", "Too short.")
    errors.add("name", "Not a name.")
    errors.add(None, "Nothing is right.")
    assert errors and "name" in errors and "age" not in errors

    with pytest.raises(ValidationError) as raised:
        errors.raise_if_any()
    assert raised.value.message_dict == {
        "name": ["Too short.", "Not a name."],
        NON_FIELD: ["Nothing is right."],
    }


def test_no_error_raises_nothing():
    Errors().raise_if_any()


def test_merge_takes_a_helpers_errors_under_a_prefix():
    errors = Errors()
    errors.merge(ValidationError({"text": ["Empty."], NON_FIELD: ["Whole."]}), prefix="answer_")
    errors.merge(ValidationError("Plain."))
    assert errors.as_dict() == {"answer_text": ["Empty."], NON_FIELD: ["Whole.", "Plain."]}


def test_refuse_raises_one_message_on_its_field():
    with pytest.raises(ValidationError) as raised:
        refuse("Closed case.", "status")
    assert raised.value.message_dict == {"status": ["Closed case."]}


def test_service_errors_go_on_their_fields_and_unknown_ones_on_the_whole_form():
    form = NameForm(data={"name": "Awa"})
    assert form.is_valid()
    attach_service_errors(
        form, ValidationError({"name": ["Taken."], "nowhere": ["Lost?"], NON_FIELD: ["All."]})
    )
    assert form.errors["name"] == ["Taken."]
    assert form.non_field_errors() == ["Lost?", "All."]


def test_dotted_and_prefixed_names_map_back_to_the_forms_fields():
    form = NameForm(data={"name": "Awa"})
    form.is_valid()
    attach_service_errors(form, ValidationError({"text": ["Empty."]}), prefix="answer_")
    assert form.errors["answer_text"] == ["Empty."]
    form = NameForm(data={"name": "Awa"})
    form.is_valid()
    attach_service_errors(form, ValidationError({"answer.text": ["Empty."]}))
    assert form.errors["answer_text"] == ["Empty."]


def test_a_refused_call_leaves_the_typed_text_and_falls_through():
    form = NameForm(data={"name": "Awa Traoré"})
    form.is_valid()
    reached_after_call = False
    with errors_shown_on(form):
        raise ValidationError({"name": ["Already registered."]})
        reached_after_call = True  # never reached: the refusal leaves the block
    assert not reached_after_call
    assert form.errors["name"] == ["Already registered."]
    assert form["name"].value() == "Awa Traoré"


def test_other_exceptions_are_not_swallowed():
    form = NameForm(data={"name": "Awa"})
    with pytest.raises(KeyError), errors_shown_on(form):
        raise KeyError("bug")


def test_a_refused_button_action_becomes_an_error_message():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    with errors_shown_as_messages(request):
        raise ValidationError(["First.", "Second."])
    assert [str(message) for message in request._messages] == ["First.", "Second."]


def test_a_policy_refusal_is_a_403_unless_the_form_asks_to_show_it():
    form = NameForm(data={"name": "Awa"})
    form.is_valid()
    with pytest.raises(PermissionDenied), errors_shown_on(form):
        raise PermissionDenied("Not this organisation.")
    with errors_shown_on(form, refusal=True):
        raise PermissionDenied("Not this organisation.")
    with errors_shown_on(form, refusal="You may not record for this area."):
        raise PermissionDenied
    assert form.non_field_errors() == ["Not this organisation.", "You may not record for this area."]
    assert form["name"].value() == "Awa"


def test_a_policy_refusal_of_a_button_becomes_a_message_when_asked():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    with pytest.raises(PermissionDenied), errors_shown_as_messages(request):
        raise PermissionDenied
    with errors_shown_as_messages(request, refusal=True):
        raise PermissionDenied
    assert [str(message) for message in request._messages] == ["Vous n'êtes pas autorisé à faire cela."]
