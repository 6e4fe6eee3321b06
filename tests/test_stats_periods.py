"""Issue 18, items 5 and 10: the periods a report may cover.

Item 5: reports of overlapping periods must not be subtracted from each other to give
back a count that suppression hides. Item 10: a hostile or out-of-range period is a 400,
never a 500.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from staff.roles import SUPERVISOR_GROUP, ensure_roles
from stats.models import DailyCount, PartnerToken
from stats.reports import token_hash

pytestmark = pytest.mark.django_db

TOKEN = "partner-token-for-tests"


@pytest.fixture
def supervisor_client(client: Client) -> Client:
    ensure_roles()
    boss = User.objects.create_user("boss", password="b" * 16)
    boss.groups.add(Group.objects.get(name=SUPERVISOR_GROUP))
    client.force_login(boss)
    return client


@pytest.fixture
def partner() -> None:
    PartnerToken.objects.create(name="Region Uppsala", token_hash=token_hash(TOKEN))


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def wrapups(day: date, n: int, age: str, municipality: str, topic: str) -> None:
    """``n`` contacts on ``day``, each with a counsellor's wrap-up, counted as the service
    counts them: every dimension on its own."""
    rows: dict[tuple[str, str, str], int] = defaultdict(int)
    for metric, dimension, value in [
        ("contacts", "", ""),
        ("contacts", "channel", "chat"),
        ("contacts.answered", "", ""),
        ("wrapup", "", ""),
        ("wrapup", "age", age),
        ("wrapup", "municipality", municipality),
        ("wrapup.topic", "topic", topic),
    ]:
        rows[(metric, dimension, value)] += n
    for (metric, dimension, value), add in rows.items():
        row, _created = DailyCount.objects.get_or_create(
            day=day, metric=metric, dimension=dimension, value=value, defaults={"count": 0}
        )
        row.count += add
        row.save()


class Boundaries:
    """Union-find over day boundaries. A published number for days a..b is the difference
    of two prefix sums, P(b) - P(a-1): an edge between them. A day's count, or any
    period's, can be computed from the published numbers exactly when its two ends are
    connected."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, start: date, end: date) -> None:
        self.parent[self.find(start.toordinal() - 1)] = self.find(end.toordinal())

    def known(self, start: date, end: date) -> bool:
        return self.find(start.toordinal() - 1) == self.find(end.toordinal())


def test_one_person_cannot_be_recovered_by_differencing_periods(client: Client, partner: None) -> None:
    """The attack from the issue: one person aged 13–17 from Knivsta, forced marriage, on
    one day. The attacker asks every period the API answers (whole months, quarters and
    years, and any dates where those are accepted), then subtracts."""
    today = timezone.localdate()
    this_quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    m1, m2, m3 = (add_months(this_quarter, i) for i in (-3, -2, -1))  # last quarter: complete
    m2_last = m3 - timedelta(days=1)
    for month in (m1, m2, m3):
        wrapups(month + timedelta(days=2), 20, "18-25", "uppsala", "honour")
    for month in (m1, m3):
        wrapups(month + timedelta(days=9), 6, "13-17", "knivsta", "forced_marriage")
    wrapups(m2 + timedelta(days=1), 6, "26-40", "knivsta", "honour")
    wrapups(m2_last, 1, "13-17", "knivsta", "forced_marriage")  # the person

    queries = [f"period=month&offset={o}" for o in range(0, -13, -1)]
    queries += [f"period=quarter&offset={o}" for o in range(0, -5, -1)]
    queries += ["period=year", "period=year&offset=-1"]
    queries += [f"period=custom&from={m2}&to={to}" for to in (m2_last - timedelta(days=1), m2_last)]
    queries += [f"period=custom&from={m1}&to={m3 - timedelta(days=1)}", f"period=custom&from={m2_last}&to={m2_last}"]
    published = []
    for query in queries:
        response = client.get(f"/api/stats/?{query}", HTTP_AUTHORIZATION=f"Token {TOKEN}")
        assert response.status_code in (200, 400), query
        if response.status_code == 200:
            published.append(response.json())
    assert published, "the attacker got no report at all"

    for table, code in [("age", "13-17"), ("municipality", "knivsta"), ("topics", "forced_marriage")]:
        graph = Boundaries()
        hidden: list[tuple[date, date]] = []
        for report in published:
            start, end = (date.fromisoformat(report["period"][k]) for k in ("from", "to"))
            value = report["tables"][table]["cells"][code]
            if isinstance(value, int):
                graph.join(start, end)
            else:
                hidden.append((start, end))
        assert not graph.known(m2_last, m2_last), f"{table}={code} on {m2_last} can be worked out"
        for start, end in hidden:
            assert not graph.known(start, end), f"{table}={code} for {start}..{end} is hidden but can be worked out"


