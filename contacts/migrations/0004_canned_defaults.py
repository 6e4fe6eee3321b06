"""A few canned responses to start from; the centre rewrites them in admin."""

from django.db import migrations

CANNED = {
    "hej": {
        "sv": ("Hälsning", "Hej och välkommen! Jag heter {namn}. Du är anonym här. Vad vill du prata om?"),
        "en": ("Greeting", "Hi and welcome! My name is {namn}. You are anonymous here. What would you like to talk about?"),
        "ar": ("تحية", "مرحبًا بك! اسمي {namn}. أنت مجهول الهوية هنا. عن ماذا تريد أن نتحدث؟"),
    },
    "fara": {
        "sv": ("Akut fara", "Om du är i fara just nu, ring 112. Du kan fortsätta skriva till mig samtidigt."),
        "en": ("Danger", "If you are in danger right now, call 112. You can keep writing to me at the same time."),
        "ar": ("خطر", "إذا كنت في خطر الآن، اتصل بـ 112. يمكنك الاستمرار في الكتابة إليّ في نفس الوقت."),
    },
    "hejda": {
        "sv": ("Avslutning", "Tack för att du skrev till oss. Du är alltid välkommen tillbaka. Inget från chatten sparas."),
        "en": ("Closing", "Thank you for writing to us. You are always welcome back. Nothing from the chat is saved."),
        "ar": ("ختام", "شكرًا لأنك كتبت إلينا. أنت مرحب بك دائمًا. لا يتم حفظ أي شيء من الدردشة."),
    },
}


def seed(apps, schema_editor):
    CannedResponse = apps.get_model("contacts", "CannedResponse")
    for shortcut, languages in CANNED.items():
        for language, (title, text) in languages.items():
            CannedResponse.objects.create(shortcut=shortcut, language=language, title=title, text=text)


class Migration(migrations.Migration):
    dependencies = [("contacts", "0003_canned_responses")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
