"""A message the server stored just before the socket died, whose `sent` was lost with
it, is shown once after the reconnect, not twice: on the visitor page, the console and
the dashboard (frontend/static/frontend/common.js, Thread.catchUp and Thread.receive).

The connection is cut at exactly that moment by Playwright's WebSocket routing: every
frame passes, except the `sent` for one chosen text, which is dropped as the page's
socket is closed. The page then reconnects through the same route, which passes
everything from then on."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, WebSocketRoute, expect

from tests.server import Server, embedded_server
from tests.test_intake_and_block_browser import log_in

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with embedded_server(tmp_path_factory.mktemp("reconnect")) as s:
        yield s


def lose_the_sent_for(context: BrowserContext, text: str) -> dict[str, Any]:
    """Route this context's sockets; once the server answers `send` of ``text`` with
    `sent`, that answer is lost and the socket dropped. The returned dict says when."""
    cut: dict[str, Any] = {"id": None, "done": False}

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def to_server(message: str | bytes) -> None:
            if not cut["done"] and isinstance(message, str):
                frame = json.loads(message)
                if frame.get("type") == "send" and frame.get("text") == text:
                    cut["id"] = frame["id"]
            server.send(message)

        def to_page(message: str | bytes) -> None:
            if not cut["done"] and cut["id"] and isinstance(message, str):
                frame = json.loads(message)
                if frame.get("type") == "sent" and frame.get("id") == cut["id"]:
                    cut["done"] = True
                    ws.close(code=4000, reason="cut")
                    server.close()
                    return
            ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)

    context.route_web_socket(re.compile(r"/ws/"), route)
    return cut


def wait_for_cut(page: Page, cut: dict[str, Any]) -> None:
    for _ in range(100):
        if cut["done"]:
            return
        page.wait_for_timeout(100)
    raise AssertionError("the route never saw the `sent` it was to lose")


def counsellor(browser: Browser, server: Server) -> Page:
    staff = log_in(browser, server, "radgivare", "/console/")
    expect(staff.locator("#me-name")).to_contain_text("/")
    staff.click("#duty button[data-state=available]")
    expect(staff.locator("#duty button[data-state=available]")).to_have_attribute("aria-pressed", "true")
    return staff


def visitor_in_chat(browser: Browser, server: Server, staff: Page, cut_at: str = "") -> tuple[Page, Any, Any]:
    context = browser.new_context(locale="sv-SE")
    cut: dict[str, Any] = lose_the_sent_for(context, cut_at) if cut_at else {}
    visitor = context.new_page()
    visitor.goto(server.url + "/")
    visitor.click("#start")
    staff.locator("#offer-list li button.primary").click()
    expect(visitor.locator("#chat")).to_be_visible()
    return visitor, staff.locator(".conversation:not(.ended)").last, cut


def end(staff: Page, visitor: Page) -> None:
    staff.on("dialog", lambda d: d.accept())
    staff.locator(".conversation:not(.ended) button.end").click()
    expect(visitor.locator("#ended")).to_be_visible()
    staff.click("#duty button[data-state=off]")
    staff.context.close()
    visitor.context.close()


def test_the_visitor_page_shows_its_message_once_when_the_sent_was_lost(browser: Browser, server: Server) -> None:
    staff = counsellor(browser, server)
    visitor, conversation, cut = visitor_in_chat(browser, server, staff, cut_at="bara en gång")
    visitor.fill("#text", "bara en gång")
    visitor.keyboard.press("Enter")
    wait_for_cut(visitor, cut)
    # The resume replays the stored message; the resend's `sent` then numbers the
    # pending line. One line, confirmed, on both sides.
    expect(visitor.locator("#messages li.me.pending")).to_have_count(0, timeout=20_000)
    conversation.locator("textarea").fill("jag ser det")
    conversation.locator("textarea").press("Enter")
    expect(visitor.locator("#messages")).to_contain_text("jag ser det")
    expect(visitor.locator("#messages li.me", has_text="bara en gång")).to_have_count(1)
    expect(conversation.locator(".messages li", has_text="bara en gång")).to_have_count(1)
    end(staff, visitor)


def test_the_console_shows_its_message_once_when_the_sent_was_lost(browser: Browser, server: Server) -> None:
    staff = counsellor(browser, server)
    visitor, conversation, _ = visitor_in_chat(browser, server, staff)
    cut = lose_the_sent_for(staff.context, "svar en gång")
    staff.reload()  # the console's socket now goes through the route
    conversation = staff.locator(".conversation:not(.ended)").last
    expect(conversation.locator("textarea")).to_be_visible()
    expect(staff.locator("#me-name")).to_contain_text("/")
    conversation.locator("textarea").fill("svar en gång")
    conversation.locator("textarea").press("Enter")
    expect(visitor.locator("#messages")).to_contain_text("svar en gång")
    expect(conversation.locator(".messages li.pending")).to_have_count(0, timeout=20_000)
    wait_for_cut(staff, cut)
    visitor.fill("#text", "tack")
    visitor.keyboard.press("Enter")
    expect(conversation.locator(".messages")).to_contain_text("tack")
    expect(conversation.locator(".messages li.me", has_text="svar en gång")).to_have_count(1)
    expect(visitor.locator("#messages li", has_text="svar en gång")).to_have_count(1)
    end(staff, visitor)


def test_the_dashboard_shows_its_message_once_when_the_sent_was_lost(browser: Browser, server: Server) -> None:
    staff = counsellor(browser, server)
    visitor, conversation, _ = visitor_in_chat(browser, server, staff)
    boss_context = browser.new_context(locale="sv-SE")
    cut = lose_the_sent_for(boss_context, "arbetsledaren en gång")
    boss = boss_context.new_page()
    boss.goto(server.url + "/supervisor/")
    boss.fill("#id_username", "arbetsledare")
    boss.fill("#id_password", server.passwords["arbetsledare"])
    boss.click("button[type=submit]")
    conversation.locator("button.help").click()
    boss.locator("#help button.primary").click()
    joined = boss.locator("#joined .conversation")
    expect(joined.locator("textarea")).to_be_visible()
    joined.locator("textarea").fill("arbetsledaren en gång")
    joined.locator(".composer button").click()
    expect(visitor.locator("#messages")).to_contain_text("arbetsledaren en gång")
    expect(joined.locator(".messages li.pending")).to_have_count(0, timeout=20_000)
    wait_for_cut(boss, cut)
    visitor.fill("#text", "hej båda")
    visitor.keyboard.press("Enter")
    expect(joined.locator(".messages")).to_contain_text("hej båda")
    expect(joined.locator(".messages li.me", has_text="arbetsledaren en gång")).to_have_count(1)
    expect(visitor.locator("#messages li", has_text="arbetsledaren en gång")).to_have_count(1)
    boss_context.close()
    end(staff, visitor)
