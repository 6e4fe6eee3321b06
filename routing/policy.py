"""Routing policy: who is next, who gets them, how long the wait is.

Pure functions over snapshots of live state. No Django, no I/O, no clock: the caller
passes ``now``. The service layer applies a plan with conditional updates in the store,
so two processes planning at once can never both win the same contact or counsellor.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from routing.state import Contact, Counsellor


def queue_key(contact: Contact) -> tuple[int, float, str]:
    """Order of the one queue: in danger now, then returning after a counsellor left,
    then everyone else; within each, longest waiting first."""
    if contact.danger:
        rank = 0
    elif contact.requeued:
        rank = 1
    else:
        rank = 2
    return (rank, contact.enqueued_at, contact.id)


def queue_score(contact: Contact) -> float:
    """``queue_key`` folded into one number for a sorted set (rank, then time in ms)."""
    rank, enqueued_at, _ = queue_key(contact)
    return rank * 1e13 + round(enqueued_at * 1000)


def ordered(contacts: Iterable[Contact]) -> list[Contact]:
    return sorted(contacts, key=queue_key)


def can_take_more(counsellor: Counsellor, *, now: float) -> bool:
    return (
        counsellor.rest_until <= now  # a breather after a conversation
        and counsellor.state == "available"
        and counsellor.gone_at == 0
        and counsellor.offers == 0
        and counsellor.load < counsellor.capacity
        # A call of a centre that keeps calls and chats apart occupies a counsellor fully.
        and not (counsellor.on_call and counsellor.apart)
    )


def room_at(counsellor: Counsellor, contact: Contact) -> bool:
    """Whether the counsellor's membership of the contact's centre leaves room for one
    more of its conversations (``load_at`` as the service counted them)."""
    limit = counsellor.capacity_for(contact.centre)
    return not limit or counsellor.load_at.get(contact.centre, 0) < limit


def channels_allow(counsellor: Counsellor, contact: Contact, *, mixed: Collection[str] = ()) -> bool:
    """Whether what the counsellor is already in leaves room for this contact's channel.

    Never two calls at once. A call beside chats, or a chat beside a call, only when the
    contact's centre and the centres of every conversation the counsellor is in allow
    it (``mixed``: the centres whose ``channels_apart`` is off; ``counsellor.apart``: one
    of the conversations is of a centre that keeps them apart)."""
    if contact.channel == "phone" and counsellor.on_call:
        return False
    other_channel = counsellor.on_call if contact.channel == "chat" else counsellor.load > 0
    return not other_channel or (contact.centre in mixed and not counsellor.apart)


def serves_centre(counsellor: Counsellor, contact: Contact) -> bool:
    """Whether the contact is in the queue of a centre this counsellor works for."""
    return contact.centre in (counsellor.centres or ("",))


def may_serve(
    counsellor: Counsellor, contact: Contact, *, now: float, overflow_after: float, mixed: Collection[str] = ()
) -> bool:
    """Whether this counsellor may be offered this contact at all (ignoring capacity)."""
    if not serves_centre(counsellor, contact):
        return False  # another centre's contact: never offered, whatever the overflow
    if contact.skill and contact.skill not in counsellor.skills_for(contact.centre):
        return False
    if not room_at(counsellor, contact):
        return False
    if contact.not_for == counsellor.id:
        return False
    if contact.channel == "phone" and not counsellor.phone:
        return False  # a call goes to someone on phone duty: a work phone to ring
    if not channels_allow(counsellor, contact, mixed=mixed):
        return False
    if contact.language in counsellor.languages_for(contact.centre):
        return True
    return now - max(contact.enqueued_at, contact.routed_at) >= overflow_after


@dataclass(frozen=True)
class Offer:
    contact_id: str
    counsellor_id: int


def plan_offers(
    queue: Sequence[Contact],
    counsellors: Sequence[Counsellor],
    *,
    now: float,
    overflow_after: float,
    mixed: Collection[str] = (),
) -> list[Offer]:
    """Match waiting contacts to free counsellors, head of the queue first.

    A counsellor who speaks the contact's language is preferred even after overflow;
    among equals, the one idle longest gets it. Each counsellor gets at most one offer.
    """
    free = [c for c in counsellors if can_take_more(c, now=now)]
    plan: list[Offer] = []
    # A visitor whose page is gone is not offered: nobody would answer, and a flood of
    # abandoned starts would otherwise hold every counsellor on empty offers while a real
    # visitor waits. If the page comes back within the grace, its place is still there.
    for contact in ordered(c for c in queue if c.state == "queued" and not c.visitor_gone_at):
        if not free:
            break
        candidates = [c for c in free if may_serve(c, contact, now=now, overflow_after=overflow_after, mixed=mixed)]
        if not candidates:
            continue
        best = min(
            candidates,
            key=lambda c: (contact.language not in c.languages_for(contact.centre), c.free_since, c.id),
        )
        plan.append(Offer(contact.id, best.id))
        free.remove(best)
    return plan


def estimate_wait_seconds(
    position: int,
    counsellors: Sequence[Counsellor],
    *,
    mean_handle_seconds: float,
) -> int | None:
    """An honest estimate of the wait for the contact at ``position`` (1 = next).

    Free slots take the first contacts at once; the rest wait for conversations to end,
    at a rate of one per ``mean_handle / slots``. None when nobody is on duty, because
    then there is no honest number to give.
    """
    working = [c for c in counsellors if c.state in ("available", "away") and c.gone_at == 0]
    slots = sum(c.capacity for c in working if c.state == "available")
    if slots == 0:
        return None
    # A pending offer is a slot about to be filled by a contact ahead in the queue (offers
    # go to the head first), so it counts as free here, not as taken.
    free = sum(max(0, c.capacity - c.load) for c in working if c.state == "available")
    if position <= free:
        return 0
    ahead = position - free
    return math.ceil(ahead / slots * mean_handle_seconds)


def counsellors_on_duty(counsellors: Iterable[Counsellor], channel: str = "chat") -> int:
    """Counsellors on shift who could take this channel (on a break counts: they come
    back to the queue). A call needs someone on phone duty, or it would wait forever."""
    return sum(1 for c in counsellors if c.state != "off" and (channel != "phone" or c.phone))
