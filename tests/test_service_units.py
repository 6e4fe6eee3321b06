"""Each job of contacts/service/, called directly on the embedded store: no socket, no
consumer. The endpoint tests drive the same code through frames; these pin down what
each job itself promises, so a job can be changed and checked on its own."""

from __future__ import annotations

import time
from typing import Any

import pytest

from contacts.service import Closed, Service, Started
from routing.state import Counsellor

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.parametrize("backend", ["memory"], indirect=True),
]


@pytest.fixture(autouse=True)
def _open(open_all_day: None) -> None:
    pass


async def on_duty(service: Service, cid: int, languages: tuple[str, ...] = ("sv",), capacity: int = 2) -> None:
    await service.counsellor_online(Counsellor(id=cid, name=f"R{cid}", languages=languages, capacity=capacity))
    await service.set_duty(cid, "available", chosen=True)


async def start(service: Service, **fields: Any) -> str:
    started = await service.start_contact(channel="chat", language=fields.pop("language", "sv"), **fields)
    assert isinstance(started, Started), started
    return started.contact_id


async def active(service: Service, cid: int, **fields: Any) -> str:
    contact_id = await start(service, **fields)
    await service.route()
    assert await service.accept(cid, contact_id) is not None
    return contact_id


# intake.py
async def test_intake_queues_a_contact_and_a_blocked_source_is_told_nobody_answers(service: Service) -> None:
    assert isinstance(await service.start_contact(channel="chat", language="sv"), Closed)  # nobody on duty
    await on_duty(service, 1, ("en",), capacity=0)
    contact_id = await start(service, source="s1")
    assert [c.id for c in await service.queue()] == [contact_id]
    await service.block(contact_id)
    assert isinstance(await service.start_contact(channel="chat", language="sv", source="s1"), Closed)
    # Someone in danger gets through the block.
    assert isinstance(await service.start_contact(channel="chat", language="sv", source="s1", danger=True), Started)


# routing.py
async def test_routing_offers_to_a_counsellor_who_speaks_the_language_and_only_once(service: Service) -> None:
    await on_duty(service, 1, ("en",))
    await on_duty(service, 2, ("sv",))
    contact_id = await start(service)  # starting routes at once: no tick to wait for
    assert await service.route() == 0  # and routing again offers nothing twice
    contact = await service.contact(contact_id)
    assert contact is not None and contact.state == "offered" and contact.offered_to == 2
    assert await service.accept(2, contact_id) is not None
    assert await service.accept(1, contact_id) is None  # never double-assigned
    me = await service.counsellor(2)
    assert me is not None and me.active == (contact_id,)


# messages.py
async def test_messages_are_numbered_opened_for_replay_and_refused_after_the_end(service: Service) -> None:
    await on_duty(service, 1)
    contact_id = await active(service, 1)
    first = await service.send(contact_id, "visitor", "hej", "v1")
    second = await service.send(contact_id, "counsellor", "hej hej", "c1", author=1)
    assert first is not None and second is not None
    replay = await service.messages_after(contact_id, 0)
    assert [(m.seq, m.sender, m.body) for m in replay] == [(1, "visitor", "hej"), (2, "counsellor", "hej hej")]
    assert await service.send(contact_id, "counsellor", "not mine", "c2", author=99) is None
    await service.end(contact_id, "visitor")
    assert await service.send(contact_id, "visitor", "too late", "v2") is None


# ending.py
async def test_the_end_leaves_nothing_of_the_contact_and_frees_the_counsellor(service: Service) -> None:
    await on_duty(service, 1, capacity=1)
    contact_id = await active(service, 1)
    await service.send(contact_id, "visitor", "hemligt", "v1")
    assert await service.end(contact_id, "counsellor") is not None
    assert await service.contact(contact_id) is None
    assert await service.messages_after(contact_id, 0) == []
    me = await service.counsellor(1)
    assert me is not None and me.active == ()


# transfer.py
async def test_a_transfer_to_the_queue_asks_for_another_language(service: Service) -> None:
    await on_duty(service, 1, ("sv",))
    contact_id = await active(service, 1)
    assert await service.transfer_to_queue(1, contact_id, language="ar")
    contact = await service.contact(contact_id)
    assert contact is not None and contact.state == "queued" and contact.language == "ar"
    await service.route()  # nobody speaks Arabic: it waits, it is not offered back
    contact = await service.contact(contact_id)
    assert contact is not None and contact.state == "queued"


async def test_a_transfer_to_a_colleague_moves_the_conversation(service: Service) -> None:
    await on_duty(service, 1)
    await on_duty(service, 2)
    contact_id = await active(service, 1)
    assert not await service.transfer_to_counsellor(1, contact_id, 1)  # not to oneself
    assert await service.transfer_to_counsellor(1, contact_id, 2)
    contact = await service.contact(contact_id)
    assert contact is not None and contact.counsellor == 2


# supervision.py
async def test_supervision_counts_the_queue_and_takes_help_only_from_the_counsellor(service: Service) -> None:
    await on_duty(service, 1, capacity=1)
    contact_id = await active(service, 1)
    await start(service)
    counts = await service.dashboard_counts()
    assert counts["waiting"] == 1 and counts["conversations"] == 1
    assert not await service.request_help(2, contact_id)  # not their conversation
    assert await service.request_help(1, contact_id)


# sweep.py
async def test_the_sweep_withdraws_an_offer_nobody_answered(service: Service) -> None:
    await on_duty(service, 1)
    contact_id = await start(service)
    await service.route()
    await service.tick(now=time.time() + 3600)
    contact = await service.contact(contact_id)
    assert contact is not None and contact.state == "queued" and contact.offered_to == 0
    me = await service.counsellor(1)
    assert me is not None and me.state == "away" and me.offers == 0
