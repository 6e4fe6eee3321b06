"""Several centres on one installation: the overflow decision, the admin's refusal of a
circle of hand-overs, opening hours per line with Swedish holidays, and the upgrade of a
one-centre database (issue 15)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.overflow import Rule, Situation, find_cycle, first_rule, resolve

# --- the pure decision ---


def test_the_first_rule_that_applies_wins_and_a_closed_line_only_hears_closed_rules() -> None:
    rules = [
        Rule("full", "centre", centre="norrbotten"),
        Rule("unanswered", "centre", after_seconds=120, centre="vasternorrland"),
        Rule("closed", "forward", number="020577070", name="Rätt att välja"),
        Rule("closed", "link", url="https://example.org/chat", name="Another chat"),
    ]
    assert first_rule(rules, Situation("chat")) is None  # open, room, not waiting: stays
    assert first_rule(rules, Situation("chat", full=True)) == rules[0]
    assert first_rule(rules, Situation("chat", waited=119)) is None
    assert first_rule(rules, Situation("chat", waited=120)) == rules[1]
    # Closed: a call is forwarded, a chat cannot be and gets the link instead.
    assert first_rule(rules, Situation("phone", closed=True, full=True, waited=999)) == rules[2]
    assert first_rule(rules, Situation("chat", closed=True, full=True, waited=999)) == rules[3]


def test_a_hand_over_is_followed_to_where_someone_answers() -> None:
    rules = {
        "uppsala": [Rule("closed", "centre", centre="norrbotten")],
        "norrbotten": [Rule("closed", "forward", number="020577070", name="Rätt att välja")],
        "national": [],
    }
    closed = {"uppsala": True, "norrbotten": False}

    def situation(slug: str) -> Situation:
        return Situation("phone", closed=closed.get(slug, False))

    assert resolve("uppsala", rules, situation).centre == "norrbotten"
    closed["norrbotten"] = True
    end = resolve("uppsala", rules, situation)
    assert end.leaves and end.rule is not None and end.rule.number == "020577070" and end.hops == 1
    # The wait at the first centre does not make the second hand it on again.
    waiting = {"uppsala": [Rule("unanswered", "centre", after_seconds=60, centre="norrbotten")]}
    waiting["norrbotten"] = [Rule("unanswered", "centre", after_seconds=60, centre="uppsala")]
    end = resolve("uppsala", waiting, lambda slug: Situation("chat", waited=300))
    assert end.centre == "norrbotten" and end.hops == 1


def test_a_circle_saved_around_the_check_still_ends() -> None:
    rules = {"a": [Rule("closed", "centre", centre="b")], "b": [Rule("closed", "centre", centre="a")]}
    end = resolve("a", rules, lambda slug: Situation("chat", closed=True))
    assert end.centre == "b" and not end.leaves


def acyclic(edges: dict[str, set[str]]) -> bool:
    """Kahn's algorithm, as an independent judge of find_cycle."""
    nodes = set(edges) | {t for ts in edges.values() for t in ts}
    indegree = {n: 0 for n in nodes}
    for targets in edges.values():
        for t in targets:
            indegree[t] += 1
    ready = [n for n in nodes if indegree[n] == 0]
    seen = 0
    while ready:
        n = ready.pop()
        seen += 1
        for t in edges.get(n, ()):
            indegree[t] -= 1
            if indegree[t] == 0:
                ready.append(t)
    return seen == len(nodes)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdefg"), st.sets(st.sampled_from("abcdefg"), max_size=3), max_size=7))
def test_find_cycle_finds_a_real_cycle_exactly_when_there_is_one(edges: dict[str, set[str]]) -> None:
    cycle = find_cycle(edges)
    assert (cycle is None) == acyclic(edges)
    if cycle is not None:
        assert cycle[0] == cycle[-1] and len(cycle) >= 2
        assert all(b in edges.get(a, set()) for a, b in itertools.pairwise(cycle))


# --- the admin's model checks ---


@pytest.fixture
def three(db: None) -> dict[str, Any]:
    from centres.models import Centre, Line

    made: dict[str, Any] = {}
    for slug, name in (("uppsala", "Nexus Uppsala"), ("norrbotten", "Una Norrbotten"), ("vnl", "Västernorrland")):
        centre = Centre.objects.filter(slug=slug).first() or Centre.objects.create(name=name, slug=slug)
        made[slug] = Line.objects.create(centre=centre, kind="phone", name="Telefon", number=f"+46{len(made)}0123456")
    return made


def rule(line: Any, **fields: Any) -> Any:
    from centres.models import OverflowRule

    r = OverflowRule(line=line, **fields)
    r.full_clean()
    r.save()
    return r


