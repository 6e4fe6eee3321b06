# Admin's history and any permission an installation gave for these models (say a group
# allowed to edit counsellor profiles) hang on their content type. Moving the content
# types to staff keeps both; otherwise post-migrate would make new staff ones and leave
# the old ones, with their permissions, pointing at models that no longer exist.
# On a fresh install there are no content types yet, and this does nothing.

from django.db import migrations

MOVED = [("routing", "counsellorprofile"), ("frontend", "enrolmentcode")]


def relabel(apps, schema_editor, forward):
    content_type = apps.get_model("contenttypes", "ContentType")
    rows = content_type.objects.using(schema_editor.connection.alias)
    for old_app, model in MOVED:
        source, target = (old_app, "staff") if forward else ("staff", old_app)
        # If post-migrate already made the target's row, leave both rather than clash.
        if not rows.filter(app_label=target, model=model).exists():
            rows.filter(app_label=source, model=model).update(app_label=target)


def to_staff(apps, schema_editor):
    relabel(apps, schema_editor, forward=True)


def back(apps, schema_editor):
    relabel(apps, schema_editor, forward=False)


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("staff", "0001_initial"),
    ]

    operations = [migrations.RunPython(to_staff, back)]
