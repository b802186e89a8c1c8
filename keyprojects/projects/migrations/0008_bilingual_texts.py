"""Construction content in two fields, one per language; "中文 / English" values are split."""

from django.db import migrations, models

from keyprojects.core.bilingual import unglued


def split(apps, schema_editor):
    Project = apps.get_model("projects", "Project")
    for project in Project.objects.exclude(construction_content_zh="").only("construction_content_zh"):
        text = unglued(project.construction_content_zh)
        if (text.zh, text.en) != (project.construction_content_zh, ""):
            Project.objects.filter(pk=project.pk).update(
                construction_content_zh=text.zh, construction_content_en=text.en
            )
    # Column mappings offices remembered, and those of pending uploads, name the field by its new name.
    apps.get_model("projects", "ColumnMapping").objects.filter(field="construction_content").update(
        field="construction_content_zh"
    )
    ImportJob = apps.get_model("projects", "ImportJob")
    for job in ImportJob.objects.only("mapping"):
        if "construction_content" in job.mapping.values():
            job.mapping = {
                k: "construction_content_zh" if v == "construction_content" else v for k, v in job.mapping.items()
            }
            job.save(update_fields=["mapping"])


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0007_importjob_file_format_importjob_fingerprint_and_more"),
    ]

    operations = [
        migrations.RenameField("project", "construction_content", "construction_content_zh"),
        migrations.RenameField("historicalproject", "construction_content", "construction_content_zh"),
        migrations.AlterField(
            model_name="project",
            name="construction_content_zh",
            field=models.TextField(blank=True, verbose_name="construction content (Chinese)"),
        ),
        migrations.AlterField(
            model_name="historicalproject",
            name="construction_content_zh",
            field=models.TextField(blank=True, verbose_name="construction content (Chinese)"),
        ),
        migrations.AddField(
            model_name="project",
            name="construction_content_en",
            field=models.TextField(blank=True, verbose_name="construction content (English)"),
        ),
        migrations.AddField(
            model_name="historicalproject",
            name="construction_content_en",
            field=models.TextField(blank=True, verbose_name="construction content (English)"),
        ),
        migrations.RunPython(split, migrations.RunPython.noop),
    ]
