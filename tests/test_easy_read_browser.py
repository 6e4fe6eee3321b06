"""Easy-read Swedish in a real browser (issue 16 item 7): picked from the language menu,
it changes every text at once without a reload (the intro, the form, the what-we-see
panel, the closed page with its hours and numbers), back to Swedish and to Arabic too;
the page stays Swedish to a screen reader, passes axe and keeps nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.server import Server, embedded_server
from tests.test_browser import log_in_counsellor
from tests.test_visitor_browser import audit

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with embedded_server(tmp_path_factory.mktemp("easy-read")) as s:
        yield s


def test_easy_read_swedish_is_chosen_like_a_language_and_kept_nowhere(browser: Browser, server: Server) -> None:
    # bypass_csp only so that axe can be injected (tests/test_visitor_browser.py proves the CSP).
    context = browser.new_context(locale="sv-SE", viewport={"width": 360, "height": 740}, bypass_csp=True)
    page = context.new_page()
    page.goto(server.url + "/")
    page.evaluate("() => { window.sameDocument = true; }")  # gone if the page reloads
    html = page.locator("html")
    intro = page.locator("#intro")
    expect(intro.locator("h1")).to_have_text("Prata med oss anonymt")

    page.select_option("#lang", "sv-ll")
    expect(intro.locator("h1")).to_have_text("Chatta med oss utan att säga vem du är")
    expect(intro.locator("p").first).to_contain_text("Du kan skriva om våld, hot eller kontroll.")
    expect(page.locator("#start")).to_have_text("Börja chatta")
    expect(page.locator("legend")).to_have_text("Vem skriver du om? Du behöver inte svara.")
    expect(page.locator("[data-t=who_professional]")).to_have_text("Jag skriver för mitt arbete")
    expect(page.locator("[data-t=danger_label]")).to_have_text("Jag är i fara nu")
    expect(page.locator("#numbers")).to_contain_text("Ring 112 om du är i fara nu")
    expect(html).to_have_attribute("lang", "sv")  # Swedish to a screen reader
    expect(html).to_have_attribute("dir", "ltr")
    panel = page.locator("#what-we-see")
    panel.locator("summary").click()
    expect(panel.locator("summary")).to_have_text("Vad ser vi om dig?")
    expect(panel).to_contain_text("Vi sparar inte det du skriver. Vi tar bort chatten när den är slut.")
    assert audit(page) == [], "intro"
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path="/tmp/easy-read-intro.png")

    # Nobody is on duty in this demo: the chat starts as Swedish, plain, and is turned
    # away in easy-read, its hours and numbers too.
    sent: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(str(payload))))
    page.click("#start")
    closed = page.locator("#closed")
    expect(closed).to_be_visible()
    assert any('"type":"start"' in f and '"lang":"sv"' in f and '"plain":true' in f for f in sent), sent
    expect(page.locator("#closed-heading")).to_have_text("Ingen kan svara nu")
    expect(page.locator("#closed-text")).to_have_text(
        "Ingen kan svara nu. Försök igen om en stund. Är du i fara? Ring 112."
    )
    expect(page.locator("[data-t=hours_heading]")).to_have_text("När har vi öppet?")
    expect(page.locator("[data-t=numbers_heading]")).to_have_text("Behöver du hjälp nu?")
    assert audit(page) == [], "closed"
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path="/tmp/easy-read.png", full_page=True)

    page.select_option("#lang", "sv")
    expect(page.locator("#closed-heading")).to_have_text("Ingen kan svara just nu")
    expect(page.locator("#closed-text")).to_contain_text("Ingen kan svara just nu. Försök igen om en stund.")
    expect(panel.locator("summary")).to_have_text("Vad vi kan och inte kan se om dig")
    expect(page.locator("#numbers")).to_contain_text("Akut fara: ring 112")
    page.select_option("#lang", "ar")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(panel.locator("summary")).to_have_text("ما الذي يمكننا وما لا يمكننا رؤيته عنك")
    page.select_option("#lang", "sv-ll")
    expect(page.locator("#closed-heading")).to_have_text("Ingen kan svara nu")
    expect(html).to_have_attribute("lang", "sv")
    expect(html).to_have_attribute("dir", "ltr")
    assert page.evaluate("() => window.sameDocument") is True  # never reloaded

    stored = page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]")
    assert stored == [0, 0, ""]
    assert context.cookies() == []
    page.reload()
    expect(page.locator("#lang")).to_have_value("sv")  # a reload forgets the choice
    context.close()


def test_the_counsellor_sees_the_visitor_chose_easy_read(browser: Browser, server: Server) -> None:
    staff = log_in_counsellor(browser, server)
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(server.url + "/")
    page.select_option("#lang", "sv-ll")
    expect(page.locator("#start")).to_have_text("Börja chatta")
    page.click("#start")
    offer = staff.locator("#offer-list li")
    expect(offer.locator(".plain")).to_have_text("Lättläst: skriv enkelt")
    expect(offer.locator(".what")).to_contain_text("SV")  # routed as Swedish
    offer.locator("button.primary").click()
    card = staff.locator(".conversation:not(.ended)")
    expect(card.locator("header .plain")).to_be_visible()
    expect(card.locator("header .plain")).to_have_text("Lättläst: skriv enkelt")
    expect(page.locator("#chat")).to_be_visible()
    expect(page.locator("#chat button.end")).to_have_text("Avsluta chatten")
    page.click("#chat button.end")
    expect(page.locator("#ended-text")).to_have_text("Du avslutade chatten.")
    expect(page.locator("#again")).to_have_text("Börja en ny chatt")
    staff.click("#duty button[data-state=off]")
    staff.context.close()
    context.close()
