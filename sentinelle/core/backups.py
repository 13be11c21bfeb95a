"""Backup and restore of the whole database, with a manifest that proves the copy is whole.

    python manage.py backup DEST      # DEST: a new (or empty) directory
    python manage.py restore SRC      # SRC: a directory written by `backup`; --force over existing data

A backup directory holds the database copy and `manifest.json`:
  - PostgreSQL: `database.pgdump`, pg_dump in custom format, taken inside the same REPEATABLE READ
    snapshot as the manifest (pg_export_snapshot), so figures and dump describe the same instant
    while the application keeps writing;
  - SQLite: `database.sqlite3`, a copy made with SQLite's online backup API (consistent while the
    application writes), and the manifest is computed from that copy.
The manifest gives, for every table, its row count and a SHA-256 of its rows in primary-key order
(each value in the database's own text form), plus the identifiers of the field keys the data needs.

The identity key ring (SENTINELLE_FIELD_KEYS / SENTINELLE_FIELD_KEYS_FILE) is NEVER in the backup: a
stolen backup must not reveal identities. `backup --keys-out FILE` writes a copy of the key ring to a
separate file (owner-readable only, refused inside the backup directory) for the operator to store
apart (another medium, another place); without the key ring the restored identities cannot be read.
`restore` refuses a key ring that lacks a key named in the manifest.

Restore refuses a database that already holds data (anything but the migration bookkeeping) unless
--force, replaces the whole database with the copy, then recomputes every count and checksum and
fails loudly on any difference; a copy older than the code's migrations is migrated. The audit chain
is part of the copy; the backup entry is written before the snapshot (so it is inside the copy) and the
restore entry is appended after the verification.

Audit anchors (core/audit.py). Every backup anchors the head of the audit chain AS IT IS IN THE COPY
(read from the copy, or inside the snapshot): the anchor is appended to the anchor file and recorded in
the manifest (`audit_anchor`, authenticated with the audit key). Restoring rewinds the log to that anchor:
entries written after the backup are gone, and so the anchors written since would no longer hold.
`restore` therefore checks the manifest's anchor (it must authenticate, and the restored log must hold
the anchored entry with its digest), appends its own audit entry naming that anchor and the latest
anchor it supersedes, then writes an anchor of kind "restore" that states the rewind; `audit_verify`
checks the anchors from that one on. A forger cannot write such an anchor without the audit key.
"""

import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import dj_database_url
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from sentinelle.core import audit, crypto
from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction, AuditEntry

