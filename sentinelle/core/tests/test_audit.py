import hashlib
import io
import json
import threading
from datetime import UTC

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, OperationalError, connection, connections, transaction
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


def test_legacy_entries_verify_and_the_first_keyed_entry_chains_over_them(admin, anchors, monkeypatch):
    # The legacy entries are in chain 0, the one chain there was: its first keyed entry chains over them.
    monkeypatch.setattr(audit.chain, "CHAINS", 1)
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


# --- Several chains (issue 16: "every audit entry takes one global advisory lock") --------------------

chains_committed = pytest.mark.django_db(transaction=True)  # outside a test transaction, as requests are


def _two_chains(first, second):
    """Two users whose entries go to different chains (their ids differ by less than CHAINS)."""
    assert first.pk % audit.CHAINS != second.pk % audit.CHAINS
    return first, second


@chains_committed
def test_each_user_appends_to_a_chain_of_their_own(admin, monitor):
    admin, monitor = _two_chains(admin, monitor)
    # Entries committed before the test (a session fixture's geography import) stay where they are.
    before = audit.chain_head()
    a1 = audit_record(action=AuditAction.READ, user=admin)
    m1 = audit_record(action=AuditAction.READ, user=monitor)
    a2 = audit_record(action=AuditAction.READ, user=admin)
    m2 = audit_record(action=AuditAction.READ, user=monitor)
    assert (a1.chain, m1.chain) == (admin.pk % audit.CHAINS, monitor.pk % audit.CHAINS)
    assert a2.chain == a1.chain and a2.prev_hash == a1.entry_hash
    assert m2.chain == m1.chain and m2.prev_hash == m1.entry_hash
    assert verify_chain() is None
    head = audit.chain_head()
    assert (head.id, head.digest, head.count) == (m2.pk, m2.entry_hash, before.count + 4)
    others = {(c.chain, c.id, c.count) for c in before.chains if c.chain not in (a1.chain, m1.chain)}
    prior = {c.chain: c.count for c in before.chains}
    assert {(c.chain, c.id, c.count) for c in head.chains} == others | {
        (a1.chain, a2.pk, prior.get(a1.chain, 0) + 2),
        (m1.chain, m2.pk, prior.get(m1.chain, 0) + 2),
    }
    with connection.cursor() as cursor:
        assert audit.head_in(cursor) == head


@chains_committed
def test_the_entries_of_one_transaction_go_to_one_chain(admin, monitor):
    """A transaction holds one chain lock at most: two transactions cannot wait for each other."""
    admin, monitor = _two_chains(admin, monitor)
    heads = {c.chain: c.digest for c in audit.chain_head().chains}  # entries committed before the test
    with transaction.atomic():
        first = audit_record(action=AuditAction.UPDATE, user=admin)
        second = audit_record(action=AuditAction.READ, user=monitor)
        third = audit_record(action=AuditAction.EXPORT, object_type="audit.test", object_id="x")
    assert first.chain == second.chain == third.chain == admin.pk % audit.CHAINS
    assert third.prev_hash == second.entry_hash
    after = audit_record(action=AuditAction.READ, user=monitor)
    assert after.chain == monitor.pk % audit.CHAINS
    assert after.prev_hash == heads.get(after.chain, GENESIS_HASH)  # the transaction left this chain alone
    assert verify_chain() is None


@chains_committed
def test_a_chain_number_is_in_the_mac_and_the_link():
    entry = audit_record(action=AuditAction.READ, object_type="audit.test", object_id="moved")
    assert entry.entry_hash == audit.keyed_hash(entry, crypto.audit_key())
    entry.chain = (entry.chain + 1) % audit.CHAINS or 1
    assert audit.keyed_hash(entry, crypto.audit_key()) != entry.entry_hash


@chains_committed
def test_tampering_in_one_chain_is_caught_among_others(admin, monitor):
    admin, monitor = _two_chains(admin, monitor)
    ours, theirs = [], []
    for n in range(3):  # interleaved in the log
        ours.append(audit_record(action=AuditAction.READ, user=admin, detail={"n": n}))
        theirs.append(audit_record(action=AuditAction.READ, user=monitor, detail={"n": n}))
    assert theirs[0].pk < ours[1].pk < theirs[1].pk < ours[2].pk
    # A removed entry in the middle of one chain, the other chain untouched.
    AuditEntry.objects.filter(pk=ours[1].pk).delete()
    assert verify_chain().pk == ours[2].pk
    with pytest.raises(
        CommandError, match=rf"#{ours[2].pk} .*does not follow the entry before it in its chain"
    ):
        call_command("audit_verify")


