"""A real conversation between two browsers through a running daphne (embedded default)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, expect

from tests.server import Server, embedded_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with embedded_server(tmp_path_factory.mktemp("server")) as s:
        yield s


def log_in_counsellor(browser: Browser, server: Server, username: str = "radgivare", **context: Any) -> Any:
    page = browser.new_context(locale="sv-SE", **context).new_page()  # the console follows the browser's language
    page.on("dialog", lambda d: d.accept())
    page.goto(server.url + "/console/")
    page.fill("#id_username", username)
    page.fill("#id_password", server.passwords[username])
    page.click("button[type=submit]")
    expect(page.locator("#me-name")).to_contain_text("Sara" if username == "radgivare" else "Omar")
    page.click("#duty button[data-state=available]")
    expect(page.locator("#duty button[data-state=available]")).to_have_attribute("aria-pressed", "true")
    return page


def test_a_visitor_and_a_counsellor_chat_in_two_browsers(browser: Browser, server: Server) -> None:
    staff = log_in_counsellor(browser, server)

    visitor_context = browser.new_context()
    page = visitor_context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", on_dialog)
    response = page.goto(server.url + "/")
    assert response is not None
    assert response.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.check("input[name=kind][value=self]")
    page.click("#start")

    offer = staff.locator("#offer-list li")
    expect(offer).to_have_count(1)
    expect(offer).to_contain_text("SV")
    offer.locator("button.primary").click()

    expect(page.locator("#chat")).to_be_visible()
    expect(page.locator("#messages")).to_contain_text("Sara")

    page.fill("#text", "Hej, jag vill prata med någon")
    page.keyboard.press("Enter")
    conversation = staff.locator(".conversation")
    expect(conversation.locator(".messages")).to_contain_text("Hej, jag vill prata med någon")
    expect(page.locator("#messages li.me").last).not_to_have_class("pending")

    hostile = "<img src=x onerror=alert(1)>"
    page.fill("#text", hostile)
    page.keyboard.press("Enter")
    expect(conversation.locator(".messages")).to_contain_text(hostile)  # shown as text

    conversation.locator("textarea").fill("Hej! Jag finns här. Berätta i din egen takt.")
    conversation.locator("textarea").press("Enter")
    expect(page.locator("#messages")).to_contain_text("Berätta i din egen takt.")

    conversation.locator("button.end").click()
    expect(page.locator("#ended")).to_be_visible()
    expect(conversation.locator(".messages")).to_contain_text("avslutade")  # "Du avslutade samtalet."
    assert "alert" not in dialogs
    assert page.evaluate("document.cookie") == ""
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    visitor_context.close()
    staff.context.close()


def test_the_server_log_holds_no_client_address(server: Server) -> None:
    text = Path(server.log).read_text(errors="replace")
    assert "127.0.0.1" not in text.replace(f"127.0.0.1:{server.port}", "")
