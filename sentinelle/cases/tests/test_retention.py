"""Retention (issue 18, item 5): identities of closed cases erased after the configured period, unless a
case worker recorded why they must be kept; irreversible, audited, gone from the database and from later
backups."""

import datetime
import io
import subprocess

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from sentinelle.cases.models import Case, CaseNote, FollowUp, Person, PersonNameKey
from sentinelle.cases.services.cases import case_close, case_reopen, follow_up_record, note_add
from sentinelle.cases.services.retention import (
    case_retention_hold,
    case_retention_release,
    persons_due,
    retention_erase,
)
from sentinelle.cases.tests.factories_cases import make_case
from sentinelle.cases.tests.factories_persons import commune_in, register
from sentinelle.core import backups
from sentinelle.core.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db

RULES = {"gbv": 24, "child_protection": 60}


# Read when each test runs, not when the module is collected: a run that crosses midnight must not date a
# follow-up before the case it follows (opened at the test's own "now").
def today() -> datetime.date:
    return timezone.localdate()


def later() -> datetime.date:
    """Past the 24 months of GBV, not the 60 of child protection."""
    return today() + datetime.timedelta(days=25 * 31)


@pytest.fixture(autouse=True)
def rules(settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "RETENTION_MONTHS": RULES}


@pytest.fixture
def commune(mopti):
    return commune_in(mopti, "Douentza")


@pytest.fixture
def closed_gbv_case(caseworker_in_area, commune):
    """A GBV case with a note and a follow-up naming the survivor, closed today."""
    person = register(
        caseworker_in_area,
        area=commune,
        given_name="Kadidia",
        family_name="Sangaré",
        phone="76 11 22 33",
        address="Quartier Hamdallaye, près du puits",
    )
    case = make_case(caseworker_in_area, commune, person=person)
    note_add(actor=caseworker_in_area, case=case, text="Kadidia Sangaré reçue avec sa tante.")
    follow_up_record(
        actor=caseworker_in_area, case=case, date=today(), kind="visit", notes="Kadidia va mieux."
    )
    case_close(actor=caseworker_in_area, case=case, reason="needs_met")
    case.refresh_from_db()
    return case


def test_a_closed_gbv_case_is_due_only_after_its_period(closed_gbv_case):
    person = closed_gbv_case.person
    assert person not in persons_due(today=today())
    assert person not in persons_due(today=today() + datetime.timedelta(days=23 * 31))
    assert person in persons_due(today=later())


def test_erasure_empties_identity_digests_keys_and_case_texts_and_keeps_the_statistics(closed_gbv_case):
    person = closed_gbv_case.person
    assert PersonNameKey.objects.filter(person=person).exists()
    before = Person.objects.values("sex", "age_group", "area_id", "person_code").get(pk=person.pk)

    run = retention_erase(today=later())

    assert (run.persons, run.cases) == (1, 1)
    erased = Person.objects.get(pk=person.pk)
    assert erased.identity_erased_at is not None
    assert (erased.given_name, erased.family_name, erased.phone, erased.address, erased.full_name) == (
        "",
    ) * 5
    assert (erased.full_name_hash, erased.phone_hash) == ("", "")
    assert not PersonNameKey.objects.filter(person=person).exists()
    assert set(CaseNote.objects.filter(case=closed_gbv_case).values_list("text", flat=True)) == {""}
    assert set(FollowUp.objects.filter(case=closed_gbv_case).values_list("notes", flat=True)) == {""}
    # The non-identifying record stays, for statistics.
    assert Person.objects.values("sex", "age_group", "area_id", "person_code").get(pk=person.pk) == before
    case = Case.objects.get(pk=closed_gbv_case.pk)
    assert (case.case_type, case.status, case.closed_on, case.closure_reason) == (
        "gbv",
        "closed",
        today(),
        "needs_met",
    )
    (entry,) = AuditEntry.objects.filter(action=AuditAction.ERASURE)
    assert entry.object_id == str(person.public_id) and entry.detail["cases"] == 1
    assert "Kadidia" not in str(entry.detail) and "Sangaré" not in str(entry.detail)


def test_erasure_runs_once(closed_gbv_case):
    retention_erase(today=later())
    again = retention_erase(today=later())

    assert again.persons == 0
    assert AuditEntry.objects.filter(action=AuditAction.ERASURE).count() == 1


def test_what_the_rule_keeps(caseworker_in_area, commune, closed_gbv_case):
    # An open case keeps the identity, whatever the other cases.
    open_too = register(caseworker_in_area, area=commune, given_name="Awa")
    closed = make_case(caseworker_in_area, commune, person=open_too)
    case_close(actor=caseworker_in_area, case=closed, reason="needs_met")
    make_case(caseworker_in_area, commune, person=open_too)
    # A type without a period (general protection) keeps it; a longer period (child protection) too.
    for case_type in ("general_protection", "child_protection"):
        person = register(caseworker_in_area, area=commune, given_name=f"Personne {case_type}")
        case = make_case(caseworker_in_area, commune, person=person, case_type=case_type)
        case_close(actor=caseworker_in_area, case=case, reason="needs_met")
    # A person with no case at all is not under the rule.
    register(caseworker_in_area, area=commune, given_name="Sans dossier")

    assert list(persons_due(today=later())) == [closed_gbv_case.person]
    assert retention_erase(today=later()).persons == 1
    assert Person.objects.filter(identity_erased_at__isnull=False).count() == 1


def test_a_reopened_case_keeps_the_identity(caseworker_in_area, closed_gbv_case):
    case_reopen(actor=caseworker_in_area, case=closed_gbv_case, reason="Nouvel incident signalé.")

    assert retention_erase(today=later()).persons == 0


