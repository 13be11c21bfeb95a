"""Audit entries say which hash scheme chains them (core/audit.py).

Every entry already in the log was chained with the plain SHA-256: those rows get `sha256` (LEGACY) as
the column is added, without being updated (PostgreSQL fills an added column's default without touching
rows or firing row triggers). New rows default to `hmac-sha256` (KEYED). SQLite cannot add a NOT NULL
column in place: Django copies the table into a new one, which drops the append-only triggers of 0002,
so they are created again here (in both directions).
"""

from django.db import migrations, models

LEGACY = "sha256"
KEYED = "hmac-sha256"

SQLITE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS core_auditentry_no_update;",
    "DROP TRIGGER IF EXISTS core_auditentry_no_delete;",
    """CREATE TRIGGER core_auditentry_no_update BEFORE UPDATE ON core_auditentry
       WHEN sentinelle_audit_maintenance() = 0
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;""",
    """CREATE TRIGGER core_auditentry_no_delete BEFORE DELETE ON core_auditentry
       WHEN sentinelle_audit_maintenance() = 0
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;""",
]


def refuse_if_keyed(apps, schema_editor):
    """Without the column, keyed entries would read as legacy ones: the whole keyed chain would break."""
    AuditEntry = apps.get_model("core", "AuditEntry")
    if AuditEntry.objects.filter(scheme=KEYED).exists():
        raise RuntimeError("Keyed audit entries exist: migration core.0007 cannot be unapplied.")


def sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0006_throttle_bucket")]

    operations = [
        # Reversed, this runs last: the table rebuilt without the column gets its triggers back.
        migrations.RunPython(migrations.RunPython.noop, sqlite_triggers),
        migrations.SeparateDatabaseAndState(
            # The rows already there are legacy ...
            database_operations=[
                migrations.AddField(
                    model_name="auditentry",
                    name="scheme",
                    field=models.CharField(default=LEGACY, editable=False, max_length=16),
                ),
            ],
            # ... every new one is keyed.
            state_operations=[
                migrations.AddField(
                    model_name="auditentry",
                    name="scheme",
                    field=models.CharField(default=KEYED, editable=False, max_length=16),
                ),
            ],
        ),
        migrations.RunPython(sqlite_triggers, refuse_if_keyed),
    ]
