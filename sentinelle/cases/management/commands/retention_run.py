"""Erase the identities the retention rule says are due (cases/services/retention.py).

    python manage.py retention_run            # from the daily timer (deploy/)
    python manage.py retention_run --dry-run  # how many persons would be erased today, nothing written

Prints counts only, never an identity. Each erased person has its audit entry (action "erasure").
"""

from django.core.management.base import BaseCommand

from sentinelle.cases.services.retention import (
    persons_due,
    retention_erase,
    retention_months,
    retention_vacuum,
)


class Command(BaseCommand):
    help = "Erase the identities of persons whose cases closed longer ago than the retention period."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count the persons due; write nothing")

    def handle(self, *args, **options):
        periods = ", ".join(
            f"{case_type}={months}" for case_type, months in sorted(retention_months().items())
        )
        self.stdout.write(
            f"Retention periods (months after closure): {periods or 'none: identities are kept'}."
        )
        if options["dry_run"]:
            self.stdout.write(f"Persons due for erasure today: {persons_due().count()}.")
            return
        run = retention_erase()
        retention_vacuum()
        self.stdout.write(f"Identities erased: {run.persons} persons, {run.cases} cases.")
