import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.utils import translation

from sentinelle.cases.models import Case, Consent, Person, PersonMerge, PersonNameKey
from sentinelle.cases.names import DUPLICATE_THRESHOLD
from sentinelle.cases.selectors.merges import person_merges
from sentinelle.cases.selectors.persons import (
    DECRYPT_LIMIT,
    duplicate_hint,
    person_duplicate_check,
    person_get,
    person_search,
)
from sentinelle.cases.services.persons import person_merge, person_merge_undo, person_update
from sentinelle.core import crypto
from sentinelle.core.crypto import keyed_hash
from sentinelle.core.models import AuditAction, AuditEntry

from .factories_persons import area_tree, commune_in, give_consent, open_case, register

pytestmark = pytest.mark.django_db

DEMO_NAMES = ("Kadidiatou", "Sangaré", "Sangare", "Nafissatou", "Doumbia")


@pytest.fixture
def douentza(mopti):
    return area_tree(mopti)["Douentza"][0]


@pytest.fixture
def segou_commune(segou):
    return commune_in(segou, "Markala")


def _names_in(text: str) -> list[str]:
    return [name for name in DEMO_NAMES if name.casefold() in text.casefold()]


# --- Registration --------------------------------------------------------------------------------


def test_register_sets_code_full_name_age_group_and_hashed_keys(caseworker_in_area, douentza):
    person = register(
        caseworker_in_area,
        area=douentza,
        given_name="Kadidiatou",
        family_name="Sangaré",
        age=14,
        phone="+223 76 11 22 33",
    )
    assert person.person_code.startswith("P-") and person.person_code.endswith("-00001")
    assert person.full_name == "Kadidiatou Sangaré"
    assert person.full_name_hash == keyed_hash("kadidiatou sangare")
    assert person.phone_hash == keyed_hash("76112233", kind="phone")
    assert person.age_group == "12_17"
    assert person.organisation.acronym == "ALPHA"
    keys = list(PersonNameKey.objects.filter(person=person).values_list("key", flat=True))
    assert len(keys) >= 5 and all(len(k) == 64 for k in keys)
    # The index is keyed: without the hash key, the phonetic key cannot be recomputed from it.
    assert hashlib.sha256(b"t sangar").hexdigest() not in keys
    second = register(caseworker_in_area, area=douentza, given_name="Awa")
    assert int(second.person_code[-5:]) == int(person.person_code[-5:]) + 1


def test_age_is_computed_from_the_date_of_birth(caseworker_in_area, douentza):
    person = register(caseworker_in_area, area=douentza, age=None, date_of_birth="2015-01-01")
    assert person.age is not None and person.age >= 10
    assert person.age_group in ("6_11", "12_17")


def test_person_code_skips_a_number_taken_meanwhile(caseworker_in_area, douentza):
    first = register(caseworker_in_area, area=douentza)
    prefix = first.person_code[:-5]
    latest = register(caseworker_in_area, area=douentza, given_name="Awa")
    assert latest.person_code == f"{prefix}00002"
    # A concurrent registration took the next number: the insert fails on the unique code, its savepoint
    # rolls back, and the registration takes the following number.
    Person.objects.filter(pk=first.pk).update(person_code=f"{prefix}00003")
    third = register(caseworker_in_area, area=douentza, given_name="Hawa")
    assert third.person_code == f"{prefix}00004"
    assert Person.objects.count() == 3


def test_invalid_registrations_are_refused_with_field_messages(caseworker_in_area, douentza, mopti):
    with pytest.raises(ValidationError) as error:
        register(caseworker_in_area, area=douentza, given_name="  ", sex="x", date_of_birth="2090-01-01")
    assert set(error.value.message_dict) == {"given_name", "sex", "date_of_birth"}
    with pytest.raises(ValidationError) as error:
        register(caseworker_in_area, area=mopti)
    assert "area" in error.value.message_dict
    assert not Person.objects.exists()


def test_registration_outside_the_areas_or_without_the_right_writes_nothing(
    caseworker_in_area, segou_commune, douentza, reader, focal_point, monitor, beta
):
    with pytest.raises(ValidationError) as error:
        register(caseworker_in_area, area=segou_commune)
    assert "area" in error.value.message_dict
    for actor in (reader, focal_point, monitor):
        with pytest.raises(PermissionDenied):
            register(actor, area=douentza)
    with pytest.raises(PermissionDenied):
        register(caseworker_in_area, area=douentza, organisation=beta)
    assert not Person.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.DENIED).count() == 4


