"""Two real daphne processes sharing Redis and PostgreSQL, three centres, 200 visitors
spread over their pages: no double assignment, no contact lost, and every contact
answered by a counsellor of its own centre (issue 15)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from websockets.typing import Origin

from tests.server import ROOT, Daphne, daphne_process, login_cookie, next_frame, prepare, server_env

pytestmark = pytest.mark.browser  # real servers: grouped with the slow tests

VISITORS = 200
PASSWORD = "centres-race-password-1"
PAGES = ["", "norrbotten", "vnl"]  # "" is the front page (Nexus); Una Norrbotten is the demo's
# Who works where: four per centre, and one counsellor for two centres.
STAFF: dict[str, list[str]] = {
    **{f"n{i}": [""] for i in range(4)},
    **{f"u{i}": ["norrbotten"] for i in range(4)},
    **{f"v{i}": ["vnl"] for i in range(3)},
    "both": ["norrbotten", "vnl"],
}

SETUP = """
from datetime import time
from django.contrib.auth.models import Group, User
from centres.models import Centre, Line
from contacts.models import OpeningHours
from staff.models import CounsellorProfile, Membership
staff = json.loads({staff!r})
group = Group.objects.get(name="counsellor")
centres = {{"": Centre.objects.get(default=True), "norrbotten": Centre.objects.get(slug="norrbotten")}}
centres["vnl"] = Centre.objects.create(name="Västernorrland", slug="vnl")
line = Line.objects.create(centre=centres["vnl"], kind="web", name="Chatt")
for day in range(7):
    OpeningHours.objects.create(line=line, weekday=day, opens=time(0), closes=time(23, 59, 59, 999999))
for name, works in staff.items():
    user = User.objects.create_user(name, password={password!r})
    user.groups.add(group)
    CounsellorProfile.objects.create(user=user, display_name=name, languages=["sv"], max_chats=2)
    for slug in works:
        if slug:
            Membership.objects.create(user=user, centre=centres[slug])