MANIFEST = "manifest.json"
FORMAT = 1
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.pgdump"
# Tables filled by `migrate` itself: a database holding only these is empty.
BOOKKEEPING_TABLES = {"django_migrations", "django_content_type", "auth_permission", "sqlite_sequence"}
FETCH_ROWS = 2000


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why (nothing was changed)."""


@dataclass
class Restored:
    tables: int
    rows: int
    created_at: str
    migrations: int = 0  # migrations applied to a copy older than the code
    anchor: dict | None = None  # the "restore" anchor written to the anchor file
    warning: str = ""


# --- Checksums ---------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_tables(cursor) -> list[str]:
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return sorted(row[0] for row in cursor.fetchall())


def _sqlite_select(cursor, table: str) -> str:
    cursor.execute(f"PRAGMA table_info({_quote(table)})")
    info = cursor.fetchall()  # cid, name, type, notnull, default, pk
    columns = [row[1] for row in info]
    keys = [row[1] for row in sorted(info, key=lambda row: row[5]) if row[5]] or columns
    # quote() gives every value as SQL text, so no type converter of the connection applies.
    values = " || ',' || ".join(f"quote({_quote(column)})" for column in columns)
    order = ", ".join(_quote(column) for column in keys)
    return f"SELECT {values} FROM {_quote(table)} ORDER BY {order}"  # noqa: S608 (names quoted)


def _postgres_tables(cursor) -> list[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return sorted(row[0] for row in cursor.fetchall())


def _postgres_select(cursor, table: str) -> str:
    cursor.execute(
        """SELECT a.attname FROM pg_index i
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
           WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY a.attnum""",
        [_quote(table)],
    )
    keys = [row[0] for row in cursor.fetchall()]
    order = ", ".join(f"t.{_quote(key)}" for key in keys) if keys else "t::text"
    return f"SELECT t::text FROM {_quote(table)} AS t ORDER BY {order}"  # noqa: S608 (names quoted)


def table_figures(raw, vendor: str) -> dict[str, dict]:
    """{table: {"rows": count, "sha256": digest of the rows in key order}} for every table.

    `raw` is the driver's connection (sqlite3 or psycopg); on PostgreSQL it must be in a transaction,
    and rows stream through a server-side cursor (memory stays flat for millions of rows).
    """
    postgres = vendor == "postgresql"
    meta = raw.cursor()
    tables = _postgres_tables(meta) if postgres else _sqlite_tables(meta)
    select = _postgres_select if postgres else _sqlite_select
    figures = {}
    for table in tables:
        digest, count = hashlib.sha256(), 0
        rows_cursor = raw.cursor(name="sentinelle_backup_rows") if postgres else raw.cursor()
        try:
            rows_cursor.execute(select(meta, table))
            while rows := rows_cursor.fetchmany(FETCH_ROWS):
                for (text,) in rows:
                    digest.update(str(text).encode())
                    digest.update(b"\n")
                count += len(rows)
        finally:
            rows_cursor.close()
        figures[table] = {"rows": count, "sha256": digest.hexdigest()}
    meta.close()
    return figures


def current_figures() -> dict[str, dict]:
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "postgresql":
        if connection.in_atomic_block:
            return table_figures(raw, "postgresql")
        with raw.transaction():
            return table_figures(raw, "postgresql")
    return table_figures(raw, "sqlite")


def compare(expected: dict[str, dict], found: dict[str, dict]) -> list[str]:
    """The differences between the manifest's tables and the database's (tables only in the database,
    e.g. from a newer migration, are not differences)."""
    problems = []
    for table, figures in sorted(expected.items()):
        actual = found.get(table)
        if actual is None:
            problems.append(f"{table}: missing")
        elif actual["rows"] != figures["rows"]:
            problems.append(f"{table}: {actual['rows']} rows, expected {figures['rows']}")
        elif actual["sha256"] != figures["sha256"]:
            problems.append(f"{table}: checksum differs")
    return problems


# --- Keys --------------------------------------------------------------------------------------


def key_summary() -> dict:
    """What the data needs from the key ring, without any key: identifiers and a fingerprint."""
    ring = crypto.get_keyring()
    fingerprint = hmac.new(ring.hash_key, b"sentinelle-backup-fingerprint", hashlib.sha256).hexdigest()
    return {"active": ring.active_id, "ids": sorted(ring.keys), "hash_key_fingerprint": fingerprint[:16]}


def keys_missing(needed: dict) -> list[str]:
    """What the configured key ring lacks to read a backup made with `needed` (empty: nothing)."""
    try:
        have = key_summary()
    except Exception as error:  # no key ring at all
        return [str(error)]
    problems = [
        f"key {key_id!r} is not in the key ring"
        for key_id in needed.get("ids", [])
        if key_id not in have["ids"]
    ]
    if needed.get("hash_key_fingerprint") and needed["hash_key_fingerprint"] != have["hash_key_fingerprint"]:
        problems.append("the hash key differs from the one the backup was made with")
    return problems


def write_keys(path: Path, backup_dir: Path) -> None:
    """Copy the key ring to `path`, never inside the backup directory."""
    path = path.resolve()
    if path == backup_dir.resolve() or backup_dir.resolve() in path.parents:
        raise BackupError("The key ring must not be written inside the backup directory: store it apart.")
    if path.exists():
        raise BackupError(f"{path} exists: not overwritten.")
    inline, source = crypto.keyring_source()
    text = inline or Path(source).read_text(encoding="utf-8")
    crypto.parse_keyring(text)
    crypto.write_key_file(path, text)


# --- Connection parameters ---------------------------------------------------------------------


def _postgres_env() -> tuple[list[str], dict]:
    """pg_dump / pg_restore's connection: the application's, or, behind PgBouncer, the same database reached
    directly (SENTINELLE["DATABASE_DIRECT_URL"]: pg_dump and pg_restore set session state, which a pooler in
    transaction mode does not keep)."""
    config = dict(connection.settings_dict)
    direct = settings.SENTINELLE.get("DATABASE_DIRECT_URL", "")
    if direct:
        parsed = dj_database_url.parse(direct)
        config.update({key: parsed.get(key) for key in ("HOST", "PORT", "USER", "PASSWORD")})
    env = {**os.environ}
    args = []
    if config.get("HOST"):
        args += ["--host", str(config["HOST"])]
    if config.get("PORT"):
        args += ["--port", str(config["PORT"])]
    if config.get("USER"):
        args += ["--username", str(config["USER"])]
    if config.get("PASSWORD"):
        env["PGPASSWORD"] = str(config["PASSWORD"])
    options = config.get("OPTIONS") or {}
    if options.get("options"):
        env["PGOPTIONS"] = options["options"]
    for name, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT")):
        if options.get(name):
            env[variable] = str(options[name])
    args += ["--no-password", "--dbname", str(config["NAME"])]
    return args, env


def _run(command: list[str], env: dict) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


# --- Backup ------------------------------------------------------------------------------------


def _prepare_directory(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} exists and is not an empty directory: choose a new one.")
    dest.mkdir(parents=True, exist_ok=True)
    os.chmod(dest, 0o700)


def backup(dest: Path) -> dict:
    """Copy the database into the new directory `dest`; the manifest written there."""
    dest = Path(dest)
    _prepare_directory(dest)
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"Unsupported database: {vendor}")
    keys = key_summary()
    # Inside the copy, so that the restored chain says when the copy was taken.
    audit_record(
        action=AuditAction.EXPORT,
        object_type="database.backup",
        detail={"operation": "backup", "engine": vendor},
    )
    try:
        if vendor == "postgresql":
            filename, (figures, head) = POSTGRES_FILE, _backup_postgres(dest / POSTGRES_FILE)
        else:
            filename, (figures, head) = SQLITE_FILE, _backup_sqlite(dest / SQLITE_FILE)
    except Exception:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    content = dest / filename
    manifest = {
        "format": FORMAT,
        "application": "sentinelle",
        "created_at": timezone.now().isoformat(),
        "engine": vendor,
        "file": filename,
        "file_sha256": _file_sha256(content),
        "file_bytes": content.stat().st_size,
        "keys": keys,
        "tables": figures,
        "total_rows": sum(table["rows"] for table in figures.values()),
        "audit_anchor": _backup_anchor(head, dest),
    }
    path = dest / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    os.chmod(path, 0o600)
    return manifest


def _backup_anchor(head: audit.Head, dest: Path) -> dict:
    """Anchor the copy's audit head in the anchor file; without one (not configured, or refused), the
    anchor is only in the manifest, saying why: the backup itself must not fail for it."""
    detail = {"backup": dest.name}
    try:
        return audit.write_anchor("backup", head=head, detail=detail)
    except (audit.AnchorError, OSError) as error:
        return audit.make_anchor("backup", head, detail={**detail, "not_in_anchor_file": str(error)})


def _backup_sqlite(target: Path) -> tuple[dict, audit.Head]:
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        # A single self-contained file (the copied header says WAL, which would need -wal/-shm files).
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
    os.chmod(target, 0o600)
    copy = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        return table_figures(copy, "sqlite"), audit.head_in(copy.cursor())
    finally:
        copy.close()


def _backup_postgres(target: Path) -> tuple[dict, audit.Head]:
    args, env = _postgres_env()
    connection.ensure_connection()
    raw = connection.connection  # a connection of our own, outside Django's transaction handling
    if not connection.get_autocommit() or connection.in_atomic_block:
        raise BackupError("A backup cannot run inside a transaction.")
    with raw.transaction(), raw.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                "--file",
                str(target),
                *args,
            ],
            env,
        )
        figures = table_figures(raw, "postgresql")
        head = audit.head_in(cursor)
    os.chmod(target, 0o600)
    return figures, head


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


# --- Restore -----------------------------------------------------------------------------------


def read_manifest(src: Path) -> dict:
    path = Path(src) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path} not found: not a Sentinelle backup directory.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise BackupError(f"{path} is not valid JSON: {error}") from None
    if manifest.get("application") != "sentinelle" or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Sentinelle backup manifest of format {FORMAT}.")
    return manifest


def holds_data() -> list[str]:
    """The tables of the current database that hold rows (bookkeeping of `migrate` aside)."""
    figures = {}
    connection.ensure_connection()
    with connection.cursor() as cursor:
        tables = _postgres_tables(cursor) if connection.vendor == "postgresql" else _sqlite_tables(cursor)
        for table in tables:
            if table in BOOKKEEPING_TABLES:
                continue
            cursor.execute(f"SELECT 1 FROM {_quote(table)} LIMIT 1")  # noqa: S608 (name quoted)
            if cursor.fetchone():
                figures[table] = True
    return sorted(figures)


def restore(src: Path, *, force: bool = False) -> Restored:
    src = Path(src)
    manifest = read_manifest(src)
    vendor = connection.vendor
    if manifest["engine"] != vendor:
        raise BackupError(
            f"This backup is of a {manifest['engine']} database; the configured database is {vendor}."
        )
    content = src / manifest["file"]
    if not content.is_file():
        raise BackupError(f"{content} not found.")
    if _file_sha256(content) != manifest["file_sha256"]:
        raise BackupError(f"{content} does not match its manifest (damaged or changed): not restored.")
    missing = keys_missing(manifest.get("keys", {}))
    if missing:
        raise BackupError(
            "The configured field key ring cannot read this backup's identities: "
            + "; ".join(missing)
            + ". Configure the key ring saved with the backup (SENTINELLE_FIELD_KEYS_FILE)."
        )
    anchor = manifest.get("audit_anchor")  # absent from backups made before anchors
    if anchor is not None and not audit.anchor_authentic(anchor):
        raise BackupError(
            "The backup's audit anchor does not authenticate: its manifest was changed, or the key ring "
            "is not the one the backup was made with. Not restored."
        )
    if not force:
        occupied = holds_data()
        if occupied:
            raise BackupError(
                "The database already holds data (e.g. "
                + ", ".join(occupied[:5])
                + "): restore with --force to replace it all."
            )
    if connection.in_atomic_block:
        raise BackupError("A restore cannot run inside a transaction.")
    superseded = _latest_anchor_or_none()
    if vendor == "postgresql":
        _restore_postgres(content)
    else:
        _restore_sqlite(content)
    problems = compare(manifest["tables"], current_figures())
    if problems:
        raise BackupError("The restored database does not match the manifest: " + "; ".join(problems[:20]))
    migrations = _migrate_if_behind()
    rewound_to = _rewind_target(anchor)
    audit_record(
        action=AuditAction.IMPORT,
        object_type="database.restore",
        detail={
            "operation": "restore",
            "engine": vendor,
            "backup_created_at": manifest["created_at"],
            "tables": len(manifest["tables"]),
            "rows": manifest["total_rows"],
            "migrations_applied": migrations,
            "rewound_to_anchor": _anchor_ref(anchor),
            "superseded_anchor": _anchor_ref(superseded),
        },
    )
    restored = Restored(
        tables=len(manifest["tables"]),
        rows=manifest["total_rows"],
        created_at=manifest["created_at"],
        migrations=migrations,
    )
    try:
        restored.anchor = audit.write_anchor(
            "restore",
            detail={
                "rewound_to": rewound_to,
                "superseded": _anchor_ref(superseded),
                "backup_created_at": manifest["created_at"],
            },
            new_file_reason="restore",
        )
    except audit.AnchorsNotConfigured as error:
        restored.warning = str(error)
    except (audit.AnchorError, OSError) as error:
        raise BackupError(
            f"The database was restored and the restore audited, but its anchor was not written: {error} "
            "Until an anchor states the rewind, audit_verify reports the anchors written after the backup."
        ) from None
    return restored


def _anchor_ref(anchor: dict | None) -> dict | None:
    if not anchor:
        return None
    return {name: anchor.get(name) for name in ("seq", "kind", "at", "head_id", "head_hash", "count")}


def _latest_anchor_or_none() -> dict | None:
    try:
        return audit.latest_anchor()
    except Exception:  # no key ring, unreadable file: the restore does not depend on it
        return None


def _rewind_target(anchor: dict | None) -> dict:
    """The head the restore rewinds to: the backup's anchor, which the restored log must hold; for a
    backup made before anchors, the restored log's own head (vouched for by nothing but the copy)."""
    if anchor is None:
        head = audit.chain_head()
        return {
            "head_id": head.id,
            "head_hash": head.digest,
            "count": head.count,
            "source": "restored database (the backup has no anchor)",
        }
    digest = AuditEntry.objects.filter(pk=anchor["head_id"]).values_list("entry_hash", flat=True).first()
    count = AuditEntry.objects.filter(pk__lte=anchor["head_id"]).count()
    if anchor["head_id"] and (digest, count) != (anchor["head_hash"], anchor["count"]):
        raise BackupError(
            f"The restored audit log does not hold the backup's anchored entry #{anchor['head_id']} with its "
            "digest: the copy does not match its anchor."
        )
    return {**_anchor_ref(anchor), "source": "backup anchor"}


def _migrate_if_behind() -> int:
    """Bring a copy made by older code up to the code's schema (the restore entry needs it)."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        call_command("migrate", interactive=False, verbosity=0)
    return len(plan)


def _restore_sqlite(content: Path) -> None:
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{content}?mode=ro", uri=True)
    try:
        # Page by page over the open database: schema, triggers and rows all come from the copy.
        source.backup(connection.connection)
    finally:
        source.close()
    connection.close()


def _restore_postgres(content: Path) -> None:
    args, env = _postgres_env()
    connection.close()  # hold no lock on the tables about to be replaced
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            *args,
            str(content),
        ],
        env,
    )
    # Fresh planner statistics: a restored database is otherwise planned as if empty.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
