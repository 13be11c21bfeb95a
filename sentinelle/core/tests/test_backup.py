"""`manage.py backup` / `restore`: round trip with identical counts and checksums, keys kept apart.

Runs on the configured test database: SQLite (online backup API) under `make test`, PostgreSQL
(pg_dump / pg_restore) when DATABASE_URL is postgres.
"""

import base64
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from sentinelle.cases.models import Person
from sentinelle.cases.tests.factories_persons import commune_in, register
from sentinelle.core import backups, crypto
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
