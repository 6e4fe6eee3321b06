"""Distinct texts for a paused intake and a full queue: a visitor used to be told
"nobody can answer" when a supervisor had paused intake, which is not true. Until the
centre words them in admin, the built-in translated texts (contacts/info.py) are shown."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("contacts", "0005_intake")]
    operations = [
        migrations.AlterField(
            model_name="servicetext",
            name="key",
            field=models.CharField(
                choices=[
                    ("closed", "Shown when the chat is closed"),
                    ("busy", "Shown when nobody can answer right now"),
                    ("paused", "Shown when a supervisor has paused intake"),
                    ("full", "Shown when the queue is at its limit"),
                ],
                max_length=20,
                verbose_name="where it is shown",
            ),
        ),
    ]