def get(client: Client, endpoint: str, query: str) -> Any:
    if endpoint == "/api/stats/":
        return client.get(f"{endpoint}?{query}", HTTP_AUTHORIZATION=f"Token {TOKEN}")
    return client.get(f"{endpoint}?{query}")


HOSTILE = [
    # year 9999 and the edges of the calendar (a 500 on the old code: date overflow)
    "period=custom&from=9999-12-31&to=9999-12-31",
    "period=custom&from=9999-12-25&to=9999-12-31",
    "period=custom&from=0001-01-01&to=0001-01-01",
    "from=9999-12-31&to=9999-12-31",
    # any range that is not a whole month, quarter or year
    "period=custom&from=2026-01-01&to=2026-01-31",
    "period=month&offset=-1&from=2026-01-01",
    # huge, negative, positive and malformed offsets
    "period=year&offset=-99999999999999999999999999",
    "period=year&offset=-" + "9" * 5000,
    "period=month&offset=-41",
    "period=quarter&offset=-100000",
    "period=year&offset=1",
    "period=month&offset=12",
    "period=month&offset=1.5",
    "period=month&offset=-1e3",
    "period=month&offset=abc",
    "period=month&offset=",
    "period=month&offset=%20-1",
    "period=month&offset=-%D9%A1",  # Arabic-Indic digit one
    "period=month&offset=%E2%88%921",  # U+2212 minus sign
    "period=month&offset=-1%00",
    # unknown kinds
    "period=decade",
    "period=week",
    "period=",
    "period=MONTH",
    "period=month%00",
    # repeated parameters
    "period=month&period=year",
    "period=month&offset=-1&offset=-2",
    "period=month&offset=-1&offset=-1",
    # a month that has not ended yet
    "period=month&offset=0",
]


@pytest.mark.parametrize("endpoint", ["/stats/", "/stats/report.csv", "/api/stats/"])
def test_hostile_periods_are_refused_with_a_clear_400(supervisor_client: Client, partner: None, endpoint: str) -> None:
    for query in HOSTILE:
        response = get(supervisor_client, endpoint, query)
        assert response.status_code == 400, (endpoint, query, response.status_code)
        if endpoint == "/api/stats/":
            assert response["Content-Type"].startswith("application/json")
            assert isinstance(response.json()["error"], str) and response.json()["error"]
        else:
            assert response["Content-Type"].startswith("text/plain")
            assert "period" in response.content.decode().lower() or "månad" in response.content.decode()


@pytest.mark.parametrize("endpoint", ["/stats/", "/stats/report.csv", "/api/stats/"])
@pytest.mark.parametrize(
    ("today", "query", "status", "first", "last"),
    [
        (date(9999, 12, 15), "period=year", 200, date(9999, 1, 1), date(9999, 11, 30)),
        (date(9999, 12, 31), "period=month&offset=-1", 200, date(9999, 11, 1), date(9999, 11, 30)),
        (date(9999, 12, 31), "period=quarter", 200, date(9999, 10, 1), date(9999, 11, 30)),
        (date(9999, 12, 31), "period=quarter&offset=-1", 200, date(9999, 7, 1), date(9999, 9, 30)),
        (date(9999, 12, 31), "period=month&offset=1", 400, None, None),
        (date(1, 2, 10), "period=month&offset=-1", 200, date(1, 1, 1), date(1, 1, 31)),
        (date(1, 2, 10), "period=month&offset=-2", 400, None, None),
        (date(1, 2, 10), "period=year&offset=-1", 400, None, None),
        (date(1, 1, 10), "period=year", 400, None, None),
    ],
)
def test_periods_at_the_edges_of_the_calendar(
    supervisor_client: Client,
    partner: None,
    monkeypatch: pytest.MonkeyPatch,
    endpoint: str,
    today: date,
    query: str,
    status: int,
    first: date | None,
    last: date | None,
) -> None:
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: today)
    response = get(supervisor_client, endpoint, query)
    assert response.status_code == status, (today, query, response.content[:200])
    if status == 200 and endpoint == "/api/stats/":
        assert response.json()["period"] == {"from": first.isoformat(), "to": last.isoformat()}  # type: ignore[union-attr]
