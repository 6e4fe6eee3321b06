"""A breather after a conversation (issue 16, item 5), in real browsers: the centre says
no new contact until the counsellor is ready; the console says so, holds the next
visitor back, and one button brings the offer."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.server import ROOT, Server, daphne_process, prepare, server_env
from tests.test_console_browser import set_state, start_visitor
from tests.test_intake_and_block_browser import log_in

pytestmark = pytest.mark.browser

UNTIL_READY = "from centres.models import Centre\nCentre.objects.filter(default=True).update(breather='ready')\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("breather")
    env = server_env({"SQLITE_PATH": str(tmp / "db.sqlite3")})
    passwords = prepare(env)
    subprocess.run([sys.executable, "manage.py", "shell", "-c", UNTIL_READY], cwd=ROOT, env=env, check=True)
    with daphne_process(env, tmp / "daphne.log") as process:
        yield Server(process.url, process.port, env, passwords, tmp / "daphne.log")


def test_no_new_contact_until_the_counsellor_says_ready(browser: Browser, server: Server) -> None:
    staff = log_in(browser, server, "radgivare", "/console/")
    set_state(staff, "available")
    breather = staff.locator("#breather")
    expect(breather).to_be_hidden()
    first = start_visitor(browser, server)
    staff.locator("#offer-list li button.primary").click()
    expect(first.locator("#chat")).to_be_visible()
    first.once("dialog", lambda dialog: dialog.accept())
    first.click("#chat button.end")
    expect(staff.locator(".conversation")).to_have_class(re.compile(r"\bended\b"))
    expect(breather).to_be_visible()
    expect(breather).to_contain_text("förrän du säger att du är redo")
    staff.screenshot(path=str(Path(ROOT) / "docs" / "screenshots" / "console-breather.png"))

    second = start_visitor(browser, server)
    expect(second.locator("#queue")).to_be_visible()
    staff.wait_for_timeout(1500)
    expect(staff.locator("#offer-list li")).to_have_count(0)  # held back while the counsellor rests
    staff.click("#ready")
    expect(breather).to_be_hidden()
    expect(staff.locator("#offer-list li")).to_have_count(1)
    for page in (staff, first, second):
        page.context.close()
