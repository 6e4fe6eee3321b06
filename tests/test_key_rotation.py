"""Rotating STATE_KEY does not cut a conversation off: with the old key as
STATE_KEY_PREVIOUS, a visitor resumes with their token and both sides go on reading and
writing; new conversations use the new key only."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from contacts import crypto
from contacts.service import Service
from tests.conftest import visitor
from tests.test_chat_flow import chat_between

pytestmark = [pytest.mark.usefixtures("open_all_day")]


async def test_a_conversation_survives_a_key_rotation(service: Service, sara: Any, settings: Any) -> None:
    old, new = secrets.token_hex(32), secrets.token_hex(32)
    settings.STATE_KEY = old
    staff, v, contact = await chat_between(service, sara, lang="sv")
    await v.send(type="send", id="v1", text="före bytet")
    await staff.expect("message", text="före bytet")
    token = next(f["token"] for f in v.seen if f["type"] == "started")
    await v.close()

    # Every process restarts with the new key, the old one kept for reading.
    settings.STATE_KEY, settings.STATE_KEY_PREVIOUS = new, old
    back = await visitor(start=False)
    await back.send(type="resume", token=token, last_seq=0)
    await back.expect("resumed", state="active")
    await back.expect("message", text="före bytet")
    await back.send(type="send", id="v2", text="efter bytet")
    await staff.expect("message", text="efter bytet")
    await staff.send(type="send", contact=contact, id="c1", text="svar")
    await back.expect("message", text="svar")
    # A new conversation's key opens with the new key alone.
    fresh = crypto.new_conversation_key("c0ffee")
    settings.STATE_KEY_PREVIOUS = ""
    assert len(crypto.unwrap("c0ffee", fresh)) == 32
    # Without the old key, the old conversation can no longer be read: the rotation is
    # complete once every conversation from before it has ended.
    await back.send(type="send", id="v3", text="utan gamla nyckeln")
    await back.expect("error", code="not_in_conversation")
    for s in (staff, back):
        await s.close()
