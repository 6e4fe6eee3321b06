"""The visitor page tells the truth in a browser (issue 13, items 5-9): a warning that
needs a real choice, numbers that read the right way round in Arabic, labels that follow
the language selector, a requeue that keeps the conversation in view, and a reload that
the counsellor learns about at once."""

from __future__ import annotations

import contextlib
import importlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.server import ROOT, Server, embedded_server
from tests.test_browser import log_in_counsellor
from tests.test_visitor_browser import NEUTRAL, start_chat

SHOTS = ROOT / "docs" / "screenshots"  # the states docs/README.md shows

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
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


# --- items 8 and 9: numbers in Arabic, and labels that follow the selector ---

# Where the first three and the last two characters of ``number`` are drawn, inside
# ``el``: read left to right, the start of a number must come first, in any language.
READS_LEFT_TO_RIGHT = """([el, number]) => {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(number);
    if (at < 0) continue;
    const box = (from, to) => { const r = document.createRange(); r.setStart(node, from); r.setEnd(node, to);
                                return r.getBoundingClientRect().left; };
    return box(at, at + 3) < box(at + number.length - 2, at + number.length);
  }
  return null;
}"""


def reads_left_to_right(page: Page, selector: str, number: str) -> bool | None:
    result: bool | None = page.locator(selector).evaluate(
        "(el, number) => (" + READS_LEFT_TO_RIGHT + ")([el, number])", number
    )
    return result


def test_numbers_read_left_to_right_in_arabic(browser: Browser, server: Server, staff: Any, visitor: Page) -> None:
    visitor.goto(f"{server.url}/?lang=ar")
    assert visitor.evaluate("document.documentElement.dir") == "rtl"
    number = visitor.locator("#numbers a", has_text="020-50 50 50")
    expect(number).to_have_attribute("dir", "ltr")
    assert number.evaluate("el => getComputedStyle(el).direction") == "ltr"
    assert reads_left_to_right(visitor, "#numbers", "020-50 50 50")
    assert reads_left_to_right(visitor, "#numbers", "116 111")

    # In a conversation: the page switched to Arabic, the counsellor writes a number.
    start_chat(visitor, staff, server)
    visitor.select_option("#lang", "ar")
    expect(visitor.locator("html")).to_have_attribute("dir", "rtl")
    staff.fill(".conversation textarea", "ring BRIS på 116 111")
    staff.keyboard.press("Enter")
    expect(visitor.locator("#messages li.them")).to_contain_text("116 111")
    assert reads_left_to_right(visitor, "#messages li.them p", "116 111")
    visitor.fill("#text", "رقم 116 111 ؟")
    visitor.keyboard.press("Enter")
    expect(visitor.locator("#messages li.me")).to_have_count(1)
    assert reads_left_to_right(visitor, "#messages li.me p", "116 111")
    visitor.screenshot(path=str(SHOTS / "visitor-ar-chat.png"))


def test_the_closed_page_in_arabic_reads_its_numbers_and_hours_the_right_way(server: Server, visitor: Page) -> None:
    visitor.goto(f"{server.url}/?lang=ar")
    visitor.click("#start")  # nobody on duty: the busy page
    expect(visitor.locator("#closed")).to_be_visible()
    assert reads_left_to_right(visitor, "#numbers", "020-50 50 50")
    hours = visitor.locator("#hours dd").first.inner_text()
    if ":" in hours:
        assert reads_left_to_right(visitor, "#hours", hours.split(",")[0].strip())
    visitor.screenshot(path=str(SHOTS / "visitor-ar-closed.png"), full_page=True)


def seeded_labels() -> list[dict[str, str]]:
    defaults = importlib.import_module("contacts.migrations.0002_defaults")
    return [labels for _, _, _, labels in defaults.NUMBERS]


def test_switching_language_translates_every_help_number_label(server: Server, visitor: Page) -> None:
    visitor.goto(server.url + "/")
    items = visitor.locator("#numbers li")
    expect(items).to_contain_text([lab["sv"] for lab in seeded_labels()])
    visitor.select_option("#lang", "en")
    expect(items).to_contain_text([lab["en"] for lab in seeded_labels()])
    visitor.select_option("#lang", "ar")
    expect(items).to_contain_text([lab["ar"] for lab in seeded_labels()])
    assert reads_left_to_right(visitor, "#numbers", "020-50 50 50")


