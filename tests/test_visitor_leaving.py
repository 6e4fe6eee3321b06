"""A visitor's page that goes away says so, and the counsellor learns it at once (issue
13, item 6), on the embedded default and on Redis."""

from __future__ import annotations

import time
from typing import Any

import pytest

from contacts.service import Service
from tests.conftest import visitor
from tests.test_chat_flow import chat_between

pytestmark = [pytest.mark.usefixtures("open_all_day")]


async def test_a_page_that_leaves_ends_the_conversation_for_the_counsellor_at_once(service: Service, sara: Any) -> None:
    staff, v, cid = await chat_between(service, sara)
    token = next(f for f in v.seen if f["type"] == "started")["token"]
    began = time.monotonic()
    await v.send(type="leaving")
    # Right away, not after CHAT_GRACE_SECONDS, and not "connection lost".
    ended = await staff.expect("ended", contact=cid, timeout=2.0)
    assert ended["by"] == "visitor_left"
    assert time.monotonic() - began < 2.0
    assert not [f for f in staff.seen if f["type"] == "visitor" and f.get("state") == "away"]
    await v.close()
    assert await service.store.get_contact(cid) is None
    # Whoever has the token afterwards cannot bring the conversation back.
    again = await visitor(start=False)
    await again.send(type="resume", token=token, last_seq=0)
    await again.expect("expired")
    for s in (again, staff):
        await s.close()


async def test_leaving_before_a_chat_started_is_no_error(service: Service) -> None:
    v = await visitor(start=False)
    await v.send(type="leaving")
    assert await v.frames() == []
    await v.close()


async def test_a_page_in_the_background_is_shown_to_the_counsellor(service: Service, sara: Any) -> None:
    staff, v, cid = await chat_between(service, sara)
    await v.send(type="visibility", hidden=True)
    await staff.expect("visitor", contact=cid, state="hidden", timeout=2.0)
    await v.send(type="visibility", hidden=False)
    await staff.expect("visitor", contact=cid, state="connected", timeout=2.0)
    await v.send(type="visibility", hidden="yes")
    assert (await v.expect("error"))["code"] == "bad_field"
    for s in (v, staff):
        await s.close()
