"""Restore a backup written by `backup`, then verify every table's count and checksum.

    python manage.py restore /srv/backups/2026-11-22           # into an empty database
    python manage.py restore /srv/backups/2026-11-22 --force   # replace everything in the database

The configured key ring must hold the keys named in the backup's manifest (configure the copy kept
apart, SENTINELLE_FIELD_KEYS_FILE, before restoring). Stop the application and the workers first.
The audit log is rewound to the backup's anchor, and a new anchor records it (sentinelle/core/backups.py).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sentinelle.core.backups import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup directory into the database and verify it against its manifest."

    def add_arguments(self, parser):
        parser.add_argument("src", help="a directory written by `manage.py backup`")
        parser.add_argument("--force", action="store_true", help="replace a database that already holds data")

    def handle(self, *args, **options):
        try:
            restored = restore(Path(options["src"]), force=options["force"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the backup of {restored.created_at}: {restored.tables} tables, "
                f"{restored.rows} rows; counts and checksums match the manifest."
            )
        )
        if restored.migrations:
            self.stdout.write(
                f"The copy was older than the code: {restored.migrations} migration(s) applied."
            )
        if restored.anchor:
            rewound = restored.anchor["detail"]["rewound_to"]
            self.stdout.write(
                f"Audit log rewound to entry #{rewound['head_id']} ({rewound['source']}); "
                f"anchor {restored.anchor['seq']} records the restore."
            )
        if restored.warning:
            self.stderr.write(self.style.WARNING(restored.warning))
