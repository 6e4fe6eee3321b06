"""The visitor page's care for the person reading it (issue 16): larger text with one tap
and nothing kept on the device (item 7); what we can and cannot see, one tap to open and
nothing to accept, before and during the chat, in every language (item 2)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.server import ROOT, Server, embedded_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with embedded_server(tmp_path_factory.mktemp("text-size")) as s:
        yield s


def test_larger_text_grows_the_page_and_is_remembered_nowhere(browser: Browser, server: Server) -> None:
    context = browser.new_context(locale="sv-SE", viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(server.url + "/")
    button = page.locator("#text-size")
    expect(button).to_have_text("Större text")
    expect(button).to_have_attribute("aria-pressed", "false")

    def size(selector: str) -> float:
        return float(page.eval_on_selector(selector, "e => parseFloat(getComputedStyle(e).fontSize)"))

    before = {s: size(s) for s in ("h1", "#intro p", "#start")}
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    after = {s: size(s) for s in ("h1", "#intro p", "#start")}
    assert all(after[s] >= before[s] * 1.2 for s in before), (before, after)
    page.screenshot(path=str(Path(ROOT) / "docs" / "screenshots" / "visitor-sv-larger-text.png"))
    stored = page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]")
    assert stored == [0, 0, ""]
    assert context.cookies() == []
    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    assert size("h1") == before["h1"]
    page.reload()
    expect(page.locator("#text-size")).to_have_attribute("aria-pressed", "false")  # a reload forgets it
    context.close()


@pytest.mark.parametrize(
    ("lang", "title", "phrase"),
    [
        ("sv", "Vad vi kan och inte kan se om dig", "Twilio"),
        ("en", "What we can and cannot see about you", "not saved"),
        ("ar", "ما الذي يمكننا وما لا يمكننا رؤيته عنك", "Twilio"),
    ],
)
def test_what_we_can_and_cannot_see_is_one_tap_away_and_asks_nothing(
    browser: Browser, server: Server, lang: str, title: str, phrase: str
) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(f"{server.url}/?lang={lang}")
    panel = page.locator("#what-we-see")
    expect(panel.locator("summary")).to_have_text(title)
    expect(panel).not_to_have_attribute("open", "")  # information, not a wall: closed until asked
    expect(page.locator("#start")).to_be_enabled()  # and the chat does not wait for it
    assert panel.locator("input, button").count() == 0  # nothing to accept
    panel.locator("summary").click()
    expect(panel.locator("p").nth(2)).to_be_visible()
    expect(panel).to_contain_text(phrase)
    if lang == "sv":
        page.screenshot(path=str(Path(ROOT) / "docs" / "screenshots" / "visitor-sv-what-we-see.png"))
    # After the start too (in the queue, or told nobody is on duty in this demo): the
    # panel is outside the page's sections, so it stays whatever the page shows.
    page.click("#start")
    expect(page.locator("#intro")).to_be_hidden()
    expect(panel).to_be_visible()
    context.close()
