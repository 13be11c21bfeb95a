import hashlib
import io
import json
from datetime import UTC

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from sentinelle.core import audit, crypto
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


# --- Keyed chain and anchors (finding: "the audit chain can be cut or rewritten") ---------------------


@pytest.fixture
def anchors(settings, tmp_path):
    """An anchor directory of this test's own: the anchor file path."""
    settings.SENTINELLE = {**settings.SENTINELLE, "AUDIT_ANCHOR_DIR": str(tmp_path / "anchors")}
    return tmp_path / "anchors" / audit.ANCHOR_FILE


def _open_maintenance_switch():
    """An attacker with database rights disables the append-only trigger: the maintenance switch
    stands for it (the test settings open it; said again here, on this connection)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET sentinelle.audit_maintenance = 'on'")
    else:
        connection.ensure_connection()
        connection.connection.create_function("sentinelle_audit_maintenance", 0, lambda: 1)


def _old_public_hash(entry):
    """`compute_hash` as it was published before the fix: a plain SHA-256 anyone can recompute."""
    payload = [
        entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        entry.user_id,
        entry.username,
        entry.organisation_id,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.outcome,
        entry.ip,
        entry.detail,
        entry.prev_hash,
    ]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(text.encode()).hexdigest()


def _keyed_with_a_wrong_key(entry):
    return audit.keyed_hash(entry, b"k" * 32)


def _rewrite(entry, hasher, **changes):
    _open_maintenance_switch()
    for name, value in changes.items():
        setattr(entry, name, value)
    entry.entry_hash = hasher(entry)
    AuditEntry.objects.filter(pk=entry.pk).update(entry_hash=entry.entry_hash, **changes)


def _legacy_entries(count, prev=GENESIS_HASH):
    """Entries as the code before the keyed scheme wrote them (what migration 0007 labels legacy)."""
    entries = []
    for number in range(count):
        entry = AuditEntry(
            at=timezone.now(),
            action=AuditAction.READ,
            outcome=AuditOutcome.OK,
            object_type="legacy.test",
            object_id=str(number),
            prev_hash=prev,
            scheme=AuditEntry.SCHEME_LEGACY,
        )
        entry.entry_hash = _old_public_hash(entry)
        entry.save()
        prev = entry.entry_hash
        entries.append(entry)
    return entries


def _reads(user, count):
    return [audit_record(action=AuditAction.READ, user=user, detail={"n": n}) for n in range(count)]


def test_new_entries_are_keyed_with_a_key_that_is_not_the_hash_key(admin):
    entry = audit_record(action=AuditAction.LOGIN, user=admin)
    key = crypto.audit_key()
    assert entry.scheme == AuditEntry.SCHEME_KEYED
    assert key != crypto.get_keyring().hash_key and len(key) == 32
    assert entry.entry_hash == audit.keyed_hash(entry, key) != _old_public_hash(entry)
    entry.refresh_from_db()
    assert audit.compute_hash(entry) == entry.entry_hash  # as read back from the database


def test_truncation_after_an_anchor_is_caught(admin, anchors):
    _capture("audit_anchor")  # the anchor file starts (its start is an entry of its own)
    entries = _reads(admin, 6)
    assert call_command("audit_anchor", stdout=io.StringIO()) is None
    _open_maintenance_switch()
    AuditEntry.objects.filter(pk__gt=entries[2].pk).delete()  # the last three rows
    # The chain alone cannot see it: what is left links perfectly (the finding) ...
    assert verify_chain() is None
    # ... the anchor outside the database does.
    with pytest.raises(CommandError, match=rf"truncated.*#{entries[-1].pk}.*ends at entry #{entries[2].pk}"):
        call_command("audit_verify")


@pytest.mark.parametrize(
    "hasher, changes, message",
    [
        (_old_public_hash, {}, "does not match its hash"),
        (_old_public_hash, {"scheme": AuditEntry.SCHEME_LEGACY}, "legacy scheme after keyed entries"),
        (_keyed_with_a_wrong_key, {}, "does not match its hash"),
    ],
    ids=["old-public-function", "old-function-claiming-legacy", "keyed-wrong-key"],
)
def test_rewriting_the_last_entry_and_recomputing_its_hash_is_caught(
    admin, anchors, hasher, changes, message
):
    _capture("audit_anchor")
    entries = _reads(admin, 4)
    last = entries[-1]
    _rewrite(last, hasher, outcome=AuditOutcome.DENIED, **changes)
    assert verify_chain().pk == last.pk
    with pytest.raises(CommandError, match=rf"#{last.pk} .*{message}"):
        call_command("audit_verify")

    # With an anchor of the rewritten entry's original digest, the anchor says it too.
    AuditEntry.objects.filter(pk=last.pk).delete()
    last = audit_record(action=AuditAction.READ, user=admin)
    call_command("audit_anchor", stdout=io.StringIO())
    _rewrite(last, hasher, outcome=AuditOutcome.DENIED, **changes)
    result = audit.verify_log()
    assert result.broken.pk == last.pk
    assert any(f"#{last.pk} differs from anchor" in problem for problem in result.problems)


def test_legacy_entries_verify_and_the_first_keyed_entry_chains_over_them(admin, anchors):
    legacy = _legacy_entries(3)
    keyed = _reads(admin, 2)
    assert keyed[0].prev_hash == legacy[-1].entry_hash
    call_command("audit_anchor", stdout=io.StringIO())
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert "intact (6 entries" in out.getvalue()  # 3 legacy, 2 keyed, the anchor file's start

    # Rewriting a legacy entry and recomputing the whole legacy chain with the public function
    # still breaks the keyed link over it.
    _rewrite(legacy[1], _old_public_hash, object_id="forged")
    _rewrite(legacy[2], _old_public_hash, prev_hash=legacy[1].entry_hash)
    assert verify_chain().pk == keyed[0].pk


def test_a_legacy_entry_after_keyed_ones_is_a_break(admin, anchors):
    _legacy_entries(2)
    keyed = _reads(admin, 2)
    forged = _legacy_entries(1, prev=keyed[-1].entry_hash)[0]  # an INSERT: the trigger allows it
    assert verify_chain().pk == forged.pk
    with pytest.raises(CommandError, match=rf"#{forged.pk} .*legacy scheme after keyed entries"):
        call_command("audit_verify")


def test_a_valid_chain_with_anchors_passes(admin, anchors):
    _reads(admin, 3)
    first = json.loads(_capture("audit_anchor"))
    assert first["seq"] == 1 and first["kind"] == "command" and audit.anchor_authentic(first)
    assert "unchanged" in _capture("audit_anchor")  # nothing new: no line
    _reads(admin, 2)
    second = json.loads(_capture("audit_anchor"))
    assert (second["seq"], second["prev"]) == (2, first["mac"])
    assert second["head_id"] == AuditEntry.objects.order_by("-id").first().pk
    audit_record(action=AuditAction.LOGOUT, user=admin)

    output = _capture("audit_verify")
    assert "Audit chain intact" in output and "2 anchor(s) hold" in output and "1 entries since" in output
    # The start of the anchor file is itself in the chain.
    assert audit.anchors_started().detail["operation"] == "anchor_file_started"
    assert anchors.stat().st_mode & 0o077 == 0  # owner only


def test_the_worker_anchors_when_due_and_the_log_moved(admin, anchors):
    schedule = audit.AnchorSchedule(minutes=15)
    assert schedule.warning == ""
    _reads(admin, 2)
    assert schedule.tick()["kind"] == "worker"
    audit_record(action=AuditAction.LOGOUT, user=admin)
    assert schedule.tick() is None  # not due for 15 minutes
    schedule.due = 0
    assert schedule.tick()["seq"] == 2
    schedule.due = 0
    assert schedule.tick() is None  # due, but the log has not moved
    assert len(anchors.read_text().splitlines()) == 2


def test_anchor_file_tampering_is_caught(admin, anchors):
    _reads(admin, 2)
    call_command("audit_anchor", stdout=io.StringIO())
    audit_record(action=AuditAction.LOGOUT, user=admin)
    call_command("audit_anchor", stdout=io.StringIO())
    audit_record(action=AuditAction.LOGOUT, user=admin)
    call_command("audit_anchor", stdout=io.StringIO())
    original = anchors.read_text()
    lines = original.splitlines()

    # An edited line (the attacker "moves" the anchored head back to hide a truncation).
    edited = json.loads(lines[2])
    edited["head_id"] -= 1
    anchors.write_text("\n".join([*lines[:2], json.dumps(edited)]) + "\n")
    with pytest.raises(CommandError, match="line 3 does not authenticate"):
        call_command("audit_verify")
    with pytest.raises(CommandError, match="does not authenticate"):
        call_command("audit_anchor")  # nothing is chained to a forged line

    # A removed line.
    anchors.write_text("\n".join([lines[0], lines[2]]) + "\n")
    with pytest.raises(CommandError, match="line 2 does not follow the line before it"):
        call_command("audit_verify")

    anchors.write_text(original)
    call_command("audit_verify", stdout=io.StringIO())


def test_a_removed_anchor_file_is_caught_and_not_silently_restarted(admin, anchors):
    _reads(admin, 2)
    call_command("audit_anchor", stdout=io.StringIO())
    started = audit.anchors_started()
    anchors.unlink()
    with pytest.raises(
        CommandError, match=rf"missing or empty, but anchoring started at entry #{started.pk}"
    ):
        call_command("audit_verify")
    # The worker and the timer refuse to start a fresh file over the loss ...
    assert audit.AnchorSchedule(minutes=15).tick() is None and not anchors.exists()
    with pytest.raises(CommandError, match="anchors were removed"):
        call_command("audit_anchor")
    # ... the operator may, deliberately, and it is audited.
    call_command("audit_anchor", "--new-file", "disk lost", stdout=io.StringIO())
    restart = audit.anchors_started()
    assert restart.pk > started.pk and restart.detail["reason"] == "disk lost"
    assert restart.detail["previous_start"] == started.pk
    call_command("audit_verify", stdout=io.StringIO())


def test_verification_without_an_anchor_directory_warns(admin, settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "AUDIT_ANCHOR_DIR": ""}
    audit_record(action=AuditAction.LOGIN, user=admin)
    out, err = io.StringIO(), io.StringIO()
    call_command("audit_verify", stdout=out, stderr=err)
    assert "NOT anchored" in out.getvalue() and "SENTINELLE_AUDIT_ANCHOR_DIR is not set" in err.getvalue()
    with pytest.raises(CommandError, match="SENTINELLE_AUDIT_ANCHOR_DIR is not set"):
        call_command("audit_anchor")


def _capture(command, *args):
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()
