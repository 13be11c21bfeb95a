"""Verify the audit log: the keyed hash chain, and the chain against its anchors outside the database.

    python manage.py audit_verify        # exit 0 when intact; non-zero with the first problem otherwise

Run it from cron and alert on a non-zero exit. See sentinelle/core/audit.py.
"""

from django.core.management.base import BaseCommand, CommandError

from sentinelle.core.audit import verify_log


class Command(BaseCommand):
    help = "Verify the audit log's keyed hash chain and its anchors; name the first problem."

    def handle(self, *args, **options):
        result = verify_log()
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
        if not result.ok:
            raise CommandError("\n".join(result.problems))
        latest = result.latest_anchor
        if latest:
            anchored = (
                f"; {result.anchors_checked} anchor(s) hold, the latest ({latest['kind']}, {latest['at']}) "
                f"at entry #{latest['head_id']}, {result.unanchored} entries since"
            )
        else:
            anchored = "; NOT anchored outside the database"
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact ({result.entries} entries{anchored})."))
