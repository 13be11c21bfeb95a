"""Back up the whole database into a new directory, with a manifest of counts and checksums.

    python manage.py backup /srv/backups/2026-11-22
    python manage.py backup /srv/backups/2026-11-22 --keys-out /media/usb/sentinelle-keys.json

The identity key ring is never in the backup; --keys-out copies it to a separate file (refused inside
the backup directory) that must be stored apart from the backups. The head of the audit chain in the copy
is anchored (anchor file and manifest). See sentinelle/core/backups.py.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sentinelle.core.backups import BackupError, backup, write_keys


class Command(BaseCommand):
    help = "Back up the database (pg_dump or SQLite online backup) with a manifest; keys apart."

    def add_arguments(self, parser):
        parser.add_argument("dest", help="a new or empty directory for the backup")
        parser.add_argument(
            "--keys-out", help="also copy the field key ring to this file (outside the backup directory)"
        )

    def handle(self, *args, **options):
        dest = Path(options["dest"])
        try:
            if options["keys_out"]:
                # Checked before anything is written.
                write_keys(Path(options["keys_out"]), dest)
            manifest = backup(dest)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {dest} ({manifest['engine']}, {len(manifest['tables'])} tables, "
                f"{manifest['total_rows']} rows, {manifest['file_bytes']} bytes)."
            )
        )
        if options["keys_out"]:
            self.stdout.write(f"Field key ring copied to {options['keys_out']}.")
        anchor = manifest["audit_anchor"]
        if anchor["seq"] is not None:
            self.stdout.write(
                f"Audit chain anchored at entry #{anchor['head_id']} "
                f"(anchor {anchor['seq']}, also in the manifest)."
            )
        else:
            self.stderr.write(
                self.style.WARNING(
                    f"The audit anchor of entry #{anchor['head_id']} is only in the manifest, not in the "
                    f"anchor file: {anchor['detail'].get('not_in_anchor_file', '')}"
                )
            )
        self.stdout.write(
            self.style.WARNING(
                "The identity key ring is NOT in this backup. Without it the identities cannot be read: "
                "keep a copy of the key ring (SENTINELLE_FIELD_KEYS_FILE) stored apart from the backups."
            )
        )
