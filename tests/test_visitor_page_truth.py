"""The visitor page tells the truth in a browser (issue 13, items 5-9): a warning that
needs a real choice, numbers that read the right way round in Arabic, labels that follow
the language selector, a requeue that keeps the conversation in view, and a reload that
the counsellor learns about at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.server import Server, embedded_server
from tests.test_browser import log_in_counsellor
from tests.test_visitor_browser import NEUTRAL, start_chat

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with embedded_server(tmp_path_factory.mktemp("server"), {"QUICK_EXIT_URL": NEUTRAL}) as s:
        yield s


@pytest.fixture
def staff(browser: Browser, server: Server) -> Iterator[Any]:
    page = log_in_counsellor(browser, server)
    yield page
    for button in page.locator(".conversation:not(.ended) button.end").all():
        button.click()
    expect(page.locator(".conversation:not(.ended)")).to_have_count(0)
    page.click("#duty button[data-state=off]")
    page.context.close()


@pytest.fixture
def visitor(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    yield page
    context.close()


# --- item 7: the warning before something identifying ---


def test_enter_twice_does_not_send_a_personal_identity_number(staff: Any, server: Server, visitor: Page) -> None:
    start_chat(visitor, staff, server)
    visitor.fill("#text", "mitt personnummer är 20080709-9805")
    visitor.keyboard.press("Enter")
    expect(visitor.locator("#pii")).to_be_visible()
    expect(visitor.locator("#text")).to_be_focused()  # not "Send anyway"
    visitor.keyboard.press("Enter")  # the second, reflexive Enter
    expect(visitor.locator("#pii")).to_be_visible()
    visitor.click("#pii-edit")
    visitor.fill("#text", "jag skriver det inte")
    visitor.keyboard.press("Enter")
    box = staff.locator(".conversation .messages").last
    # The harmless message went after the two Enters on the same socket: once it is in,
    # anything those Enters had sent would be in too.
    expect(box).to_contain_text("jag skriver det inte")
    assert "9805" not in box.inner_text()
    expect(visitor.locator("#messages li.me")).to_have_count(1)


IDENTIFYING = [
    "٨٥٠٧٠٩-٩٨٠٥",  # a personnummer in Arabic-Indic digits
    "رقمي ۸۵۰۷۰۹-۹۸۰۵",  # and in Persian digits
    "ring ٠٧٠١٢٣٤٥٦٧",  # a mobile number in Arabic-Indic digits
    "+46 70 123 45 67",
    "skriv till anna.k@gmail.com",
    "anna at gmail dot com",
    "följ mig på @anna_05",
    "snap: anna05",
    "instagram.com/anna.k",
]


def test_each_kind_of_identifying_text_warns(staff: Any, server: Server, visitor: Page) -> None:
    start_chat(visitor, staff, server)
    for text in IDENTIFYING:
        visitor.fill("#text", text)
        visitor.keyboard.press("Enter")
        expect(visitor.locator("#pii"), text).to_be_visible()
        visitor.click("#pii-edit")
        expect(visitor.locator("#pii")).to_be_hidden()
    expect(visitor.locator("#messages li.me")).to_have_count(0)
    # Sending anyway is still possible, with a deliberate click.
    visitor.fill("#text", IDENTIFYING[-1])
    visitor.keyboard.press("Enter")
    visitor.click("#pii-send")
    expect(staff.locator(".conversation .messages").last).to_contain_text("instagram.com/anna.k")
