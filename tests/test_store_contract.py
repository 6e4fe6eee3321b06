"""The one contract both state-store backends keep. The Redis run uses the real server."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from routing.state import Contact, Counsellor
from routing.store.base import Appended, Store
from routing.store.memory import MemoryStore
from routing.store.testing import flush

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def make_store(kind: str, ttl: int = 3600) -> Store:
    if kind == "memory":
        return MemoryStore(ttl=ttl)
    from routing.store.redis import RedisStore

    return RedisStore(REDIS_URL, prefix=f"test-{uuid.uuid4().hex[:8]}", ttl=ttl, max_connections=50)


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    s = make_store(request.param)
    yield s
    await flush(s)
    await s.close()


def contact(cid: str, at: float, **kw: object) -> Contact:
    return Contact(id=cid, channel="chat", language=str(kw.pop("language", "sv")), enqueued_at=at, **kw)  # type: ignore[arg-type]


def counsellor(uid: int, **kw: object) -> Counsellor:
    base: dict[str, object] = {"name": f"C{uid}", "languages": ("sv",), "capacity": 2, "state": "available"}
    base.update(kw)
    return Counsellor(id=uid, **base)  # type: ignore[arg-type]


async def test_new_contacts_wait_in_queue_order(store: Store) -> None:
    await store.add_contact(contact("late", 300), "t1")
    await store.add_contact(contact("early", 100), "t2")
    await store.add_contact(contact("danger", 400, danger=True), "t3")
    await store.add_contact(contact("back", 350, requeued=True), "t4")
    assert [c.id for c in await store.queue()] == ["danger", "back", "early", "late"]
    assert await store.position("early") == 3
    assert await store.position("nope") is None
    assert await store.contact_for_token("t2") == "early"
    assert await store.contact_for_token("unknown") is None
    got = await store.get_contact("danger")
    assert got is not None and got.danger and got.language == "sv" and got.enqueued_at == 400


async def test_a_contact_is_offered_to_one_counsellor_only(store: Store) -> None:
    await store.add_contact(contact("a", 1), "t")
    await store.upsert_counsellor(counsellor(1))
    await store.upsert_counsellor(counsellor(2))
    results = await asyncio.gather(*(store.offer("a", uid, 50.0) for uid in (1, 2, 1, 2)))
    assert sum(results) == 1
    got = await store.get_contact("a")
    assert got is not None and got.state == "offered" and got.offered_to in (1, 2)
    offers = {c.id: c.offers for c in await store.counsellors()}
    assert sorted(offers.values()) == [0, 1]


async def test_a_counsellor_gets_one_offer_at_a_time_and_never_beyond_capacity(store: Store) -> None:
    for i in range(4):
        await store.add_contact(contact(f"c{i}", i), f"t{i}")
    await store.upsert_counsellor(counsellor(1, capacity=1))
    assert await store.offer("c0", 1, 99)
    assert not await store.offer("c1", 1, 99)  # already has a pending offer
    assert await store.accept("c0", 1, 10)
    assert not await store.offer("c1", 1, 99)  # at capacity
    assert not await store.accept("c1", 1, 10)  # picking is capped too
    c = await store.get_counsellor(1)
    assert c is not None and c.active == ("c0",) and c.offers == 0 and c.free_since == 10


async def test_offers_need_an_available_connected_counsellor(store: Store) -> None:
    await store.add_contact(contact("a", 1), "t")
    assert not await store.offer("a", 9, 99)  # unknown counsellor
    await store.upsert_counsellor(counsellor(1, state="break"))
    assert not await store.offer("a", 1, 99)
    await store.set_counsellor_state(1, "available", 5)
    await store.set_counsellor_gone(1, 7)
    assert not await store.offer("a", 1, 99)
    await store.set_counsellor_gone(1, 0)
    assert await store.offer("a", 1, 99)


async def test_a_timed_out_offer_returns_to_the_queue_and_the_counsellor_to_away(store: Store) -> None:
    await store.add_contact(contact("a", 1), "t")
    await store.upsert_counsellor(counsellor(1))
    assert await store.offer("a", 1, 20)
    assert await store.expired_offers(19) == []
    assert await store.expired_offers(20) == [("a", 1)]
    assert not await store.withdraw_offer("a", 2, away=True)  # not theirs
    assert await store.withdraw_offer("a", 1, away=True)
    assert not await store.withdraw_offer("a", 1, away=True)  # already done
    got = await store.get_contact("a")
    c = await store.get_counsellor(1)
    assert got is not None and got.state == "queued" and got.offered_to == 0
    assert c is not None and c.state == "away" and c.offers == 0
    assert await store.expired_offers(100) == []


async def test_only_the_offered_counsellor_can_accept_an_offer(store: Store) -> None:
    await store.add_contact(contact("a", 1), "t")
    await store.upsert_counsellor(counsellor(1))
    await store.upsert_counsellor(counsellor(2))
    assert await store.offer("a", 1, 99)
    assert not await store.accept("a", 2, 5)
    assert await store.accept("a", 1, 5)
    assert not await store.accept("a", 1, 5)
    got = await store.get_contact("a")
    assert got is not None and got.state == "active" and got.counsellor == 1 and got.answered_at == 5
    assert await store.queue() == []


async def test_a_requeued_contact_goes_ahead_of_new_ones(store: Store) -> None:
    await store.add_contact(contact("old", 1), "t1")
    await store.add_contact(contact("new", 2), "t2")
    await store.upsert_counsellor(counsellor(1))
    assert await store.accept("new", 1, 3)
    assert not await store.requeue("new", 2)
    assert await store.requeue("new", 1)
    assert [c.id for c in await store.queue()] == ["new", "old"]
    c = await store.get_counsellor(1)
    assert c is not None and c.active == ()
    got = await store.get_contact("new")
    assert got is not None and got.requeued and got.answered_at == 3


async def test_a_contact_requeued_not_for_someone_is_never_theirs(store: Store) -> None:
    await store.add_contact(contact("a", 1), "t1")
    await store.upsert_counsellor(counsellor(1))
    await store.upsert_counsellor(counsellor(2))
    await store.upsert_counsellor(counsellor(3))
    assert await store.accept("a", 1, 3)
    assert await store.requeue("a", 1, not_for=2)
    got = await store.get_contact("a")
    assert got is not None and got.not_for == 2 and got.state == "queued"
    assert not await store.accept("a", 2, 4)  # not even by picking it from the queue
    assert await store.accept("a", 3, 5)
    assert await store.requeue("a", 3)  # a later requeue keeps it
    got = await store.get_contact("a")
    assert got is not None and got.not_for == 2


async def test_ending_deletes_the_contact_and_frees_the_counsellor(store: Store) -> None:
    await store.add_contact(contact("a", 1), "tok")
    await store.upsert_counsellor(counsellor(1))
    await store.accept("a", 1, 2)
    await store.append_message("a", "visitor", "hej", "m1", 3)
    ended = await store.end("a")
    assert ended is not None and ended.id == "a" and ended.counsellor == 1 and ended.seq == 1
    assert await store.end("a") is None
    assert await store.get_contact("a") is None
    assert await store.contact_for_token("tok") is None
    assert await store.messages_after("a", 0) == []
    c = await store.get_counsellor(1)
    assert c is not None and c.active == ()


async def test_ending_an_offered_contact_clears_the_offer(store: Store) -> None:
    await store.add_contact(contact("a", 1), "tok")
    await store.upsert_counsellor(counsellor(1))
    await store.offer("a", 1, 99)
    await store.end("a")
    c = await store.get_counsellor(1)
    assert c is not None and c.offers == 0
    assert await store.expired_offers(1000) == []


async def test_help_requests_list_only_the_open_ones_oldest_first(store: Store) -> None:
    await store.upsert_counsellor(counsellor(1, capacity=4))
    for i, cid in enumerate(["a", "b", "c", "d"]):
        await store.add_contact(contact(cid, i), f"t{cid}")
        await store.accept(cid, 1, 10 + i)
    assert await store.help_requests() == []
    for cid in ["c", "a", "b", "d"]:
        assert await store.request_help(cid, 1)
        await asyncio.sleep(0.01)  # asked at distinct times
    assert not await store.request_help("a", 2)  # not that counsellor's conversation
    assert [c.id for c in await store.help_requests()] == ["c", "a", "b", "d"]
    assert await store.join_supervisor("a", 50)  # answered
    await store.end("b")  # over
    assert await store.requeue("d", 1)  # back in the queue
    asking = await store.help_requests()
    assert [c.id for c in asking] == ["c"] and asking[0].counsellor == 1 and asking[0].help


async def test_messages_are_numbered_once_each(store: Store) -> None:
    await store.add_contact(contact("a", 1), "t")
    assert await store.append_message("a", "visitor", "too early", "x", 1) is None
    await store.upsert_counsellor(counsellor(1))
    await store.accept("a", 1, 2)
    assert await store.append_message("a", "visitor", "hej", "v1", 3) == Appended(1, False, 1, 0)
    assert await store.append_message("a", "counsellor", "hej hej", "c1", 4, author=1) == Appended(2, False, 1, 0)
    assert await store.append_message("a", "visitor", "hej", "v1", 5) == Appended(1, True, 1, 0)
    assert await store.append_message("a", "visitor", "العربية ✓ <b>", "v2", 6) == Appended(3, False, 1, 0)
    # Only the conversation's own counsellor (or joined supervisor) may write as one.
    assert await store.append_message("a", "counsellor", "intrång", "c2", 7, author=2) is None
    assert await store.append_message("a", "supervisor", "intrång", "s1", 7, author=9) is None
    assert await store.request_help("a", 1) and await store.join_supervisor("a", 9)
    assert await store.append_message("a", "supervisor", "hej", "s2", 8, author=9) == Appended(4, False, 1, 9)
    msgs = await store.messages_after("a", 1)
    # Each keeps who wrote it: after a transfer, the colleague's lines are not "mine".
    assert [(m.seq, m.sender, m.body, m.author) for m in msgs] == [
        (2, "counsellor", "hej hej", 1),
        (3, "visitor", "العربية ✓ <b>", 0),
        (4, "supervisor", "hej", 9),
    ]
    assert msgs[0].ts == 4


async def test_concurrent_messages_get_distinct_sequence_numbers(store: Store) -> None:
    await store.add_contact(contact("a", 1), "t")
    await store.upsert_counsellor(counsellor(1))
    await store.accept("a", 1, 2)
    results = await asyncio.gather(*(store.append_message("a", "visitor", str(i), f"id{i}", 3) for i in range(50)))
    assert sorted(r[0] for r in results if r) == list(range(1, 51))


async def test_two_processes_writing_one_conversation_number_and_replay_it_whole(store: Store) -> None:
    """Each process guesses the next seq from what it last saw; the other process's
    messages make that guess wrong, and the message must still be sealed for the number
    it really gets. Replay from any point returns every message after it, once, in order,
    however long the conversation is."""
    other = store
    if hasattr(store, "prefix"):
        from routing.store.redis import RedisStore

        assert isinstance(store, RedisStore)
        other = RedisStore(REDIS_URL, prefix=store.prefix, ttl=3600, max_connections=10)
    await store.add_contact(contact("a", 1), "t")
    await store.upsert_counsellor(counsellor(1))
    await store.accept("a", 1, 2)
    for i in range(40):
        side = store if i % 3 else other
        await side.append_message("a", "visitor", lambda seq, i=i: f"{i}@{seq}", f"id{i}", 3)  # type: ignore[misc]
    try:
        for reader in (store, other):
            for after in (0, 5, 23, 38, 40):
                got = await reader.messages_after("a", after)
                assert [m.seq for m in got] == list(range(after + 1, 41))
                assert all(m.body.endswith(f"@{m.seq}") for m in got)
    finally:
        if other is not store:
            await other.close()


async def test_acks_only_move_forward(store: Store) -> None:
    await store.add_contact(contact("a", 1), "t")
    await store.upsert_counsellor(counsellor(1))
    await store.accept("a", 1, 2)
    for i in range(3):
        await store.append_message("a", "counsellor", "x", f"i{i}", 3)
    await store.ack("a", "visitor", 2)
    await store.ack("a", "visitor", 1)
    assert not await store.ack("a", "counsellor", 2, author=2)  # not theirs: nothing moves
    got = await store.get_contact("a")
    assert got is not None and got.counsellor_ack == 0
    assert await store.ack("a", "counsellor", 99, author=1)  # beyond the last seq: capped
    got = await store.get_contact("a")
    assert got is not None and got.visitor_ack == 2 and got.counsellor_ack == 3
    assert not await store.ack("gone", "visitor", 1)


async def test_a_contact_keeps_its_centre_and_a_counsellor_their_centres(store: Store) -> None:
    await store.add_contact(contact("u", 1, centre="una"), "t1")
    await store.add_contact(contact("d", 2), "t2")
    assert [(c.id, c.centre) for c in await store.queue()] == [("u", "una"), ("d", "")]
    # The default centre ("") beside another survives the round trip; none stays none.
    both = await store.upsert_counsellor(counsellor(1, centres=("", "una")))
    assert both.centres == ("", "una")
    assert (await store.get_counsellor(1)).centres == ("", "una")  # type: ignore[union-attr]
    await store.upsert_counsellor(counsellor(1, centres=("una",)))
    assert (await store.get_counsellor(1)).centres == ("una",)  # type: ignore[union-attr]
    await store.upsert_counsellor(counsellor(2))
    plain = await store.get_counsellor(2)
    assert plain is not None and plain.centres in {(), ("",)}


async def test_counsellor_profile_refresh_keeps_live_state(store: Store) -> None:
    await store.upsert_counsellor(counsellor(1))
    await store.add_contact(contact("a", 1), "t")
    await store.accept("a", 1, 2)
    stored = await store.upsert_counsellor(counsellor(1, name="Sara", languages=("sv", "ar"), capacity=3, state="off"))
    assert stored.name == "Sara" and stored.languages == ("sv", "ar") and stored.capacity == 3
    assert stored.state == "available" and stored.active == ("a",)
    assert await store.set_counsellor_state(99, "off", 1) is None
    after = await store.set_counsellor_state(1, "break", 10)
    assert after is not None and after.state == "break" and after.free_since == 2
    after = await store.set_counsellor_state(1, "available", 11)
    assert after is not None and after.free_since == 11
    await store.remove_counsellor(1)
    assert await store.get_counsellor(1) is None


async def test_absences_are_listed_until_they_end(store: Store) -> None:
    await store.add_contact(contact("a", 1), "t")
    await store.upsert_counsellor(counsellor(1))
    await store.set_visitor_gone("a", 50)
    await store.set_counsellor_gone(1, 60)
    assert await store.visitors_gone_before(49) == []
    assert await store.visitors_gone_before(50) == ["a"]
    assert await store.counsellors_gone_before(60) == [1]
    await store.set_visitor_gone("a", 0)
    await store.set_counsellor_gone(1, 0)
    assert await store.visitors_gone_before(1000) == []
    assert await store.counsellors_gone_before(1000) == []


async def test_mean_handle_time_is_a_moving_average(store: Store) -> None:
    assert await store.mean_handle_time(900) == 900
    await store.record_handle_time(600)
    assert await store.mean_handle_time(900) == pytest.approx(600)
    await store.record_handle_time(1600)
    assert await store.mean_handle_time(900) == pytest.approx(700)


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_everything_is_forgotten_after_the_ttl(kind: str) -> None:
    s = make_store(kind, ttl=1)
    try:
        await s.add_contact(contact("a", time.time()), "tok")
        await s.upsert_counsellor(counsellor(1))
        await s.accept("a", 1, time.time())
        await s.append_message("a", "visitor", "secret", "m", time.time())
        await asyncio.sleep(2.2)
        assert await s.get_contact("a") is None
        assert await s.contact_for_token("tok") is None
        assert await s.queue() == []
        assert await s.messages_after("a", 0) == []
        assert await s.get_counsellor(1) is None
    finally:
        await flush(s)
        await s.close()


async def test_every_redis_key_has_a_ttl_and_ending_leaves_no_contact_key() -> None:
    from routing.store.redis import RedisStore

    s = make_store("redis")
    assert isinstance(s, RedisStore)
    try:
        await s.add_contact(contact("a", 1), "tok")
        await s.add_contact(contact("b", 2), "tok2")
        await s.upsert_counsellor(counsellor(1))
        await s.offer("b", 1, 99)
        await s.accept("a", 1, 2)
        await s.append_message("a", "visitor", "hej", "m1", 3)
        await s.ack("a", "counsellor", 1)
        await s.request_help("a", 1)
        await s.set_visitor_gone("a", 4)
        await s.set_counsellor_gone(1, 5)
        await s.record_handle_time(60)
        await s.open_wrapup("a", 1)
        await s.hold("proc1", "v", "a", True, 6)
        await s.hold("proc1", "c", "1", True, 6)
        await s.heartbeat("proc1", 7)
        await s.block_source("f" * 32, 600, "Sara")
        await s.take_start("f" * 32, 6, 60)
        keys = [k async for k in s.redis.scan_iter(match=f"{s.prefix}:*")]
        assert len(keys) >= 13
        for key in keys:
            assert 0 < await s.redis.ttl(key) <= 3600, key
        await s.hold("proc1", "v", "a", False, 8)  # the visitor's socket let go of it
        await s.end("a")
        await s.end("b")
        left = sorted([k.split(":", 1)[1] async for k in s.redis.scan_iter(match=f"{s.prefix}:*")])
        # Only the counsellor (and which process holds their console), aggregate,
        # wrap-up ticket and the source's block and start count remain; nothing of
        # either contact.
        assert left == [
            "agg",
            "blocked:" + "f" * 32,
            "blocks",
            "cgone",
            "held:c:proc1",
            "p:1",
            "procs",
            "ps",
            "starts:" + "f" * 32,
            "w:a:1",
        ]
    finally:
        await flush(s)
        await s.close()


async def test_sockets_of_a_dead_process_count_as_gone_since_its_last_heartbeat(store: Store) -> None:
    await store.add_contact(contact("only-a", 100), "t1")
    await store.add_contact(contact("moved", 100), "t2")
    await store.add_contact(contact("left", 100), "t3")
    await store.upsert_counsellor(counsellor(7))
    await store.upsert_counsellor(counsellor(8))
    assert not await store.heartbeat("A", 1000.0)  # new to the store
    assert await store.heartbeat("A", 1001.0)
    for cid in ("only-a", "moved", "left"):
        await store.hold("A", "v", cid, True, 1001.0)
    await store.hold("A", "c", "7", True, 1001.0)
    await store.hold("A", "c", "8", True, 1001.0)
    await store.hold("B", "v", "moved", True, 1005.0)  # reconnected to B, A not yet let go
    await store.hold("B", "c", "8", True, 1005.0)
    await store.set_visitor_gone("left", 1002.0)  # a clean disconnect, already marked
    await store.heartbeat("A", 1010.0)
    await store.heartbeat("B", 1030.0)

    assert await store.release_dead(1005.0) == ([], [])  # A is not late yet
    assert await store.release_dead(1020.0) == (["only-a"], [7])
    assert await store.release_dead(1020.0) == ([], [])  # one caller wins
    only_a, moved, left = [await store.get_contact(c) for c in ("only-a", "moved", "left")]
    assert only_a is not None and only_a.visitor_gone_at == 1010.0  # since A's last heartbeat
    assert moved is not None and moved.visitor_gone_at == 0
    assert left is not None and left.visitor_gone_at == 1002.0
    assert sorted(await store.visitors_gone_before(1011.0)) == ["left", "only-a"]
    c7, c8 = await store.get_counsellor(7), await store.get_counsellor(8)
    assert c7 is not None and c7.gone_at == 1010.0
    assert c8 is not None and c8.gone_at == 0
    assert await store.counsellors_gone_before(1011.0) == [7]
    # A was declared dead: if it was only stalled, its next heartbeat says so, even when
    # a socket of A was opened (hold) in between.
    await store.hold("A", "v", "new", True, 1039.0)
    assert not await store.heartbeat("A", 1040.0)
    assert await store.heartbeat("A", 1041.0)


async def test_starts_per_source_are_limited_per_window_and_forgotten(store: Store) -> None:
    assert [await store.take_start("src", 3, 1) for _ in range(5)] == [True, True, True, False, False]
    assert await store.take_start("other", 3, 1)  # another source has its own count
    await asyncio.sleep(1.1)
    assert await store.take_start("src", 3, 1)  # a new window


async def test_two_processes_share_one_start_count() -> None:
    from routing.store.redis import RedisStore

    a = make_store("redis")
    assert isinstance(a, RedisStore)
    b = RedisStore(REDIS_URL, prefix=a.prefix, ttl=3600, max_connections=10)
    results = await asyncio.gather(*(s.take_start("src", 4, 60) for s in [a, b] * 5))
    assert sorted(results) == [False] * 6 + [True] * 4
    assert 0 < await a.redis.ttl(f"{a.prefix}:starts:src") <= 60
    await flush(a)
    await a.close()
    await b.close()


async def test_blocks_are_listed_until_they_end_or_are_lifted(store: Store) -> None:
    await store.block_source("a" * 32, 60, "Sara")
    await store.block_source("b" * 32, 1, "Omar")
    assert [(s[0], by) for s, _until, by in await store.blocks()] == [("b", "Omar"), ("a", "Sara")]
    assert await store.is_blocked("a" * 32)
    await asyncio.sleep(1.2)
    assert [by for _s, _until, by in await store.blocks()] == ["Sara"]  # the short one ended
    assert await store.lift_block("a" * 32)
    assert not await store.is_blocked("a" * 32)
    assert await store.blocks() == []
    assert not await store.lift_block("a" * 32)


async def test_a_waiting_contact_is_handed_to_another_centre_but_an_offered_one_is_not(store: Store) -> None:
    await store.add_contact(contact("w", 1), "t1")
    await store.add_contact(contact("o", 2), "t2")
    await store.upsert_counsellor(counsellor(1))
    assert await store.offer("o", 1, 50.0)
    assert await store.hand_over("w", "una", 10.0)
    assert not await store.hand_over("o", "una", 10.0)
    assert not await store.hand_over("gone", "una", 10.0)
    moved = await store.get_contact("w")
    assert moved is not None and moved.centre == "una" and moved.routed_at == 10.0 and moved.enqueued_at == 1
    kept = await store.get_contact("o")
    assert kept is not None and kept.centre == "" and kept.state == "offered"
    assert [c.id for c in await store.queue()] == ["w", "o"]  # its place by arrival is kept


async def test_an_offer_or_accept_checks_the_centre_in_the_same_step(store: Store) -> None:
    # route() decided with the contact in the default centre; a hand-over moved it to
    # Una before the offer: a counsellor of the default centre must not get it.
    await store.add_contact(contact("a", 1), "t1")
    await store.upsert_counsellor(counsellor(1))
    await store.upsert_counsellor(counsellor(2, centres=("", "una")))
    await store.upsert_counsellor(counsellor(3, centres=("una",)))
    assert await store.hand_over("a", "una", 5.0)
    assert not await store.offer("a", 1, 50.0)
    assert not await store.accept("a", 1, 6.0)
    assert await store.offer("a", 2, 50.0)  # one who works for both
    assert await store.withdraw_offer("a", 2, away=False)
    assert await store.accept("a", 3, 6.0)
    await store.add_contact(contact("d", 2), "t2")
    assert not await store.offer("d", 3, 50.0)  # Una only: not the default centre's
    assert await store.offer("d", 1, 50.0)


async def test_a_notice_is_told_once_and_goes_with_its_contact(store: Store) -> None:
    await store.add_contact(contact("a", 1), "t1")
    results = await asyncio.gather(*(store.tell_once("a", "closing") for _ in range(5)))
    assert sorted(results) == [False] * 4 + [True]  # several processes ticking: one tells
    assert await store.tell_once("a", "other")  # each notice on its own
    assert not await store.tell_once("gone", "closing")
    await store.end("a")
    assert not await store.tell_once("a", "closing")  # nothing made again for a contact that ended
    await store.add_contact(contact("a", 2), "t2")
    assert await store.tell_once("a", "closing")  # a new contact starts with no marks


async def test_a_counsellor_keeps_a_name_per_centre(store: Store) -> None:
    await store.upsert_counsellor(counsellor(1, name="Sara", centres=("", "una"), aliases=("", "Sanna, U.")))
    got = await store.get_counsellor(1)
    assert got is not None and got.aliases == ("", "Sanna, U.")  # a comma in a name survives
    assert got.name_at("una") == "Sanna, U." and got.name_at("") == "Sara" and got.name_at("vnl") == "Sara"
    await store.upsert_counsellor(counsellor(1, name="Sara", centres=("",)))  # the membership is gone
    again = await store.get_counsellor(1)
    assert again is not None and again.aliases == () and again.name_at("una") == "Sara"


async def test_a_counsellor_keeps_what_she_takes_per_centre(store: Store) -> None:
    terms = {"centres": ("", "una", "vnl"), "languages_at": ((), ("sv",), ("sv", "ar"))}
    await store.upsert_counsellor(
        counsellor(1, languages=("sv", "en", "ar"), skills=("nurse",), skills_at=((), ("police",), ()), **terms)
    )
    first = await store.get_counsellor(1)
    assert first is not None and first.skills_for("una") == ("police",) and first.skills_for("vnl") == ("nurse",)
    await store.upsert_counsellor(counsellor(1, capacity_at=(0, 1, 3), languages=("sv", "en", "ar"), **terms))
    got = await store.get_counsellor(1)
    assert got is not None
    assert got.languages_for("") == ("sv", "en", "ar") and got.languages_for("vnl") == ("sv", "ar")
    assert got.skills_for("una") == () and got.capacity_for("una") == 1 and got.capacity_for("vnl") == 3
    await store.upsert_counsellor(counsellor(1, centres=("",)))  # the memberships are gone
    again = await store.get_counsellor(1)
    assert again is not None and again.languages_at == () and again.capacity_for("una") == 0


async def test_a_breather_is_kept_until_changed_and_survives_a_profile_refresh(store: Store) -> None:
    await store.upsert_counsellor(counsellor(1))
    await store.set_rest(1, 500.0)
    await store.upsert_counsellor(counsellor(1, name="Sara"))  # a console reconnect
    rested = await store.get_counsellor(1)
    assert rested is not None and rested.rest_until == 500.0 and rested.name == "Sara"
    await store.set_rest(1, 0.0)
    assert (await store.get_counsellor(1)).rest_until == 0.0  # type: ignore[union-attr]
    await store.set_rest(99, 500.0)  # nobody there: nothing made
    assert await store.get_counsellor(99) is None
