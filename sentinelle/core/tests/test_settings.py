"""An unsafe production configuration must not start."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[3]


def _run(code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SENTINELLE_", "DATABASE_"))}
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", **env})
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=60
    )


def test_debug_off_without_secret_key_refuses_to_start():
    result = _run("import django; django.setup()", DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_debug_defaults_to_off():
    result = _run("import django; django.setup()")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_a_malformed_boolean_is_refused():
    result = _run("import django; django.setup()", DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be a boolean" in result.stderr


def test_production_settings_are_secure_and_deploy_check_wants_keys(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.DEBUG, s.SECURE_HSTS_SECONDS > 0); "
        "from django.core.management import call_command; call_command('check', '--deploy')"
    )
    result = _run(
        code,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="a-long-random-production-secret-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="sentinelle.example.org",
        SENTINELLE_VAR_DIR=str(tmp_path),
    )
    assert result.stdout.splitlines()[0] == "True True False True"
    assert result.returncode != 0
    assert "sentinelle.E001" in result.stderr
    # Without anchors outside the database, a cut audit log would go unseen: the deploy check says so.
    assert "sentinelle.W002" in result.stderr


@pytest.mark.parametrize("value", ["", "not json", '{"active": "a", "keys": {}, "hash_key": "x"}'])
def test_bad_key_rings_fail_the_system_check(value, tmp_path):
    result = _run(
        "import django; django.setup(); "
        "from django.core.management import call_command; call_command('check')",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="s" * 50,
        SENTINELLE_FIELD_KEYS=value,
        SENTINELLE_VAR_DIR=str(tmp_path),
    )
    if value:
        assert result.returncode != 0 and "sentinelle.E002" in result.stderr
    else:
        assert "sentinelle.W001" in result.stderr
