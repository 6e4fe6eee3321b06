"""What a supervisor, a counsellor and a visitor see of a paused intake and of a block
(issue 13, items 10 and 11), in real browsers against the embedded default."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from tests.server import Server, embedded_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with embedded_server(tmp_path_factory.mktemp("intake"), {"BLOCK_SECONDS": "7200"}) as s:
        yield s


def log_in(browser: Browser, server: Server, username: str, path: str) -> Page:
    page = browser.new_context(locale="sv-SE").new_page()
    page.goto(server.url + path)
    page.fill("#id_username", username)
    page.fill("#id_password", server.passwords[username])
    page.click("button[type=submit]")
    return page


def test_a_paused_intake_is_plain_to_the_supervisor_the_counsellor_and_the_visitor(
    browser: Browser, server: Server
) -> None:
    staff = log_in(browser, server, "radgivare", "/console/")
    expect(staff.locator("#me-name")).to_contain_text("Sara")
    staff.click("#duty button[data-state=available]")
    boss = log_in(browser, server, "arbetsledare", "/supervisor/")
    expect(boss.locator("#waiting")).to_have_text("0")
    expect(boss.locator("#intake-banner")).to_be_hidden()
    boss.check("#intake input[name=chat_paused]")
    boss.click("#intake button[type=submit]")
    # The supervisor is told it took, and the state stays in view on both staff pages.
    expect(boss.locator("#intake-saved")).to_contain_text("Sparat")
    expect(boss.locator("#intake-banner")).to_be_visible()
    expect(boss.locator("#intake-banner")).to_contain_text("pausad")
    expect(staff.locator("#intake-banner")).to_be_visible()
    expect(staff.locator("#intake-banner")).to_contain_text("pausad")
    visitor = browser.new_context().new_page()
    visitor.goto(server.url + "/")
    visitor.click("#start")
    expect(visitor.locator("#closed-heading")).to_have_text("Chatten är pausad just nu")
    expect(visitor.locator("#closed-text")).to_contain_text("pausad")
    boss.uncheck("#intake input[name=chat_paused]")
    boss.click("#intake button[type=submit]")
    expect(boss.locator("#intake-banner")).to_be_hidden()
    expect(staff.locator("#intake-banner")).to_be_hidden()
    for page in (staff, boss, visitor):
        page.context.close()


def test_the_counsellor_is_told_what_a_block_does_before_pressing_it(browser: Browser, server: Server) -> None:
    staff = log_in(browser, server, "radgivare", "/console/")
    staff.click("#duty button[data-state=available]")
    expect(staff.locator("#duty button[data-state=available]")).to_have_attribute("aria-pressed", "true")
    asked: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()  # not this time

    staff.on("dialog", on_dialog)
    visitor = browser.new_context().new_page()
    visitor.goto(server.url + "/")
    visitor.click("#start")
    offer = staff.locator("#offer-list li")
    expect(offer).to_have_count(1)
    offer.locator("button.primary").click()
    expect(visitor.locator("#chat")).to_be_visible()
    staff.locator(".conversation button.block").first.click()
    expect(staff.locator(".conversation button.block").first).to_be_visible()  # dismissed: nothing happened
    assert len(asked) == 1
    text = asked[0]
    assert "2 timmar" in text and "fara" in text and "skola" in text, text
    staff.context.close()
    visitor.context.close()


def test_blocks_are_listed_for_the_supervisor_who_can_lift_them(browser: Browser, server: Server) -> None:
    boss = log_in(browser, server, "arbetsledare", "/supervisor/")
    expect(boss.locator("#blocks")).to_contain_text("Ingen uppkoppling är blockerad")
    staff = log_in(browser, server, "radgivare", "/console/")
    staff.click("#duty button[data-state=available]")
    expect(staff.locator("#duty button[data-state=available]")).to_have_attribute("aria-pressed", "true")
    staff.on("dialog", lambda d: d.accept())
    visitor = browser.new_context().new_page()
    visitor.goto(server.url + "/")
    visitor.click("#start")
    staff.locator("#offer-list li button.primary").click()
    expect(visitor.locator("#chat")).to_be_visible()
    staff.locator(".conversation:not(.ended) button.block").first.click()
    expect(staff.locator(".conversation.ended").last).to_contain_text("2 timmar")
    expect(boss.locator("#blocks li")).to_contain_text("Blockerad av Sara")
    boss.locator("#blocks li button").click()
    expect(boss.locator("#blocks")).to_contain_text("Ingen uppkoppling är blockerad")
    again = browser.new_context().new_page()  # same address: in again
    again.goto(server.url + "/")
    again.click("#start")
    expect(staff.locator("#offer-list li")).to_have_count(1)
    for page in (boss, staff, visitor, again):
        page.context.close()
