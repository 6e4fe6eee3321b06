"""Routing policy: pure functions, no Django, no I/O."""

from __future__ import annotations

from routing.policy import Offer, can_take_more, channels_allow, estimate_wait_seconds, ordered, plan_offers
from routing.state import Contact, Counsellor


def contact(cid: str, at: float, language: str = "sv", **kw: object) -> Contact:
    return Contact(id=cid, channel="chat", language=language, enqueued_at=at, **kw)  # type: ignore[arg-type]


def counsellor(uid: int, languages: tuple[str, ...] = ("sv",), **kw: object) -> Counsellor:
    base: dict[str, object] = {"name": f"C{uid}", "capacity": 2, "state": "available"}
    base.update(kw)
    return Counsellor(id=uid, languages=languages, **base)  # type: ignore[arg-type]


def test_in_danger_goes_first_then_returning_then_longest_waiting() -> None:
    queue = [
        contact("new", 30),
        contact("old", 10),
        contact("danger", 40, danger=True),
        contact("back", 35, requeued=True),
    ]
    assert [c.id for c in ordered(queue)] == ["danger", "back", "old", "new"]


def test_the_counsellor_idle_longest_gets_the_head_of_the_queue() -> None:
    plan = plan_offers(
        [contact("a", 1), contact("b", 2)],
        [counsellor(1, free_since=50), counsellor(2, free_since=10)],
        now=100,
        overflow_after=60,
    )
    assert plan == [Offer("a", 2), Offer("b", 1)]


def test_each_counsellor_gets_one_offer_at_a_time() -> None:
    plan = plan_offers([contact("a", 1), contact("b", 2)], [counsellor(1, capacity=3)], now=5, overflow_after=60)
    assert plan == [Offer("a", 1)]


def test_busy_away_gone_or_full_counsellors_get_nothing() -> None:
    team = [
        counsellor(1, state="break"),
        counsellor(2, state="away"),
        counsellor(3, gone_at=5.0),
        counsellor(4, capacity=1, active=("x",)),
        counsellor(5, offers=1),
        counsellor(6, state="off"),
    ]
    assert plan_offers([contact("a", 1)], team, now=5, overflow_after=60) == []


def test_language_waits_for_a_speaker_until_the_overflow_time() -> None:
    team = [counsellor(1, languages=("sv",))]
    assert plan_offers([contact("a", 0, "ar")], team, now=59, overflow_after=60) == []
    assert plan_offers([contact("a", 0, "ar")], team, now=60, overflow_after=60) == [Offer("a", 1)]


def test_a_speaker_is_preferred_even_after_overflow() -> None:
    team = [counsellor(1, languages=("sv",), free_since=0), counsellor(2, languages=("ar",), free_since=50)]
    assert plan_offers([contact("a", 0, "ar")], team, now=500, overflow_after=60) == [Offer("a", 2)]


def test_a_contact_nobody_can_take_does_not_block_the_ones_behind() -> None:
    team = [counsellor(1, languages=("sv",))]
    plan = plan_offers([contact("a", 0, "ar"), contact("b", 1, "sv")], team, now=10, overflow_after=60)
    assert plan == [Offer("b", 1)]


def test_a_skill_is_required_and_never_overflows() -> None:
    team = [counsellor(1), counsellor(2, skills=("nurse",), free_since=99)]
    assert plan_offers([contact("a", 0, skill="nurse")], team, now=10_000, overflow_after=60) == [Offer("a", 2)]
    assert plan_offers([contact("a", 0, skill="police")], team, now=10_000, overflow_after=60) == []


def test_offered_contacts_are_not_planned_again() -> None:
    assert plan_offers([contact("a", 0, state="offered")], [counsellor(1)], now=1, overflow_after=60) == []


def test_wait_estimate_is_zero_with_a_free_slot_and_grows_with_the_queue() -> None:
    team = [counsellor(1, capacity=2, active=("x",)), counsellor(2, capacity=2, active=("y", "z"))]
    assert estimate_wait_seconds(1, team, mean_handle_seconds=600) == 0
    # 4 slots; contact 3 has 2 ahead of it beyond the free slot: 2/4 of a handling time.
    assert estimate_wait_seconds(3, team, mean_handle_seconds=600) == 300


def test_no_estimate_when_nobody_is_taking_contacts() -> None:
    assert estimate_wait_seconds(1, [counsellor(1, state="break")], mean_handle_seconds=600) is None
    assert estimate_wait_seconds(1, [], mean_handle_seconds=600) is None


def test_a_call_goes_only_to_a_free_counsellor_on_phone_duty() -> None:
    call = Contact(id="p", channel="phone", language="sv", enqueued_at=0)
    team = [counsellor(1, free_since=0), counsellor(2, phone=True, active=("x",)), counsellor(3, phone=True)]
    assert plan_offers([call], team, now=1, overflow_after=60) == [Offer("p", 3)]


def test_a_counsellor_on_a_call_gets_no_chat() -> None:
    assert plan_offers([contact("a", 0)], [counsellor(1, phone=True, on_call=True)], now=1, overflow_after=60) == []


def test_a_visitor_whose_page_is_gone_is_not_offered_and_keeps_the_place() -> None:
    """Sixty abandoned "in danger" starts a second must not hold the counsellors on empty
    offers while a real visitor waits behind them (issue 18, item 8)."""
    abandoned = [contact(f"gone{i}", i, danger=True, visitor_gone_at=100.0) for i in range(60)]
    real = contact("real", 70)
    plan = plan_offers([*abandoned, real], [counsellor(1)], now=101, overflow_after=60)
    assert plan == [Offer("real", 1)]
    # Back within the grace: first in line again.
    back = contact("gone0", 0, danger=True)
    assert plan_offers([back, real], [counsellor(1)], now=101, overflow_after=60) == [Offer("gone0", 1)]


