from django.urls import path

from frontend import views

urlpatterns = [
    path("", views.visitor, name="visitor"),
    path("chat/", views.visitor, name="chat"),
    path("i18n/<str:code>.json", views.visitor_catalog, name="catalog"),
    path("console/", views.console, name="console"),
    path("supervisor/", views.supervisor, name="supervisor"),
    path("supervisor/audit/", views.audit_log, name="audit-log"),
    # A centre's own page, /<its address>/ (centres/models.py): last, so that no centre
    # can take the path of another page; the admin refuses those addresses too.
    path("<slug:centre>/", views.visitor, name="centre"),
]