def test_every_bad_field_of_a_registration_is_told_at_once(caseworker_in_area, segou_commune):
    with pytest.raises(ValidationError) as error:
        register(caseworker_in_area, area=segou_commune, given_name=" ", age=130, date_of_birth="12/03/2010")
    assert set(error.value.message_dict) == {"given_name", "age", "date_of_birth", "area"}
    assert not Person.objects.exists()
    assert not PersonNameKey.objects.exists()


def test_update_recomputes_the_keys_and_audits_field_names_only(caseworker_in_area, douentza):
    person = register(caseworker_in_area, area=douentza, given_name="Nafissatou", family_name="Doumbia")
    before = set(PersonNameKey.objects.filter(person=person).values_list("key", flat=True))
    updated = person_update(actor=caseworker_in_area, person=person, family_name="Sangaré", age=31)
    after = set(PersonNameKey.objects.filter(person=updated).values_list("key", flat=True))
    assert before != after
    assert updated.full_name_hash == keyed_hash("Nafissatou Sangare")
    assert person_search(user=caseworker_in_area, given_name="Nafissatou", family_name="Sangare")[0].exact
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, object_id=str(person.public_id)).get()
    assert entry.detail["changed"] == ["age", "family_name"]
    assert not _names_in(json.dumps(entry.detail))


def test_update_by_someone_who_cannot_see_the_person_changes_nothing(
    caseworker_in_area, caseworker_other_area, douentza
):
    person = register(caseworker_in_area, area=douentza, family_name="Doumbia")
    with pytest.raises(PermissionDenied):
        person_update(actor=caseworker_other_area, person=person, family_name="Sangaré")
    assert Person.objects.get(pk=person.pk).family_name == "Doumbia"


def test_an_update_from_an_out_of_date_copy_keeps_the_other_fields_changed_since(
    caseworker_in_area, douentza
):
    person = register(caseworker_in_area, area=douentza, family_name="Doumbia", phone="76 11 22 33")
    stale = Person.objects.get(pk=person.pk)  # read before a colleague's change
    person_update(actor=caseworker_in_area, person=person, phone="66 00 00 01")

    person_update(actor=caseworker_in_area, person=stale, address="Près du marché")

    now = Person.objects.get(pk=person.pk)
    assert now.phone == "66 00 00 01"  # not put back to the copy's value
    assert now.address == "Près du marché"
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, object_id=str(person.public_id)).latest("pk")
    assert entry.detail["changed"] == ["address"]


# --- Search ----------------------------------------------------------------------------------------


def test_exact_search_by_keyed_hash_in_either_order_and_by_phone(caseworker_in_area, douentza):
    person = register(caseworker_in_area, area=douentza, phone="76 11 22 33")
    register(caseworker_in_area, area=douentza, given_name="Awa", family_name="Coulibaly")
    [found, *_rest] = person_search(user=caseworker_in_area, given_name="AMINATA", family_name="traore")
    assert found.person == person and found.exact and found.score == 1.0
    assert person_search(user=caseworker_in_area, given_name="Traoré", family_name="Aminata")[0].exact
    by_phone = person_search(user=caseworker_in_area, phone="+223 76112233")
    assert [c.person for c in by_phone] == [person]
    assert "Same phone number" in by_phone[0].reasons


def test_fuzzy_search_tolerates_malian_spelling_variants(caseworker_in_area, douentza):
    person = register(
        caseworker_in_area, area=douentza, given_name="Mahamadou", family_name="Dialo", sex="m", age=40
    )
    other = register(
        caseworker_in_area, area=douentza, given_name="Mamadou", family_name="Diarra", sex="m", age=40
    )
    found = person_search(
        user=caseworker_in_area, given_name="Mamadou", family_name="Diallo", sex="m", age=41, area=douentza
    )
    assert found[0].person == person and not found[0].exact
    assert found[0].probable_duplicate and found[0].score >= DUPLICATE_THRESHOLD
    assert "Same commune" in found[0].reasons and "Same sex" in found[0].reasons
    assert all(not c.probable_duplicate for c in found if c.person == other)
    for given, family in [("Usman", "Jallo"), ("Ousmane", "Diallo")]:
        register(caseworker_in_area, area=douentza, given_name=given, family_name=family, sex="m")
    ousmane = person_search(user=caseworker_in_area, given_name="Ousmane", family_name="Jallo")
    assert len([c for c in ousmane if c.probable_duplicate]) == 2


