"""Staff sockets that close when their access is taken away.

A console or dashboard socket is authorised once, at its handshake. Afterwards access
can be taken away in many ways: a password change, removal from the counsellor or
supervisor group, deactivation, deleted sessions (the remedy after a theft, or
``clearsessions``), a removed authenticator. Two mechanisms close the socket:

- **At once:** signals (``staff/signals.py``) send ``staff.recheck`` to every socket of
  the user, on every process (the channel layer); each socket re-checks its own
  session and closes with 4401 if it no longer grants access. Sockets whose session is
  still good stay open.
- **Always, within ``STAFF_RECHECK_SECONDS``:** events are at most once, and a bulk
  change can bypass signals (raw SQL, a truncated table, a restore), so every staff
  socket also re-checks by itself every few seconds (four small queries).

The check is the one the handshake made: the session still exists and belongs to this
user, its auth hash still matches the password (Django's ``_auth_user_hash``), the user
is active and in the group, and with STAFF_2FA the session's device is still theirs.
"""

from __future__ import annotations

import asyncio
import logging
import random
from importlib import import_module
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils.crypto import constant_time_compare

log = logging.getLogger(__name__)


def still_allowed(user_id: int, session_key: str | None, role: str) -> bool:
    """Whether this session still grants this user the role ("counsellor" or "supervisor")."""
    from staff.access import verified_device
    from staff.roles import is_counsellor, is_supervisor

    if not session_key:
        return False
    data = import_module(settings.SESSION_ENGINE).SessionStore(session_key).load()
    if str(data.get(SESSION_KEY)) != str(user_id):
        return False  # deleted, expired or flushed
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    session_hash = data.get(HASH_SESSION_KEY) or ""
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    if not session_hash or not any(constant_time_compare(session_hash, h) for h in hashes):
        return False  # the password changed since this session logged in
    if not verified_device(user, data):
        return False
    return is_counsellor(user) if role == "counsellor" else is_supervisor(user)


class StaffAccessMixin:
    """For the console and dashboard consumers: ``watch_access()`` after accepting,
    ``stop_watching()`` on disconnect; handles the ``staff.recheck`` event."""

    staff_role = ""
    _access_task: asyncio.Task[None] | None = None
    _revoked = False

    def watch_access(self) -> None:
        self._access_task = asyncio.get_running_loop().create_task(self._watch())

    def stop_watching(self) -> None:
        if self._access_task is not None:
            self._access_task.cancel()
            self._access_task = None

    async def _watch(self) -> None:
        interval = float(settings.STAFF_RECHECK_SECONDS)
        await asyncio.sleep(random.uniform(0.5, 1.0) * interval)  # spread the sockets' checks
        while True:  # a timer, not a wait for a condition
            if not await self.check_access():
                return
            await asyncio.sleep(interval)

    async def check_access(self) -> bool:
        """Re-check; close with 4401 if access is gone. Whether the socket stays open."""
        consumer: Any = self
        if self._revoked:
            return False
        scope = consumer.scope
        user, session = scope.get("user"), scope.get("session")
        try:
            ok: bool = await database_sync_to_async(still_allowed)(
                getattr(user, "pk", 0), getattr(session, "session_key", None), self.staff_role
            )
        except Exception:  # the database is down: that takes nobody's access away
            log.warning("staff access re-check failed", exc_info=True)
            return True
        if not ok:
            self._revoked = True
            await consumer.close(code=4401)
        return ok

    async def staff_recheck(self, event: dict[str, Any]) -> None:
        await self.check_access()
