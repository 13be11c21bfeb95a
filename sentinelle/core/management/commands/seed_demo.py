from importlib import import_module

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings


class Command(BaseCommand):
    help = (
        "Load the Mali geography and the demo data of every app (each app's demo.seed), then print each "
        "app's demo.summary (the demo sign-ins). Idempotent: a second run changes nothing."
    )

    def handle(self, *args, **options):
        call_command("load_geography", verbosity=options["verbosity"], stdout=self.stdout)
        modules = []
        for config in apps.get_app_configs():
            if not config.name.startswith("sentinelle."):
                continue
            try:
                modules.append(import_module(f"{config.name}.demo"))
            except ModuleNotFoundError as error:
                if error.name != f"{config.name}.demo":
                    raise
        # Demo referrals and alerts would e-mail the demo users: keep those messages out of the console.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            for module in modules:
                with transaction.atomic():
                    module.seed(stdout=self.stdout, style=self.style)
        for module in modules:
            if hasattr(module, "summary"):
                module.summary(stdout=self.stdout, style=self.style)
