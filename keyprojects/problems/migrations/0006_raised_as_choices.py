from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("problems", "0005_bilingual_texts"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalproblem",
            name="raised_as",
            field=models.CharField(
                choices=[
                    ("office", "county project office"),
                    ("enterprise", "enterprise"),
                    ("leader", "leader in charge"),
                    ("department", "responsible department"),
                ],
                max_length=20,
                verbose_name="raised as",
            ),
        ),
        migrations.AlterField(
            model_name="problem",
            name="raised_as",
            field=models.CharField(
                choices=[
                    ("office", "county project office"),
                    ("enterprise", "enterprise"),
                    ("leader", "leader in charge"),
                    ("department", "responsible department"),
                ],
                max_length=20,
                verbose_name="raised as",
            ),
        ),
    ]
