"""Start-up checks: production refuses to run on an unsafe or embedded configuration."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=False)
def production_settings(app_configs: Any, **kwargs: Any) -> list[Error]:
    if not settings.PRODUCTION:
        return []
    errors: list[Error] = []

    def refuse(msg: str, hint: str, code: str) -> None:
        errors.append(Error(msg, hint=hint, id=f"chatservice.{code}"))

    if settings.DEBUG:
        refuse("DEBUG is on in production.", "Unset DEBUG.", "E001")
    if len(settings.SECRET_KEY) < 50 or len(set(settings.SECRET_KEY)) < 10:
        refuse(
            "SECRET_KEY is missing or weak.", "Set SECRET_KEY (or SECRET_KEY_FILE) to 50+ random characters.", "E002"
        )
    if len(settings.STATE_KEY) != 64:
        refuse("STATE_KEY is missing.", "Set STATE_KEY to 64 hex characters (32 random bytes).", "E003")
    if settings.STATE_KEY_PREVIOUS and (
        len(settings.STATE_KEY_PREVIOUS) != 64 or settings.STATE_KEY_PREVIOUS == settings.STATE_KEY
    ):
        refuse(
            "STATE_KEY_PREVIOUS is not a different 64-hex-character key.",
            "Set it to the STATE_KEY being replaced, or unset it (docs/deployment.md, key rotation).",
            "E010",
        )
    if not settings.ALLOWED_HOSTS or any("*" in h for h in settings.ALLOWED_HOSTS):
        refuse("ALLOWED_HOSTS is empty or has a wildcard.", "List the service's host names.", "E004")
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        refuse("Production needs PostgreSQL.", "Set DATABASE_URL=postgres://...", "E005")
    if not settings.REDIS_URL:
        refuse("Production needs Redis.", "Set REDIS_URL=redis://...", "E006")
    twilio = [settings.TWILIO_AUTH_TOKEN, settings.PUBLIC_BASE_URL, settings.TWILIO_CALLER_ID]
    if any(twilio) and not all(twilio):
        # Without the caller ID, Twilio would show the caller's number on the counsellor's phone.
        refuse(
            "Phone contacts are half configured.",
            "Set TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL and TWILIO_CALLER_ID together (docs/telephony.md).",
            "E008",
        )
    if settings.PUBLIC_BASE_URL and not settings.PUBLIC_BASE_URL.startswith("https://"):
        refuse("PUBLIC_BASE_URL must be https.", "Twilio signs the https address it calls.", "E009")
    api = urlsplit(settings.TWILIO_API_URL)
    if api.scheme != "https" and not (api.scheme == "http" and api.hostname in {"127.0.0.1", "::1", "localhost"}):
        # The deletions carry the account's credentials in the clear otherwise.
        refuse(
            "TWILIO_API_URL must be https (or http to the loopback interface).",
            "Unset it to use Twilio's own API.",
            "E011",
        )
    if not settings.STAFF_2FA:
        refuse("Staff must use a second factor in production.", "Unset STAFF_2FA (it defaults to on).", "E007")
    return errors


# Settings that the admin now holds per centre: one still set in the environment does
# nothing, and an operator who set it should hear so rather than believe it applies.
MOVED_TO_CENTRES = {
    "PHONE_EXCLUSIVE": "Set 'calls and chats apart' on each centre in admin (the upgrade copied the value).",
}


@register(deploy=False)
def settings_moved_to_centres(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    import os

    return [
        checks.Warning(f"{name} is no longer read.", hint=hint, id="chatservice.W101")
        for name, hint in MOVED_TO_CENTRES.items()
        if name in os.environ
    ]
