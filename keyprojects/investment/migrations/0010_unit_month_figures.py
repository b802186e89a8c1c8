"""The unit-month roll-up of the project-month figures and its triggers (see
keyprojects.investment.month_figures), filled from the figures already stored."""

import django.db.models.deletion
from django.db import migrations, models

from keyprojects.investment import month_figures


def install(apps, schema_editor):
    month_figures.install_unit_triggers(schema_editor)


def drop(apps, schema_editor):
    month_figures.drop_unit_triggers(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_province_office'),
        ('investment', '0009_project_month_figures'),
    ]

    operations = [
        migrations.CreateModel(
            name='UnitMonthFigures',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level', models.CharField(choices=[('provincial', 'provincial key project'), ('municipal', 'municipal key project'), ('county', 'county key project')], max_length=20)),
                ('year', models.PositiveSmallIntegerField()),
                ('month', models.PositiveSmallIntegerField(choices=[(1, '1'), (2, '2'), (3, '3'), (4, '4'), (5, '5'), (6, '6'), (7, '7'), (8, '8'), (9, '9'), (10, '10'), (11, '11'), (12, '12')])),
                ('planned', models.DecimalField(decimal_places=2, default=0, max_digits=18)),
                ('completed', models.DecimalField(decimal_places=2, default=0, max_digits=18)),
                ('completed_unverified', models.DecimalField(decimal_places=2, default=0, max_digits=18)),
                ('project_months', models.IntegerField(default=0)),
                ('planned_months', models.IntegerField(default=0)),
                ('reported_months', models.IntegerField(default=0)),
                ('approved_months', models.IntegerField(default=0)),
                ('unit', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='accounts.region')),
            ],
            options={
                'verbose_name': 'unit month in figures',
                'verbose_name_plural': 'unit months in figures',
                'indexes': [models.Index(fields=['year', 'month'], name='unit_figures_period')],
                'constraints': [models.UniqueConstraint(fields=('unit', 'level', 'year', 'month'), name='unit_figures_unique')],
            },
        ),
        migrations.RunPython(install, drop, elidable=False),
    ]
