from django.conf import settings
from django.db import migrations, models

from sentinelle.core.migration_ops import AddIndexOnline


class Migration(migrations.Migration):
    # The pairing window's index with the incident's id in it, so that duplicate detection reads the index
    # alone (an index-only scan). Built without blocking writes on PostgreSQL (core/migration_ops.py),
    # before the old one goes: detection is never without its index.
    atomic = False

    dependencies = [
        ("accounts", "0006_offline_devices"),
        ("geography", "0001_initial"),
        ("monitoring", "0012_duplicate_reasons_said_when_read"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexOnline(
            model_name="incident",
            index=models.Index(
                condition=models.Q(("duplicate_of__isnull", True), ("status__in", ["submitted", "verified"])),
                fields=["area", "date_start"],
                include=(
                    "id",
                    "date_end",
                    "organisation",
                    "source_mechanism",
                    "victims_total",
                    "killed_total",
                    "displaced_households",
                    "is_archived",
                ),
                name="monitoring_pair_window",
            ),
        ),
        migrations.RemoveIndex(model_name="incident", name="monitoring_incident_window"),
    ]
