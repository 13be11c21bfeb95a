"""The offline forms' rules are the web forms' fields and the services' own messages."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from sentinelle.cases.services.cases import follow_up_record
from sentinelle.cases.services.persons import person_register
from sentinelle.cases.tests.factories_cases import commune_in
from sentinelle.offline.rules import offline_rules

pytestmark = pytest.mark.django_db

FORMS = {
    "follow_up",
    "note",
    "task_done",
    "assessment",
    "plan_action_done",
    "consent",
    "person_update",
    "register",
}


def _field(rules, form, name) -> dict:
    return next(spec for spec in rules["forms"][form]["fields"] if spec["name"] == name)


def _errors(call) -> dict:
    with pytest.raises(ValidationError) as raised:
        call()
    return raised.value.message_dict


def test_every_offline_form_is_described_with_its_fields(worker, commune):
    rules = offline_rules(user=worker)

    assert set(rules["forms"]) == FORMS
    date = _field(rules, "follow_up", "date")
    assert date["type"] == "date" and date["required"] and date["not_after_today"] and date["label"] == "Date"
    kind = _field(rules, "follow_up", "kind")
    assert kind["type"] == "choice" and ["visit", "Visite à domicile ou sur site"] in kind["choices"]
    assert _field(rules, "assessment", "needs")["type"] == "multichoice"
    assert _field(rules, "register", "age") | {"min_value": 0, "max_value": 120} == _field(
        rules, "register", "age"
    )
    assert _field(rules, "register", "given_name")["max_length"] == 100
    assert rules["forms"]["person_update"]["conflicts_on"][0] == "person.phone"


def test_the_messages_are_the_ones_the_services_give(worker, case, commune):
    rules = offline_rules(user=worker)
    messages = rules["messages"]
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    follow_up = _errors(lambda: follow_up_record(actor=worker, case=case, date=tomorrow, kind="x"))
    person = _errors(lambda: person_register(actor=worker, given_name="", sex="?", age=500, area=None))

    assert follow_up["date"] == [messages["date_future"]]
    assert follow_up["kind"] == [messages["choice"] % {"value": "x"}]
    assert person["given_name"] == [messages["given_name"]]
    assert person["sex"] == [messages["sex"]]
    assert person["age"] == [messages["age"]]
    assert person["area"] == [messages["area"]]
    assert messages["required"] == "Ce champ est obligatoire."


def test_the_areas_are_the_communes_where_the_user_may_register(worker, commune, segou, manager):
    elsewhere = commune_in(segou, "Markala")

    mine = {pcode for pcode, _label in offline_rules(user=worker)["areas"]}
    everywhere = {pcode for pcode, _label in offline_rules(user=manager)["areas"]}

    assert commune.pcode in mine and elsewhere.pcode not in mine
    assert {commune.pcode, elsewhere.pcode} <= everywhere
    assert [commune.pcode, "Douentza (Cercle Douentza)"] in offline_rules(user=worker)["areas"]


def test_the_version_changes_with_the_rules_only(worker, commune, segou):
    first = offline_rules(user=worker)["version"]
    assert offline_rules(user=worker)["version"] == first
    commune_in(worker.memberships.get().areas.get(), "Boni")
    assert offline_rules(user=worker)["version"] != first
