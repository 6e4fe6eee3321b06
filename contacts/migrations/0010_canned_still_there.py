"""The canned response behind the console's "are you still there?" button (shortcut
``kvar``), shared by every centre; a centre rewords it in admin, or deletes it to hide
the button."""

from django.db import migrations

STILL_THERE = {
    "sv": ("Är du kvar?", "Är du kvar? Det är ingen brådska. Skriv när du är redo, jag finns här."),
    "en": ("Still there?", "Are you still there? There is no hurry. Write when you are ready, I am here."),
    "ar": ("هل ما زلت هنا؟", "هل ما زلت هنا؟ لا داعي للعجلة. اكتب عندما تكون مستعدًا، أنا هنا."),
}


def seed(apps, schema_editor):
    CannedResponse = apps.get_model("contacts", "CannedResponse")
    for language, (title, text) in STILL_THERE.items():
        if not CannedResponse.objects.filter(shortcut="kvar", language=language, centre=None).exists():
            CannedResponse.objects.create(shortcut="kvar", language=language, title=title, text=text)


class Migration(migrations.Migration):
    dependencies = [("contacts", "0009_intake_per_centre")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
