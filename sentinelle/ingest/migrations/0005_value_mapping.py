# Import jobs wait for a mapping of partners' own values (issue 14, point 5).

import django.db.models.deletion
import sentinelle.core.fields
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_alter_organisation_type'),
        ('ingest', '0004_import_job_area'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='importjob',
            name='source',
            field=models.CharField(blank=True, max_length=100, verbose_name='source of the file'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='unmapped',
            field=models.JSONField(blank=True, default=list, verbose_name='values to map'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='value_map',
            field=models.JSONField(blank=True, default=dict, verbose_name='mappings applied'),
        ),
        migrations.AlterField(
            model_name='importjob',
            name='status',
            field=models.CharField(choices=[('uploaded', 'Waiting for validation'), ('validating', 'Validating'), ('invalid', 'Errors found'), ('valid', 'Ready to import'), ('mapping', 'Values to map'), ('committing', 'Importing'), ('committed', 'Imported'), ('failed', 'Failed')], default='uploaded', max_length=16, verbose_name='status'),
        ),
        migrations.CreateModel(
            name='ValueMapping',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name='public identifier')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('is_archived', models.BooleanField(db_index=True, default=False, verbose_name='archived')),
                ('source', models.CharField(blank=True, max_length=100, verbose_name='source of the file')),
                ('source_key', models.CharField(blank=True, max_length=100, verbose_name='source (normalised)')),
                ('kind', models.CharField(max_length=32, verbose_name='kind of records')),
                ('column', models.CharField(max_length=64, verbose_name='column')),
                ('value', sentinelle.core.fields.EncryptedTextField(verbose_name='value in the file')),
                ('value_hash', sentinelle.core.fields.KeyedHashField(blank=True, db_index=True, default='', editable=False, kind='text', max_length=64, source='value', verbose_name='value in the file (keyed hash)')),
                ('code', models.CharField(max_length=64, verbose_name='code')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='created by')),
                ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='value_mappings', to='accounts.organisation', verbose_name='organisation')),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='updated by')),
            ],
            options={
                'verbose_name': 'value mapping',
                'verbose_name_plural': 'value mappings',
                'indexes': [models.Index(fields=['organisation', 'source_key', 'kind'], name='ingest_valu_organis_6368e0_idx')],
                'constraints': [models.UniqueConstraint(fields=('organisation', 'source_key', 'kind', 'column', 'value_hash'), name='ingest_value_mapping_unique')],
            },
        ),
    ]
