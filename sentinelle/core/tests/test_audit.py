import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from sentinelle.core.audit import GENESIS_HASH, audit_record, verify_chain
from sentinelle.core.models import AuditAction, AuditEntry, AuditOutcome

pytestmark = pytest.mark.django_db


def _close_maintenance_switch():
    """Turn the test database's maintenance switch off for this connection: the trigger is live."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL sentinelle.audit_maintenance = 'off'")
    else:
        connection.ensure_connection()
        connection.connection.create_function("sentinelle_audit_maintenance", 0, lambda: 0)


def _reopen_maintenance_switch():
    if connection.vendor == "sqlite":
        connection.connection.create_function("sentinelle_audit_maintenance", 0, lambda: 1)


def test_entries_form_a_chain(admin):
    first = audit_record(action=AuditAction.LOGIN, user=admin)
    second = audit_record(action=AuditAction.READ, user=admin, obj=admin)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.entry_hash
    assert second.object_type == "accounts.user"
    assert second.object_id == str(admin.public_id)
    assert second.organisation.acronym == "CLUSTER"
    assert verify_chain() is None


def test_verification_names_the_first_tampered_entry(admin):
    entries = [audit_record(action=AuditAction.READ, user=admin, detail={"n": n}) for n in range(4)]
    # Someone with database rights rewrites history (the maintenance switch stands for them
    # disabling the trigger): the chain gives it away.
    AuditEntry.objects.filter(pk=entries[2].pk).update(outcome=AuditOutcome.DENIED)
    broken = verify_chain()
    assert broken is not None and broken.pk == entries[2].pk
    with pytest.raises(CommandError, match=f"#{entries[2].pk}"):
        call_command("audit_verify")


def test_verification_detects_a_removed_entry(admin):
    entries = [audit_record(action=AuditAction.READ, user=admin, detail={"n": n}) for n in range(3)]
    AuditEntry.objects.filter(pk=entries[1].pk).delete()
    assert verify_chain().pk == entries[2].pk


def test_audit_verify_command_passes_on_an_intact_chain(admin, capsys):
    audit_record(action=AuditAction.LOGIN, user=admin)
    call_command("audit_verify")
    assert "intact" in capsys.readouterr().out


def test_the_database_refuses_updates_and_deletes(admin):
    entry = audit_record(action=AuditAction.LOGIN, user=admin)
    try:
        with transaction.atomic():
            _close_maintenance_switch()
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                AuditEntry.objects.filter(pk=entry.pk).update(action=AuditAction.LOGOUT)
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                AuditEntry.objects.filter(pk=entry.pk).delete()
    finally:
        _reopen_maintenance_switch()
    entry.refresh_from_db()
    assert entry.action == AuditAction.LOGIN


def test_the_model_refuses_to_save_twice_or_delete(admin):
    entry = audit_record(action=AuditAction.LOGIN, user=admin)
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    assert AuditEntry.objects.filter(pk=entry.pk, action=AuditAction.LOGIN).exists()
