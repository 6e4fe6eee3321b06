"""Store contract, continued: handing a conversation on, and the wrap-up ticket."""

from __future__ import annotations

import asyncio

from routing.store.base import Store
from tests.test_store_contract import contact, counsellor, store  # noqa: F401 - the fixture


async def active_with(store: Store, uid: int) -> None:  # noqa: F811
    await store.add_contact(contact("a", 1), "t")
    await store.upsert_counsellor(counsellor(1))
    await store.upsert_counsellor(counsellor(2, capacity=1))
    assert await store.accept("a", uid, 5)


async def test_a_conversation_moves_to_a_colleague_with_everything_in_it(store: Store) -> None:  # noqa: F811
    await active_with(store, 1)
    await store.append_message("a", "visitor", "hej", "v1", 6)
    assert not await store.transfer("a", 2, 1, 7)  # not theirs to give
    assert not await store.transfer("a", 1, 1, 7)  # to themselves: nothing to do
    assert await store.transfer("a", 1, 2, 7)
    got = await store.get_contact("a")
    assert got is not None and got.counsellor == 2 and got.state == "active" and got.seq == 1
    one, two = await store.get_counsellor(1), await store.get_counsellor(2)
    assert one is not None and one.active == () and one.free_since == 7
    assert two is not None and two.active == ("a",)
    assert [m.body for m in await store.messages_after("a", 0)] == ["hej"]


async def test_a_transfer_needs_a_colleague_on_shift_with_room(store: Store) -> None:  # noqa: F811
    await active_with(store, 1)
    assert not await store.transfer("a", 1, 99, 7)  # unknown
    await store.set_counsellor_state(2, "off", 6)
    assert not await store.transfer("a", 1, 2, 7)
    await store.set_counsellor_state(2, "break", 6)
    await store.set_counsellor_gone(2, 6)
    assert not await store.transfer("a", 1, 2, 7)
    await store.set_counsellor_gone(2, 0)
    await store.add_contact(contact("b", 2), "t2")
    assert await store.accept("b", 2, 6)  # now full (capacity 1)
    assert not await store.transfer("a", 1, 2, 7)
    got = await store.get_contact("a")
    assert got is not None and got.counsellor == 1


async def test_two_transfers_at_once_cannot_both_win(store: Store) -> None:  # noqa: F811
    await active_with(store, 1)
    await store.upsert_counsellor(counsellor(3))
    results = await asyncio.gather(store.transfer("a", 1, 2, 7), store.transfer("a", 1, 3, 7))
    assert sorted(results) == [False, True]


async def test_retarget_sends_the_contact_back_for_a_language_or_skill(store: Store) -> None:  # noqa: F811
    await active_with(store, 1)
    assert not await store.retarget("a", 2, language="ar")
    assert await store.retarget("a", 1, language="ar", skill="nurse")
    got = await store.get_contact("a")
    assert got is not None and got.state == "queued" and got.requeued
    assert got.language == "ar" and got.skill == "nurse" and got.counsellor == 0
    assert [c.id for c in await store.queue()] == ["a"]


async def test_a_wrapup_ticket_is_used_once_by_its_counsellor(store: Store) -> None:  # noqa: F811
    assert not await store.take_wrapup("a", 1)
    await store.open_wrapup("a", 1)
    assert not await store.take_wrapup("a", 2)
    assert await store.take_wrapup("a", 1)
    assert not await store.take_wrapup("a", 1)


async def test_one_supervisor_answers_a_help_request(store: Store) -> None:  # noqa: F811
    await active_with(store, 1)
    assert not await store.request_help("a", 2)  # not their conversation
    assert not await store.join_supervisor("a", 9)  # nobody asked
    assert await store.request_help("a", 1)
    got = await store.get_contact("a")
    assert got is not None and got.help
    results = await asyncio.gather(store.join_supervisor("a", 9), store.join_supervisor("a", 8))
    assert sorted(results) == [False, True]
    got = await store.get_contact("a")
    assert got is not None and not got.help and got.supervisor in (8, 9)
    assert not await store.leave_supervisor("a", 7)
    assert not await store.leave_supervisor("a", 0)
    assert await store.leave_supervisor("a", got.supervisor)
    got = await store.get_contact("a")
    assert got is not None and got.supervisor == 0


async def test_requeue_clears_help_and_supervisor(store: Store) -> None:  # noqa: F811
    await active_with(store, 1)
    await store.request_help("a", 1)
    await store.join_supervisor("a", 9)
    assert await store.requeue("a", 1)
    got = await store.get_contact("a")
    assert got is not None and got.supervisor == 0 and not got.help


async def test_the_sweep_frees_a_counsellor_whose_contact_expired(store: Store) -> None:  # noqa: F811
    await active_with(store, 1)
    # The contact's keys vanish without an end (as after its TTL).
    if hasattr(store, "redis"):
        await store.redis.delete(f"{store.prefix}:c:a")  # type: ignore[attr-defined]
    else:
        store._conversations["a"].expires = 0  # type: ignore[attr-defined]
    await store.sweep()
    one = await store.get_counsellor(1)
    assert one is not None and one.active == ()


async def test_chart_samples_are_counts_per_minute(store: Store) -> None:  # noqa: F811
    await store.record_sample(1000, 3, 1)
    await store.record_sample(1001, 4, 0)
    await store.record_sample(1001, 5, 1)  # another process, same minute
    await store.record_sample(1000 + 6 * 60 + 1, 0, 2)  # six hours on: the oldest goes
    assert await store.samples(0) == [(1001, 5, 1), (1361, 0, 2)]
    assert await store.samples(1100) == [(1361, 0, 2)]


async def test_the_sweep_clears_an_offer_whose_contact_expired(store: Store) -> None:  # noqa: F811
    await store.add_contact(contact("a", 1), "t")
    await store.upsert_counsellor(counsellor(1))
    assert await store.offer("a", 1, 99)
    if hasattr(store, "redis"):
        await store.redis.delete(f"{store.prefix}:c:a")  # type: ignore[attr-defined]
    else:
        store._conversations["a"].expires = 0  # type: ignore[attr-defined]
    await store.sweep()
    await store.add_contact(contact("b", 2), "t2")
    assert await store.offer("b", 1, 99)  # not blocked by the vanished offer
