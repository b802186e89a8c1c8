"""Problem titles, descriptions, resolutions and timeline texts in two fields, one per language; values
written "中文 / English" in one field are split."""

from django.db import migrations, models

from keyprojects.core.bilingual import unglued

TEXTS = {"Problem": ("title", "description", "resolution"), "Event": ("text",)}


def split(apps, schema_editor):
    for model_name, names in TEXTS.items():
        model = apps.get_model("problems", model_name)
        for row in model.objects.only(*(f"{n}_zh" for n in names)).iterator(chunk_size=1000):
            changed = {}
            for name in names:
                text = unglued(getattr(row, f"{name}_zh"))
                if (text.zh, text.en) != (getattr(row, f"{name}_zh"), ""):
                    changed |= {f"{name}_zh": text.zh, f"{name}_en": text.en}
            if changed:
                model.objects.filter(pk=row.pk).update(**changed)


class Migration(migrations.Migration):
    dependencies = [
        ("problems", "0004_alter_historicalproblem_side_alter_problem_side"),
        ("projects", "0008_bilingual_texts"),
    ]

    operations = [
        migrations.RenameField("problem", "title", "title_zh"),
        migrations.AlterField(
            model_name="problem",
            name="title_zh",
            field=models.CharField(blank=True, max_length=200, verbose_name="title (Chinese)"),
        ),
        migrations.AddField(
            model_name="problem",
            name="title_en",
            field=models.CharField(blank=True, max_length=200, verbose_name="title (English)"),
        ),
        migrations.RenameField("historicalproblem", "title", "title_zh"),
        migrations.AlterField(
            model_name="historicalproblem",
            name="title_zh",
            field=models.CharField(blank=True, max_length=200, verbose_name="title (Chinese)"),
        ),
        migrations.AddField(
            model_name="historicalproblem",
            name="title_en",
            field=models.CharField(blank=True, max_length=200, verbose_name="title (English)"),
        ),
        migrations.RenameField("problem", "description", "description_zh"),
        migrations.AlterField(
            model_name="problem",
            name="description_zh",
            field=models.TextField(blank=True, verbose_name="description (Chinese)"),
        ),
        migrations.AddField(
            model_name="problem",
            name="description_en",
            field=models.TextField(blank=True, verbose_name="description (English)"),
        ),
        migrations.RenameField("historicalproblem", "description", "description_zh"),
        migrations.AlterField(
            model_name="historicalproblem",
            name="description_zh",
            field=models.TextField(blank=True, verbose_name="description (Chinese)"),
        ),
        migrations.AddField(
            model_name="historicalproblem",
            name="description_en",
            field=models.TextField(blank=True, verbose_name="description (English)"),
        ),
        migrations.RenameField("problem", "resolution", "resolution_zh"),
        migrations.AlterField(
            model_name="problem",
            name="resolution_zh",
            field=models.TextField(blank=True, verbose_name="what was done (Chinese)"),
        ),
        migrations.AddField(
            model_name="problem",
            name="resolution_en",
            field=models.TextField(blank=True, verbose_name="what was done (English)"),
        ),
        migrations.RenameField("historicalproblem", "resolution", "resolution_zh"),
        migrations.AlterField(
            model_name="historicalproblem",
            name="resolution_zh",
            field=models.TextField(blank=True, verbose_name="what was done (Chinese)"),
        ),
        migrations.AddField(
            model_name="historicalproblem",
            name="resolution_en",
            field=models.TextField(blank=True, verbose_name="what was done (English)"),
        ),
        migrations.RenameField("event", "text", "text_zh"),
        migrations.AlterField(
            model_name="event",
            name="text_zh",
            field=models.TextField(blank=True, verbose_name="text (Chinese)"),
        ),
        migrations.AddField(
            model_name="event",
            name="text_en",
            field=models.TextField(blank=True, verbose_name="text (English)"),
        ),
        migrations.RunPython(split, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="problem",
            constraint=models.CheckConstraint(
                condition=models.Q(("title_en", ""), ("title_zh", ""), _negated=True),
                name="problem_has_a_title_in_some_language",
            ),
        ),
    ]
