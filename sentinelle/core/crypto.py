"""Encryption of identity fields at rest, and keyed hashes for exact look-ups.

Keys live outside the database: a JSON key ring given inline (SENTINELLE_FIELD_KEYS) or in a file
(SENTINELLE_FIELD_KEYS_FILE):

    {"active": "2026-11", "keys": {"2026-11": "<base64 of 32 bytes>"}, "hash_key": "<base64 of 32 bytes>"}

Every ciphertext names the key that made it ("enc1:<key id>:<nonce+ciphertext>"), so old keys keep
decrypting after a rotation until `rotate_field_keys` has re-encrypted every row. The field's identity
is bound as associated data, so a ciphertext copied into another column or model does not decrypt.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import stat
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from sentinelle.core.text import normalise_text

PREFIX = "enc1"
NONCE_BYTES = 12
# HKDF label of the audit chain's key (core/audit.py). A new label means a new audit scheme.
AUDIT_KEY_INFO = b"sentinelle/audit-chain/hmac-sha256/v1"


class DecryptionError(Exception):
    """A stored value could not be decrypted (unknown key or tampered ciphertext)."""


@dataclass(frozen=True)
class KeyRing:
    active_id: str
    keys: dict[str, bytes]
    hash_key: bytes

    def active_key(self) -> bytes:
        return self.keys[self.active_id]


def _decode_key(name: str, value: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"Field key {name!r} is not valid base64.") from exc
    if len(raw) != 32:
        raise ImproperlyConfigured(f"Field key {name!r} must be 32 bytes (AES-256).")
    return raw


def parse_keyring(text: str) -> KeyRing:
    try:
        data = json.loads(text)
        active = data["active"]
        keys = {str(key_id): _decode_key(key_id, value) for key_id, value in data["keys"].items()}
        hash_key = _decode_key("hash_key", data["hash_key"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ImproperlyConfigured(
            "The field key ring must be JSON with 'active', 'keys' and 'hash_key'."
        ) from exc
    if active not in keys:
        raise ImproperlyConfigured(f"The active field key {active!r} is not in the key ring.")
    if ":" in active:
        raise ImproperlyConfigured("Field key identifiers may not contain ':'.")
    return KeyRing(active_id=active, keys=keys, hash_key=hash_key)


@lru_cache(maxsize=4)
def _load_keyring(inline: str, path: str, mtime: float) -> KeyRing:
    if inline:
        return parse_keyring(inline)
    return parse_keyring(Path(path).read_text(encoding="utf-8"))


def keyring_source() -> tuple[str, str]:
    config = settings.SENTINELLE
    return config.get("FIELD_KEYS", ""), config.get("FIELD_KEYS_FILE", "")


# The key file's modification time, looked at most once a second per path: every encryption, decryption
# and keyed hash asks for the ring (a person search decrypts hundreds of values), and two system calls each
# were a seventh of its time. A replaced file (`write_key_file` forgets at once) is read within a second.
KEY_FILE_RECHECK_SECONDS = 1.0
_key_file_seen: dict[str, tuple[float, float]] = {}


def _key_file_mtime(path: str) -> float | None:
    now = time.monotonic()
    seen = _key_file_seen.get(path)
    if seen is not None and now - seen[0] < KEY_FILE_RECHECK_SECONDS:
        return seen[1]
    try:
        status = Path(path).stat()
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    _key_file_seen[path] = (now, status.st_mtime)
    return status.st_mtime


def get_keyring() -> KeyRing:
    inline, path = keyring_source()
    if inline:
        return _load_keyring(inline, "", 0.0)
    mtime = _key_file_mtime(path) if path else None
    if mtime is not None:
        return _load_keyring("", path, mtime)
    raise ImproperlyConfigured(
        "No field encryption keys: set SENTINELLE_FIELD_KEYS or SENTINELLE_FIELD_KEYS_FILE "
        "(python manage.py field_keys_init creates a key file)."
    )


def new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def new_keyring_json(key_id: str) -> str:
    return json.dumps({"active": key_id, "keys": {key_id: new_key()}, "hash_key": new_key()}, indent=2)


def write_key_file(path: Path, content: str) -> None:
    """Replace a key file atomically; only its owner may read it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
    _load_keyring.cache_clear()
    _key_file_seen.clear()


def encrypt(plaintext: str, *, context: str) -> str:
    ring = get_keyring()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(ring.active_key()).encrypt(nonce, plaintext.encode(), context.encode())
    token = base64.urlsafe_b64encode(nonce + sealed).decode()
    return f"{PREFIX}:{ring.active_id}:{token}"


def is_ciphertext(value: str) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX + ":")


def decrypt(value: str, *, context: str) -> str:
    try:
        _prefix, key_id, token = value.split(":", 2)
        key = get_keyring().keys[key_id]
        blob = base64.urlsafe_b64decode(token.encode())
        plain = AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
    except (ValueError, KeyError, InvalidTag) as exc:
        raise DecryptionError(f"Cannot decrypt a value of {context}.") from exc
    return plain.decode()


_NOT_DIGITS = re.compile(r"\D")


def normalise_phone(value: str) -> str:
    digits = _NOT_DIGITS.sub("", value)
    # Mali numbers are 8 digits; the country code (223) is optional when written.
    if len(digits) == 11 and digits.startswith("223"):
        digits = digits[3:]
    if len(digits) == 13 and digits.startswith("00223"):
        digits = digits[5:]
    return digits


NORMALISERS = {"text": normalise_text, "phone": normalise_phone}


def keyed_hash(value: str | None, *, kind: str = "text") -> str:
    """HMAC-SHA256 of the normalised value: equal identities give equal hashes, without decrypting."""
    if not value:
        return ""
    normalised = NORMALISERS[kind](value)
    if not normalised:
        return ""
    return hmac.new(get_keyring().hash_key, normalised.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=4)
def _derive(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material)


def audit_key() -> bytes:
    """The key of the audit chain and its anchors (core/audit.py): HKDF-SHA256 of the key ring's hash key
    under its own label, so never the same bytes as the look-up hash key, and the look-up key cannot be
    computed back from it. The hash key is the one key of the ring that never rotates (every look-up hash
    depends on it), as a chain verified for the life of the log needs; it is already kept apart from the
    database, copied by `backup --keys-out` and checked by `restore`."""
    return _derive(get_keyring().hash_key, AUDIT_KEY_INFO)
