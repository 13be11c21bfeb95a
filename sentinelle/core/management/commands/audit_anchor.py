"""Write the audit chain's head to the anchor file (SENTINELLE_AUDIT_ANCHOR_DIR), outside the database.

    python manage.py audit_anchor              # from a timer (systemd, cron), e.g. every 15 minutes
    python manage.py audit_anchor --new-file   # the anchor file is lost for good: start a new one (audited)

Nothing is written when the head has not moved since the last anchor. The anchor line is also printed,
so that the timer's log (journald, syslog) can carry it off the machine. See sentinelle/core/audit.py.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from sentinelle.core.audit import AnchorError, anchor_path, write_anchor


class Command(BaseCommand):
    help = "Anchor the audit chain's head in the anchor file (append-only, authenticated lines)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--new-file",
            metavar="REASON",
            help="start a new anchor file although anchoring had started (the old one is lost); audited",
        )

    def handle(self, *args, **options):
        try:
            line = write_anchor("command", skip_if_unchanged=True, new_file_reason=options["new_file"] or "")
        except (AnchorError, OSError) as error:
            raise CommandError(str(error)) from None
        if line is None:
            self.stdout.write(f"Audit chain unchanged since the last anchor in {anchor_path()}.")
            return
        self.stdout.write(json.dumps(line, sort_keys=True, separators=(",", ":")))
