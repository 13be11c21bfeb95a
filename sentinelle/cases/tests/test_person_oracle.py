"""Finding 4: search-before-create is no oracle of who is registered where.

A case worker of another organisation describes "Mariam Cissé, f, 26" in ALPHA's commune: only a strong
match is hinted at (never a weak one, never a count, never the organisation); every search is throttled
per user and audited with keyed digests of its terms; ALPHA's manager is told (no name in the mail).
"""

import copy
import json

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from sentinelle.accounts.tests.factories import make_member
from sentinelle.cases.models import Person
from sentinelle.cases.selectors.persons import (
    SearchThrottled,
    person_duplicate_check,
    person_lookup,
    person_search,
)
from sentinelle.cases.tests.factories_persons import area_tree, register
from sentinelle.core.crypto import keyed_hash
from sentinelle.core.models import AuditAction, AuditEntry, Role

pytestmark = pytest.mark.django_db

NAMES = ("Mariam", "Cissé", "Cisse")
PHONE = "76 12 34 56"


@pytest.fixture
def places(mopti):
    return area_tree(mopti, cercles=("Mopti", "Djenné"))


@pytest.fixture
def survivor(caseworker_in_area, places):
    """ALPHA's registered person (a GBV survivor's record, say), in a commune of the Mopti cercle."""
    return register(
        caseworker_in_area,
        area=places["Mopti"][0],
        given_name="Mariam",
        family_name="Cissé",
        sex="f",
        age=26,
        phone=PHONE,
    )


@pytest.fixture
def caseworker_beta(beta):
    return make_member(Role.CASEWORKER, beta, username="cw_beta")


@pytest.fixture
def low_rate(settings):
    """Three searches an hour per user."""
    configured = copy.deepcopy(settings.SENTINELLE)
    configured["THROTTLES"]["person_search.user"] = "3/1h"
    settings.SENTINELLE = configured


def strong_terms(places, **changes):
    terms = {
        "given_name": "Mariam",
        "family_name": "Cissé",
        "sex": "f",
        "age": 27,
        "area": places["Mopti"][1],
    }
    return {**terms, **changes}


def _text(message) -> str:
    return f"{message.subject}\n{message.body}"


@pytest.mark.parametrize(
    "changes",
    [
        {"sex": "m"},  # same name, another sex
        {"age": 40},  # same name, far in age
        {"area": "Djenné"},  # same name, another cercle
        {"given_name": "Mariama"},  # a spelling variant: similar, not the same name
        {"sex": None, "age": None},  # the name alone
    ],
)
def test_a_weak_match_shows_no_hint_and_tells_no_one(
    django_capture_on_commit_callbacks, caseworker_beta, manager, survivor, places, changes
):
    if changes.get("area") == "Djenné":
        changes = {**changes, "area": places["Djenné"][0]}
    with django_capture_on_commit_callbacks(execute=True):
        found = person_lookup(user=caseworker_beta, **strong_terms(places, **changes))
        told = person_duplicate_check(user=caseworker_beta, **strong_terms(places, **changes))
    assert found.candidates == [] and found.elsewhere is False and told is False
    assert mail.outbox == []


@pytest.mark.parametrize("by", ["name", "phone"])
def test_a_strong_match_shows_the_hint_without_the_organisation(
    django_capture_on_commit_callbacks, signed_in, caseworker_beta, manager, survivor, places, by
):
    data = {"given_name": "Mariam", "family_name": "Cissé", "sex": "f", "age": "27"}
    data["commune"] = places["Mopti"][1].pcode
    if by == "phone":  # another name, another age: the phone number alone is strong
        data.update(given_name="Awa", family_name="Diarra", age="50", phone="+223 76123456")
    client = signed_in(caseworker_beta)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cases:person-find"), {**data, "search": "1"})
    assert response.status_code == 200
    page = response.content.decode()
    hint = response.context["hint"]
    assert hint and 'data-testid="duplicate-hint"' in page
    assert response.context["candidates"] == []  # never shown
    for secret in ("ALPHA", survivor.person_code, str(survivor.public_id)):
        assert secret not in hint and secret not in page
    # ALPHA's manager is told, with a link to the person's page and nothing that names the person.
    [message] = mail.outbox
    assert message.to == [manager.email]
    assert "BETA" in message.body
    assert reverse("cases:person-detail", args=[survivor.public_id]) in message.body
    for secret in (*NAMES, PHONE, "76123456", survivor.person_code):
        assert secret not in _text(message)


