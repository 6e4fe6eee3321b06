from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def close_staff_sockets(user_id: int) -> None:
    """Tell every open console or dashboard of this user to close."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from contacts import groups

    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(groups.staff(user_id), {"type": "staff.logout"})


def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        close_staff_sockets(user.pk)


def on_user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created and not instance.is_active:
        close_staff_sockets(instance.pk)


class FrontendConfig(AppConfig):
    name = "frontend"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_out
        from django.db.models.signals import post_save

        user_logged_out.connect(on_logout, weak=False)
        post_save.connect(on_user_saved, sender=get_user_model(), weak=False)
