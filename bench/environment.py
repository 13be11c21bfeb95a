"""The bench's environment: where it writes, how Django is set up on the bench database, which cores."""

import os
import shutil
import socket
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).absolute().parent.parent
VAR = ROOT / "var" / "bench"
RESULTS = ROOT / "bench" / "results"
PY = sys.executable
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/sentinelle_bench"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def bench_env(database_url: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "SENTINELLE_DEMO": "true",  # the bench clones the demo (seed_demo)
        "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_COOKIES": "false",
        # OpenRosa answers only over HTTPS: the load tool's devices say so with X-Forwarded-Proto.
        "DJANGO_BEHIND_HTTPS_PROXY": "true",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "DATABASE_URL": database_url,
        "SENTINELLE_VAR_DIR": str(VAR),
        "SENTINELLE_FIELD_KEYS_FILE": str(VAR / "field-keys.json"),
        # The load tool is a handful of accounts doing the work of hundreds: the per-user and per-client
        # throttles (core/throttles.py) would answer 429 to what is load, not abuse. Measured apart.
        "SENTINELLE_THROTTLE_PERSON_SEARCH": "1000000/1h",
        "SENTINELLE_THROTTLE_API_USER": "1000000/1m",
        "SENTINELLE_THROTTLE_API_CLIENT": "1000000/1m",
        "SENTINELLE_THROTTLE_STATS": "1000000/1d",
        "SENTINELLE_THROTTLE_SIGNIN_CLIENT": "1000000/15m",
        "SENTINELLE_THROTTLE_DEVICE_CLIENT": "1000000/15m",
    }


def recreate_database(database_url: str) -> None:
    import psycopg

    url = urlparse(database_url)
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def django_setup(database_url: str) -> None:
    VAR.mkdir(parents=True, exist_ok=True)
    keys = VAR / "field-keys.json"
    if not keys.exists():
        sys.path.insert(0, str(ROOT))
        from sentinelle.core import crypto

        crypto.write_key_file(keys, crypto.new_keyring_json("bench"))
    os.environ.update(bench_env(database_url))
    import django

    django.setup()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(cpus: str) -> list[str]:
    """The command prefix that pins a process to `cpus` (taskset), or nothing where that cannot be done."""
    return ["taskset", "-c", cpus] if cpus and shutil.which("taskset") else []


def split_cores() -> tuple[str, str]:
    """(load tool's core, server's cores): the load tool on the last core, the server on the others, when
    the machine has two or more (PostgreSQL is not pinned: it runs where the kernel puts it)."""
    count = os.cpu_count() or 1
    if count < 2 or not shutil.which("taskset"):
        return "", ""
    return str(count - 1), f"0-{count - 2}" if count > 2 else "0"
