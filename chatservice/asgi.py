"""ASGI entry point: HTTP through Django, WebSockets through Channels.

The origin check matters here more than in most apps: visitors are anonymous, so the
only thing that stops another site from opening sockets in a visitor's browser is
that the Origin header must name one of our own hosts.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatservice.settings")
django_asgi_app = get_asgi_application()


def refuse_unsafe_production() -> None:
    """daphne runs no system checks of its own: run ours before taking a single request."""
    from django.conf import settings
    from django.core import checks
    from django.core.exceptions import ImproperlyConfigured

    if settings.PRODUCTION:
        errors = [e for e in checks.run_checks() if e.is_serious()]
        if errors:
            raise ImproperlyConfigured("refusing to start:\n" + "\n".join(str(e) for e in errors))


refuse_unsafe_production()

from channels.auth import AuthMiddlewareStack  # noqa: E402 - needs Django set up first
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from contacts.consumers import CounsellorConsumer, SupervisorConsumer, VisitorConsumer  # noqa: E402

websocket_urlpatterns = [
    path("ws/visitor/", VisitorConsumer.as_asgi()),
    path("ws/console/", CounsellorConsumer.as_asgi()),
    path("ws/supervisor/", SupervisorConsumer.as_asgi()),
]

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