def test_a_contact_is_offered_only_to_counsellors_of_its_centre() -> None:
    from routing.policy import plan_offers
    from routing.state import Contact, Counsellor

    queue = [
        Contact(id="u1", channel="chat", language="sv", enqueued_at=1, centre="una"),
        Contact(id="d1", channel="chat", language="sv", enqueued_at=2),
    ]
    nexus = Counsellor(id=1, name="Sara", languages=("sv",), state="available", free_since=0)
    una = Counsellor(id=2, name="Aino", languages=("sv",), state="available", free_since=5, centres=("una",))
    plan = plan_offers(queue, [nexus, una], now=1000, overflow_after=0)
    assert {(o.contact_id, o.counsellor_id) for o in plan} == {("u1", 2), ("d1", 1)}
    # Whoever is free, the overflow never crosses a centre: only the centre's rules move a contact.
    assert plan_offers(queue[:1], [nexus], now=10_000, overflow_after=0) == []
    both = Counsellor(id=3, name="Lina", languages=("sv",), state="available", centres=("", "una"))
    assert len(plan_offers(queue, [both], now=1000, overflow_after=0)) == 1


def test_no_offer_during_a_breather() -> None:
    from routing.policy import plan_offers
    from routing.state import READY_WHEN_SAID, Contact, Counsellor

    queue = [Contact(id="a", channel="chat", language="sv", enqueued_at=1)]
    resting = Counsellor(id=1, name="Sara", languages=("sv",), state="available", rest_until=100)
    assert plan_offers(queue, [resting], now=99, overflow_after=60) == []
    assert len(plan_offers(queue, [resting], now=100, overflow_after=60)) == 1
    until_ready = Counsellor(id=2, name="Omar", languages=("sv",), state="available", rest_until=READY_WHEN_SAID)
    assert plan_offers(queue, [until_ready], now=10**12, overflow_after=60) == []


def test_calls_and_chats_mix_only_where_every_centre_involved_allows_it() -> None:
    """Issue 16, item 5: ``channels_apart`` is per centre. "b" lets them mix, "" (the
    default centre) keeps them apart; a second call never comes, whatever the centre."""
    chatting_b = Contact(id="c", channel="chat", language="sv", enqueued_at=0, centre="b")
    call_b = Contact(id="p", channel="phone", language="sv", enqueued_at=0, centre="b")
    call_a = Contact(id="q", channel="phone", language="sv", enqueued_at=0, centre="")
    lina = counsellor(1, phone=True, active=("x",), centres=("", "b"))
    assert channels_allow(lina, call_b, mixed={"b"})  # chatting at b, a call of b
    assert not channels_allow(lina, call_a, mixed={"b"})  # the call's centre keeps them apart
    assert not channels_allow(lina, call_b, mixed=set())  # b says so too: apart
    in_apart_chat = counsellor(1, phone=True, active=("x",), centres=("", "b"), apart=True)
    assert not channels_allow(in_apart_chat, call_b, mixed={"b"})  # chatting at a centre that says no
    on_call = counsellor(1, phone=True, active=("y",), centres=("", "b"), on_call=True)
    assert channels_allow(on_call, chatting_b, mixed={"b"})
    assert not channels_allow(on_call, call_b, mixed={"b"})  # never two calls
    assert plan_offers([call_b], [lina], now=1, overflow_after=60, mixed={"b"}) == [Offer("p", 1)]
    assert plan_offers([call_b], [lina], now=1, overflow_after=60) == []  # unknown: apart
    # A call of a centre that keeps them apart occupies the counsellor fully.
    assert not can_take_more(counsellor(1, phone=True, active=("y",), on_call=True, apart=True), now=1)
    assert can_take_more(on_call, now=1)


def test_a_membership_narrows_languages_skills_and_load_at_its_centre() -> None:
    both = {"centres": ("", "b"), "languages_at": ((), ("sv",)), "skills_at": ((), ("police",))}
    arabic_b = Contact(id="a", channel="chat", language="ar", enqueued_at=0, centre="b")
    arabic_home = Contact(id="h", channel="chat", language="ar", enqueued_at=0, centre="")
    c = counsellor(1, languages=("sv", "ar"), **both)
    assert plan_offers([arabic_home], [c], now=1, overflow_after=60) == [Offer("h", 1)]
    assert plan_offers([arabic_b], [c], now=1, overflow_after=60) == []  # not at b, until overflow
    police_b = Contact(id="p", channel="chat", language="sv", enqueued_at=0, centre="b", skill="police")
    police_home = Contact(id="q", channel="chat", language="sv", enqueued_at=0, centre="", skill="police")
    assert plan_offers([police_b], [c], now=1, overflow_after=60) == [Offer("p", 1)]
    assert plan_offers([police_home], [c], now=1, overflow_after=60) == []  # the profile has no skills
    full_at_b = counsellor(1, centres=("", "b"), capacity_at=(0, 1), active=("x",), load_at={"b": 1})
    sv_b = Contact(id="s", channel="chat", language="sv", enqueued_at=0, centre="b")
    sv_home = Contact(id="t", channel="chat", language="sv", enqueued_at=0, centre="")
    assert plan_offers([sv_b, sv_home], [full_at_b], now=1, overflow_after=60) == [Offer("t", 1)]
