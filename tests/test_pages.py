"""The pages over plain HTTP: headers that leave no trace, languages, who gets in."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from staff.roles import SUPERVISOR_GROUP, ensure_roles

pytestmark = pytest.mark.django_db


def test_the_visitor_page_leaves_no_trace_and_loads_nothing_from_elsewhere(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert not response.cookies  # no session, no CSRF cookie, nothing
    html = response.content.decode()
    assert 'src="http' not in html and 'stylesheet" href="http' not in html  # nothing loaded from elsewhere
    assert '<html lang="sv" dir="ltr">' in html
    assert "<script>" not in html  # no inline script: the strict CSP allows none


def test_arabic_is_right_to_left(client: Client) -> None:
    html = client.get("/?lang=ar").content.decode()
    assert '<html lang="ar" dir="rtl">' in html


def test_an_unknown_language_falls_back_to_swedish(client: Client) -> None:
    assert '<html lang="sv"' in client.get("/?lang=xx").content.decode()


def test_a_language_catalog_can_be_fetched_mid_chat(client: Client) -> None:
    data = client.get("/i18n/ar.json").json()
    assert data["dir"] == "rtl" and "queue_position" in data["strings"]
    assert "{position}" in data["strings"]["queue_position"]
    assert client.get("/i18n/xx.json").status_code == 404


def test_closed_hours_are_shown_on_the_page(client: Client) -> None:
    from contacts.models import OpeningHours

    OpeningHours.objects.all().delete()
    html = client.get("/?lang=en").content.decode()
    assert 'id="intro" hidden' in html
    assert "112" in html


def test_the_page_opens_the_chat_when_open(client: Client) -> None:
    from contacts import hours
    from contacts.models import OpeningHours

    OpeningHours.objects.all().delete()
    for day in range(7):
        OpeningHours.objects.create(weekday=day, opens=time(0), closes=time(23, 59, 59, 999999))
    hours.invalidate()
    html = client.get("/").content.decode()
    assert 'id="intro" hidden' not in html


def test_the_console_needs_a_counsellor_login(client: Client, sara: Any) -> None:
    response = client.get("/console/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    plain = User.objects.create_user("plain", password="p" * 16)
    client.force_login(plain)
    assert client.get("/console/").status_code == 403
    client.force_login(sara)
    response = client.get("/console/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"


def test_a_supervisor_who_logs_in_lands_on_the_dashboard(client: Client) -> None:
    ensure_roles()
    boss = User.objects.create_user("chefen", password="c" * 16)
    boss.groups.add(Group.objects.get(name=SUPERVISOR_GROUP))
    response = client.post("/accounts/login/", {"username": "chefen", "password": "c" * 16}, follow=True)
    assert response.redirect_chain[-1][0] == "/supervisor/" and response.status_code == 200


def test_a_supervisor_edits_opening_hours_in_admin_and_a_counsellor_cannot(client: Client, sara: Any) -> None:
    ensure_roles()
    boss = User.objects.create_user("boss", password="b" * 16, is_staff=True)
    boss.groups.add(Group.objects.get(name=SUPERVISOR_GROUP))
    client.force_login(boss)
    from centres.models import Centre, Line

    # No membership: the default centre's.
    centre = Centre.objects.filter(default=True).first() or Centre.objects.create(
        name="Nexus", slug="nexus", default=True
    )
    line, _ = Line.objects.get_or_create(centre=centre, kind="web", defaults={"name": "Chatt"})
    response = client.post(
        "/admin/contacts/openingexception/add/",
        {"line": line.pk, "date": "2026-12-24", "closed": "on", "note": "Julafton"},
    )
    assert response.status_code == 302
    from contacts.models import OpeningException

    assert OpeningException.objects.get().note == "Julafton"
    assert client.get("/admin/auth/user/").status_code == 403  # accounts stay with admins
    client.force_login(sara)
    assert client.get("/admin/contacts/openinghours/").status_code == 302  # not staff: to login


def test_health_endpoints_say_nothing_but_ok(client: Client) -> None:
    assert client.get("/health/live").json() == {"status": "ok"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "database": "ok", "state": "ok"}


def test_probes_are_answered_whatever_host_they_name(client: Client, settings: Any) -> None:
    # A kubelet or load balancer probes the process's own address: no allowed Host, and
    # plain HTTP even where SSL_REDIRECT would send a browser to https.
    settings.ALLOWED_HOSTS = ["chat.example.se"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/health/live", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.get("/health/ready", HTTP_HOST="10.1.2.3:8000").status_code == 200
    assert client.post("/health/live", HTTP_HOST="10.1.2.3:8000").status_code == 405
    settings.METRICS_TOKEN = "t0ken"
    scrape = client.get("/metrics", HTTP_HOST="10.1.2.3:8000", HTTP_AUTHORIZATION="Bearer t0ken")
    assert scrape.status_code == 200 and b"chat_queue_waiting" in scrape.content
    assert client.get("/", HTTP_HOST="10.1.2.3:8000").status_code == 400  # everything else still checks


def test_the_sweep_command_runs() -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("sweep", stdout=out)
    assert out.getvalue().startswith("repaired ")


def test_every_closed_reason_has_a_text_in_the_language_files() -> None:
    """The page switches the closed text from the language file: every reason a start
    can be turned away for must be there."""
    from typing import get_args

    from contacts.info import CLOSED_REASONS
    from contacts.service import ClosedReason

    assert set(CLOSED_REASONS) == set(get_args(ClosedReason))


def test_numbers_in_a_counsellors_message_are_isolated_left_to_right_but_links_are_not_touched() -> None:
    from contacts.text import counsellor_html, number_html

    assert counsellor_html("Ring 020-50 50 50 eller se https://x.se/020-505050 & <b>") == (
        'Ring <bdi dir="ltr">020-50 50 50</bdi> eller se <a href="https://x.se/020-505050" '
        'rel="noopener noreferrer" target="_blank">https://x.se/020-505050</a> &amp; &lt;b&gt;'
    )
    assert number_html("اتصل بـ 112 أو ٠٢٠-٥٠ ٥٠ ٥٠ <") == (
        'اتصل بـ <bdi dir="ltr">112</bdi> أو <bdi dir="ltr">٠٢٠-٥٠ ٥٠ ٥٠</bdi> &lt;'
    )