@chains_committed
def test_an_entry_moved_to_another_chain_is_caught(admin, monitor):
    admin, monitor = _two_chains(admin, monitor)
    ours = [audit_record(action=AuditAction.READ, user=admin, detail={"n": n}) for n in range(2)]
    theirs = [audit_record(action=AuditAction.READ, user=monitor, detail={"n": n}) for n in range(3)]
    AuditEntry.objects.filter(pk=theirs[1].pk).update(chain=ours[0].chain)
    assert verify_chain().pk == theirs[1].pk


@chains_committed
def test_a_legacy_entry_outside_chain_0_is_a_break():
    forged = AuditEntry(
        at=timezone.now(),
        action=AuditAction.READ,
        outcome=AuditOutcome.OK,
        object_type="legacy.test",
        object_id="forged",
        prev_hash=GENESIS_HASH,
        scheme=AuditEntry.SCHEME_LEGACY,
        chain=3,
    )
    forged.entry_hash = _old_public_hash(forged)
    forged.save()
    assert verify_chain().pk == forged.pk
    with pytest.raises(CommandError, match=rf"#{forged.pk} .*legacy scheme in chain 3"):
        call_command("audit_verify")


@chains_committed
def test_cutting_the_end_of_one_chain_is_caught_by_the_anchor(admin, monitor, anchors):
    admin, monitor = _two_chains(admin, monitor)
    _capture("audit_anchor")
    ours = [audit_record(action=AuditAction.READ, user=admin, detail={"n": n}) for n in range(3)]
    theirs = [audit_record(action=AuditAction.READ, user=monitor, detail={"n": n}) for n in range(2)]
    line = json.loads(_capture("audit_anchor"))
    in_chain = AuditEntry.objects.filter(chain=ours[0].chain).count()  # the anchor file's start may be in it
    assert [ours[0].chain, ours[-1].pk, ours[-1].entry_hash, in_chain] in line["chains"]
    assert line["head_id"] == theirs[-1].pk and line["format"] == 2
    assert "intact" in _capture("audit_verify") and "2 anchor(s) hold" in _capture("audit_verify")
    # The end of the admin's chain is not the end of the log: what is left links perfectly ...
    AuditEntry.objects.filter(pk=ours[-1].pk).delete()
    assert verify_chain() is None
    # ... the anchor of every chain's head says it.
    with pytest.raises(
        CommandError, match=rf"truncated.*#{ours[-1].pk} as the head of chain {ours[0].chain}.*#{ours[1].pk}"
    ):
        call_command("audit_verify")


def test_an_anchor_written_before_the_chains_is_checked_against_the_log(admin, anchors):
    """Format 1 lines (one head, no "chains") hold as they did: the entry at its position in the log."""
    entries = _reads(admin, 3)
    old = audit.make_anchor("command", audit.chain_head(), seq=1, prev="")
    del old["chains"]
    old["format"] = 1
    old["mac"] = audit.anchors._anchor_mac(old, crypto.audit_key())
    anchors.parent.mkdir(parents=True)
    anchors.write_bytes(audit.anchors._encode_line(old))
    assert "1 anchor(s) hold" in _capture("audit_verify")
    AuditEntry.objects.filter(pk=entries[-1].pk).delete()
    with pytest.raises(CommandError, match=rf"truncated.*#{entries[-1].pk} as the head of the log"):
        call_command("audit_verify")


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="advisory locks: PostgreSQL only (SQLite locks the database)"
)


@postgres_only
@pytest.mark.postgres
@chains_committed
def test_on_postgresql_only_entries_of_the_same_chain_wait_for_each_other(admin, monitor):
    """A request holding its chain (a long transaction) delays only those of its chain: an audited read
    of another user goes through at once."""
    admin, monitor = _two_chains(admin, monitor)
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                audit_record(action=AuditAction.UPDATE, user=admin)
                holding.set()
                release.wait(20)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(20)
        with transaction.atomic():
            _lock_timeout("2s")
            read = audit_record(action=AuditAction.READ, user=monitor)
        assert read.pk
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            _lock_timeout("200ms")
            audit_record(action=AuditAction.READ, user=admin)
    finally:
        release.set()
        thread.join()
    assert verify_chain() is None


def _lock_timeout(value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{value}'")
