import json
import os
import sqlite3
from pathlib import Path

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from sentinelle.accounts.models import User
from sentinelle.core import crypto
from sentinelle.core.crypto import DecryptionError, keyed_hash

pytestmark = pytest.mark.django_db


def _raw(column: str, user: User) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM accounts_user WHERE id = %s", [user.pk])
        return cursor.fetchone()[0]


def test_identity_is_stored_encrypted_and_read_back_in_clear(alpha):
    from sentinelle.accounts.tests.factories import UserFactory

    user = UserFactory(full_name="Aminata Traoré", phone="+223 76 12 34 56")
    stored = _raw("full_name", user)
    assert stored.startswith("enc1:test-1:")
    assert "Aminata" not in stored and "Traor" not in stored
    assert "76 12" not in _raw("phone", user)
    assert User.objects.get(pk=user.pk).full_name == "Aminata Traoré"


def test_each_encryption_differs_and_is_bound_to_its_field():
    one = crypto.encrypt("Mariam", context="accounts.user.full_name")
    two = crypto.encrypt("Mariam", context="accounts.user.full_name")
    assert one != two
    assert crypto.decrypt(one, context="accounts.user.full_name") == "Mariam"
    with pytest.raises(DecryptionError):
        crypto.decrypt(one, context="accounts.user.phone")


def test_a_tampered_ciphertext_does_not_decrypt():
    token = crypto.encrypt("Mariam", context="x")
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(DecryptionError):
        crypto.decrypt(tampered, context="x")


def test_keyed_hash_finds_a_person_without_decrypting():
    from sentinelle.accounts.tests.factories import UserFactory

    user = UserFactory(full_name="Mamadou Touré")
    assert User.objects.filter(full_name_hash=keyed_hash("  MAMADOU toure ")).get() == user
    assert not User.objects.filter(full_name_hash=keyed_hash("Mamadou Traoré")).exists()
    assert keyed_hash("+223 76 12 34 56", kind="phone") == keyed_hash("76123456", kind="phone")


def test_encrypted_fields_cannot_be_queried_by_value():
    with pytest.raises(FieldError):
        list(User.objects.filter(full_name="Mamadou"))


@pytest.mark.sqlite
@pytest.mark.django_db(transaction=True)
def test_raw_database_file_does_not_contain_a_stored_name(tmp_path, settings):
    """Write through a file-backed SQLite database and read its bytes: no name in clear (the PostgreSQL run
    checks the stored column instead)."""
    from sentinelle.accounts.tests.factories import UserFactory

    UserFactory(full_name="Kadidiatou Diakité", phone="+223 66 55 44 33")
    database = tmp_path / "copy.sqlite3"
    with sqlite3.connect(database) as target:
        connection.ensure_connection()
        connection.connection.backup(target)
    raw = Path(database).read_bytes()
    assert b"accounts_user" in raw
    assert b"Kadidiatou" not in raw and "Diakité".encode() not in raw and b"66 55 44" not in raw


def test_rotation_re_encrypts_every_row_with_the_new_key(tmp_path, settings):
    from sentinelle.accounts.tests.factories import UserFactory

    key_file = tmp_path / "keys.json"
    key_file.write_text(crypto.new_keyring_json("old"))
    settings.SENTINELLE = {**settings.SENTINELLE, "FIELD_KEYS": "", "FIELD_KEYS_FILE": str(key_file)}
    user = UserFactory(full_name="Oumou Sangaré")
    assert _raw("full_name", user).startswith("enc1:old:")
    old_hash = User.objects.get(pk=user.pk).full_name_hash

    call_command("rotate_field_keys", "--new-key", stdout=open("/dev/null", "w"))  # noqa: SIM115

    ring = json.loads(key_file.read_text())
    assert ring["active"] != "old" and "old" in ring["keys"]
    assert _raw("full_name", user).startswith(f"enc1:{ring['active']}:")
    assert User.objects.get(pk=user.pk).full_name == "Oumou Sangaré"
    assert User.objects.get(pk=user.pk).full_name_hash == old_hash
    assert oct(key_file.stat().st_mode)[-3:] == "600"


def test_missing_or_malformed_keys_are_refused(settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "FIELD_KEYS": "", "FIELD_KEYS_FILE": "/nonexistent"}
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x", context="y")
    with (
        override_settings(
            SENTINELLE={"FIELD_KEYS": '{"active": "a", "keys": {"a": "c2hvcnQ="}, "hash_key": ""}'}
        ),
        pytest.raises(ImproperlyConfigured, match="32 bytes"),
    ):
        crypto.get_keyring()


def test_field_keys_init_refuses_to_overwrite(tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "k.json"
    call_command("field_keys_init", "--path", str(path), stdout=open("/dev/null", "w"))  # noqa: SIM115
    before = path.read_text()
    with pytest.raises(CommandError, match="Not overwritten"):
        call_command("field_keys_init", "--path", str(path))
    assert path.read_text() == before
    crypto.parse_keyring(before)


def test_a_key_file_replaced_outside_sentinelle_is_read_within_a_second(tmp_path, settings, monkeypatch):
    """The file's modification time is looked at once a second at most (every decryption asks for the
    ring): a file replaced by hand (a restore, an operator) is used within that second."""
    key_file = tmp_path / "keys.json"
    key_file.write_text(crypto.new_keyring_json("first"))
    settings.SENTINELLE = {**settings.SENTINELLE, "FIELD_KEYS": "", "FIELD_KEYS_FILE": str(key_file)}
    clock = [1000.0]
    monkeypatch.setattr(crypto.time, "monotonic", lambda: clock[0])
    crypto._key_file_seen.clear()
    assert crypto.get_keyring().active_id == "first"

    key_file.write_text(crypto.new_keyring_json("second"))
    os.utime(key_file, (2_000_000_000, 2_000_000_000))
    clock[0] += 0.5
    assert crypto.get_keyring().active_id == "first"  # within the second: not looked at again
    clock[0] += 0.6
    assert crypto.get_keyring().active_id == "second"
    key_file.unlink()
    clock[0] += 1.1
    with pytest.raises(ImproperlyConfigured):
        crypto.get_keyring()
