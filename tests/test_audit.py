"""The staff audit log: who did what and when, readable by supervisors, kept for a fixed
time, and with nothing about a visitor in it (issue 16, item 8)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from audit.log import prune
from audit.models import AuditEvent
from contacts.service import Service
from tests.conftest import Has, console, supervisor_socket, visitor

pytestmark = [pytest.mark.usefixtures("open_all_day")]
SOURCE = ("127.66.77.88", 4000)


def default_centre() -> None:
    from centres.models import Centre

    if not Centre.objects.filter(default=True).exists():  # a transactional test's empty tables
        Centre.objects.create(name="Nexus Uppsala", slug="uppsala", default=True)


def rows() -> list[tuple[str, str, str, str]]:
    return [(e.actor_name, e.action, e.detail, e.subject_name) for e in AuditEvent.objects.order_by("at", "pk")]


async def test_staff_actions_are_logged_and_nothing_about_the_visitor(service: Service, sara: Any, maria: Any) -> None:
    await sync_to_async(default_centre)()
    staff = await console(sara)
    await staff.send(type="duty", state="available")
    await staff.expect("me", state="available")
    v = await visitor(client=SOURCE, lang="sv")
    offer = await staff.expect("offer")
    cid = offer["contact"]
    await staff.send(type="accept", contact=cid)
    await v.expect("joined")
    await v.send(type="send", id="v1", text="mitt-hemliga-namn 0701234567")
    await staff.expect("message", contact=cid)
    await staff.send(type="block", contact=cid)
    await staff.expect("ended", contact=cid)
    boss = await supervisor_socket(maria)
    await boss.send(type="intake", chat_paused=True)
    await boss.expect("intake_saved")
    await boss.send(type="intake", chat_paused=False, max_queue=3)
    await boss.expect("intake_saved", max_queue=3)
    board = await boss.expect("dashboard", intake=Has(centre="", chat_paused=False, phone_paused=False, max_queue=3))
    await boss.send(type="lift_block", block=board["blocks"][0]["id"])
    await boss.expect("block_lifted")
    await boss.send(type="off_duty", counsellor=sara.pk)
    await staff.expect("me", state="off")
    log = [r for r in await sync_to_async(rows)() if r[1] not in {"role_added", "login"}]  # set-up, not under test
    assert log == [
        ("sara", "duty", "available", ""),
        ("sara", "block_set", "", ""),
        ("maria", "intake_paused", "chat", ""),
        ("maria", "intake_resumed", "chat", ""),
        ("maria", "queue_limit", "", ""),
        ("maria", "block_lifted", "", ""),
        ("maria", "off_duty", "", "sara"),
    ]
    # What was done in a centre says which; what concerns a person, none.
    where = await sync_to_async(lambda: {e.action: e.centre and e.centre.default for e in AuditEvent.objects.all()})()
    assert where["intake_paused"] and where["queue_limit"] and where["block_set"]
    assert where["duty"] is None and where["off_duty"] is None
    text = str(await sync_to_async(lambda: list(AuditEvent.objects.values()))())
    for secret in (cid, "127.66.77.88", "mitt-hemliga-namn", "0701234567", board["blocks"][0]["id"]):
        assert secret not in text
    for s in (staff, v, boss):
        await s.close()


@pytest.mark.django_db
def test_log_in_out_roles_and_exports_are_logged_and_supervisors_read_them(maria: Any, sara: Any) -> None:
    from django.contrib.auth.models import Group

    AuditEvent.objects.all().delete()  # the fixtures' own role_added rows
    client = Client()
    client.force_login(maria)
    assert client.get("/supervisor/audit/").status_code == 200
    assert client.get("/stats/report.csv?period=year&offset=-1").status_code == 200
    supervisors = Group.objects.get(name="supervisor")
    sara.groups.add(supervisors)
    supervisors.user_set.remove(sara)
    client.post("/accounts/logout/")
    assert rows() == [
        ("maria", "login", "", ""),
        ("maria", "export", "csv", ""),
        ("", "role_added", "supervisor", "sara"),
        ("", "role_removed", "supervisor", "sara"),
        ("maria", "logout", "", ""),
    ]
    counsellor = Client()
    counsellor.force_login(sara)
    assert counsellor.get("/supervisor/audit/").status_code == 403  # supervisors only
    client.force_login(maria)
    page = client.get("/supervisor/audit/").content.decode()
    assert "Exporterade statistik" in page and "sara" in page


@pytest.mark.django_db
def test_the_log_is_kept_for_a_fixed_time(settings: Any) -> None:
    settings.AUDIT_RETENTION_DAYS = 30
    old = AuditEvent.objects.create(action="login", actor_name="x")
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=31))
    AuditEvent.objects.create(action="login", actor_name="y")
    assert prune() == 1
    assert [e.actor_name for e in AuditEvent.objects.all()] == ["y"]


@pytest.mark.django_db
def test_a_centres_supervisor_reads_the_rows_of_their_centres_only(maria: Any, sara: Any) -> None:
    """Una's supervisor does not learn when Nexus's counsellors log in or what Nexus's
    supervisor paused, and the other way round; a national supervisor reads both."""
    from django.contrib.auth.models import Group, User

    from audit.log import record
    from centres.models import Centre
    from staff.models import Membership
    from staff.roles import NATIONAL_GROUP
    from staff.scope import audit_scope
    from tests.conftest import make_supervisor

    default_centre()
    una = Centre.objects.create(name="Una Norrbotten", slug="una")
    lena = make_supervisor("lena", "Lena")
    Membership.objects.create(user=lena, centre=una, role="supervisor")
    ali = User.objects.create_user("ali")
    Membership.objects.create(user=ali, centre=una, role="counsellor")
    AuditEvent.objects.all().delete()
    record(sara, "login")  # Nexus's counsellor (no membership: the default centre)
    record(ali, "login")  # Una's
    record(maria, "intake_paused", "chat", centre="")
    record(lena, "intake_paused", "phone", centre="una")
    record(None, "role_added", "counsellor", subject=ali)
    record(None, "export", "api")  # a partner's roll-up of every centre: nobody's

    def seen(user: Any) -> set[tuple[str, str, str, str]]:
        scope = audit_scope(user)
        found = AuditEvent.objects.all() if scope is None else AuditEvent.objects.filter(scope)
        return {(e.actor_name, e.action, e.detail, e.subject_name) for e in found}

    assert seen(lena) == {
        ("ali", "login", "", ""),
        ("lena", "intake_paused", "phone", ""),
        ("", "role_added", "counsellor", "ali"),
        ("", "export", "api", ""),
    }
    assert seen(maria) == {("sara", "login", "", ""), ("maria", "intake_paused", "chat", ""), ("", "export", "api", "")}
    national = User.objects.create_user("riks")
    national.groups.add(Group.objects.get_or_create(name=NATIONAL_GROUP)[0])
    assert len(seen(national)) == 6
    client = Client()
    client.force_login(lena)
    page = client.get("/supervisor/audit/").content.decode()
    assert "Una Norrbotten" in page and "sara" not in page and "maria" not in page
