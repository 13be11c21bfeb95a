from importlib import import_module

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction


class Command(BaseCommand):
    help = (
        "Load the Mali geography and the demo data of every app (each app's demo.seed). "
        "Idempotent: a second run changes nothing and only prints the demo sign-ins."
    )

    def handle(self, *args, **options):
        call_command("load_geography", verbosity=options["verbosity"], stdout=self.stdout)
        for config in apps.get_app_configs():
            if not config.name.startswith("sentinelle."):
                continue
            try:
                module = import_module(f"{config.name}.demo")
            except ModuleNotFoundError as error:
                if error.name != f"{config.name}.demo":
                    raise
                continue
            with transaction.atomic():
                module.seed(stdout=self.stdout, style=self.style)