def test_hard_negatives_are_shown_but_not_as_probable_duplicates(caseworker_in_area, douentza):
    register(caseworker_in_area, area=douentza, given_name="Aminata", family_name="Touré")
    found = person_search(user=caseworker_in_area, given_name="Aminata", family_name="Traoré")
    assert found and not any(c.probable_duplicate for c in found)


def test_sex_and_age_lower_the_score(caseworker_in_area, douentza):
    register(caseworker_in_area, area=douentza, given_name="Adama", family_name="Koné", sex="m", age=8)
    same = person_search(user=caseworker_in_area, given_name="Adama", family_name="Koné", sex="m", age=8)
    other = person_search(user=caseworker_in_area, given_name="Adama", family_name="Koné", sex="f", age=40)
    assert same[0].score == 1.0
    assert not other or other[0].score < 0.6 or "Different sex" in other[0].reasons


def test_a_case_worker_does_not_find_persons_outside_their_scope(
    caseworker_in_area, caseworker_other_area, manager, outsider, imo, douentza
):
    person = register(caseworker_in_area, area=douentza, given_name="Nafissatou", family_name="Doumbia")
    terms = {"given_name": "Nafissatou", "family_name": "Doumbia"}
    assert [c.person for c in person_search(user=caseworker_in_area, **terms)] == [person]
    assert [c.person for c in person_search(user=manager, **terms)] == [person]
    for user in (caseworker_other_area, outsider, imo):
        assert person_search(user=user, **terms) == []
    # Assigned to a case of another worker: that worker finds the person too.
    case = open_case(person, owner=caseworker_in_area)
    case.collaborators.add(caseworker_other_area)
    assert [c.person for c in person_search(user=caseworker_other_area, **terms)] == [person]


def test_out_of_scope_duplicates_are_told_only_when_strong_never_shown(
    caseworker_in_area, caseworker_other_area, outsider, douentza, reader
):
    """Only a strong match outside the scope is told (yes or no, never a count); spelling variants are
    not (test_person_oracle.py covers what makes a match strong)."""
    register(caseworker_in_area, area=douentza, given_name="Nafissatou", family_name="Doumbia", age=30)
    register(caseworker_in_area, area=douentza, given_name="Aminata", family_name="Touré")
    strong = {"given_name": "Nafissatou", "family_name": "Doumbia", "sex": "f", "age": 31, "area": douentza}
    variant = {**strong, "given_name": "Nafisatou", "family_name": "Dumbia"}
    assert person_duplicate_check(user=caseworker_in_area, **strong) is False  # visible: search shows it
    assert person_duplicate_check(user=caseworker_other_area, **strong) is True
    assert person_duplicate_check(user=outsider, **strong) is True
    assert person_duplicate_check(user=outsider, **variant) is False
    assert person_duplicate_check(user=outsider, given_name="Aminata", family_name="Traoré") is False
    assert person_duplicate_check(user=reader, **strong) is False  # may not register: learns nothing
    assert "manager" in duplicate_hint(True) and duplicate_hint(False) == ""
    details = list(AuditEntry.objects.filter(detail__duplicate_check=True).values_list("detail", flat=True))
    assert len(details) == 5 and sum(detail["elsewhere"] for detail in details) == 2
    assert all(set(detail) == {"duplicate_check", "elsewhere", "terms"} for detail in details)


def test_search_is_audited_with_public_ids_only(caseworker_in_area, douentza):
    person = register(caseworker_in_area, area=douentza, given_name="Nafissatou", family_name="Doumbia")
    person_search(user=caseworker_in_area, given_name="Nafissatou", family_name="Doumbia")
    entry = AuditEntry.objects.filter(action=AuditAction.READ).order_by("-id").first()
    assert entry.detail["candidates"] == [str(person.public_id)]
    assert not _names_in(json.dumps(entry.detail))


def test_search_decrypts_only_a_bounded_shortlist(
    caseworker_in_area, douentza, monkeypatch, django_assert_max_num_queries
):
    for number in range(DECRYPT_LIMIT + 15):
        register(caseworker_in_area, area=douentza, given_name="Aminata", family_name="Traoré", age=number)
    decrypted = []
    original = crypto.decrypt

    def counting(value, *, context):
        decrypted.append(context)
        return original(value, context=context)

    monkeypatch.setattr(crypto, "decrypt", counting)
    # 8 for the search and its audit entry (9 on PostgreSQL: the chain's advisory lock), at most 4 for the
    # user's throttle token (core/throttles.py).
    with django_assert_max_num_queries(13):
        found = person_search(user=caseworker_in_area, given_name="Aminata", family_name="Traore", age=20)
    assert len(found) == 20 and found[0].person.age == 20
    persons_decrypted = decrypted.count("cases.person.given_name")
    assert persons_decrypted <= DECRYPT_LIMIT


