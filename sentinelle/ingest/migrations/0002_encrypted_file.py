import sentinelle.core.fields
from django.db import migrations


def remove_clear_files(apps, schema_editor):
    # Files stored before encryption were in clear: remove them (their jobs keep their history;
    # an unfinished one fails with "upload it again").
    apps.get_model("ingest", "ImportFile").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('ingest', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(remove_clear_files, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='importfile',
            name='content',
            field=sentinelle.core.fields.EncryptedTextField(verbose_name='content'),
        ),
    ]
