"""Test settings: the real settings with fast hashing and fixed throwaway keys."""

import json
import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault(
    "SENTINELLE_FIELD_KEYS",
    json.dumps(
        {
            "active": "test-1",
            "keys": {"test-1": "dGVzdC1rZXktb25lLTMyLWJ5dGVzLWxvbmctLS0tLS0="},
            "hash_key": "dGVzdC1oYXNoLWtleS0zMi1ieXRlcy1sb25nLS0tLS0=",
        }
    ),
)

# Throttles (core/throttles.py): generous for the suite, whose clients share one address and make hundreds
# of calls; a test of a throttle sets the rate it needs with the `settings` fixture.
for _door in ("SIGNIN_CLIENT", "API_CLIENT", "API_USER", "API_AUTH_FAILURE", "DEVICE_CLIENT"):
    os.environ.setdefault(f"SENTINELLE_THROTTLE_{_door}", "100000/1m")

from config.env import env_bool  # noqa: E402
from config.settings import *  # noqa: E402, F403

if "sentinelle.demo" not in INSTALLED_APPS:  # noqa: F405  (the tests seed the demo)
    INSTALLED_APPS = [*INSTALLED_APPS, "sentinelle.demo"]  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run at once, in the test (core/tasks.py); a test of the queue sets the database backend itself.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

# The test database must be emptied between transactional tests: open the audit trigger's maintenance
# switch for it (tests that prove the trigger close it again on their own connection).
SENTINELLE = {**SENTINELLE, "AUDIT_MAINTENANCE": True}  # noqa: F405
# PgBouncer (DATABASE_PGBOUNCER) refuses startup options: there the pooler sets the switch on each server
# connection it opens (connect_query in .ci/replica's pgbouncer.ini).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool(  # noqa: F405
    "DATABASE_PGBOUNCER", False
):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c sentinelle.audit_maintenance=on"  # noqa: F405
# Static files come from the finders in tests (no collectstatic).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
