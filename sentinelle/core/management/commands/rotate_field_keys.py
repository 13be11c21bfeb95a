import json
from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from sentinelle.core import crypto
from sentinelle.core.audit import audit_record
from sentinelle.core.fields import encrypted_fields, keyed_hash_fields
from sentinelle.core.models import AuditAction


class Command(BaseCommand):
    help = (
        "Re-encrypt every identity field with the active key (and recompute keyed hashes). "
        "With --new-key, first add a new key to the key file and make it active."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--new-key", action="store_true", help="Add and activate a new key (key file only)."
        )
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, **options):
        if options["new_key"]:
            self._add_key()
        ring = crypto.get_keyring()
        total = 0
        for model in apps.get_models():
            encrypted = encrypted_fields(model)
            hashed = keyed_hash_fields(model)
            if not encrypted and not hashed:
                continue
            names = [f.attname for f in encrypted + hashed]
            count = self._rotate_model(model, encrypted, hashed, names, options["batch_size"])
            total += count
            self.stdout.write(f"{model._meta.label}: {count} rows re-encrypted")
        audit_record(
            action=AuditAction.KEY_ROTATION,
            object_type="core.keyring",
            object_id=ring.active_id,
            detail={"rows": total},
        )
        self.stdout.write(self.style.SUCCESS(f"Done: {total} rows now use key {ring.active_id}."))

    def _rotate_model(self, model, encrypted, hashed, names, batch_size) -> int:
        count = 0
        manager = model._base_manager
        ids = list(manager.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), batch_size):
            with transaction.atomic():
                rows = list(manager.filter(pk__in=ids[start : start + batch_size]).select_for_update())
                for row in rows:
                    for field in hashed:
                        setattr(row, field.attname, field.compute(row))
                # Plaintext values are re-encrypted by the field on the way back to the database.
                manager.bulk_update(rows, names)
                count += len(rows)
        return count

    def _add_key(self) -> None:
        inline, path = crypto.keyring_source()
        if inline or not path or not Path(path).is_file():
            raise CommandError(
                "--new-key works on a key file. With SENTINELLE_FIELD_KEYS set inline, add the new key "
                "to the JSON yourself, make it 'active', keep the old one, then run this command "
                "without --new-key."
            )
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        key_id = timezone.now().strftime("k%Y%m%d%H%M%S")
        if key_id in data["keys"]:
            raise CommandError("A key with this identifier exists already; wait a second and retry.")
        data["keys"][key_id] = crypto.new_key()
        data["active"] = key_id
        crypto.write_key_file(Path(path), json.dumps(data, indent=2))
        self.stdout.write(f"New active key {key_id} added to {path}.")
