from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings

from sentinelle.core.rollups import rollups_rebuild
from sentinelle.demo import accounts, activities, cases, directory, displacement, monitoring, reports

# In the order of the apps they fill: each seed finds what the ones before it made.
SEEDS = (accounts, directory, monitoring, cases, displacement, activities, reports)


class Command(BaseCommand):
    help = (
        "Load the Mali geography and the demo data of every app (sentinelle/demo/), then print the demo "
        "sign-ins. Idempotent: a second run changes nothing."
    )

    def handle(self, *args, **options):
        call_command("load_geography", verbosity=options["verbosity"], stdout=self.stdout)
        # Demo referrals and alerts would e-mail the demo users: keep those messages out of the console.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            for module in SEEDS:
                with transaction.atomic():
                    module.seed(stdout=self.stdout, style=self.style)
        # Some demo records are shaped with bulk updates around the services (dates spread over months,
        # reviews): the roll-ups are recomputed once from the records, as after any bulk load.
        rollups_rebuild()
        for module in SEEDS:
            if hasattr(module, "summary"):
                module.summary(stdout=self.stdout, style=self.style)
