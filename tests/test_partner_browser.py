"""A partner (a funder's representative) reads the statistics in a browser: log-in lands
on the report, which is drawn without JavaScript, and the CSV download is for Excel."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.server import ROOT, Server, embedded_server

pytestmark = pytest.mark.browser

# Some of last month's counters: enough for bars, few enough for "<5" in some cells.
LAST_MONTH = """
from datetime import timedelta
from django.utils import timezone
from stats import count
from stats.models import DailyCount
for i in range(37):
    language = "sv" if i < 30 else "en" if i < 34 else "ar"
    count("contacts", channel="chat" if i < 30 else "phone", language=language, kind="self", danger="no")
for _ in range(3):
    count("wrapup", kind="relative", municipality="enkoping")
first = timezone.localdate().replace(day=1)
DailyCount.objects.update(day=(first - timedelta(days=1)).replace(day=10))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with embedded_server(tmp_path_factory.mktemp("partner")) as s:
        subprocess.run([sys.executable, "manage.py", "shell", "-c", LAST_MONTH], cwd=ROOT, env=s.env, check=True)
        yield s


def test_a_partner_logs_in_reads_the_report_and_downloads_the_csv(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(server.url + "/accounts/login/")
    page.fill("#id_username", "partner")
    page.fill("#id_password", server.passwords["partner"])
    page.click("button[type=submit]")
    page.wait_for_url(server.url + "/stats/")
    expect(page.locator("h1")).to_have_text("Statistik")
    channel = page.locator("section.card").filter(has=page.locator("h2", has_text="kanal")).first
    expect(channel.locator("td.num").first).to_have_text("30")
    expect(channel.locator("svg rect[width='200']")).to_have_count(1)  # the longest bar: chat
    expect(page.locator("main")).to_contain_text("<5")  # three in Arabic: suppressed as everywhere
    expect(page.get_by_role("link", name="Arbetsledarvy")).to_have_count(0)
    page.screenshot(path="/tmp/i13-ops-partner-report.png", full_page=False)

    with page.expect_download() as download:
        page.get_by_role("link", name="Ladda ned som CSV").click()
    saved = tmp_path / "report.csv"
    download.value.save_as(saved)
    body = saved.read_bytes()
    assert body.startswith(b"\xef\xbb\xbftable;code;label;count")
    assert "Enköping".encode() in body

    response = page.goto(server.url + "/supervisor/")
    assert response is not None and response.status == 403
    context.close()