def test_switching_language_on_the_closed_page_changes_its_texts(server: Server, visitor: Page) -> None:
    visitor.goto(server.url + "/")
    visitor.click("#start")  # nobody on duty: the busy page, in Swedish
    expect(visitor.locator("#closed-text")).to_contain_text("Ingen kan svara just nu")
    visitor.select_option("#lang", "en")
    expect(visitor.locator("#closed-text")).to_have_text(
        "Nobody can answer right now. Please try again in a while. If you are in danger: call 112."
    )
    expect(visitor.locator("#hours dt").first).to_have_text("Monday")
    expect(visitor.locator("#numbers li").first).to_contain_text("Emergency: call 112")
    visitor.screenshot(path=str(SHOTS / "visitor-en-closed.png"), full_page=True)


# --- item 5: back in the queue, with the conversation still in view ---


def test_a_visitor_sent_back_to_the_queue_keeps_the_conversation_and_sees_the_queue(
    staff: Any, server: Server, visitor: Page
) -> None:
    start_chat(visitor, staff, server)
    conversation = staff.locator(".conversation:not(.ended)").last
    conversation.locator("textarea").fill("Jag kopplar dig vidare")
    conversation.locator("textarea").press("Enter")
    expect(visitor.locator("#messages")).to_contain_text("Jag kopplar dig vidare")
    visitor.fill("#text", "okej tack")
    visitor.keyboard.press("Enter")
    expect(conversation.locator(".messages")).to_contain_text("okej tack")

    # Nobody on duty has this skill: the conversation waits in the queue for one.
    conversation.locator(".transfer select").select_option("skill:nurse")
    conversation.locator(".transfer button").click()

    banner = visitor.locator("#waiting")
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("role", "status")
    expect(banner).to_contain_text("annan rådgivare")  # "another counsellor who can help you better"
    expect(visitor.locator("#waiting-position")).to_contain_text("1")  # "You are number 1 in the queue."
    expect(visitor.locator("#waiting-wait")).not_to_be_empty()
    # The conversation is still there to read.
    expect(visitor.locator("#chat")).to_be_visible()
    expect(visitor.locator("#messages")).to_be_visible()
    expect(visitor.locator("#messages")).to_contain_text("Jag kopplar dig vidare")
    expect(visitor.locator("#messages")).to_contain_text("okej tack")
    expect(visitor.locator("#queue")).to_be_hidden()
    # What is written meanwhile waits for the next counsellor, and says so.
    visitor.fill("#text", "är någon där?")
    visitor.keyboard.press("Enter")
    expect(visitor.locator("#messages li.me.pending .note")).not_to_be_empty()
    expect(visitor.locator("#messages li.me.failed")).to_have_count(0)  # kept, not refused
    visitor.screenshot(path=str(SHOTS / "visitor-sv-requeued.png"))
    visitor.click("#chat button.end")
    expect(visitor.locator("#ended")).to_be_visible()


# --- item 6: a reload is told to the counsellor at once ---


def test_reloading_the_visitor_page_tells_the_counsellor_at_once(staff: Any, server: Server, visitor: Page) -> None:
    start_chat(visitor, staff, server)
    visitor.fill("#text", "hej")
    visitor.keyboard.press("Enter")
    conversation = staff.locator(".conversation").last
    expect(conversation.locator(".messages")).to_contain_text("hej")
    left = staff.evaluate("JSON.parse(document.getElementById('i18n').textContent).ended_visitor_left")
    visitor.reload()
    # Within a couple of seconds (the grace is 120 s), and not "connection lost".
    expect(conversation).to_contain_text(left, timeout=4_000)
    expect(conversation).to_have_class(re.compile(r"\bended\b"))
    expect(visitor.locator("#intro")).to_be_visible()  # the page kept nothing
    staff.set_viewport_size({"width": 1200, "height": 700})
    staff.screenshot(path=str(SHOTS / "console-visitor-left.png"))
