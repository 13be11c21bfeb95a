"""`manage.py backup` / `restore`: round trip with identical counts and checksums, keys kept apart.

Runs on the configured test database: SQLite (online backup API) under `make test`, PostgreSQL
(pg_dump / pg_restore) when DATABASE_URL is postgres.
"""

import base64
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from sentinelle.cases.models import Person
from sentinelle.cases.tests.factories_persons import commune_in, register
from sentinelle.core import audit, backups, crypto
from sentinelle.core.audit import verify_chain
from sentinelle.core.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people(caseworker_in_area, mopti):
    area = commune_in(mopti, "Sévaré")
    return [
        register(caseworker_in_area, area=area, given_name="Aminata", family_name="Traoré"),
        register(caseworker_in_area, area=area, given_name="Moussa", family_name="Coulibaly", sex="m"),
    ]


def manifest_of(path):
    return json.loads((path / backups.MANIFEST).read_text())


def test_round_trip_identical_counts_checksums_and_readable_identities(people, tmp_path, settings):
    dest, keys = tmp_path / "backup", tmp_path / "apart" / "keys.json"
    call_command("backup", str(dest), "--keys-out", str(keys))

    manifest = manifest_of(dest)
    assert manifest["engine"] == connection.vendor
    assert manifest["tables"]["cases_person"]["rows"] == 2
    # The manifest describes the database as it is (the backup entry is inside the copy).
    assert backups.compare(manifest["tables"], backups.current_figures()) == []
    assert AuditEntry.objects.filter(object_type="database.backup").count() == 1

    # The key ring is apart: its own file, and none of its keys in the backup directory.
    ring = crypto.get_keyring()
    assert crypto.parse_keyring(keys.read_text()).keys == ring.keys
    for path in dest.iterdir():
        content = path.read_bytes()
        for key in [*ring.keys.values(), ring.hash_key]:
            assert key not in content and base64.b64encode(key) not in content

    # Changes after the backup ...
    register(people[0].created_by, area=people[0].area, given_name="Fatoumata", family_name="Diarra")
    Person.objects.filter(pk=people[1].pk).update(is_archived=True)
    assert Person.objects.count() == 3

    # ... are not overwritten without --force, and nothing changes.
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(dest))
    assert Person.objects.count() == 3

    call_command("restore", str(dest), "--force")

    after = backups.current_figures()
    audit_table = AuditEntry._meta.db_table
    expected = {name: figures for name, figures in manifest["tables"].items() if name != audit_table}
    assert backups.compare(expected, after) == []
    # The audit chain is the copy's plus the restore entry, and still links.
    assert after[audit_table]["rows"] == manifest["tables"][audit_table]["rows"] + 1
    assert verify_chain() is None
    call_command("audit_verify")
    assert AuditEntry.objects.order_by("-id").first().object_type == "database.restore"

    restored = {person.public_id: person for person in Person.objects.all()}
    assert set(restored) == {person.public_id for person in people}
    assert {restored[person.public_id].given_name for person in people} == {"Aminata", "Moussa"}
    assert not restored[people[1].public_id].is_archived


def test_restore_into_an_empty_database_needs_no_force(people, tmp_path):
    dest = tmp_path / "backup"
    call_command("backup", str(dest))
    manifest = manifest_of(dest)
    call_command("flush", "--no-input", verbosity=0)
    assert Person.objects.count() == 0
    assert backups.holds_data() == []

    call_command("restore", str(dest))

    assert Person.objects.count() == 2
    assert sorted(person.family_name for person in Person.objects.all()) == ["Coulibaly", "Traoré"]
    figures = backups.current_figures()
    assert figures["cases_person"] == manifest["tables"]["cases_person"]
    call_command("audit_verify")


def test_backup_refuses_a_non_empty_directory_and_keys_inside_it(people, tmp_path):
    dest = tmp_path / "backup"
    dest.mkdir()
    (dest / "other").write_text("x")
    with pytest.raises(CommandError, match="not an empty directory"):
        call_command("backup", str(dest))
    with pytest.raises(CommandError, match="inside the backup directory"):
        call_command("backup", str(tmp_path / "new"), "--keys-out", str(tmp_path / "new" / "keys.json"))
    assert not (tmp_path / "new" / backups.MANIFEST).exists()


def test_restore_refuses_a_damaged_copy_and_a_foreign_key_ring(people, tmp_path):
    dest = tmp_path / "backup"
    call_command("backup", str(dest))
    manifest = manifest_of(dest)
    persons = Person.objects.count()

    other_ring = crypto.new_keyring_json("other-1")
    foreign = override_settings(SENTINELLE={**crypto.settings.SENTINELLE, "FIELD_KEYS": other_ring})
    with foreign, pytest.raises(CommandError, match="cannot read this backup"):
        call_command("restore", str(dest), "--force")

    copy = dest / manifest["file"]
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="does not match its manifest"):
        call_command("restore", str(dest), "--force")
    assert Person.objects.count() == persons

    with pytest.raises(CommandError, match="not a Sentinelle backup"):
        call_command("restore", str(tmp_path))


