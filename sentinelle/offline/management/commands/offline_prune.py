"""Cut the stored sync answers no device can ask for again (run nightly by sentinelle-retention.service)."""

from django.core.management.base import BaseCommand

from sentinelle.offline.services import offline_answers_prune


class Command(BaseCommand):
    help = "Cut the offline sync answers past any resend to their status (no identity kept)."

    def handle(self, *args, **options):
        cut = offline_answers_prune()
        self.stdout.write(f"{cut}")