"""


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Daphne]]:
    tmp = tmp_path_factory.mktemp("centres-race")
    database = f"centres_{uuid.uuid4().hex[:8]}"
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-c"]
    subprocess.run([*psql, f"CREATE DATABASE {database}"], check=True, capture_output=True)
    env = server_env(
        {
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
            "REDIS_URL": "redis://127.0.0.1:6379/13",
            "REDIS_PREFIX": f"centres{uuid.uuid4().hex[:6]}",
            "OFFER_TIMEOUT_SECONDS": "10",
            "CONNECTIONS_PER_SOURCE": "1000",  # every test client shares one loopback address
            "FRAMES_PER_SECOND": "50",
        }
    )
    prepare(env)
    script = "import json\n" + SETUP.format(staff=json.dumps(STAFF), password=PASSWORD)
    subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True)
    try:
        with daphne_process(env, tmp / "a.log") as a, daphne_process(env, tmp / "b.log") as b:
            yield [a, b]
    finally:
        subprocess.run([*psql, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"], capture_output=True)


async def counsellor(url: str, cookie: str, name: str, log: dict[str, Any], stop: asyncio.Event) -> None:
    """On duty; accept every offer, greet, note which centre the visitor says they came
    from, end."""
    ws_url = url.replace("http://", "ws://") + "/ws/console/"
    async with websockets.connect(ws_url, origin=Origin(url), additional_headers={"Cookie": cookie}) as ws:
        await next_frame(ws, "hello")
        await ws.send(json.dumps({"type": "duty", "state": "available"}))
        active: set[str] = set()
        synced = time.monotonic()
        while not stop.is_set():
            try:
                frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=0.5))
            except TimeoutError:
                if time.monotonic() - synced > 3:
                    synced = time.monotonic()
                    for cid in active:
                        await ws.send(json.dumps({"type": "sync", "contact": cid, "last_seq": 0}))
                continue
            if frame["type"] == "me" and frame["state"] == "away":
                await ws.send(json.dumps({"type": "duty", "state": "available"}))
            elif frame["type"] == "queue":
                log["queue_seen"].setdefault(name, set()).update(item["contact"] for item in frame["items"])
            elif frame["type"] == "offer":
                await ws.send(json.dumps({"type": "accept", "contact": frame["contact"]}))
            elif frame["type"] == "conversation" and frame["contact"] not in active:
                cid = frame["contact"]
                active.add(cid)
                log["accepted"].append((name, cid))
                log["overlaps"] += sum(1 for held in log["holding"].values() if cid in held)
                log["holding"].setdefault(name, set()).add(cid)
                await ws.send(json.dumps({"type": "send", "contact": cid, "id": "c1", "text": "hej"}))
            elif frame["type"] == "message" and frame["from"] == "visitor" and frame["contact"] in active:
                log["came_from"][frame["contact"]] = (name, frame["text"].removeprefix("from:"))
                await ws.send(json.dumps({"type": "end", "contact": frame["contact"]}))
            elif frame["type"] == "ended":
                log["holding"].get(name, set()).discard(frame["contact"])
                active.discard(frame["contact"])
        await ws.send(json.dumps({"type": "duty", "state": "off"}))


async def visitor(url: str, n: int, page: str, log: dict[str, Any]) -> None:
    ws_url = url.replace("http://", "ws://") + "/ws/visitor/"
    async with websockets.connect(ws_url, origin=Origin(url)) as ws:
        await asyncio.sleep((n % 40) / 10)
        await ws.send(json.dumps({"type": "start", "lang": "sv", "centre": page}))
        last_seq = 0
        while True:
            try:
                frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            except TimeoutError:
                await ws.send(json.dumps({"type": "sync", "last_seq": last_seq}))
                continue
            if frame["type"] == "message" and frame["seq"] > last_seq:
                last_seq = frame["seq"]
                await ws.send(json.dumps({"type": "ack", "seq": frame["seq"]}))
                await ws.send(json.dumps({"type": "send", "id": "v1", "text": f"from:{page}"}))
            elif frame["type"] in ("ended", "closed"):
                log["visitor_end"][n] = frame["type"]
                return


async def race(urls: list[str]) -> dict[str, Any]:
    log: dict[str, Any] = {
        "accepted": [],
        "holding": {},
        "overlaps": 0,
        "visitor_end": {},
        "came_from": {},
        "queue_seen": {},
    }
    names = list(STAFF)
    cookies = [await asyncio.to_thread(login_cookie, urls[i % 2], name, PASSWORD) for i, name in enumerate(names)]
    stop = asyncio.Event()
    staff = [asyncio.create_task(counsellor(urls[i % 2], cookies[i], name, log, stop)) for i, name in enumerate(names)]
    await asyncio.sleep(1)
    try:
        await asyncio.wait_for(
            asyncio.gather(*(visitor(urls[n % 2], n, PAGES[n % 3], log) for n in range(VISITORS))), timeout=180
        )
    except TimeoutError:
        raise AssertionError(
            f"stuck: {len(log['visitor_end'])} visitors done, {len(log['accepted'])} accepted"
        ) from None
    stop.set()
    await asyncio.gather(*staff)
    return log


def test_three_centres_two_processes_every_contact_answered_once_by_its_own_centre(
    two_processes: list[Daphne],
) -> None:
    log = asyncio.run(race([p.url for p in two_processes]))
    assert len(log["visitor_end"]) == VISITORS, "a visitor was never answered nor told"
    assert set(log["visitor_end"].values()) == {"ended"}, Counter(log["visitor_end"].values())
    accepted = Counter(cid for _name, cid in log["accepted"])
    assert len(accepted) == VISITORS and set(accepted.values()) == {1}  # each contact taken once
    assert log["overlaps"] == 0
    assert len(log["came_from"]) == VISITORS
    strays = [(name, page) for name, page in log["came_from"].values() if page not in STAFF[name]]
    assert strays == [], "answered by another centre's counsellor"
    # No console ever listed another centre's waiting contact.
    centre_of = {cid: page for cid, (_name, page) in log["came_from"].items()}
    seen_elsewhere = [
        (name, centre_of[cid])
        for name, seen in log["queue_seen"].items()
        for cid in seen
        if cid in centre_of and centre_of[cid] not in STAFF[name]
    ]
    assert seen_elsewhere == []
    assert Counter(page for _name, page in log["came_from"].values()) == Counter(PAGES[n % 3] for n in range(VISITORS))
