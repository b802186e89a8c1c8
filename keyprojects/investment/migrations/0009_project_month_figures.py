"""The project-month figures the rankings and dashboards read, and the triggers that keep them (see
keyprojects.investment.month_figures), filled from the plans and reports already stored."""

import django.db.models.deletion
from django.db import migrations, models

from keyprojects.investment import month_figures


def install(apps, schema_editor):
    month_figures.install_triggers(schema_editor)


def drop(apps, schema_editor):
    month_figures.drop_triggers(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('investment', '0008_history_address'),
        ('projects', '0010_history_address_column_mapping_history'),
    ]

    operations = [
        migrations.CreateModel(
            name='ProjectMonthFigures',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField()),
                ('month', models.PositiveSmallIntegerField(choices=[(1, '1'), (2, '2'), (3, '3'), (4, '4'), (5, '5'), (6, '6'), (7, '7'), (8, '8'), (9, '9'), (10, '10'), (11, '11'), (12, '12')])),
                ('planned', models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                ('completed', models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                ('completed_unverified', models.DecimalField(decimal_places=2, default=0, max_digits=16)),
                ('reported', models.BooleanField(default=False)),
                ('approved', models.BooleanField(default=False)),
                ('project', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='projects.project')),
            ],
            options={
                'verbose_name': 'project month in figures',
                'verbose_name_plural': 'project months in figures',
                'indexes': [models.Index(fields=['year', 'month'], name='month_figures_period')],
                'constraints': [models.UniqueConstraint(fields=('project', 'year', 'month'), name='month_figures_unique')],
            },
        ),
        migrations.RunPython(install, drop, elidable=False),
    ]
