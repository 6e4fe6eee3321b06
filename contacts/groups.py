"""Channel-layer group names, built from ids only (never from anything a user typed)."""

from __future__ import annotations

STAFF_ALL = "staff.all"  # every counsellor console: the queue moved
WAITING = "visitors.waiting"  # every waiting visitor: positions moved
SUPERVISORS = "supervisors"  # every supervisor dashboard: figures or help requests changed


def visitor(contact_id: str) -> str:
    return f"visitor.{contact_id}"


def staff(counsellor_id: int) -> str:
    return f"staff.{counsellor_id}"
