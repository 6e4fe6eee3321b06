"""Distinct texts for a paused intake and a full queue: a visitor used to be told
"nobody can answer" when a supervisor had paused intake, which is not true. The centre
edits them in admin like the others."""

from django.db import migrations, models

TEXTS = {
    "paused": {
        "sv": "Chatten är pausad en kort stund. Försök igen lite senare, eller använd numren nedan. Om du är i fara: ring 112.",
        "en": "The chat is paused for a short while. Try again a little later, or use the numbers below. If you are in danger: call 112.",
        "ar": "الدردشة متوقفة مؤقتاً لفترة قصيرة. حاول مرة أخرى بعد قليل، أو استخدم الأرقام أدناه. إذا كنت في خطر: اتصل بـ 112.",
    },
    "full": {
        "sv": "Alla rådgivare är upptagna och kön är full. Försök igen om en stund, eller använd numren nedan. Om du är i fara: ring 112.",
        "en": "All counsellors are busy and the queue is full. Try again in a while, or use the numbers below. If you are in danger: call 112.",
        "ar": "جميع المستشارين مشغولون وقائمة الانتظار ممتلئة. حاول مرة أخرى بعد قليل، أو استخدم الأرقام أدناه. إذا كنت في خطر: اتصل بـ 112.",
    },
}


def seed(apps, schema_editor):
    ServiceText = apps.get_model("contacts", "ServiceText")
    for key, texts in TEXTS.items():
        for language, text in texts.items():
            ServiceText.objects.get_or_create(key=key, language=language, defaults={"text": text})


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
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
