from django.urls import path

from contacts import phone

urlpatterns = [
    path("incoming/", phone.incoming, name="phone-incoming"),
    path("language/", phone.language, name="phone-language"),
    path("wait/", phone.wait, name="phone-wait"),
    path("dialled/", phone.dialled, name="phone-dialled"),
    path("status/", phone.status, name="phone-status"),
]
