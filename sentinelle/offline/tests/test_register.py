"""A person and case registered offline: search before create at sync, review of probable duplicates,
and the changes recorded on the new case before it existed (tmp: references)."""

import pytest
from django.utils import timezone
from django.utils.translation import gettext

from sentinelle.cases.models import Case, FollowUp, Person
from sentinelle.cases.tests.factories_persons import register
from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.offline.models import ChangeStatus, OfflineChange
from sentinelle.offline.tests.factories import change

pytestmark = pytest.mark.django_db


def _registration(commune, **fields) -> dict:
    values = {
        "given_name": "Kadidia",
        "family_name": "Guindo",
        "sex": "f",
        "age": 14,
        "phone": "",
        "address": "Quartier 2",
        "caregiver_name": "Awa Guindo",
        "caregiver_phone": "",
        "displacement_status": "idp",
        "area": commune.pcode,
        "case_type": "child_protection",
        "risk_level": "high",
    }
    return change("register", "", **{**values, **fields})


def _follow_up_on(reference: str) -> dict:
    return change("follow_up", reference, date=timezone.localdate().isoformat(), kind="visit")


def test_a_new_person_without_a_probable_duplicate_is_registered_with_a_case(worker, tablet, commune, sync):
    sent = _registration(commune)

    [answer] = sync(worker, tablet, sent)

    assert answer["status"] == "applied"
    case = Case.objects.get(public_id=answer["case"])
    assert case.owner == worker and case.case_type == "child_protection" and case.risk_level == "high"
    person = case.person
    assert (person.given_name, person.family_name, person.area) == ("Kadidia", "Guindo", commune)
    assert person.caregiver_name == "Awa Guindo" and person.displacement_status == "idp"
    created = AuditEntry.objects.filter(action=AuditAction.CREATE, object_id=str(case.public_id)).get()
    assert created.detail["device"] == str(tablet.public_id) and created.detail["offline_at"]
    # The search ran first (the web registration's lookup), audited with the device too.
    search = AuditEntry.objects.filter(action=AuditAction.READ, detail__search=True).get()
    assert search.detail["device"] == str(tablet.public_id)


def test_a_probable_duplicate_goes_to_review_with_its_candidates_and_creates_nothing(
    worker, tablet, commune, sync
):
    existing = register(worker, area=commune, given_name="Kadidia", family_name="Guindo", age=14)
    sent = _registration(commune)

    [answer] = sync(worker, tablet, sent)
    [again] = sync(worker, tablet, sent)

    assert answer["status"] == "review" and again == answer
    [candidate] = answer["candidates"]
    assert candidate["id"] == str(existing.public_id) and candidate["code"] == existing.person_code
    assert "Kadidia Guindo" in candidate["label"] and candidate["score"] >= 0.88
    assert (
        Person.objects.count() == 1
        and not Case.objects.filter(person__isnull=False).exclude(person=existing).exists()
    )
    assert OfflineChange.objects.get(change_id=sent["change_id"]).status == ChangeStatus.REVIEW
    # The resend answered from the store: one search only.
    assert AuditEntry.objects.filter(action=AuditAction.READ, detail__search=True).count() == 1


def test_the_worker_confirms_a_new_person_after_the_review(worker, tablet, commune, sync):
    register(worker, area=commune, given_name="Kadidia", family_name="Guindo", age=14)
    [review] = sync(worker, tablet, first := _registration(commune))

    confirmed = _registration(commune, decision="new")
    confirmed["replaces"] = first["change_id"]
    [answer] = sync(worker, tablet, confirmed)

    assert review["status"] == "review" and answer["status"] == "applied"
    assert Person.objects.filter(given_name__isnull=False).count() == 2


def test_the_worker_picks_the_existing_person_and_the_case_opens_for_them(worker, tablet, commune, sync):
    existing = register(worker, area=commune, given_name="Kadidia", family_name="Guindo", age=14)

    [answer] = sync(worker, tablet, _registration(commune, person=str(existing.public_id)))

    assert answer["status"] == "applied"
    case = Case.objects.get(public_id=answer["case"])
    assert case.person == existing and Person.objects.count() == 1


def test_changes_on_a_case_registered_in_the_same_sync_find_it_by_its_tmp_reference(
    worker, tablet, commune, sync
):
    registration = _registration(commune)
    follow_up = _follow_up_on(f"tmp:{registration['change_id']}")

    registered, followed = sync(worker, tablet, registration, follow_up)

    assert registered["status"] == followed["status"] == "applied"
    assert followed["case"] == registered["case"]
    assert FollowUp.objects.get().case.public_id.hex == registered["case"].replace("-", "")


def test_changes_wait_while_their_registration_is_in_review_then_apply_once_it_is_settled(
    worker, tablet, commune, sync
):
    existing = register(worker, area=commune, given_name="Kadidia", family_name="Guindo", age=14)
    registration = _registration(commune)
    follow_up = _follow_up_on(f"tmp:{registration['change_id']}")

    review, waiting = sync(worker, tablet, registration, follow_up)

    assert review["status"] == "review" and waiting["status"] == "waiting"
    assert waiting["message"] == gettext("Waiting for the registration of this person to be settled.")
    assert not OfflineChange.objects.filter(change_id=follow_up["change_id"]).exists()
    assert not FollowUp.objects.exists()

    settled = _registration(commune, person=str(existing.public_id))
    settled["replaces"] = registration["change_id"]
    applied, followed = sync(worker, tablet, settled, follow_up)

    assert applied["status"] == followed["status"] == "applied"
    assert FollowUp.objects.get().case.person == existing


def test_a_registration_whose_case_is_refused_leaves_no_person_behind(worker, tablet, commune, sync):
    [answer] = sync(worker, tablet, _registration(commune, case_type="astrology"))

    assert answer["status"] == "refused" and "case_type" in answer["errors"]
    assert not Person.objects.exists() and not Case.objects.exists()


def test_an_invalid_registration_is_refused_with_the_services_messages(worker, tablet, commune, sync):
    [answer] = sync(worker, tablet, _registration(commune, given_name="", area="ML99", age=300))

    assert answer["status"] == "refused"
    assert answer["errors"]["given_name"] == ["Saisissez le prénom de la personne."]
    assert answer["errors"]["area"] == ["Choisissez la commune où vit la personne."]
    assert "age" in answer["errors"]
    assert not Person.objects.exists()


def test_a_registration_outside_the_workers_areas_is_refused(worker, tablet, segou, sync):
    from sentinelle.cases.tests.factories_cases import commune_in

    elsewhere = commune_in(segou, "Markala")

    [answer] = sync(worker, tablet, _registration(elsewhere, given_name="Oumou"))

    assert answer["status"] == "refused" and "area" in answer["errors"]
    assert not Person.objects.exists()


def test_a_registration_whose_search_is_throttled_waits_and_the_refusal_stays_audited(
    worker, tablet, commune, sync, settings
):
    settings.SENTINELLE = {**settings.SENTINELLE, "THROTTLES": {**settings.SENTINELLE["THROTTLES"]}}
    settings.SENTINELLE["THROTTLES"]["person_search.user"] = "0/1h"
    sent = _registration(commune)

    [answer] = sync(worker, tablet, sent)

    assert answer["status"] == "waiting" and answer["message"]
    assert not OfflineChange.objects.exists() and not Person.objects.exists()
    refusal = AuditEntry.objects.get(action=AuditAction.DENIED, user=worker)
    assert refusal.detail["throttle"] == "person_search.user"
    assert refusal.detail["device"] == str(tablet.public_id)
