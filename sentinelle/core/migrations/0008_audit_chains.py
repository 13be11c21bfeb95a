"""Audit entries say which of the parallel hash chains they extend (core/audit.py).

Every entry already in the log is in chain 0 (the one chain there was): the column is added with that
default, which PostgreSQL fills without touching rows or firing row triggers. SQLite cannot add a NOT NULL
column in place: Django copies the table into a new one, which drops the append-only triggers of 0002, so
they are created again here (in both directions), as in 0007.
"""

from django.db import migrations, models

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


def refuse_if_chained(apps, schema_editor):
    """Without the column, the entries of the other chains would read as chain 0: the chain would break."""
    AuditEntry = apps.get_model("core", "AuditEntry")
    if AuditEntry.objects.exclude(chain=0).exists():
        raise RuntimeError("Audit entries of several chains exist: migration core.0008 cannot be unapplied.")


def sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0007_audit_scheme")]

    operations = [
        # Reversed, this runs last: the table rebuilt without the column gets its triggers back.
        migrations.RunPython(migrations.RunPython.noop, sqlite_triggers),
        migrations.AddField(
            model_name="auditentry",
            name="chain",
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["chain", "-id"], name="core_audit_chain_head"),
        ),
        migrations.RunPython(sqlite_triggers, refuse_if_chained),
    ]
