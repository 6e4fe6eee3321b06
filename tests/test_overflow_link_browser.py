"""A visitor waits at Nexus, nobody answers within the rule's seconds, and the rule's
link to another service appears beside the queue in a real browser; the visitor keeps
their place and is answered when the counsellor comes back (issue 15)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.server import ROOT, Server, daphne_process, prepare, server_env
from tests.test_centres_browser import log_in

pytestmark = pytest.mark.browser

UNANSWERED_LINKS_ELSEWHERE = """
from centres.models import Centre, OverflowRule
web = Centre.objects.get(default=True).lines.get(kind="web")
OverflowRule.objects.filter(line=web).delete()
OverflowRule.objects.create(line=web, condition="unanswered", after_seconds=2, action="link",
                            url="https://example.org/chatt", service_name="Rätt att välja")
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("link")
    env = server_env({"SQLITE_PATH": str(tmp / "db.sqlite3")})
    passwords = prepare(env)
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", UNANSWERED_LINKS_ELSEWHERE], cwd=ROOT, env=env, check=True
    )
    with daphne_process(env, tmp / "daphne.log") as process:
        yield Server(process.url, process.port, env, passwords, tmp / "daphne.log")


def test_a_visitor_nobody_answered_is_shown_the_rules_link_and_keeps_their_place(
    browser: Browser, server: Server
) -> None:
    staff = log_in(browser, server, "radgivare", "/console/")
    expect(staff.locator("#me-name")).to_contain_text("Sara")
    staff.click("#duty button[data-state=break]")  # on shift, taking nothing: nobody answers
    expect(staff.locator("#duty button[data-state=break]")).to_have_attribute("aria-pressed", "true")
    visitor = browser.new_context(locale="sv-SE").new_page()
    visitor.goto(server.url + "/")
    visitor.click("#start")
    expect(visitor.locator("#queue")).to_be_visible()
    notice = visitor.locator("#elsewhere-waiting")
    expect(notice).to_be_hidden()
    expect(notice).to_be_visible(timeout=15000)
    expect(notice).to_contain_text("Du kan behålla din plats i kön")
    link = notice.locator("a")
    expect(link).to_have_text("Rätt att välja")
    expect(link).to_have_attribute("href", "https://example.org/chatt")
    expect(link).to_have_attribute("target", "_blank")
    visitor.set_viewport_size({"width": 390, "height": 760})
    visitor.screenshot(path="/tmp/elsewhere-waiting.png")
    # Still in the queue: the counsellor back from her break answers.
    staff.click("#duty button[data-state=available]")
    staff.locator("#offer-list li button.primary").click()
    expect(visitor.locator("#chat")).to_be_visible()
    for page in (staff, visitor):
        page.context.close()
