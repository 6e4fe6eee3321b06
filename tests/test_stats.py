"""The statistics module: exact daily counters, reports that suppress small numbers."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from staff.roles import SUPERVISOR_GROUP, ensure_roles
from stats import count
from stats.counters import METRICS
from stats.models import DailyCount, PartnerToken
from stats.reports import token_hash

pytestmark = pytest.mark.django_db


def scripted_day() -> None:
    """Twelve chats and two out-of-hours attempts, as the service would count them."""
    for i in range(12):
        count("contacts", channel="chat", language="sv" if i < 9 else "ar", kind="self", danger="no")
    for _ in range(9):
        count("contacts.answered", channel="chat")
        count("wait", band="0-1m")
    for _ in range(3):
        count("contacts.left_before_answer", channel="chat")
    for _ in range(2):
        count("contacts.out_of_hours", channel="chat")
    for _ in range(7):
        count("wrapup", kind="self", age="13-17", municipality="uppsala")
    count("wrapup", kind="relative", municipality="tierp")
    count("wrapup.topic", topic="honour")


def last_month() -> date:
    first = timezone.localdate().replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def scripted_day_last_month() -> None:
    """The scripted day, on a day of last month: reports cover only months that have ended."""
    scripted_day()
    DailyCount.objects.update(day=last_month() + timedelta(days=14))


def test_counters_after_a_scripted_day_are_exact() -> None:
    scripted_day()
    got = {(r.metric, r.dimension, r.value): r.count for r in DailyCount.objects.all()}
    assert got[("contacts", "", "")] == 12
    assert got[("contacts", "language", "sv")] == 9 and got[("contacts", "language", "ar")] == 3
    assert got[("contacts.answered", "", "")] == 9
    assert got[("contacts.left_before_answer", "channel", "chat")] == 3
    assert got[("contacts.out_of_hours", "", "")] == 2
    assert got[("wrapup", "", "")] == 8 and got[("wrapup", "age", "13-17")] == 7
    assert {r.day for r in DailyCount.objects.all()} == {timezone.localdate()}


def test_a_counter_accepts_only_its_vocabulary() -> None:
    with pytest.raises(ValueError):
        count("contacts", channel="carrier pigeon")
    with pytest.raises(ValueError):
        count("contacts", phone="+46701234567")
    with pytest.raises(ValueError):
        count("no.such.metric")
    assert DailyCount.objects.count() == 0


def test_every_stored_row_is_an_aggregate_from_a_closed_vocabulary() -> None:
    scripted_day()
    for row in DailyCount.objects.all():
        assert row.metric in METRICS
        assert (row.dimension, row.value) == ("", "") or row.value in METRICS[row.metric][row.dimension]


@pytest.fixture
def supervisor_client(client: Client) -> Client:
    ensure_roles()
    boss = User.objects.create_user("boss", password="b" * 16)
    boss.groups.add(Group.objects.get(name=SUPERVISOR_GROUP))
    client.force_login(boss)
    return client


def test_the_report_suppresses_small_numbers(supervisor_client: Client) -> None:
    scripted_day_last_month()
    html = supervisor_client.get("/stats/?period=month&offset=-1").content.decode()
    assert "&lt;5" in html  # 3 Arabic contacts, 2 out-of-hours attempts, ...
    data = supervisor_client.get("/stats/report.csv?period=month&offset=-1").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data), delimiter=";"))
    language = {r[1]: r[3] for r in rows if r[0] == "language"}
    assert language["ar"] == "<5" and language["sv"] != "9"  # 9 would give 3 away: hidden as well
    assert {r[1]: r[3] for r in rows if r[0] == "language" or r == []}.get("total") in (None, "12")
    assert ("language", "total", "", "12") in {tuple(r) for r in rows}


def test_periods_and_bad_periods(supervisor_client: Client) -> None:
    assert supervisor_client.get("/stats/?period=quarter&offset=-1").status_code == 200
    assert supervisor_client.get("/stats/?period=year").status_code == 200
    assert supervisor_client.get("/stats/?period=month&offset=-1").status_code == 200
    assert supervisor_client.get("/stats/?period=month&offset=-40").status_code == 200
    assert supervisor_client.get("/stats/").status_code == 200  # last month
    # Only whole months that have ended (issue 18, item 5; tests/test_stats_periods.py).
    today = timezone.localdate()
    assert supervisor_client.get("/stats/?period=month&offset=0").status_code == 400
    assert (
        supervisor_client.get(f"/stats/?period=custom&from={today - timedelta(days=30)}&to={today}").status_code == 400
    )
    assert supervisor_client.get("/stats/?period=custom&from=2020-01-01&to=2019-01-01").status_code == 400
    assert supervisor_client.get("/stats/?period=custom&from=nonsense").status_code == 400
    assert supervisor_client.get("/stats/?period=decade").status_code == 400


def test_only_supervisors_see_reports(client: Client, sara: Any) -> None:
    assert client.get("/stats/").status_code == 302
    client.force_login(sara)
    assert client.get("/stats/").status_code == 403
    assert client.get("/stats/report.csv").status_code == 403


def test_the_partner_api_needs_a_token_and_suppresses_too(client: Client) -> None:
    scripted_day_last_month()
    PartnerToken.objects.create(name="Region Uppsala", token_hash=token_hash("secret-token"))
    assert client.get("/api/stats/").status_code == 401
    assert client.get("/api/stats/", HTTP_AUTHORIZATION="Token wrong").status_code == 401
    response = client.get("/api/stats/?period=month&offset=-1", HTTP_AUTHORIZATION="Token secret-token")
    assert response.status_code == 200
    data = response.json()
    assert data["tables"]["channel"]["total"] == 12
    assert data["tables"]["language"]["cells"]["ar"] == "<5"
    assert data["period"]["from"] == last_month().isoformat()
    assert client.get("/api/stats/", HTTP_AUTHORIZATION="Token secret-token").json() == data  # the default
    PartnerToken.objects.update(active=False)
    assert client.get("/api/stats/", HTTP_AUTHORIZATION="Token secret-token").status_code == 401


@pytest.fixture
def partner_client(client: Client) -> Client:
    from staff.roles import PARTNER_GROUP

    ensure_roles()
    region = User.objects.create_user("region", password="r" * 16)
    region.groups.add(Group.objects.get(name=PARTNER_GROUP))
    client.force_login(region)
    return client


def test_a_partner_account_reads_the_reports_and_nothing_else(partner_client: Client) -> None:
    scripted_day_last_month()
    page = partner_client.get("/stats/?period=month&offset=-1")
    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;5" in html and "<svg" in html  # the same suppressed tables, with bars
    assert "/supervisor/" not in html  # no way to the dashboard on a partner's page
    assert partner_client.get("/stats/report.csv?period=quarter&offset=-1").status_code == 200
    # Log-in lands on /console/: a partner is sent on to the reports.
    landing = partner_client.get("/console/")
    assert landing.status_code == 302 and landing["Location"] == "/stats/"
    assert partner_client.get("/supervisor/").status_code == 403
    admin = partner_client.get("/admin/")
    assert admin.status_code == 302 and admin["Location"].startswith("/admin/login/")
    assert partner_client.get("/admin/contacts/openinghours/").status_code == 302


async def test_a_partner_account_opens_no_staff_socket(transactional_db: None) -> None:
    from asgiref.sync import sync_to_async

    from staff.roles import PARTNER_GROUP
    from tests.conftest import ORIGIN, connect, session_cookie

    def partner() -> Any:
        ensure_roles()
        user = User.objects.create_user("region", password="r" * 16)
        user.groups.add(Group.objects.get(name=PARTNER_GROUP))
        return user

    cookie = await sync_to_async(session_cookie)(await sync_to_async(partner)())
    for path in ("/ws/console/", "/ws/supervisor/"):
        ok, _ = await connect(path, [*ORIGIN, (b"cookie", cookie)])
        assert not ok, path


def test_the_csv_opens_in_swedish_excel(supervisor_client: Client) -> None:
    scripted_day_last_month()
    body = supervisor_client.get("/stats/report.csv?period=month&offset=-1").content
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel reads UTF-8
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0] == "table;code;label;count"  # ";" is the list separator in a Swedish locale
    assert all(line.count(";") == 3 for line in lines if line)
    assert any("Uppsala" in line for line in lines)


@pytest.mark.django_db
def test_counts_are_kept_per_centre_and_the_roll_up_sums_what_each_centre_shows() -> None:
    from datetime import date

    from stats import count
    from stats.models import DailyCount
    from stats.reports import build

    for _ in range(12):
        count("contacts", centre="", channel="chat", language="sv", kind="self", danger="no")
    for _ in range(3):
        count("contacts", centre="una", channel="phone", language="sv", kind="self", danger="no")
    assert set(DailyCount.objects.values_list("centre", flat=True)) == {"", "una"}
    with pytest.raises(ValueError):
        count("contacts", centre="+46701234567", channel="chat")  # a centre, never anything else
    DailyCount.objects.update(day=date(2026, 10, 5))
    first, last = date(2026, 10, 1), date(2026, 10, 31)

    def by_channel(report: dict[str, Any]) -> dict[str, int | str]:
        return {code: v for code, _label, v in report["tables"][0].rows}

    assert by_channel(build(first, last, "")) == {"chat": 12, "phone": 0}
    assert by_channel(build(first, last, "una"))["chat"] == "<5"  # 3 phone calls: all small
    national = by_channel(build(first, last))
    assert national["chat"] == "–" and national["phone"] == "–"  # Una hides both: so does the roll-up
