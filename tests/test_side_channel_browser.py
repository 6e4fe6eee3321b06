"""The staff side channel in real browsers: a counsellor whispers to the supervisor who
joined, and writes to the supervisors from the Colleagues panel; the supervisor reads
both and answers; the visitor's page shows none of it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, WebSocketRoute, expect

from tests.server import Server, embedded_server
from tests.test_console_browser import set_state, start_visitor
from tests.test_intake_and_block_browser import log_in

pytestmark = pytest.mark.browser

WHISPER = "Hon nämner sin bror, kan du läsa med?"
NOTE = "Jag behöver en paus efter det här samtalet."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with embedded_server(tmp_path_factory.mktemp("side")) as s:
        yield s


def test_a_whisper_and_a_note_reach_the_supervisor_and_never_the_visitor(browser: Browser, server: Server) -> None:
    staff = log_in(browser, server, "radgivare", "/console/")
    boss = log_in(browser, server, "arbetsledare", "/supervisor/")
    set_state(staff, "available")
    visitor = start_visitor(browser, server)
    staff.locator("#offer-list li button.primary").click()
    expect(visitor.locator("#chat")).to_be_visible()
    conv = staff.locator(".conversation")
    conv.locator(".composer textarea").fill("Hej, jag heter Sara")
    conv.locator(".composer textarea").press("Enter")
    expect(visitor.locator("#messages")).to_contain_text("Hej, jag heter Sara")
    # No supervisor in it yet: no whisper box to write in by mistake.
    expect(conv.locator(".whisper-open")).to_be_hidden()
    expect(conv.locator("textarea")).to_have_count(1)
    conv.locator(".help").click()
    boss.locator("#help button").click()
    joined = boss.locator("#joined .conversation")
    expect(joined).to_have_count(1)
    # A box of its own, opened on purpose.
    conv.locator(".whisper-open").click()
    expect(conv.locator(".whisper-form")).to_be_visible()
    expect(conv.locator(".whisper-form textarea")).to_be_focused()
    expect(conv.locator(".whisper-form")).to_contain_text("besökaren ser inte detta")
    assert "{#" not in staff.content()  # no template comment leaks onto the page

    conv.locator(".whisper-form textarea").fill(WHISPER)
    conv.locator(".whisper-form button").click()
    line = joined.locator(".msg.whisper", has_text=WHISPER)
    expect(line.locator(".who")).to_have_text("Bara för personal · Sara")
    expect(conv.locator(".msg.whisper", has_text=WHISPER)).to_contain_text("Levererat")
    joined.locator(".whisper-open").click()
    joined.locator(".whisper-form textarea").fill("Ja, jag läser.")
    joined.locator(".whisper-form textarea").press("Enter")
    expect(conv.locator(".msg.whisper", has_text="Ja, jag läser.").locator(".who")).to_have_text(
        "Bara för personal · Maria"
    )

    staff.locator("#note-to").select_option("supervisors")
    staff.locator("#note-text").fill(NOTE)
    staff.locator("#note-form button").click()
    expect(boss.locator("#note-list li", has_text=NOTE).locator(".who")).to_have_text("Sara till arbetsledarna")
    expect(staff.locator("#note-list li", has_text=NOTE)).to_contain_text("Levererat")

    # The visitor saw the supervisor join and the counsellor's line, nothing else.
    expect(visitor.locator("#messages")).to_contain_text("Maria")
    visitor.wait_for_timeout(500)
    page_text = visitor.content()
    assert WHISPER not in page_text and "Ja, jag läser." not in page_text and NOTE not in page_text

    staff.set_viewport_size({"width": 1280, "height": 900})
    boss.set_viewport_size({"width": 1280, "height": 1000})
    staff.screenshot(path="/tmp/side-console.png", full_page=True)
    boss.screenshot(path="/tmp/side-dashboard.png", full_page=True)
    visitor.screenshot(path="/tmp/side-visitor.png")
    for page in (staff, boss, visitor):
        page.context.close()


def test_a_note_whose_answer_is_lost_with_the_socket_says_so_instead_of_pending(
    browser: Browser, server: Server
) -> None:
    """The socket drops after a note went out and before its fate came back: the page
    cannot know whether it arrived, and says that, not "pending" for ever."""
    staff = log_in(browser, server, "radgivare", "/console/")
    cut: dict[str, bool] = {"done": False}

    def route(ws: WebSocketRoute) -> None:
        upstream = ws.connect_to_server()

        def to_server(message: str | bytes) -> None:
            upstream.send(message)
            if not cut["done"] and isinstance(message, str) and json.loads(message).get("type") == "note":
                cut["done"] = True  # passed on, and the socket dies before any answer
                ws.close(code=4000, reason="cut")
                upstream.close()

        ws.on_message(to_server)
        upstream.on_message(ws.send)

    staff.context.route_web_socket(re.compile(r"/ws/"), route)
    staff.reload()  # the console's socket now goes through the route
    expect(staff.locator("#me-name")).to_contain_text("/")
    staff.locator("#note-to").select_option("supervisors")
    staff.locator("#note-text").fill(NOTE)
    staff.locator("#note-form button").click()
    line = staff.locator("#note-list li", has_text=NOTE)
    expect(line).to_contain_text("Anslutningen bröts innan svaret kom")
    expect(line).to_have_class(re.compile(r"\bunknown\b"))
    expect(line).not_to_have_class(re.compile(r"\bpending\b"))
    # The page reconnected on its own, and a new note goes out and gets its fate.
    expect(staff.locator("#status")).to_be_hidden()
    staff.locator("#note-text").fill("En till")
    staff.locator("#note-form button").click()
    expect(staff.locator("#note-list li", has_text="En till")).to_contain_text("Inte levererat")
    staff.context.close()