def test_search_reads_the_lighter_persons_only_when_too_few_heavy_ones_are_in_scope(
    caseworker_in_area, caseworker_other_area, douentza, segou_commune, monkeypatch
):
    from sentinelle.cases.selectors import persons

    mine = register(caseworker_in_area, area=douentza, given_name="Aminata", family_name="Tarawele")
    for _ in range(3):  # heavier (the exact name), registered later, outside this case worker's scope
        register(caseworker_other_area, area=segou_commune, given_name="Aminata", family_name="Traoré")
    reads = []
    original = persons._columns
    monkeypatch.setattr(persons, "_columns", lambda user, ids: reads.append(set(ids)) or original(user, ids))
    monkeypatch.setattr(persons, "FIRST_READ", 2)
    monkeypatch.setattr(persons, "CONTEXT_LIMIT", 2)
    found = person_search(user=caseworker_in_area, given_name="Aminata", family_name="Traoré")
    assert [c.person.pk for c in found] == [mine.pk]
    assert len(reads) == 2 and mine.pk not in reads[0] and mine.pk in reads[1]
    # Enough heavy persons in scope: the lighter ones are never read.
    reads.clear()
    found = person_search(user=caseworker_other_area, given_name="Aminata", family_name="Traoré")
    assert len(found) == 2 and len(reads) == 1 and mine.pk not in reads[0]


@pytest.mark.postgres
def test_the_found_persons_are_read_by_their_ids_never_joined_to_the_register(caseworker_in_area, douentza):
    """The context columns and the policy's subquery select the found ids with `= ANY(array)`, which
    PostgreSQL serves from the primary key; an `IN (SELECT unnest(...))` semi-join let it merge the list
    with a scan of every person inside the policy's subquery (12 ms of 10,000 persons, growing with the
    register)."""
    from django.test.utils import CaptureQueriesContext

    from sentinelle.cases.selectors import persons

    found = [
        register(caseworker_in_area, area=douentza, given_name="Awa", family_name=f"Diarra{n}")
        for n in range(3)
    ]
    with CaptureQueriesContext(connection) as queries:
        rows = persons._columns(caseworker_in_area, {person.pk for person in found})
    assert set(rows) == {person.pk for person in found} and all(row[3] for row in rows.values())
    [sql] = [query["sql"] for query in queries.captured_queries]
    assert sql.count('"id" = ANY(') == 2  # the columns read, and the policy's subquery
    assert "unnest" not in sql


def test_person_get_is_scoped_and_audited(caseworker_in_area, caseworker_other_area, douentza):
    person = register(caseworker_in_area, area=douentza)
    assert person_get(user=caseworker_in_area, public_id=person.public_id) == person
    assert AuditEntry.objects.filter(action=AuditAction.READ, object_id=str(person.public_id)).exists()
    with pytest.raises(Http404):
        person_get(user=caseworker_other_area, public_id=person.public_id)


# --- Merge -----------------------------------------------------------------------------------------


def test_merge_moves_cases_and_consents_and_undo_puts_them_back(manager, caseworker_in_area, douentza):
    kept = register(caseworker_in_area, area=douentza, given_name="Mamadou", family_name="Diallo", sex="m")
    merged = register(caseworker_in_area, area=douentza, given_name="Mahamadou", family_name="Dialo", sex="m")
    kept_case = open_case(kept, owner=caseworker_in_area)
    case = open_case(merged, owner=caseworker_in_area)
    consent = give_consent(merged, case=case)

    merge = person_merge(actor=manager, kept=kept, merged=merged)
    assert Case.objects.get(pk=case.pk).person == kept
    assert Consent.objects.get(pk=consent.pk).person == kept
    assert Person.objects.get(pk=merged.pk).merged_into == kept
    assert merge.moved == {"cases": [case.pk], "consents": [consent.pk]}
    found = person_search(user=manager, given_name="Mahamadou", family_name="Dialo")
    assert [c.person for c in found] == [kept]
    assert list(person_merges(user=manager, person=kept)) == [merge]
    with pytest.raises(ValidationError):
        person_merge(actor=manager, kept=kept, merged=merged)

    person_merge_undo(actor=manager, merge=merge)
    assert Case.objects.get(pk=case.pk).person == merged
    assert Case.objects.get(pk=kept_case.pk).person == kept
    assert Consent.objects.get(pk=consent.pk).person == merged
    assert Person.objects.get(pk=merged.pk).merged_into is None
    assert PersonMerge.objects.get(pk=merge.pk).undone_by == manager
    with pytest.raises(ValidationError):
        person_merge_undo(actor=manager, merge=merge)
    events = [
        e.detail["event"]
        for e in AuditEntry.objects.filter(object_id=str(kept.public_id)).order_by("id")
        if "event" in e.detail
    ]
    assert events == ["person_merge", "person_merge_undone"]


