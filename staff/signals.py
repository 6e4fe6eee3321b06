"""Closing a staff member's open consoles and dashboards when their access goes.

Logging out or deactivation closes them at once (``staff.logout``); a password change,
leaving a group, a deleted session or a removed authenticator make each socket re-check
its own session (``staff.recheck``, staff/revocation.py) and close only if it no longer
grants access. Connected in staff/apps.py.

The events go through the channel layer to the user's group (contacts/groups.py), so
they reach the sockets on every process.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def _group_send(user_id: int, event: str) -> None:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from contacts import groups

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(groups.staff(user_id), {"type": event})
    except Exception as exc:
        # A save (a password reset, the demo's accounts before Redis is up) must never
        # fail for this: every staff socket re-checks its session every few seconds anyway.
        logger.warning("could not tell staff sockets (%s); their periodic check will", type(exc).__name__)


def close_staff_sockets(user_id: int) -> None:
    """Tell every open console or dashboard of this user to close."""
    _group_send(user_id, "staff.logout")


def recheck_staff_sockets(user_id: int) -> None:
    """Tell every open console or dashboard of this user, on every process, to re-check
    its own session now and close if it no longer grants access (staff/revocation.py).
    Sent after the change is committed, so the check sees it."""
    from django.db import transaction

    transaction.on_commit(lambda: _group_send(user_id, "staff.recheck"))


def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        close_staff_sockets(user.pk)


def on_user_saving(sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **kwargs: Any) -> None:
    """Note whether this save changes the password hash (set_password, admin, or a hash
    assigned by hand), which ends every session logged in with the old one."""
    instance._staff_password_changed = False
    if raw or instance._state.adding or (update_fields is not None and "password" not in update_fields):
        return
    old = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    instance._staff_password_changed = old is not None and old != instance.password


def on_user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created and not instance.is_active:
        close_staff_sockets(instance.pk)
    elif getattr(instance, "_staff_password_changed", False):
        recheck_staff_sockets(instance.pk)


def on_groups_changed(sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any) -> None:
    """A user left a group (user.groups.remove/clear/set, or group.user_set.…)."""
    if action not in {"pre_clear", "post_clear", "post_remove"}:
        return
    if not reverse:  # instance is the user
        if action != "pre_clear":
            recheck_staff_sockets(instance.pk)
    elif action == "pre_clear":  # instance is the group: remember who is in it
        instance._staff_clearing = list(instance.user_set.values_list("pk", flat=True))
    else:
        members = pk_set if action == "post_remove" else getattr(instance, "_staff_clearing", [])
        for user_id in members or ():
            recheck_staff_sockets(user_id)


def on_session_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    user_id = instance.get_decoded().get("_auth_user_id")
    if user_id:
        recheck_staff_sockets(int(user_id))


def on_device_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    recheck_staff_sockets(instance.user_id)


def connect() -> None:
    """Connect the handlers above (once, from StaffConfig.ready)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.signals import user_logged_out
    from django.contrib.sessions.models import Session
    from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model()
    user_logged_out.connect(on_logout, weak=False)
    pre_save.connect(on_user_saving, sender=user, weak=False)
    post_save.connect(on_user_saved, sender=user, weak=False)
    m2m_changed.connect(on_groups_changed, sender=user.groups.through, weak=False)
    post_delete.connect(on_session_deleted, sender=Session, weak=False)
    post_delete.connect(on_device_deleted, sender=TOTPDevice, weak=False)