def test_the_admin_refuses_a_circle_of_hand_overs(three: dict[str, Any]) -> None:
    from centres.models import OverflowRule

    rule(three["uppsala"], condition="closed", action="centre", centre=three["norrbotten"].centre)
    rule(three["norrbotten"], condition="full", action="centre", centre=three["vnl"].centre)
    closing = OverflowRule(line=three["vnl"], condition="closed", action="centre", centre=three["uppsala"].centre)
    with pytest.raises(ValidationError) as refused:
        closing.full_clean()
    assert "uppsala" in str(refused.value) and "vnl" in str(refused.value)
    itself = OverflowRule(line=three["vnl"], condition="closed", action="centre", centre=three["vnl"].centre)
    with pytest.raises(ValidationError):
        itself.full_clean()
    # Forwarding onwards to the national line is no circle.
    rule(three["vnl"], condition="closed", action="forward", number="020577070", service_name="Rätt att välja")


def test_a_chat_line_cannot_forward_to_a_number_and_a_rule_needs_its_target(three: dict[str, Any]) -> None:
    from centres.models import Line, OverflowRule

    web = Line.objects.create(centre=three["norrbotten"].centre, kind="web", name="Chatt")
    for fields in (
        {"condition": "closed", "action": "forward", "number": "020577070"},
        {"condition": "closed", "action": "centre"},
        {"condition": "unanswered", "action": "link", "url": "https://example.org/"},  # no seconds
    ):
        with pytest.raises(ValidationError):
            OverflowRule(line=web, **fields).full_clean()
    with pytest.raises(ValidationError):
        Line(centre=web.centre, kind="phone", name="No number").full_clean()


# --- opening hours per line, Swedish holidays ---


def test_each_line_has_its_own_hours_and_a_new_line_starts_with_holidays_closed(three: dict[str, Any]) -> None:
    from django.contrib.admin.sites import site

    from centres.holidays import swedish_holidays
    from centres.models import Line
    from contacts import hours
    from contacts.models import OpeningHours

    OpeningHours.objects.create(line=three["norrbotten"], weekday=0, opens=time(8), closes=time(16))
    monday_noon = datetime(2027, 6, 21, 12, tzinfo=hours.STOCKHOLM)
    assert hours.load_schedule(three["norrbotten"].pk).is_open(monday_noon)
    assert not hours.load_schedule(three["uppsala"].pk).is_open(monday_noon)

    names = dict(swedish_holidays(2027))
    assert names[date(2027, 6, 25)] == "Midsommarafton" and names[date(2027, 12, 24)] == "Julafton"
    assert date(2027, 6, 24) not in names  # the half days before are left to the centre

    admin = site._registry[Line]
    line = Line(centre=three["vnl"].centre, kind="web", name="Chatt")

    class Request:
        pass

    admin.save_model(Request(), line, form=None, change=False)  # type: ignore[arg-type]
    OpeningHours.objects.create(line=line, weekday=4, opens=time(8), closes=time(16))
    schedule = hours.load_schedule(line.pk)
    assert not schedule.is_open(datetime(2027, 6, 25, 12, tzinfo=hours.STOCKHOLM))  # Midsommarafton, a Friday
    assert schedule.is_open(datetime(2027, 6, 18, 12, tzinfo=hours.STOCKHOLM))  # the Friday before


def test_switching_language_on_a_centres_page_lists_that_centres_hours(three: dict[str, Any], client: Any) -> None:
    from centres.models import Line
    from contacts import hours
    from contacts.models import OpeningHours

    web = Line.objects.create(centre=three["norrbotten"].centre, kind="web", name="Chatt")
    OpeningHours.objects.create(line=web, weekday=0, opens=time(7, 15), closes=time(11, 45))
    hours.invalidate()
    own = client.get("/i18n/en.json?centre=norrbotten").json()["info"]["hours"]
    assert own[0]["periods"] == ["07:15–11:45"]
    front = client.get("/i18n/en.json").json()["info"]["hours"]
    assert front[0]["periods"] != ["07:15–11:45"]  # the default centre's hours, not Una's
    assert client.get("/i18n/en.json?centre=nowhere").status_code == 404


# --- the upgrade of a one-centre database ---


@pytest.mark.django_db(transaction=True)
def test_a_one_centre_database_upgrades_to_a_default_centre_that_keeps_its_hours() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from contacts import hours

    before = [("contacts", "0006_paused_and_full_texts"), ("centres", None)]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state([("contacts", "0006_paused_and_full_texts")]).apps
    for name in ("OpeningHours", "OpeningException"):
        old.get_model("contacts", name).objects.all().delete()  # the defaults 0002 made
    old.get_model("contacts", "OpeningHours").objects.create(weekday=2, opens=time(9), closes=time(15))
    old.get_model("contacts", "OpeningException").objects.create(date=date(2027, 1, 13), closed=True)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from centres.models import Centre
    from contacts.models import OpeningException, OpeningHours

    centre = Centre.objects.get(default=True)
    line = centre.lines.get(kind="web")
    assert OpeningHours.objects.get(weekday=2).line == line
    assert OpeningException.objects.get(date=date(2027, 1, 13)).line == line
    assert not OpeningException.objects.exclude(date=date(2027, 1, 13)).exists()  # no holidays forced on it
    hours.invalidate()
    schedule = hours.load_schedule()
    assert schedule.is_open(datetime(2027, 1, 20, 12, tzinfo=hours.STOCKHOLM))  # a Wednesday
    assert not schedule.is_open(datetime(2027, 1, 13, 12, tzinfo=hours.STOCKHOLM))  # its exception


