"""The Prometheus endpoint: off unless configured, behind a token, aggregate only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import AsyncClient

from contacts.service import Service
from tests.conftest import visitor
from tests.test_chat_flow import chat_between

pytestmark = [pytest.mark.usefixtures("open_all_day")]
TOKEN = "metrics-test-token-123"


def value(text: str, series: str) -> float:
    found = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    assert found, f"{series} is not in the metrics"
    return float(found.group(1))


async def test_metrics_are_off_without_a_token_and_refuse_a_wrong_one(settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert (await AsyncClient().get("/metrics")).status_code == 404
    settings.METRICS_TOKEN = TOKEN
    assert (await AsyncClient().get("/metrics")).status_code == 401
    assert (await AsyncClient().get("/metrics", headers={"Authorization": "Bearer nope"})).status_code == 401


async def test_metrics_count_load_and_never_name_a_contact(service: Service, sara: Any, settings: Any) -> None:
    settings.METRICS_TOKEN = TOKEN
    client = AsyncClient()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = (await client.get("/metrics", headers=auth)).content.decode()
    sent_before = value(before, 'chat_messages_relayed_total{sender="visitor"}') if "sender=" in before else 0.0
    staff, v, contact = await chat_between(service, sara, lang="sv")
    await v.send(type="send", id="v1", text="hemlig text")
    await staff.expect("message")
    waiting = await visitor(lang="en")
    await waiting.expect("started")
    await v.send(type="nonsense")
    await v.expect("error", code="unknown_type")

    response = await client.get("/metrics", headers=auth)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert value(text, 'chat_queue_waiting{channel="chat"}') == 1
    assert value(text, "chat_conversations_active") == 1
    assert value(text, 'chat_counsellors{state="available"}') == 1
    assert value(text, "chat_state_store_up") == 1
    assert value(text, 'chat_messages_relayed_total{sender="visitor"}') == sent_before + 1
    assert value(text, 'chat_frame_errors_total{code="unknown_type"}') >= 1
    assert value(text, 'chat_sockets_open{endpoint="visitor"}') >= 2
    # Nothing in any series or label is about one contact.
    assert contact not in text and "hemlig" not in text
    for s in (staff, v, waiting):
        await s.close()
