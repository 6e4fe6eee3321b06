"""Bad input gets a clear error and changes nothing; only counsellors reach the console."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contacts.service import Service
from tests.conftest import ORIGIN, connect, console, visitor

pytestmark = [pytest.mark.usefixtures("open_all_day")]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "bad_json"),
        ("[1, 2]", "bad_frame"),
        ('{"no": "type"}', "bad_frame"),
        ('{"type": "launch_missiles"}', "unknown_type"),
        ('{"type": "send", "id": "a", "text": "hej"}', "not_started"),
        ('{"type": "start", "lang": "xx"}', "bad_field"),
        ('{"type": "start", "danger": "yes"}', "bad_field"),
        ('{"type": "resume", "token": "t", "last_seq": -1}', "bad_field"),
        ('{"type": "resume", "token": "t", "last_seq": true}', "bad_field"),
        ('{"type": "resume", "token": "t", "last_seq": 1e400}', "bad_field"),
        ('{"type": "ack", "seq": 1}', "not_started"),
    ],
)
async def test_a_malformed_visitor_frame_gets_a_clear_error(service: Service, raw: str, code: str) -> None:
    v = await visitor(start=False)
    await v.send_raw(raw)
    err = await v.expect("error")
    assert err["code"] == code
    assert await service.store.queue() == []
    await v.send(type="resume", token="unknown", last_seq=0)  # the socket still works
    await v.expect("expired")
    await v.close()


@pytest.mark.parametrize("raw", ["[" * 100_000, json.dumps({"type": "start", "x": "y" * 40_000}), "x" * (1 << 20)])
async def test_an_oversized_frame_closes_that_socket_only(service: Service, sara: Any, raw: str) -> None:
    staff = await console(sara)
    await staff.send(type="duty", state="available")
    await staff.expect("me", state="available")
    calm = await visitor()
    offer = await staff.expect("offer")
    big = await visitor(start=False)
    await big.send_raw(raw)
    assert (await big.expect("error"))["code"] == "too_large"
    assert await big.comm.receive_output(timeout=2) == {"type": "websocket.close", "code": 4009}
    await big.close()
    await staff.send(type="accept", contact=offer["contact"])
    await calm.expect("joined")  # everyone else goes on
    await calm.close()
    await staff.close()


async def test_binary_frames_are_refused(service: Service) -> None:
    v = await visitor(start=False)
    await v.comm.send_to(bytes_data=b"\x00\x01")
    assert (await v.expect("error"))["code"] == "text_only"
    await v.close()


async def test_message_text_is_checked_before_anything_is_stored(service: Service, sara: Any) -> None:
    staff = await console(sara)
    await staff.send(type="duty", state="available")
    await staff.expect("me", state="available")
    v = await visitor()
    offer = await staff.expect("offer")
    await staff.send(type="accept", contact=offer["contact"])
    await v.expect("joined")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"type": "send", "id": "a", "text": "x" * 4001}, "too_long"),
        ({"type": "send", "id": "a", "text": "   \u0000 "}, "empty"),
        ({"type": "send", "id": "a", "text": 42}, "bad_field"),
        ({"type": "send", "id": "bad id!", "text": "hej"}, "bad_field"),
        ({"type": "send", "id": "a" * 65, "text": "hej"}, "bad_field"),
    ]
    for frame, code in cases:
        await v.send(**frame)
        assert (await v.expect("error"))["code"] == code
    assert await service.store.messages_after(offer["contact"], 0) == []
    await v.send(type="start")
    assert (await v.expect("error"))["code"] == "already_started"
    await v.close()
    await staff.close()


async def test_a_visitor_cannot_resume_someone_elses_chat_without_the_token(service: Service, sara: Any) -> None:
    staff = await console(sara)
    await staff.send(type="duty", state="available")
    await staff.expect("me", state="available")
    v = await visitor()
    token = (await v.expect("started"))["token"]
    other = await visitor(start=False)
    await other.send(type="resume", token=token[:-1] + ("A" if token[-1] != "A" else "B"), last_seq=0)
    await other.expect("expired")
    for s in (v, other, staff):
        await s.close()


async def test_a_socket_from_another_site_is_refused(service: Service) -> None:
    ok, _ = await connect("/ws/visitor/", [(b"origin", b"https://evil.example"), (b"host", b"localhost")])
    assert not ok


async def test_the_console_refuses_anyone_not_logged_in_as_a_counsellor(
    service: Service, transactional_db: None
) -> None:
    from asgiref.sync import sync_to_async
    from django.contrib.auth.models import User

    from tests.conftest import session_cookie

    ok, _ = await connect("/ws/console/")
    assert not ok
    plain = await sync_to_async(User.objects.create_user)("plain", password="x" * 20)
    cookie = await sync_to_async(session_cookie)(plain)
    ok, _ = await connect("/ws/console/", [*ORIGIN, (b"cookie", cookie)])
    assert not ok


async def test_a_visitor_socket_cannot_use_counsellor_frames(service: Service) -> None:
    v = await visitor(start=False)
    for kind in ("accept", "duty", "pick"):
        await v.send(type=kind, contact="0" * 16, state="available")
        assert (await v.expect("error"))["code"] == "unknown_type"
    await v.close()
