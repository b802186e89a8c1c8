from django.db import migrations

CATEGORIES = ["industry", "infrastructure", "social", "agriculture", "services", "energy", "other"]


def install(apps, schema_editor):
    from keyprojects.projects.milestone_templates import default_steps

    Step = apps.get_model("projects", "MilestoneTemplateStep")
    for category in CATEGORIES:
        for order, (code, name_zh, name_en, days, limit) in enumerate(default_steps(category), start=1):
            Step.objects.get_or_create(
                county=None,
                category=category,
                code=code,
                defaults={
                    "order": order,
                    "name_zh": name_zh,
                    "name_en": name_en,
                    "days_from_start": days,
                    "time_limit_days": limit,
                },
            )


def remove(apps, schema_editor):
    apps.get_model("projects", "MilestoneTemplateStep").objects.filter(county=None).delete()


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
