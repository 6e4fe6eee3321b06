"""Defaults from the domain: numbers shown when closed or in danger, a weekly schedule
and the closed/busy texts. The centre edits all of them in admin."""

from datetime import time

from django.db import migrations

NUMBERS = [
    ("112", "112", "", {
        "sv": "Akut fara: ring 112",
        "en": "Emergency: call 112",
        "ar": "في حالة الخطر الفوري: اتصل بـ 112",
    }),
    ("114 14", "11414", "", {
        "sv": "Polisen, när det inte är akut",
        "en": "Police, non-urgent",
        "ar": "الشرطة، في الحالات غير الطارئة",
    }),
    ("020-50 50 50", "020505050", "", {
        "sv": "Kvinnofridslinjen, dygnet runt, gratis och syns inte på telefonräkningen",
        "en": "Kvinnofridslinjen (national women's helpline), 24/7, free, not shown on the phone bill",
        "ar": "خط Kvinnofridslinjen، على مدار الساعة، مجاني ولا يظهر في فاتورة الهاتف",
    }),
    ("116 111", "116111", "", {
        "sv": "BRIS, för barn och unga",
        "en": "BRIS, for children and young people",
        "ar": "BRIS، للأطفال والشباب",
    }),
    ("hedersfortryck.se", "", "https://hedersfortryck.se/", {
        "sv": "Nationella stödlinjen mot hedersrelaterat våld och förtryck",
        "en": "National helpline against honour-related violence and oppression",
        "ar": "الخط الوطني لمكافحة العنف والقمع المرتبط بالشرف",
    }),
]

TEXTS = {
    "closed": {
        "sv": "Chatten är stängd just nu. Du kan skriva till oss när vi har öppet. Om du är i fara: ring 112.",
        "en": "The chat is closed right now. You can write to us when we are open. If you are in danger: call 112.",
        "ar": "الدردشة مغلقة الآن. يمكنك الكتابة إلينا عندما نكون متاحين. إذا كنت في خطر: اتصل بـ 112.",
    },
    "busy": {
        "sv": "Ingen kan svara just nu. Försök igen om en stund. Om du är i fara: ring 112.",
        "en": "Nobody can answer right now. Please try again in a while. If you are in danger: call 112.",
        "ar": "لا يمكن لأحد الرد الآن. يرجى المحاولة مرة أخرى بعد قليل. إذا كنت في خطر: اتصل بـ 112.",
    },
}


def seed(apps, schema_editor):
    EmergencyNumber = apps.get_model("contacts", "EmergencyNumber")
    Label = apps.get_model("contacts", "EmergencyNumberLabel")
    OpeningHours = apps.get_model("contacts", "OpeningHours")
    ServiceText = apps.get_model("contacts", "ServiceText")
    for order, (number, dial, url, labels) in enumerate(NUMBERS):
        n = EmergencyNumber.objects.create(number=number, dial=dial, url=url, sort_order=order)
        for language, text in labels.items():
            Label.objects.create(number=n, language=language, text=text)
    for weekday in range(5):
        OpeningHours.objects.create(weekday=weekday, opens=time(9, 0), closes=time(16, 0))
    for key, texts in TEXTS.items():
        for language, text in texts.items():
            ServiceText.objects.create(key=key, language=language, text=text)


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
