"""No identifier reaches a log at any level: Twilio's REST client and the HTTP libraries
under it log every request's URL (with the CallSid and the AccountSid) at INFO and
DEBUG. The deletion runs here for real, against a fake Twilio API on 127.0.0.1, with the
project's logging at DEBUG (tests/test_canary.py does the same on the whole stack)."""

from __future__ import annotations

import http.server
import logging
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator

import pytest

from chatservice.logging import NoClientDataFilter
from tests.server import ROOT, server_env


class FakeTwilio(http.server.BaseHTTPRequestHandler):
    deleted: list[str] = []

    def do_DELETE(self) -> None:
        FakeTwilio.deleted.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass  # the test's own output must not hold the SIDs either


@pytest.fixture
def fake_twilio() -> Iterator[str]:
    FakeTwilio.deleted = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


PROBE = """
import logging, django
django.setup()
from contacts.phone import delete_call_record
logging.getLogger("contacts.phone").debug("debug is on")
delete_call_record({sid!r})
# What a library still says at WARNING passes the filter: urllib3 names the URL on a retry.
logging.getLogger("urllib3.connectionpool").warning("Retrying after connection broken: %s", {path!r})
"""


def test_deleting_a_call_record_at_debug_logs_no_sid(fake_twilio: str) -> None:
    account = "AC" + uuid.uuid4().hex
    call = "CA" + uuid.uuid4().hex
    path = f"/2010-04-01/Accounts/{account}/Calls/{call}.json"
    env = server_env(
        {
            "LOG_LEVEL": "DEBUG",
            "TWILIO_DELETE_CALLS": "true",
            "TWILIO_ACCOUNT_SID": account,
            "TWILIO_AUTH_TOKEN": "quiet-logs-token",
            "TWILIO_API_URL": fake_twilio,
            "DJANGO_SETTINGS_MODULE": "chatservice.settings",
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(sid=call, path=path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert FakeTwilio.deleted == [path], "the record was not deleted at the fake Twilio"
    log = done.stdout + done.stderr
    assert "debug is on" in log  # the logs really were at DEBUG
    assert "Retrying after connection broken" in log
    assert call not in log, "the CallSid is in the log"
    assert account not in log, "the AccountSid is in the log"


def test_the_filter_masks_twilio_sids_in_urls() -> None:
    call = "CA" + "0123456789abcdef" * 2
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "DELETE %s", (f"/Calls/{call}.json",), None)
    NoClientDataFilter().filter(record)
    assert record.getMessage() == "DELETE /Calls/[sid].json"