# --- Audit anchors at backup and restore ----------------------------------------------------------


@pytest.fixture
def anchors(settings, tmp_path):
    settings.SENTINELLE = {**settings.SENTINELLE, "AUDIT_ANCHOR_DIR": str(tmp_path / "anchors")}
    return tmp_path / "anchors" / audit.ANCHOR_FILE


def _anchor_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_backup_anchors_the_chain_of_its_copy(people, tmp_path, anchors):
    dest = tmp_path / "backup"
    call_command("backup", str(dest), stdout=io.StringIO())
    anchor = manifest_of(dest)["audit_anchor"]
    # The head of the copy: the backup entry, written just before the copy.
    backup_entry = AuditEntry.objects.get(object_type="database.backup")
    assert (anchor["kind"], anchor["head_id"], anchor["head_hash"]) == (
        "backup",
        backup_entry.pk,
        backup_entry.entry_hash,
    )
    assert anchor["count"] == AuditEntry.objects.filter(pk__lte=backup_entry.pk).count()
    assert audit.anchor_authentic(anchor)
    assert _anchor_lines(anchors)[-1] == anchor  # the same line in the anchor file
    call_command("audit_verify", stdout=io.StringIO())


def test_backup_without_an_anchor_directory_keeps_the_anchor_in_its_manifest(people, tmp_path):
    dest, err = tmp_path / "backup", io.StringIO()
    call_command("backup", str(dest), stdout=io.StringIO(), stderr=err)
    anchor = manifest_of(dest)["audit_anchor"]
    assert anchor["seq"] is None and audit.anchor_authentic(anchor)
    assert "only in the manifest" in err.getvalue()


def test_restore_rewinds_the_log_to_the_backup_anchor_and_verify_passes(people, tmp_path, anchors):
    dest = tmp_path / "backup"
    call_command("backup", str(dest), stdout=io.StringIO())
    backup_anchor = manifest_of(dest)["audit_anchor"]
    # Life goes on after the backup: more entries, anchored.
    register(people[0].created_by, area=people[0].area, given_name="Fatoumata", family_name="Diarra")
    call_command("audit_anchor", stdout=io.StringIO())
    superseded = _anchor_lines(anchors)[-1]
    assert superseded["head_id"] > backup_anchor["head_id"]

    out = io.StringIO()
    call_command("restore", str(dest), "--force", stdout=out)
    assert f"rewound to entry #{backup_anchor['head_id']} (backup anchor)" in out.getvalue()

    restore = _anchor_lines(anchors)[-1]
    assert restore["kind"] == "restore" and audit.anchor_authentic(restore)
    assert restore["detail"]["rewound_to"]["head_id"] == backup_anchor["head_id"]
    assert restore["detail"]["superseded"]["seq"] == superseded["seq"]
    entry = AuditEntry.objects.get(object_type="database.restore")
    assert entry.detail["rewound_to_anchor"]["seq"] == backup_anchor["seq"]
    assert entry.detail["superseded_anchor"]["seq"] == superseded["seq"]
    assert restore["head_id"] == AuditEntry.objects.order_by("-id").first().pk
    verified = io.StringIO()
    call_command("audit_verify", stdout=verified)
    assert "2 anchor(s) hold" in verified.getvalue()  # the backup anchor and the restore's


def test_putting_an_old_copy_back_without_restore_is_a_truncation(people, tmp_path, anchors):
    """An attacker who loads an older copy directly (no audited restore, no audit key) cannot write
    the rewind anchor: the anchors written since say the log was cut."""
    dest = tmp_path / "backup"
    call_command("backup", str(dest), stdout=io.StringIO())
    register(people[0].created_by, area=people[0].area, given_name="Fatoumata", family_name="Diarra")
    call_command("audit_anchor", stdout=io.StringIO())
    content = dest / manifest_of(dest)["file"]
    if connection.vendor == "postgresql":
        backups._restore_postgres(content)
    else:
        backups._restore_sqlite(content)
    with pytest.raises(CommandError, match="truncated"):
        call_command("audit_verify")


def test_restore_refuses_a_manifest_whose_anchor_was_changed(people, tmp_path, anchors):
    dest = tmp_path / "backup"
    call_command("backup", str(dest), stdout=io.StringIO())
    manifest = manifest_of(dest)
    manifest["audit_anchor"]["head_id"] -= 1
    (dest / backups.MANIFEST).write_text(json.dumps(manifest))
    persons = Person.objects.count()
    with pytest.raises(CommandError, match="audit anchor does not authenticate"):
        call_command("restore", str(dest), "--force")
    assert Person.objects.count() == persons
