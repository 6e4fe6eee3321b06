"""A centre's look in a real browser (issue 15): Una Norrbotten's page at 360 px shows
Una's name, logo and colour under the strict CSP, offers only Una's languages and keeps
the quick exit first and in reach; the national supervisor's dashboard shows no control
it may not use, a centre supervisor's still does."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.server import ROOT, Server, daphne_process, prepare, server_env
from tests.test_centres_browser import log_in, on_duty
from tests.test_visitor_browser import audit

pytestmark = pytest.mark.browser

NATIONAL_PASSWORD = "nationell-" + "n" * 16
NATIONAL = f"""
from django.contrib.auth.models import Group, User
from staff.roles import NATIONAL_GROUP
user = User.objects.create_user("nationell", password="{NATIONAL_PASSWORD}", first_name="Nora")
user.groups.add(Group.objects.get(name=NATIONAL_GROUP))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("look")
    env = server_env({"SQLITE_PATH": str(tmp / "db.sqlite3")})
    passwords = prepare(env)  # the demo: Nexus, and Una Norrbotten with its own look
    subprocess.run([sys.executable, "manage.py", "shell", "-c", NATIONAL], cwd=ROOT, env=env, check=True)
    passwords["nationell"] = NATIONAL_PASSWORD
    with daphne_process(env, tmp / "daphne.log") as process:
        yield Server(process.url, process.port, env, passwords, tmp / "daphne.log")


def css(page: Page, selector: str, prop: str) -> str:
    return str(page.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}"))


def test_unas_page_shows_unas_name_logo_colour_and_languages_and_the_quick_exit_stays_first(
    browser: Browser, server: Server
) -> None:
    context = browser.new_context(locale="sv-SE", viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(server.url + "/norrbotten/")
    expect(page.locator(".centre-name")).to_have_text("Una Norrbotten")
    logo = page.locator(".centre img.logo")
    expect(logo).to_be_visible()
    assert page.eval_on_selector(".centre img.logo", "img => img.complete && img.naturalWidth > 0"), "logo not loaded"
    expect(logo).to_have_attribute("alt", "")  # the name beside it says what it shows
    box = logo.bounding_box()
    assert box is not None and box["height"] <= 48 and box["x"] + box["width"] <= 360

    # Una's teal, under the strict CSP (no bypass here): too light for white, so dark text.
    assert css(page, "#start", "backgroundColor") == "rgb(26, 158, 143)"
    assert css(page, "#start", "color") == "rgb(27, 27, 31)"
    assert css(page, "#text-size", "color") != "rgb(29, 79, 145)"  # not the default blue

    exit_box = page.locator("#quick-exit").bounding_box()
    assert exit_box is not None and exit_box["x"] >= 0 and exit_box["x"] + exit_box["width"] <= 360
    assert exit_box["y"] >= 0 and exit_box["y"] + exit_box["height"] <= 740
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "quick-exit"

    options = page.locator("#lang option")
    assert options.evaluate_all("os => os.map(o => o.value)") == ["sv", "sv-ll", "en"]  # no Arabic at Una
    page.screenshot(path="/tmp/look-una-360.png")
    page.screenshot(path=str(Path(ROOT) / "docs" / "screenshots" / "visitor-sv-centre.png"))
    # It says whom the visitor talks to: Una, not the default centre, in every language.
    expect(page.locator("#intro p").first).to_contain_text("rådgivare på Una Norrbotten om")
    page.select_option("#lang", "en")
    expect(page.locator("#start")).to_have_text("Start chat")
    expect(page.locator(".centre-name")).to_have_text("Una Norrbotten")
    expect(page.locator("#intro p").first).to_contain_text("a counsellor at Una Norrbotten about")

    page.goto(server.url + "/norrbotten/?lang=ar")  # not offered: Swedish, left to right
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    stored = page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]")
    assert stored == [0, 0, ""] and context.cookies() == []
    context.close()


def test_the_front_page_has_the_default_centres_look(browser: Browser, server: Server) -> None:
    page = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    page.goto(server.url + "/")
    expect(page.locator(".centre-name")).to_have_text("Nexus resurscentrum")
    expect(page.locator(".centre img")).to_have_count(0)
    assert css(page, "#start", "backgroundColor") == "rgb(29, 79, 145)"  # the blue it always had
    assert page.locator("#lang option").count() == 4  # sv, easy-read sv, en, ar
    page.context.close()


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_a_centres_page_has_no_serious_accessibility_violations(browser: Browser, server: Server, lang: str) -> None:
    context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 740})  # to inject axe
    page = context.new_page()
    page.goto(f"{server.url}/norrbotten/?lang={lang}")
    expect(page.locator(".centre-name")).to_be_visible()
    assert audit(page) == []
    context.close()


def test_a_national_supervisor_sees_the_load_without_controls_and_a_centre_supervisor_keeps_them(
    browser: Browser, server: Server
) -> None:
    sara = log_in(browser, server, "radgivare", "/console/")
    on_duty(sara, "Sara")
    national = log_in(browser, server, "nationell", "/supervisor/")
    errors: list[str] = []
    national.on("pageerror", lambda error: errors.append(str(error)))
    national.set_viewport_size({"width": 1000, "height": 900})
    national.reload()  # with the error listener from the first frame on
    expect(national.locator("#team li")).to_contain_text("Sara")  # the load is there
    # The whole dashboard frame was drawn (its last list too), without a script error.
    expect(national.locator("#help li")).to_have_text("Ingen ber om hjälp.")
    expect(national.locator("#read-only")).to_be_visible()
    expect(national.locator("#intake")).to_have_count(0)
    expect(national.locator("#clear-abandoned")).to_have_count(0)
    expect(national.locator("main button")).to_have_count(0)  # no set-off, lift-block or join
    national.screenshot(path="/tmp/look-national.png", full_page=True)
    assert errors == []

    maria = log_in(browser, server, "arbetsledare", "/supervisor/")
    expect(maria.locator("#team li")).to_contain_text("Sara")
    expect(maria.locator("#read-only")).to_have_count(0)
    expect(maria.locator("#intake button[type=submit]")).to_be_visible()
    expect(maria.locator("#team li button")).to_have_count(1)  # set Sara off duty
    for page in (sara, national, maria):
        page.context.close()
