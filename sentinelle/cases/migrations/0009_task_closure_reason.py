# A task still open when its case closes ends with the case, with the closure's reason (issue 15, item 9);
# the tasks left open on cases closed before this are closed the same way, on the case's closing date.

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def close_tasks_of_closed_cases(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Task = apps.get_model("cases", "Task")
    case = Case.objects.filter(pk=OuterRef("case_id"))
    Task.objects.filter(done_on__isnull=True, case__status="closed", case__closed_on__isnull=False).update(
        done_on=Subquery(case.values("closed_on")[:1]),
        closure_reason=Subquery(case.values("closure_reason")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0008_referral_feedback"),
    ]

    operations = [
        migrations.AddField(
            model_name="task",
            name="closure_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("needs_met", "Needs met, plan completed"),
                    ("transferred", "Transferred to another service"),
                    ("moved", "Moved away / lost contact"),
                    ("declined", "Person declined further services"),
                    ("reunified", "Child reunified / in durable care"),
                    ("adulthood", "Child reached adulthood"),
                    ("deceased", "Deceased"),
                    ("other", "Other"),
                ],
                max_length=16,
                verbose_name="closed with the case",
            ),
        ),
        migrations.RunPython(close_tasks_of_closed_cases, migrations.RunPython.noop),
    ]
