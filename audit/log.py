"""Writing to and pruning the staff audit log (audit/models.py)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


def record(actor: Any, action: str, detail: str = "", subject: Any = None, centre: str | None = None) -> None:
    """One row: ``actor`` and ``subject`` are users (or user ids, or None); ``centre``
    the live slug of the centre it was done in ("" the default centre), None: none."""
    from django.apps import apps
    from django.contrib.auth import get_user_model

    from audit.models import ACTIONS, DETAILS, AuditEvent

    if action not in {code for code, _label in ACTIONS} or detail not in DETAILS:
        raise ValueError(f"not an audited action: {action!r} {detail!r}")
    users = get_user_model().objects
    if isinstance(actor, int):
        actor = users.filter(pk=actor).first()
    if isinstance(subject, int):
        subject = users.filter(pk=subject).first()
    # By name, not import: centres.models validates hand-overs with routing, and the
    # statistics, which write export rows here, are to know nothing of routing.
    Centre = apps.get_model("centres", "Centre")
    where = None
    if centre is not None:
        found = Centre.objects.filter(default=True) if centre == "" else Centre.objects.filter(slug=centre)
        where = found.first()
    AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_name=actor.get_username() if actor is not None and actor.pk else "",
        action=action,
        detail=detail,
        subject_name=subject.get_username() if subject is not None else "",
        centre=where,
    )


async def arecord(actor: Any, action: str, detail: str = "", subject: Any = None, centre: str | None = None) -> None:
    """``record`` from async code; a failure to write the log never breaks the service."""
    try:
        await database_sync_to_async(record)(actor, action, detail, subject, centre)
    except Exception:
        logger.exception("could not write the audit log (%s)", action)


def prune() -> int:
    """Delete what is older than the retention: the log is kept for a fixed time only."""
    from audit.models import AuditEvent

    cutoff = timezone.now() - timedelta(days=int(settings.AUDIT_RETENTION_DAYS))
    deleted, _ = AuditEvent.objects.filter(at__lt=cutoff).delete()
    return deleted
