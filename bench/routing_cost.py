"""What routing costs a contact, with one centre and with many, in one process.

The end-to-end "time to match" in bench/run.py is the figure a visitor feels, but its
p99 over a few hundred arrivals is the third-slowest of them, and on a shared two-core
machine that moves by tens of milliseconds from run to run. This script asks the
narrower question of issue 15 — does routing cost grow with the number of centres? —
where the noise is small: the service runs in this process (no daphne, no sockets),
every arrival is timed in CPU time (this process's threads, the database thread
included) as well as wall time, and the one-centre and the many-centre set-ups take
turns, round after round, so that whatever else the machine does falls on both alike.

Each arrival is a real ``start_contact`` (opening hours, intake, overflow decision,
store, routing, the offer, the counters), then its counsellor accepts and ends it, so
that the counsellors stay free as in bench/run.py's "time to match".

    .venv/bin/python bench/routing_cost.py                  # embedded store, SQLite
    .venv/bin/python bench/routing_cost.py --redis redis://127.0.0.1:6379/12
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def setup_django(folder: Path, redis_url: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatservice.settings")
    os.environ["DATABASE_URL"] = ""
    os.environ["SQLITE_PATH"] = str(folder / "bench.sqlite3")
    os.environ["REDIS_URL"] = redis_url
    os.environ["REDIS_PREFIX"] = f"rc{uuid.uuid4().hex[:8]}"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def make_world(centres: int, counsellors: int) -> tuple[list[int], list[str]]:
    """The default centre open around the clock, ``centres`` more beside it, and
    counsellors who each work for all of them (so only the number of centres differs
    between the set-ups). Their ids, and the live slugs contacts arrive at."""
    from datetime import time as clock

    from django.contrib.auth.models import Group, User

    from centres.models import Centre, Line
    from contacts import hours
    from contacts.models import OpeningException, OpeningHours
    from staff.models import CounsellorProfile, Membership
    from staff.roles import COUNSELLOR_GROUP, ensure_roles

    ensure_roles()
    OpeningHours.objects.all().delete()
    OpeningException.objects.all().delete()
    Membership.objects.all().delete()
    Centre.objects.filter(default=False).delete()
    default = Centre.objects.get(default=True)
    lines = [Line.objects.get_or_create(centre=default, kind="web", defaults={"name": "Chatt"})[0]]
    slugs = [""]
    for i in range(centres):
        centre = Centre.objects.create(name=f"Centre {i}", slug=f"centre{i}")
        lines.append(Line.objects.create(centre=centre, kind="web", name="Chatt"))
        slugs.append(centre.slug)
    for line in lines:
        for day in range(7):
            OpeningHours.objects.create(line=line, weekday=day, opens=clock(0), closes=clock(23, 59, 59, 999999))
    group = Group.objects.get(name=COUNSELLOR_GROUP)
    ids = []
    for i in range(counsellors):
        user, made = User.objects.get_or_create(username=f"cost{i}")
        if made:
            user.groups.add(group)
            CounsellorProfile.objects.create(user=user, display_name=f"C{i}", languages=["sv"], max_chats=2)
        if centres:
            Membership.objects.bulk_create([Membership(user=user, centre=c) for c in Centre.objects.all()])
        ids.append(user.pk)
    hours.invalidate()
    return ids, slugs


async def one_round(service: Any, ids: list[int], slugs: list[str], arrivals: int) -> dict[str, list[float]]:
    from channels.db import database_sync_to_async
    from django.contrib.auth.models import User

    from contacts.service import Started
    from staff.profiles import load_profile

    for uid in ids:
        user = await database_sync_to_async(User.objects.select_related("counsellor").get)(pk=uid)
        profile = await database_sync_to_async(load_profile)(user)
        assert profile is not None
        await service.counsellor_online(profile)
        await service.set_duty(uid, "available")
    cpu: list[float] = []
    wall: list[float] = []
    for i in range(arrivals):
        c0, w0 = time.process_time(), time.perf_counter()
        started = await service.start_contact(channel="chat", language="sv", centre=slugs[i % len(slugs)])
        c1, w1 = time.process_time(), time.perf_counter()
        assert isinstance(started, Started), started
        contact = await service.store.get_contact(started.contact_id)
        assert contact is not None and contact.state == "offered", "routing made no offer"
        cpu.append(1000 * (c1 - c0))
        wall.append(1000 * (w1 - w0))
        await service.accept(contact.offered_to, contact.id)
        await service.end(contact.id, "counsellor")
    for uid in ids:
        await service.set_duty(uid, "off")
    return {"cpu": cpu, "wall": wall}


async def measure(args: argparse.Namespace) -> dict[str, dict[str, list[float]]]:
    from channels.db import database_sync_to_async

    from centres import directory
    from contacts.service import get_service, reset_service
    from routing.store.testing import flush

    results: dict[str, dict[str, list[float]]] = {}
    setups = [("1 centre", 0), (f"{args.centres + 1} centres", args.centres)]
    for round_no in range(args.rounds):
        for label, extra in setups if round_no % 2 == 0 else list(reversed(setups)):
            ids, slugs = await database_sync_to_async(make_world)(extra, args.counsellors)
            directory.invalidate()
            reset_service()
            service = get_service()
            try:
                await one_round(service, ids, slugs, args.arrivals)  # warm-up: caches, first rows of the day
                got = await one_round(service, ids, slugs, args.arrivals)
            finally:
                await flush(service.store)
                await service.store.close()
            into = results.setdefault(label, {"cpu": [], "wall": []})
            into["cpu"] += got["cpu"]
            into["wall"] += got["wall"]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--centres", type=int, default=20, help="centres beside the default one (default 20)")
    parser.add_argument("--counsellors", type=int, default=10)
    parser.add_argument("--arrivals", type=int, default=200, help="timed arrivals per round and set-up")
    parser.add_argument("--rounds", type=int, default=4, help="rounds; the set-ups take turns")
    parser.add_argument("--redis", default="", help="a Redis URL for the store (default: the embedded one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_django(Path(folder), args.redis)
        import django

        started = time.monotonic()
        results = asyncio.run(measure(args))
        took = time.monotonic() - started
    store = "Redis" if args.redis else "embedded"
    print(
        f"# routing cost per arrival, in process: {store} store, SQLite; {args.counsellors} counsellors,"
        f" {args.rounds} rounds x {args.arrivals} arrivals per set-up, taking turns; {took:.0f} s"
    )
    print(
        f"# {platform.node()} {os.cpu_count()} CPUs, Python {platform.python_version()}, Django {django.get_version()}"
    )
    print("| set-up | CPU ms p50 | CPU ms p99 | wall ms p50 | wall ms p99 | wall ms mean |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, got in results.items():
        cpu, wall = got["cpu"], got["wall"]
        print(
            f"| {label} | {percentile(cpu, 0.5):.2f} | {percentile(cpu, 0.99):.2f} | {percentile(wall, 0.5):.2f}"
            f" | {percentile(wall, 0.99):.2f} | {statistics.fmean(wall):.2f} |"
        )


if __name__ == "__main__":
    main()
