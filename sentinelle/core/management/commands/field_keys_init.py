from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sentinelle.core import crypto


class Command(BaseCommand):
    help = "Create a field-encryption key file (owner-readable only). Refuses to overwrite one."

    def add_arguments(self, parser):
        parser.add_argument("--path", help="Where to write it (default: SENTINELLE_FIELD_KEYS_FILE).")
        parser.add_argument("--if-missing", action="store_true", help="Do nothing if the file exists.")

    def handle(self, *args, **options):
        target = options["path"] or settings.SENTINELLE.get("FIELD_KEYS_FILE")
        if not target:
            raise CommandError("No path: give --path or set SENTINELLE_FIELD_KEYS_FILE.")
        path = Path(target)
        if path.exists():
            if options["if_missing"]:
                return
            raise CommandError(
                f"{path} exists: it holds keys that decrypt stored identities. Not overwritten."
            )
        crypto.write_key_file(path, crypto.new_keyring_json(timezone.now().strftime("k%Y%m%d%H%M%S")))
        self.stdout.write(f"Key ring written to {path}. Back it up apart from the database.")
