"""The visitor page in a real browser: quick exit, no trace, Arabic, reconnects, accessibility."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.server import ROOT, Server, embedded_server
from tests.test_browser import log_in_counsellor

pytestmark = pytest.mark.browser
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
NEUTRAL = "/neutral-test-page/"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # The quick exit goes to a page of this same server, so the test needs no network.
    with embedded_server(tmp_path_factory.mktemp("server"), {"QUICK_EXIT_URL": NEUTRAL}) as s:
        yield s


@pytest.fixture
def staff(browser: Browser, server: Server) -> Iterator[Any]:
    page = log_in_counsellor(browser, server)
    yield page
    # End what this test left open, so the next test's counsellor has free capacity. A
    # visitor's page that was closed has ended its conversation itself (it sends
    # "leaving"), perhaps while this runs: that button is gone, not to be waited for.
    for button in page.locator(".conversation:not(.ended) button.end").all():
        with contextlib.suppress(PlaywrightTimeoutError):
            button.click(timeout=2_000)
    expect(page.locator(".conversation:not(.ended)")).to_have_count(0)
    page.click("#duty button[data-state=off]")
    page.context.close()


def start_chat(page: Page, staff: Any, server: Server, lang: str = "sv") -> None:
    page.goto(f"{server.url}/?lang={lang}")
    page.click("#start")
    offer = staff.locator("#offer-list li")
    expect(offer).to_have_count(1)
    offer.locator("button.primary").click()
    expect(page.locator("#chat")).to_be_visible()


def storage_is_empty(page: Page) -> bool:
    return bool(
        page.evaluate(
            """async () => document.cookie === "" && localStorage.length === 0 && sessionStorage.length === 0
                && (await indexedDB.databases()).length === 0
                && (await navigator.serviceWorker.getRegistrations()).length === 0"""
        )
    )


@pytest.mark.parametrize("how", ["button", "escape"])
def test_quick_exit_leaves_at_once_and_back_shows_nothing(
    browser: Browser, server: Server, staff: Any, how: str
) -> None:
    context = browser.new_context()
    page = context.new_page()
    start_chat(page, staff, server)
    page.fill("#text", "hemligt meddelande")
    page.keyboard.press("Enter")
    expect(staff.locator(".conversation .messages")).to_contain_text("hemligt meddelande")
    if how == "button":
        page.click("#quick-exit")
    else:
        page.keyboard.press("Escape")
        page.keyboard.press("Escape")
    page.wait_for_url(f"**{NEUTRAL}")
    expect(staff.locator(".conversation").last).to_contain_text("lämnade snabbt")  # "left quickly"
    page.go_back()  # the chat page was replaced in history: Back does not return to it
    expect(page.locator("body")).not_to_contain_text("hemligt meddelande")
    page.goto(server.url + "/")
    expect(page.locator("#intro")).to_be_visible()
    assert storage_is_empty(page)
    context.close()


def test_a_chat_in_arabic_is_right_to_left(browser: Browser, server: Server, staff: Any) -> None:
    staff.click("#duty button[data-state=break]")  # Sara speaks no Arabic; Omar does
    omar = log_in_counsellor(browser, server, "radgivare2")
    context = browser.new_context()
    page = context.new_page()
    start_chat(page, omar, server, lang="ar")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    page.fill("#text", "مرحبا، أحتاج إلى المساعدة")
    page.keyboard.press("Enter")
    conversation = omar.locator(".conversation").last
    expect(conversation.locator(".messages")).to_contain_text("مرحبا، أحتاج إلى المساعدة")
    expect(conversation.locator(".title")).to_contain_text("AR")
    conversation.locator("button.end").click()
    expect(page.locator("#ended")).to_be_visible()
    omar.click("#duty button[data-state=off]")
    omar.context.close()
    context.close()


def test_the_language_can_be_switched_during_a_chat(browser: Browser, server: Server, staff: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    start_chat(page, staff, server)
    page.select_option("#lang", "en")
    expect(page.locator("#send-form button")).to_have_text("Send")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.select_option("#lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#chat")).to_be_visible()  # still in the same conversation
    context.close()


def test_a_dropped_socket_reconnects_and_nothing_is_lost(browser: Browser, server: Server, staff: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    start_chat(page, staff, server)
    conversation = staff.locator(".conversation").last
    context.set_offline(True)
    page.evaluate("() => undefined")
    # Offline: the page keeps what the visitor types and says it is not sent yet.
    page.fill("#text", "skrivet utan nät")
    page.keyboard.press("Enter")
    conversation.locator("textarea").fill("svar medan du var borta")
    conversation.locator("textarea").press("Enter")
    context.set_offline(False)
    expect(page.locator("#messages")).to_contain_text("svar medan du var borta", timeout=20_000)
    expect(conversation.locator(".messages")).to_contain_text("skrivet utan nät", timeout=20_000)
    expect(page.locator("#messages li.pending")).to_have_count(0)
    context.close()


def audit(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate("axe.run().then(r => r.violations)")
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def test_no_serious_accessibility_violations(browser: Browser, server: Server, staff: Any) -> None:
    # bypass_csp only here, so that axe can be injected; every other test proves the CSP.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(server.url + "/")
    assert audit(page) == [], "idle"
    start_chat(page, staff, server)
    page.fill("#text", "hej")
    page.keyboard.press("Enter")
    expect(page.locator("#messages li.me")).to_have_count(1)
    assert audit(page) == [], "in chat"
    console = log_in_counsellor(browser, server, bypass_csp=True)
    assert audit(console) == [], "console"
    console.context.close()
    page.click("#chat button.end")
    expect(page.locator("#ended")).to_be_visible()
    assert audit(page) == [], "ended"
    context.close()


def test_the_closed_page_is_accessible(browser: Browser, server: Server) -> None:
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(server.url + "/")
    page.click("#start")  # nobody on duty: the busy message with the numbers
    expect(page.locator("#closed")).to_be_visible()
    assert audit(page) == [], "closed"
    context.close()


def test_the_first_load_is_light(browser: Browser, server: Server) -> None:
    context = browser.new_context(extra_http_headers={"Accept-Encoding": "gzip, br"})
    page = context.new_page()
    sizes: dict[str, int] = {}

    def count(response: Any) -> None:
        body = response.body()
        sizes[response.url] = int(response.headers.get("content-length", len(body)))

    page.on("response", count)
    page.goto(server.url + "/")
    page.wait_for_load_state("networkidle")
    total = sum(sizes.values())
    assert total < 60_000, sizes
    assert all(url.startswith(server.url) for url in sizes)  # nothing from a third party
    context.close()


def test_screenshots_for_the_docs(browser: Browser, server: Server, staff: Any) -> None:
    out = Path(ROOT / "docs" / "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    for lang in ("sv", "ar"):
        context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=1)
        page = context.new_page()
        page.goto(f"{server.url}/?lang={lang}")
        page.screenshot(path=str(out / f"visitor-{lang}.png"), full_page=True)
        context.close()


def test_canned_response_transfer_and_wrapup_in_the_console(browser: Browser, server: Server, staff: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    start_chat(page, staff, server)
    conversation = staff.locator(".conversation:not(.ended)").last
    textarea = conversation.locator("textarea")
    textarea.fill("/hej")
    textarea.press("Tab")
    expect(textarea).to_have_value("Hej och välkommen! Jag heter Sara. Du är anonym här. Vad vill du prata om?")
    textarea.press("Enter")
    expect(page.locator("#messages")).to_contain_text("Jag heter Sara")

    omar = log_in_counsellor(browser, server, "radgivare2")
    expect(conversation.locator(".transfer select option", has_text="Omar")).to_have_count(1)
    conversation.locator(".transfer select").select_option(
        label=conversation.locator(".transfer select option", has_text="Omar").inner_text()
    )
    conversation.locator(".transfer button").click()
    expect(page.locator("#messages")).to_contain_text("Nu pratar du med Omar")
    handed = omar.locator(".conversation").last
    expect(handed.locator(".messages")).to_contain_text("Jag heter Sara")  # the history came along

    ended = staff.locator(".conversation.ended").last
    expect(ended).to_contain_text("lämnade över")
    ended.locator(".wrapup select[name=age]").select_option("13-17")
    ended.locator(".wrapup input[value=honour]").check()
    ended.locator(".wrapup button").click()
    expect(ended).to_contain_text("Sparat")
    handed.locator("button.end").click()
    expect(page.locator("#ended")).to_be_visible()
    omar.click("#duty button[data-state=off]")
    omar.context.close()
    context.close()


def test_the_visitor_is_warned_before_sending_something_identifying(
    browser: Browser, server: Server, staff: Any
) -> None:
    context = browser.new_context()
    page = context.new_page()
    start_chat(page, staff, server)
    page.fill("#text", "ring mig på 070-123 45 67")
    page.keyboard.press("Enter")
    expect(page.locator("#pii")).to_be_visible()
    expect(page.locator("#messages li.me")).to_have_count(0)  # nothing sent yet
    page.click("#pii-edit")
    page.fill("#text", "ring mig senare")
    page.keyboard.press("Enter")
    expect(page.locator("#messages li.me")).to_have_count(1)
    context.close()


def test_a_320_pixel_screen_needs_no_horizontal_scrolling(browser: Browser, server: Server) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    for lang in ("sv", "ar"):
        page.goto(f"{server.url}/?lang={lang}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
    context.close()


def test_console_screenshot_for_the_docs(browser: Browser, server: Server, staff: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    start_chat(page, staff, server)
    page.fill("#text", "Hej, jag undrar om jag kan få prata med någon om min familj.")
    page.keyboard.press("Enter")
    expect(staff.locator(".conversation .messages").last).to_contain_text("min familj")
    staff.set_viewport_size({"width": 1200, "height": 700})
    staff.screenshot(path=str(ROOT / "docs" / "screenshots" / "console.png"))
    context.close()


def test_the_dashboard_shows_a_visitor_waiting(browser: Browser, server: Server, staff: Any) -> None:
    staff.click("#duty button[data-state=break]")  # on shift, so the visitor is queued, not turned away
    boss = browser.new_context(locale="sv-SE").new_page()
    boss.goto(server.url + "/supervisor/")
    boss.fill("#id_username", "arbetsledare")
    boss.fill("#id_password", server.passwords["arbetsledare"])
    boss.click("button[type=submit]")
    expect(boss.locator("#waiting")).to_have_text("0")
    context = browser.new_context()
    page = context.new_page()
    page.goto(server.url + "/")
    page.click("#start")
    expect(page.locator("#queue")).to_be_visible()
    expect(boss.locator("#waiting")).to_have_text("1")
    expect(boss.locator("#by-language")).to_contain_text("SV: 1")
    boss.set_viewport_size({"width": 1200, "height": 800})
    boss.screenshot(path=str(ROOT / "docs" / "screenshots" / "supervisor.png"))
    page.click("#queue button.end")
    expect(boss.locator("#waiting")).to_have_text("0")
    boss.context.close()
    context.close()


def test_the_queued_page_is_accessible(browser: Browser, server: Server, staff: Any) -> None:
    staff.click("#duty button[data-state=break]")
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(server.url + "/")
    page.click("#start")
    expect(page.locator("#queue")).to_be_visible()
    expect(page.locator("#queue-position")).not_to_be_empty()
    assert audit(page) == [], "queued"
    page.click("#queue button.end")
    context.close()


def test_a_report_page_screenshot_for_the_docs(browser: Browser, server: Server) -> None:
    boss = browser.new_context(locale="sv-SE", viewport={"width": 1200, "height": 900}).new_page()
    boss.goto(server.url + "/stats/?period=year&offset=-1")  # "this year" has no ended month in January
    boss.fill("#id_username", "arbetsledare")
    boss.fill("#id_password", server.passwords["arbetsledare"])
    boss.click("button[type=submit]")
    expect(boss.locator("#t-channel")).to_be_visible()
    boss.screenshot(path=str(ROOT / "docs" / "screenshots" / "statistics.png"), full_page=True)
    boss.context.close()


def test_messages_over_the_flood_limit_are_sent_again_not_left_pending(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Typing faster than FRAMES_PER_SECOND gets frames dropped unread (the server cannot
    say which). Both pages send what is unconfirmed again once the limit has refilled:
    everything arrives once, and nothing stays "sending"."""
    with embedded_server(tmp_path_factory.mktemp("slow"), {"FRAMES_PER_SECOND": "1"}) as server:
        staff = log_in_counsellor(browser, server)
        context = browser.new_context()
        page = context.new_page()
        start_chat(page, staff, server)
        texts = [f"rad {i}" for i in range(6)]
        for text in texts:
            page.fill("#text", text)
            page.keyboard.press("Enter")
        box = staff.locator(".conversation .messages")
        for text in texts:
            expect(box).to_contain_text(text, timeout=20_000)
        expect(page.locator("[data-pending]")).to_have_count(0, timeout=20_000)
        replies = [f"svar {i}" for i in range(6)]
        for text in replies:
            staff.fill(".conversation textarea", text)
            staff.keyboard.press("Enter")
        for text in replies:
            expect(page.locator("#messages")).to_contain_text(text, timeout=20_000)
        expect(staff.locator(".conversation .pending")).to_have_count(0, timeout=20_000)
        shown = page.locator("#messages").inner_text()
        assert all(shown.count(text) == 1 for text in texts + replies)  # once each
        context.close()
        staff.context.close()
