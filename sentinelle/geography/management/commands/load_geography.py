"""Load the COD-AB 2015 shipped with Sentinelle (idempotent: run it on every deployment)."""

import time

from django.core.management.base import BaseCommand

from sentinelle.geography.services import cod_version_load_shipped


class Command(BaseCommand):
    help = "Load the shipped OCHA COD-AB Mali 2015 (areas, French names, settlements) if absent."

    def handle(self, *args, **options):
        started = time.perf_counter()
        result = cod_version_load_shipped()
        elapsed = time.perf_counter() - started
        state = "loaded" if result.created else "already loaded"
        counts = ", ".join(f"{name}: {count}" for name, count in result.counts.items())
        default = " (default version)" if result.version.is_default else ""
        self.stdout.write(f"{result.version.code} {state}{default} in {elapsed:.1f} s — {counts}")
