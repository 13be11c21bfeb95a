# The feedback a service returns on a referral: the date of the service, and whether follow-up is needed.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_coarse_age_groups"),
    ]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="service_date",
            field=models.DateField(blank=True, null=True, verbose_name="date of the service"),
        ),
        migrations.AddField(
            model_name="referral",
            name="follow_up_needed",
            field=models.BooleanField(default=False, verbose_name="follow-up needed"),
        ),
        migrations.AddField(
            model_name="referral",
            name="follow_up",
            field=models.TextField(blank=True, verbose_name="follow-up needed: which"),
        ),
    ]