def test_the_same_search_repeated_tells_the_manager_once_a_day(
    django_capture_on_commit_callbacks, caseworker_beta, manager, survivor, places
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            assert person_duplicate_check(user=caseworker_beta, **strong_terms(places)) is True
    assert len(mail.outbox) == 1


def test_the_hint_is_only_yes_or_no(caseworker_beta, caseworker_in_area, survivor, places):
    register(
        caseworker_in_area, area=places["Mopti"][0], given_name="Mariam", family_name="Cissé", sex="f", age=25
    )
    assert Person.objects.count() == 2
    assert person_duplicate_check(user=caseworker_beta, **strong_terms(places)) is True


def test_no_audit_entry_of_a_search_holds_a_clear_term(caseworker_beta, manager, survivor, places, low_rate):
    terms = strong_terms(places, phone=PHONE)
    person_lookup(user=caseworker_beta, **terms)
    person_search(user=manager, **terms)
    person_duplicate_check(user=caseworker_beta, **terms)
    person_lookup(user=caseworker_beta, **terms)
    with pytest.raises(SearchThrottled):
        person_lookup(user=caseworker_beta, **terms)
    searches = AuditEntry.objects.filter(object_type="cases.person", user__in=[caseworker_beta, manager])
    assert searches.filter(action=AuditAction.READ).count() == 4
    assert searches.filter(action=AuditAction.DENIED).count() == 1
    # The whole audit table: no name, no phone, no age, in any entry's detail.
    everything = json.dumps(list(AuditEntry.objects.values_list("detail", flat=True)), ensure_ascii=False)
    for secret in (*NAMES, "mariam", "cisse", PHONE, "76123456"):
        assert secret.lower() not in everything.lower()
    # The digests let an auditor find whose record was sought.
    lookup = searches.filter(action=AuditAction.READ, detail__search=True).first()
    assert lookup.detail["terms"]["name"] == survivor.full_name_hash == keyed_hash("Mariam Cissé")
    assert lookup.detail["terms"]["phone"] == survivor.phone_hash


def test_the_search_past_the_rate_is_refused_and_not_run(
    django_capture_on_commit_callbacks, caseworker_beta, manager, survivor, places, low_rate, monkeypatch
):
    from sentinelle.cases.selectors import persons

    for _ in range(3):
        person_lookup(user=caseworker_beta, **strong_terms(places))
    ran = []
    monkeypatch.setattr(persons, "_exact_ids", lambda query: ran.append(query) or ({}, set(), set()))
    with django_capture_on_commit_callbacks(execute=True):
        for door in (person_lookup, person_duplicate_check, person_search):
            with pytest.raises(SearchThrottled) as refused:
                door(user=caseworker_beta, **strong_terms(places))
            assert "minutes" in str(refused.value)
    assert ran == [] and mail.outbox[1:] == []
    denied = AuditEntry.objects.filter(action=AuditAction.DENIED, user=caseworker_beta)
    assert denied.count() == 3
    assert all(entry.detail["throttle"] == "person_search.user" for entry in denied)
    # Another user's searches are not counted against this one.
    monkeypatch.undo()
    assert person_lookup(user=manager, **strong_terms(places)).candidates


def test_the_page_says_why_when_searching_is_paused(signed_in, caseworker_beta, survivor, places, low_rate):
    client = signed_in(caseworker_beta)
    data = {"given_name": "Mariam", "family_name": "Cissé", "sex": "f", "age": "27"}
    data["commune"] = places["Mopti"][1].pcode
    for _ in range(3):
        assert client.post(reverse("cases:person-find"), {**data, "search": "1"}).status_code == 200
    before = AuditEntry.objects.filter(action=AuditAction.READ, user=caseworker_beta).count()
    response = client.post(reverse("cases:person-find"), {**data, "search": "1"})
    assert response.status_code == 429
    assert not response.context["searched"] and "hint" not in response.context
    assert "minutes" in response.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.READ, user=caseworker_beta).count() == before


def test_the_rate_is_configured_per_user():
    assert settings.SENTINELLE["THROTTLES"]["person_search.user"]