def test_merge_is_refused_without_the_right_and_changes_nothing(
    caseworker_in_area, outsider, manager, douentza
):
    kept = register(caseworker_in_area, area=douentza)
    merged = register(caseworker_in_area, area=douentza, given_name="Aminatou")
    case = open_case(merged, owner=caseworker_in_area)
    for actor in (caseworker_in_area, outsider):
        with pytest.raises(PermissionDenied):
            person_merge(actor=actor, kept=kept, merged=merged)
    with pytest.raises(ValidationError):
        person_merge(actor=manager, kept=kept, merged=kept)
    assert Case.objects.get(pk=case.pk).person == merged
    assert Person.objects.get(pk=merged.pk).merged_into is None
    assert not PersonMerge.objects.exists()


# --- Encryption at rest ------------------------------------------------------------------------------


def _raw_person_rows() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM cases_person")
        rows = cursor.fetchall()
        cursor.execute("SELECT key FROM cases_personnamekey")
        rows += cursor.fetchall()
    return json.dumps(rows, default=str)


def test_identity_columns_are_encrypted_at_rest(caseworker_in_area, douentza):
    register(
        caseworker_in_area,
        area=douentza,
        given_name="Kadidiatou",
        family_name="Sangaré",
        other_names="Nafissatou",
        phone="76 55 44 33",
        caregiver_name="Doumbia",
    )
    raw = _raw_person_rows()
    assert "enc1:" in raw
    assert not _names_in(raw) and "76 55 44" not in raw and "76554433" not in raw


def test_audit_entries_of_persons_contain_no_name(manager, caseworker_in_area, douentza):
    kept = register(caseworker_in_area, area=douentza, given_name="Kadidiatou", family_name="Sangaré")
    merged = register(caseworker_in_area, area=douentza, given_name="Kadiatou", family_name="Sangare")
    person_update(actor=caseworker_in_area, person=merged, other_names="Nafissatou")
    person_search(user=caseworker_in_area, given_name="Kadidiatou", family_name="Sangaré")
    person_duplicate_check(user=caseworker_in_area, given_name="Kadidiatou", family_name="Sangaré")
    person_merge_undo(actor=manager, merge=person_merge(actor=manager, kept=kept, merged=merged))
    entries = list(AuditEntry.objects.values_list("detail", "object_type", "object_id"))
    assert len(entries) >= 6
    assert not _names_in(json.dumps(entries, default=str))


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_a_backup_of_the_database_file_contains_no_demo_name(tmp_path):
    """Write through SQLite and read the bytes of a backup: no name in clear (as core's test_crypto; the
    column check above runs on PostgreSQL)."""
    from sentinelle.accounts.tests.factories import OrganisationFactory, make_member
    from sentinelle.core.models import Role
    from sentinelle.geography.tests.factories import AdminAreaFactory, CodVersionFactory

    version = CodVersionFactory(code="backup-test", is_default=True)
    country = AdminAreaFactory(version=version, level=0, pcode="ML", parent=None, name_fr="Mali")
    region = AdminAreaFactory(version=version, level=1, pcode="ML05", parent=country, name_fr="Mopti")
    worker = make_member(Role.CASEWORKER, OrganisationFactory(acronym="ALPHA"), areas=[region])
    register(
        worker,
        area=area_tree(region)["Douentza"][0],
        given_name="Kadidiatou",
        family_name="Sangaré",
        other_names="Nafissatou",
        phone="+223 66 55 44 33",
    )
    database = tmp_path / "copy.sqlite3"
    with sqlite3.connect(database) as target:
        connection.ensure_connection()
        connection.connection.backup(target)
    raw = Path(database).read_bytes()
    assert b"cases_person" in raw
    # Family names such as Sangaré are also place names of the shipped geography (settlements), which
    # may share this database file: check the names that no place carries.
    for name in ("Kadidiatou", "Nafissatou"):
        assert name.encode() not in raw and name.casefold().encode() not in raw
    assert b"66 55 44" not in raw


@pytest.fixture(autouse=True)
def _english_messages():
    """These tests assert the English source messages; the French catalogue is tested in core."""
    with translation.override("en"):
        yield