@pytest.mark.django_db(transaction=True)
def test_an_installation_that_let_calls_and_chats_mix_keeps_that_in_every_centre(monkeypatch: Any) -> None:
    """PHONE_EXCLUSIVE=false, the one setting for all, becomes each centre's choice on
    upgrade (migration centres.0006); afterwards the variable is read no more, and the
    start-up checks say so rather than let an operator believe it applies."""
    from django.core import checks
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("centres", "0005_transfer_and_block_length")])
    old = executor.loader.project_state([("centres", "0005_transfer_and_block_length")]).apps
    for slug in ("una", "vasternorrland"):
        old.get_model("centres", "Centre").objects.get_or_create(slug=slug, defaults={"name": slug.title()})
    monkeypatch.setenv("PHONE_EXCLUSIVE", "false")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from centres.models import Centre

    assert Centre.objects.filter(slug__in=["una", "vasternorrland"], channels_apart=False).count() == 2
    assert not Centre.objects.filter(channels_apart=True).exists()
    assert Centre(name="New", slug="new").channels_apart  # a new centre: apart, the safe default
    assert [m.id for m in checks.run_checks() if m.id == "chatservice.W101"] == ["chatservice.W101"]
    monkeypatch.delenv("PHONE_EXCLUSIVE")
    assert not [m for m in checks.run_checks() if m.id == "chatservice.W101"]


def test_a_closing_time_rule_stops_new_contacts_before_the_line_closes() -> None:
    from contacts.hours import STOCKHOLM, Period, Schedule

    schedule = Schedule({2: (Period(time(9), time(16)),)}, {})  # Wednesdays 9-16
    at = datetime(2027, 1, 20, 15, 50, tzinfo=STOCKHOLM)
    assert schedule.accepting(at) and schedule.accepting(at, 9)
    assert not schedule.accepting(at, 10)  # ten minutes before closing: no new contact
    assert not schedule.accepting(datetime(2027, 1, 20, 16, 0, tzinfo=STOCKHOLM))
    two = Schedule({2: (Period(time(9), time(12)), Period(time(12), time(16)))}, {})
    assert two.accepting(datetime(2027, 1, 20, 11, 55, tzinfo=STOCKHOLM), 15)  # the next shift goes on


@pytest.mark.django_db(transaction=True)
async def test_a_line_in_its_closing_window_turns_new_contacts_to_its_rules(backend: str) -> None:
    from asgiref.sync import sync_to_async

    from centres.models import Centre, Line
    from contacts import hours
    from contacts.models import OpeningHours
    from contacts.service import get_service

    def line_closing_in_five_minutes() -> None:
        from datetime import timedelta

        now = datetime.now(hours.STOCKHOLM)
        centre = Centre.objects.filter(default=True).first() or Centre.objects.create(
            name="Nexus", slug="nexus", default=True
        )
        line, _ = Line.objects.get_or_create(centre=centre, kind="web", defaults={"name": "Chatt"})
        line.closing_minutes = 15
        line.save()
        OpeningHours.objects.all().delete()
        closes = (now + timedelta(minutes=5)).time()
        if closes < now.time():
            # Near midnight the shift ends at the day's last second instead: still
            # inside the 15-minute window, so the test runs at every hour.
            closes = time(23, 59, 59)
        OpeningHours.objects.create(line=line, weekday=now.weekday(), opens=time(0), closes=closes)
        hours.invalidate()

    await sync_to_async(line_closing_in_five_minutes)()
    closed = await get_service().availability("sv", "chat")
    assert closed is not None and closed.reason == "hours"


def test_a_centre_that_wants_names_told_apart_refuses_a_second_sara(three: dict[str, Any]) -> None:
    from centres.models import Centre
    from staff.models import Membership
    from tests.conftest import make_counsellor

    una = three["norrbotten"].centre
    sara = make_counsellor("sara-u", "Sara", ["sv"], 2)
    other = make_counsellor("sara-n", "Sara", ["sv"], 2)
    Membership.objects.create(user=sara, centre=una)
    second = Membership(user=other, centre=una)
    with pytest.raises(ValidationError) as refused:
        second.full_clean()
    assert "pseudonym" in refused.value.message_dict
    second.pseudonym = "Sanna"  # her name at Una
    second.full_clean()
    Centre.objects.filter(pk=una.pk).update(pseudonyms_unique=False)
    Membership(user=other, centre=Centre.objects.get(pk=una.pk)).full_clean()  # this centre allows it
    with pytest.raises(ValidationError):
        Membership(user=other, centre=una, pseudonym="Sanna\x1f").full_clean()
