"""Idle is not gone (issue 16, item 3), in real browsers: a visitor who says nothing for
a while is not ended; the counsellor's card says how long it has been quiet and offers
a gentle "are you still there?", the visitor's page says the counsellor is waiting, and
the prompt is counted as an aggregate only."""

from __future__ import annotations

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

COUNTED = (
    "from stats.models import DailyCount\n"
    "print(sum(DailyCount.objects.filter(metric='idle', value='prompted').values_list('count', flat=True)))\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("idle")
    env = server_env({"SQLITE_PATH": str(tmp / "db.sqlite3"), "CHAT_IDLE_PROMPT_SECONDS": "5"})
    passwords = prepare(env)
    with daphne_process(env, tmp / "daphne.log") as process:
        yield Server(process.url, process.port, env, passwords, tmp / "daphne.log")


def test_a_quiet_visitor_is_asked_gently_and_nothing_ends(browser: Browser, server: Server) -> None:
    staff = log_in(browser, server, "radgivare", "/console/")
    set_state(staff, "available")
    visitor = start_visitor(browser, server)
    staff.locator("#offer-list li button.primary").click()
    expect(visitor.locator("#chat")).to_be_visible()
    card = staff.locator(".conversation").first
    card.locator("textarea").fill("Hej, jag heter Sara. Vad vill du prata om?")
    card.locator("textarea").press("Enter")
    expect(visitor.locator("#messages li.them")).to_have_count(1)

    # Quiet past CHAT_IDLE_PROMPT_SECONDS: each side is told, gently; nobody is ended.
    waiting = visitor.locator("#counsellor-waiting")
    expect(waiting).to_be_visible(timeout=15_000)
    expect(waiting).to_contain_text("väntar på dig")
    quiet = card.locator(".quiet")
    expect(quiet).to_be_visible(timeout=15_000)
    expect(quiet).to_contain_text("Tyst en stund")
    staff.screenshot(path=str(Path(ROOT) / "docs" / "screenshots" / "console-quiet.png"))
    card.locator(".still-there").click()
    expect(quiet).to_be_hidden()
    expect(visitor.locator("#messages li.them").last).to_contain_text("Är du kvar?")
    expect(waiting).to_be_hidden()  # a new word from the counsellor: the notice starts over
    visitor.locator("#text").fill("ja, jag är kvar")
    visitor.locator("#text").press("Enter")
    expect(card.locator(".messages li").last).to_contain_text("ja, jag är kvar")
    expect(visitor.locator("#chat")).to_be_visible()  # silence ended nothing

    counted = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", COUNTED],
        cwd=ROOT,
        env=server.env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert counted.stdout.strip().splitlines()[-1] == "1"  # counted once, nothing else kept
    for page in (staff, visitor):
        page.context.close()