def test_a_hold_keeps_the_identity_until_it_is_lifted(caseworker_in_area, closed_gbv_case):
    case_retention_hold(
        actor=caseworker_in_area, case=closed_gbv_case, reason="Procédure judiciaire en cours."
    )

    assert retention_erase(today=later()).persons == 0
    assert Person.objects.get(pk=closed_gbv_case.person_id).given_name == "Kadidia"
    held = Case.objects.get(pk=closed_gbv_case.pk)
    assert held.retention_hold_reason == "Procédure judiciaire en cours." and held.retention_hold_by_id

    case_retention_release(actor=caseworker_in_area, case=closed_gbv_case)

    assert retention_erase(today=later()).persons == 1


def test_a_hold_needs_a_reason_and_the_right_to_edit_the_case(caseworker_in_area, outsider, closed_gbv_case):
    with pytest.raises(ValidationError) as refused:
        case_retention_hold(actor=caseworker_in_area, case=closed_gbv_case, reason="  ")
    assert "reason" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        case_retention_hold(actor=outsider, case=closed_gbv_case, reason="Je le garde.")

    case = Case.objects.get(pk=closed_gbv_case.pk)
    assert case.retention_hold_at is None and case.retention_hold_reason == ""
    assert AuditEntry.objects.filter(user=outsider, outcome="denied").exists()


def test_merged_records_are_erased_with_the_person(caseworker_in_area, commune, closed_gbv_case):
    duplicate = register(caseworker_in_area, area=commune, given_name="Kadidia", family_name="Sangare")
    Person.objects.filter(pk=duplicate.pk).update(merged_into=closed_gbv_case.person)

    run = retention_erase(today=later())

    assert run.persons == 2
    assert Person.objects.get(pk=duplicate.pk).given_name == ""
    assert not PersonNameKey.objects.filter(person=duplicate).exists()


def test_the_command_counts_and_erases(closed_gbv_case, settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "RETENTION_MONTHS": {"gbv": 1}}
    Case.objects.filter(pk=closed_gbv_case.pk).update(closed_on=today() - datetime.timedelta(days=62))
    out = io.StringIO()
    call_command("retention_run", "--dry-run", stdout=out)
    assert "Persons due for erasure today: 1." in out.getvalue()
    assert Person.objects.get(pk=closed_gbv_case.person_id).given_name == "Kadidia"

    call_command("retention_run", stdout=out)

    assert "Identities erased: 1 persons, 1 cases." in out.getvalue()
    assert "Kadidia" not in out.getvalue()
    assert Person.objects.get(pk=closed_gbv_case.person_id).given_name == ""


def test_the_case_page_holds_and_lifts(signed_in, caseworker_in_area, closed_gbv_case):
    client = signed_in(caseworker_in_area)
    detail = reverse("cases:case-detail", args=[closed_gbv_case.public_id])
    page = client.get(detail)
    assert b'data-testid="retention"' in page.content

    refused = client.post(reverse("cases:case-retention-hold", args=[closed_gbv_case.public_id]), {})
    assert refused.status_code == 302
    assert Case.objects.get(pk=closed_gbv_case.pk).retention_hold_at is None

    client.post(
        reverse("cases:case-retention-hold", args=[closed_gbv_case.public_id]),
        {"retention-reason": "Enquête de police en cours."},
    )
    assert Case.objects.get(pk=closed_gbv_case.pk).retention_hold_at is not None
    assert "Enquête de police en cours." in client.get(detail).content.decode()

    client.post(reverse("cases:case-retention-release", args=[closed_gbv_case.public_id]))
    assert Case.objects.get(pk=closed_gbv_case.pk).retention_hold_at is None


def _backup_content(dest) -> bytes:
    """Every byte of the backup's database copy (PostgreSQL: the dump restored to SQL text)."""
    if connection.vendor == "postgresql":
        dump = dest / backups.POSTGRES_FILE
        restored = subprocess.run(["pg_restore", "-f", "-", str(dump)], check=True, capture_output=True)  # noqa: S603, S607
        return restored.stdout
    return (dest / backups.SQLITE_FILE).read_bytes()


@pytest.mark.django_db(transaction=True)
def test_erased_identities_are_gone_from_the_database_and_from_a_later_backup(
    caseworker_in_area, commune, tmp_path
):
    person = register(
        caseworker_in_area, area=commune, given_name="Oumou", family_name="Tangara", phone="66 55 44 33"
    )
    case = make_case(caseworker_in_area, commune, person=person)
    note_add(actor=caseworker_in_area, case=case, text="Oumou Tangara orientée vers le CSCOM.")
    case_close(actor=caseworker_in_area, case=case, reason="needs_met")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT given_name, full_name_hash, phone_hash FROM cases_person WHERE id = %s", [person.pk]
        )
        stored = [value for value in cursor.fetchone() if value]
        cursor.execute("SELECT key FROM cases_personnamekey WHERE person_id = %s", [person.pk])
        stored += [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT text FROM cases_casenote WHERE case_id = %s", [case.pk])
        stored += [row[0] for row in cursor.fetchall() if row[0]]
    assert len(stored) >= 5

    retention_erase(today=later())
    call_command("retention_run", stdout=io.StringIO())  # nothing more due; vacuums on PostgreSQL
    call_command("backup", str(tmp_path / "after"), stdout=io.StringIO())

    content = _backup_content(tmp_path / "after")
    assert content  # the copy is there
    for value in [*stored, "Oumou", "Tangara"]:
        assert value.encode() not in content, value
