from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from chatservice import health, metrics
from staff.login import StaffAdminSite, ThrottledLoginForm
from staff.views import second_factor

# Admin's log-in is throttled like the staff log-in, and with STAFF_2FA it asks for the
# authenticator code in the same step and admits only a session that passed it.
admin.site.__class__ = StaffAdminSite
admin.site.site_header = _("Nexus chat — administration")
admin.site.site_title = _("Nexus chat")

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=ThrottledLoginForm), name="login"),
    path("accounts/2fa/", second_factor, name="second-factor"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", metrics.metrics, name="metrics"),
    path("phone/", include("contacts.phone_urls")),
    path("", include("stats.urls")),
    path("", include("frontend.urls")),
]
