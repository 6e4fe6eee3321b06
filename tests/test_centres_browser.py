"""Two centres in real browsers: Nexus is closed, its rule hands chats to Una Norrbotten;
the visitor is told who answers and is answered by Una's counsellor, while Nexus's
counsellor and supervisor see nothing of it (issue 15)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.server import ROOT, Server, daphne_process, prepare, server_env

pytestmark = pytest.mark.browser

NEXUS_CLOSED_UNA_ANSWERS = """
from centres.models import Centre, OverflowRule
from contacts.models import OpeningHours
nexus = Centre.objects.get(default=True)
web = nexus.lines.get(kind="web")
OpeningHours.objects.filter(line__isnull=True).delete()
OpeningHours.objects.filter(line=web).delete()
OverflowRule.objects.filter(line=web).delete()
OverflowRule.objects.create(line=web, condition="closed", action="centre", centre=Centre.objects.get(slug="norrbotten"))
# Omar works for Una only here: the demo has him in both centres, and then Nexus's
# supervisor would rightly see her own colleague busy.
from staff.models import Membership
Membership.objects.filter(user__username="radgivare2", centre=nexus).delete()
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("centres")
    env = server_env({"SQLITE_PATH": str(tmp / "db.sqlite3")})
    passwords = prepare(env)  # the demo: Nexus (Sara, Maria) and Una Norrbotten (Omar)
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", NEXUS_CLOSED_UNA_ANSWERS], cwd=ROOT, env=env, check=True
    )
    with daphne_process(env, tmp / "daphne.log") as process:
        yield Server(process.url, process.port, env, passwords, tmp / "daphne.log")


def log_in(browser: Browser, server: Server, username: str, path: str) -> Page:
    page = browser.new_context(locale="sv-SE").new_page()
    page.on("dialog", lambda d: d.accept())
    page.goto(server.url + path)
    page.fill("#id_username", username)
    page.fill("#id_password", server.passwords[username])
    page.click("button[type=submit]")
    return page


def on_duty(page: Page, name: str) -> None:
    expect(page.locator("#me-name")).to_contain_text(name)
    page.click("#duty button[data-state=available]")
    expect(page.locator("#duty button[data-state=available]")).to_have_attribute("aria-pressed", "true")


def test_a_visitor_at_a_closed_centre_is_answered_by_the_partner_centre_and_nexus_sees_nothing(
    browser: Browser, server: Server
) -> None:
    sara = log_in(browser, server, "radgivare", "/console/")
    on_duty(sara, "Sara")
    omar = log_in(browser, server, "radgivare2", "/console/")
    on_duty(omar, "Omar")
    maria = log_in(browser, server, "arbetsledare", "/supervisor/")
    expect(maria.locator("#waiting")).to_have_text("0")

    page = browser.new_context(locale="sv-SE", viewport={"width": 360, "height": 740}).new_page()
    page.goto(server.url + "/")
    # Closed at Nexus, but someone answers: the page offers the chat, not the closed notice.
    expect(page.locator("#closed")).to_be_hidden()
    page.click("#start")
    note = page.locator("#answered-by")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Una Norrbotten")
    page.screenshot(path=str(Path(ROOT) / "docs" / "screenshots" / "visitor-sv-answered-by.png"))

    offer = omar.locator("#offer-list li")
    expect(offer).to_have_count(1)
    offer.locator("button.primary").click()
    expect(page.locator("#chat")).to_be_visible()
    expect(page.locator("#messages")).to_contain_text("Omar")
    page.fill("#text", "Hej")
    page.keyboard.press("Enter")
    expect(omar.locator(".conversation .messages")).to_contain_text("Hej")

    # Nexus's counsellor and supervisor: no offer, no queue line, no count, no load.
    expect(sara.locator("#offer-list li")).to_have_count(0)
    expect(sara.locator("#queue-list li:not(.empty)")).to_have_count(0)
    expect(sara.locator("#queue-list li.empty")).to_have_count(1)  # "nobody waiting", said plainly
    expect(sara.locator(".conversation")).to_have_count(0)
    maria.reload()
    expect(maria.locator("#waiting")).to_have_text("0")
    expect(maria.locator("body")).not_to_contain_text("Omar")
