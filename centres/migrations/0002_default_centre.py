"""An installation from before centres becomes one centre: its web line keeps the front
page and every opening hour and exception it had. No Swedish holidays are added here:
an upgraded installation stays open exactly when it was open before."""

from django.db import migrations


def forwards(apps, schema_editor):
    Centre = apps.get_model("centres", "Centre")
    Line = apps.get_model("centres", "Line")
    OpeningHours = apps.get_model("contacts", "OpeningHours")
    OpeningException = apps.get_model("contacts", "OpeningException")
    if Centre.objects.exists():
        return
    centre = Centre.objects.create(name="Nexus resurscentrum", slug="nexus", default=True)
    line = Line.objects.create(centre=centre, kind="web", name="Chatt")
    OpeningHours.objects.filter(line__isnull=True).update(line=line)
    OpeningException.objects.filter(line__isnull=True).update(line=line)


def backwards(apps, schema_editor):
    OpeningHours = apps.get_model("contacts", "OpeningHours")
    OpeningException = apps.get_model("contacts", "OpeningException")
    OpeningHours.objects.update(line=None)
    OpeningException.objects.update(line=None)


class Migration(migrations.Migration):
    dependencies = [
        ("centres", "0001_initial"),
        ("contacts", "0007_opening_hours_per_line"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
