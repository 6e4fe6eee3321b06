"""What may never be kept, and configuration that must fail loudly."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps

from chatservice.logging import NoClientDataFilter, scrub

ROOT = Path(__file__).resolve().parent.parent

# Every model the project has, and why it describes no contact. A new model must be
# added here on purpose, with its reason, or this test fails.
ALLOWED_MODELS = {
    "contacts.openinghours": "configuration",
    "contacts.openingexception": "configuration",
    "contacts.emergencynumber": "configuration",
    "contacts.emergencynumberlabel": "configuration",
    "contacts.servicetext": "configuration",
    "contacts.cannedresponse": "configuration",
    "staff.counsellorprofile": "staff",
    "stats.dailycount": "aggregate per day, metric and one dimension value",
    "stats.partnertoken": "a funding partner's API access (a hash of the token)",
    "contacts.intake": "configuration: one row, intake paused or not",
    "staff.enrolmentcode": "staff: a keyed hash of a one-time authenticator enrolment code",
    "audit.auditevent": "staff: who did what to the service and when; closed vocabularies, no visitor",
    "staff.membership": "staff: which centres a staff member works for",
    "centres.centre": "configuration: a resource centre",
    "centres.line": "configuration: a centre's web page or its own Twilio number",
    "centres.overflowrule": "configuration: where a line's contacts go when it cannot answer",
}


def test_no_model_describes_a_contact() -> None:
    ours = {
        m._meta.label_lower
        for m in apps.get_models()
        if m._meta.app_label in {"contacts", "routing", "stats", "frontend", "chatservice", "audit", "staff", "centres"}
    }
    assert ours == set(ALLOWED_MODELS)


def test_daily_counts_have_no_time_of_day() -> None:
    from stats.models import DailyCount

    kinds = {f.name: f.get_internal_type() for f in DailyCount._meta.concrete_fields}
    assert "DateTimeField" not in kinds.values()
    assert kinds["day"] == "DateField"


@pytest.mark.parametrize(
    "text",
    [
        "connect from 127.55.66.77:51234",
        "peer ['127.55.66.77', 5000]",
        "client 2001:db8::ff00:42:8329 left",
        "caller +46701234567 hung up",
        "caller 070-123 45 67",
    ],
)
def test_the_log_filter_masks_addresses_and_numbers(text: str) -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "%s", (text,), None)
    NoClientDataFilter().filter(record)
    out = record.getMessage()
    for secret in ("127.55.66.77", "2001:db8::ff00:42:8329", "46701234567", "070-123 45 67"):
        assert secret not in out


def test_the_log_filter_keeps_times_and_drops_the_request() -> None:
    assert scrub("tick at 12:30:45 took 3 ms") == "tick at 12:30:45 took 3 ms"
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "boom", (), None)
    record.__dict__["request"] = object()
    NoClientDataFilter().filter(record)
    assert record.__dict__["request"] is None


def run_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}}
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60
    )


GOOD = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
    "STATE_KEY": "ab" * 32,
    "ALLOWED_HOSTS": "chat.example.se",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
}


def test_a_complete_production_configuration_passes() -> None:
    result = run_check(GOOD)
    assert result.returncode == 0, result.stderr


def test_django_deploy_checks_pass_with_production_settings() -> None:
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**base, **GOOD, "SSL_REDIRECT": "true"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"DEBUG": "true"}, "E001"),
        ({"SECRET_KEY": "short"}, "E002"),
        ({"STATE_KEY": ""}, "E003"),
        ({"ALLOWED_HOSTS": "*"}, "E004"),
        ({"DATABASE_URL": ""}, "E005"),
        ({"REDIS_URL": ""}, "E006"),
        ({"TWILIO_AUTH_TOKEN": "token", "PUBLIC_BASE_URL": "https://chat.example.se"}, "E008"),
        (
            {"TWILIO_AUTH_TOKEN": "t", "PUBLIC_BASE_URL": "http://chat.example.se", "TWILIO_CALLER_ID": "+4618"},
            "E009",
        ),
        ({"STATE_KEY_PREVIOUS": "abc"}, "E010"),
    ],
)
def test_production_refuses_an_unsafe_configuration(change: dict[str, str], code: str) -> None:
    result = run_check({**GOOD, **change})
    assert result.returncode != 0
    assert f"chatservice.{code}" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"CHAT_GRACE_SECONDS": "two minutes"}, "CHAT_GRACE_SECONDS='two minutes' is not a whole number"),
        ({"OFFER_TIMEOUT_SECONDS": "1"}, "OFFER_TIMEOUT_SECONDS=1 must be at least 5"),
        ({"ENVIRONMENT": "prod"}, "ENVIRONMENT='prod' must be development or production"),
        ({"SECRET_KEY_FILE": "/nonexistent/secret"}, "SECRET_KEY_FILE='/nonexistent/secret' cannot be read"),
    ],
)
def test_bad_configuration_fails_at_start_with_a_clear_message(env: dict[str, str], message: str) -> None:
    result = run_check(env)
    assert result.returncode != 0
    assert message in result.stderr


def test_secrets_can_come_from_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text(GOOD["SECRET_KEY"] + "\n")
    env = {**GOOD, "SECRET_KEY": "", "SECRET_KEY_FILE": str(secret)}
    result = run_check(env)
    assert result.returncode == 0, result.stderr
