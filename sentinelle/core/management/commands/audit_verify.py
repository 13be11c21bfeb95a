from django.core.management.base import BaseCommand, CommandError

from sentinelle.core.audit import verify_chain
from sentinelle.core.models import AuditEntry


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; name the first broken link."

    def handle(self, *args, **options):
        broken = verify_chain()
        if broken is not None:
            raise CommandError(
                f"Audit chain broken at entry #{broken.pk} ({broken.at:%Y-%m-%d %H:%M:%S}, "
                f"{broken.action}): it or an earlier entry was changed, removed or inserted."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact ({AuditEntry.objects.count()} entries)."))
