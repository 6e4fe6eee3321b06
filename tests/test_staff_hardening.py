"""Issue 18: staff log-in that parallel guesses cannot get past, second-factor enrolment
that nobody else can share, and consoles that close when access is taken away."""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from base64 import b32decode
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from asgiref.sync import sync_to_async
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import connections
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from contacts.service import Service
from staff.login import MAX_FAILURES
from tests.conftest import REDIS_URL, console, make_counsellor, supervisor_socket, visitor

RIGHT = "the-right-password-18"


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


@pytest.fixture
def shared_cache(settings: Any) -> Iterator[str]:
    """Django's cache in Redis, as production has it: every thread (and process) shares it."""
    prefix = f"t{uuid.uuid4().hex[:8]}:cache"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


@pytest.fixture
def password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password the authentication backend checks."""
    checked: list[str] = []
    lock = threading.Lock()
    original = ModelBackend.authenticate

    def counting(self: ModelBackend, request: Any, username: Any = None, password: Any = None, **kw: Any) -> Any:
        with lock:
            checked.append(str(password))
        return original(self, request, username=username, password=password, **kw)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)
    return checked


def staff_user(username: str, *, is_staff: bool = False) -> Any:
    user = make_counsellor(username, username.title(), ["sv"], 2)
    user.set_password(RIGHT)
    user.is_staff = is_staff
    user.save()
    return user


def throttled(response: Any) -> bool:
    return b"Too many attempts" in response.content or "För många försök".encode() in response.content


def in_parallel(count: int, post: Any) -> list[Any]:
    """``post(i)`` from ``count`` threads released at the same instant."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = post(i)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


# --- Item 1: parallel log-in guesses -------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_check_at_most_five_passwords_and_then_the_right_one_is_refused(
    shared_cache: str, password_checks: list[str]
) -> None:
    staff_user("bo")

    def guess(i: int) -> int:
        response = Client().post("/accounts/login/", {"username": "bo", "password": f"guess-{i}"})
        return int(response.status_code)

    answers = in_parallel(30, guess)
    assert answers == [200] * 30
    assert len(password_checks) <= MAX_FAILURES, f"{len(password_checks)} guesses were checked"
    response = Client().post("/accounts/login/", {"username": "bo", "password": RIGHT})
    assert response.status_code == 200 and "sessionid" not in response.cookies
    assert throttled(response)
    assert RIGHT not in password_checks  # refused before the password was even looked at


@pytest.mark.django_db(transaction=True)
def test_a_right_password_among_parallel_guesses_is_checked_only_within_the_limit(
    shared_cache: str, password_checks: list[str]
) -> None:
    staff_user("bo")
    passwords = [f"guess-{i}" for i in range(39)] + [RIGHT]

    def guess(i: int) -> bool:
        response = Client().post("/accounts/login/", {"username": "bo", "password": passwords[i]})
        return "sessionid" in response.cookies

    logged_in = in_parallel(len(passwords), guess)
    assert len(password_checks) <= MAX_FAILURES
    assert logged_in[-1] == (RIGHT in password_checks)  # it got in only if it was among the few checked
    assert not any(logged_in[:-1])


@pytest.mark.django_db
def test_a_successful_log_in_gives_back_its_own_attempt_but_resets_no_failures(shared_cache: str) -> None:
    staff_user("bo")
    for _ in range(MAX_FAILURES - 1):
        Client().post("/accounts/login/", {"username": "bo", "password": "nope"})
    for _ in range(3):  # logging in again and again never locks the real user out
        assert "sessionid" in Client().post("/accounts/login/", {"username": "bo", "password": RIGHT}).cookies
    Client().post("/accounts/login/", {"username": "bo", "password": "nope"})  # the fifth failure
    assert "sessionid" not in Client().post("/accounts/login/", {"username": "bo", "password": RIGHT}).cookies


@pytest.mark.django_db
def test_one_source_is_limited_across_accounts_and_no_address_is_kept(shared_cache: str, settings: Any) -> None:
    settings.STAFF_LOGIN_FAILURES_PER_SOURCE = 3
    staff_user("bo")
    spray = Client(REMOTE_ADDR="203.0.113.7")
    for name in ("a1", "a2", "a3"):
        assert not throttled(spray.post("/accounts/login/", {"username": name, "password": "x"}))
    refused = spray.post("/accounts/login/", {"username": "bo", "password": RIGHT})
    assert "sessionid" not in refused.cookies and throttled(refused)
    elsewhere = Client(REMOTE_ADDR="198.51.100.9").post("/accounts/login/", {"username": "bo", "password": RIGHT})
    assert "sessionid" in elsewhere.cookies
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{shared_cache}*"):
        assert b"203.0.113.7" not in key and b"203.0.113.7" not in (client.get(key) or b"")
        assert client.ttl(key) > 0


def admin_answer(response: Any) -> tuple[int, str]:
    """The status and page of an admin log-in answer, without its CSRF token."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return response.status_code, page


@pytest.mark.django_db
def test_admin_log_in_tells_nobody_whether_a_password_was_right(shared_cache: str, settings: Any) -> None:
    settings.STAFF_2FA = True
    user = staff_user("admina", is_staff=True)
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)

    def post(password: str, token: str | None) -> Any:
        fields = {"username": "admina", "password": password, "next": "/admin/"}
        if token is not None:
            fields["otp_token"] = token
        return Client().post("/admin/login/", fields)

    # The same request with a wrong and with the right password: the same answer.
    for token in (None, "", "000000"):
        cache.clear()  # two failures per round: stay below the lock
        wrong, right = post("wrong-password-1", token), post(RIGHT, token)
        for response in (wrong, right):
            assert "sessionid" not in response.cookies
            assert b"OTP" not in response.content
        assert admin_answer(wrong) == admin_answer(right)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    device.refresh_from_db()
    cache.clear()
    ok = post(RIGHT, code_for(device))
    assert ok.status_code == 302 and "sessionid" in ok.cookies
    assert Client(headers={"cookie": f"sessionid={ok.cookies['sessionid'].value}"}).get("/admin/").status_code == 200


@pytest.mark.django_db
def test_admin_log_in_is_throttled_and_shares_the_lock(shared_cache: str, settings: Any) -> None:
    staff_user("admina", is_staff=True)
    for i in range(MAX_FAILURES - 2):
        Client().post("/admin/login/", {"username": "admina", "password": f"nope-{i}"})
    for i in range(2):
        Client().post("/accounts/login/", {"username": "admina", "password": f"nope-{i}"})
    response = Client().post("/admin/login/", {"username": "admina", "password": RIGHT, "next": "/admin/"})
    assert response.status_code == 200 and "sessionid" not in response.cookies
    assert throttled(response)


@pytest.mark.django_db(transaction=True)
def test_parallel_admin_guesses_check_at_most_five_passwords(shared_cache: str, password_checks: list[str]) -> None:
    staff_user("admina", is_staff=True)

    def guess(i: int) -> bool:
        response = Client().post("/admin/login/", {"username": "admina", "password": f"guess-{i}"})
        return "sessionid" in response.cookies

    assert not any(in_parallel(20, guess))
    assert len(password_checks) <= MAX_FAILURES


# --- Item 3: the key being set up is nobody else's -----------------------------------


def logged_in(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": RIGHT})
    assert "sessionid" in response.cookies
    return client


def shown_key(page: Any) -> bytes:
    secret = re.search(r"<code>([0-9a-fA-Z=]+)</code>", page.content.decode())
    assert secret, "the set-up page shows no key"
    text = secret.group(1)
    return bytes.fromhex(text) if re.fullmatch(r"[0-9a-f]{40}", text) else b32decode(text)


def now_code(key: bytes, offset: int = 0) -> str:
    return f"{totp(key, t0=offset * -30):06d}"


@pytest.mark.django_db
def test_someone_with_the_password_sees_another_key_and_it_never_works(settings: Any) -> None:
    settings.STAFF_2FA = True
    settings.STAFF_ENROL_CODE_REQUIRED = False
    user = staff_user("vera")
    attacker, victim = logged_in("vera"), logged_in("vera")
    attacker_key = shown_key(attacker.get("/accounts/2fa/"))
    victim_key = shown_key(victim.get("/accounts/2fa/"))
    assert attacker_key != victim_key
    assert not TOTPDevice.objects.filter(user=user).exists()  # nothing to read elsewhere either
    done = victim.post("/accounts/2fa/", {"code": now_code(victim_key), "next": "/console/"})
    assert done.status_code == 302 and victim.get("/console/").status_code == 200
    # The attacker's key enrols nothing and passes nothing, now or later.
    refused = attacker.post("/accounts/2fa/", {"code": now_code(attacker_key), "next": "/console/"})
    assert refused.status_code == 200 and attacker.get("/console/").status_code == 302
    assert b"<svg" not in attacker.get("/accounts/2fa/").content  # no new set-up once enrolled
    later = Client().post(
        "/accounts/login/", {"username": "vera", "password": RIGHT, "otp_token": now_code(attacker_key)}
    )
    assert later.status_code == 200 and "sessionid" not in later.cookies
    assert [d.bin_key for d in TOTPDevice.objects.filter(user=user)] == [victim_key]


@pytest.mark.django_db
def test_every_visit_to_the_set_up_page_makes_a_new_key_for_that_session_only(settings: Any) -> None:
    settings.STAFF_2FA = True
    settings.STAFF_ENROL_CODE_REQUIRED = False
    staff_user("vera")
    client = logged_in("vera")
    first = shown_key(client.get("/accounts/2fa/"))
    second = shown_key(client.get("/accounts/2fa/"))
    assert first != second
    # Only the newest key of this session can be confirmed.
    assert client.post("/accounts/2fa/", {"code": now_code(first), "next": "/console/"}).status_code == 200
    assert client.post("/accounts/2fa/", {"code": now_code(second), "next": "/console/"}).status_code == 302


@pytest.mark.django_db
def test_the_first_set_up_needs_a_one_time_enrolment_code(settings: Any) -> None:
    settings.STAFF_2FA = True
    settings.STAFF_ENROL_CODE_REQUIRED = True
    user = staff_user("vera")
    attacker = logged_in("vera")
    page = attacker.get("/accounts/2fa/")
    assert b"<svg" not in page.content and b"<code>" not in page.content  # no key without the code
    assert attacker.post("/accounts/2fa/", {"enrolment_code": "AAAA-BBBB-CCCC-DDDD"}).status_code == 200
    assert b"<svg" not in attacker.get("/accounts/2fa/").content

    from staff.enrolment import issue_code
    from staff.models import EnrolmentCode

    code = issue_code(user)
    assert code not in str(list(EnrolmentCode.objects.values()))  # only a keyed hash is stored
    victim = logged_in("vera")
    proved = victim.post("/accounts/2fa/?next=/console/", {"enrolment_code": code.lower(), "next": "/console/"})
    assert proved.status_code == 302
    key = shown_key(victim.get(proved["Location"]))
    assert victim.post("/accounts/2fa/", {"code": now_code(key), "next": "/console/"}).status_code == 302
    assert not EnrolmentCode.objects.filter(user=user).exists()  # used up

    # Single use: after the authenticator is gone (lost phone), the old code enrols nothing.
    TOTPDevice.objects.filter(user=user).delete()
    again = logged_in("vera")
    assert again.post("/accounts/2fa/", {"enrolment_code": code}).status_code == 200
    assert b"<svg" not in again.get("/accounts/2fa/").content


@pytest.mark.django_db
def test_an_enrolment_code_expires_and_wrong_ones_are_throttled(settings: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from staff.enrolment import issue_code
    from staff.models import EnrolmentCode

    cache.clear()
    settings.STAFF_2FA = True
    settings.STAFF_ENROL_CODE_REQUIRED = True
    user = staff_user("vera")
    code = issue_code(user)
    EnrolmentCode.objects.filter(user=user).update(expires=timezone.now() - timedelta(seconds=1))
    client = logged_in("vera")
    assert client.post("/accounts/2fa/", {"enrolment_code": code}).status_code == 200
    code = issue_code(user)
    for _ in range(MAX_FAILURES):
        client.post("/accounts/2fa/", {"enrolment_code": "WRONG-CODE"})
    assert throttled(client.post("/accounts/2fa/", {"enrolment_code": code}))
    cache.clear()


@pytest.mark.django_db
def test_an_admin_resets_the_second_factor_and_hands_out_a_new_code(settings: Any) -> None:
    from django.contrib.auth.models import User
    from django.contrib.sessions.models import Session

    settings.STAFF_ENROL_CODE_REQUIRED = True
    settings.STAFF_2FA = False  # the admin's own log-in is not what this test is about
    user = staff_user("vera")
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    vera = logged_in("vera")
    assert vera.get("/console/").status_code == 200
    admin_user = User.objects.create_superuser("boss", password=RIGHT)
    boss = Client()
    boss.force_login(admin_user)
    answer = boss.post(
        "/admin/auth/user/",
        {"action": "reset_second_factor_action", "_selected_action": [str(user.pk)]},
    )
    assert answer.status_code == 200 and "no-store" in answer["Cache-Control"]
    code = re.search(r"<code>([A-Z0-9-]{19})</code>", answer.content.decode())
    assert code
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert vera.get("/console/").status_code == 302  # her session is gone
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(user.pk)]

    settings.STAFF_2FA = True
    fresh = logged_in("vera")
    assert fresh.post("/accounts/2fa/", {"enrolment_code": code.group(1)}).status_code == 302
    key = shown_key(fresh.get("/accounts/2fa/"))
    assert fresh.post("/accounts/2fa/", {"code": now_code(key), "next": "/console/"}).status_code == 302


# --- Item 4: taking access away closes open consoles ---------------------------------


async def closed_with_4401(sock: Any, timeout: float = 4.0) -> bool:
    """Whether the socket is closed with 4401 within ``timeout``; frames before it are skipped."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await sock.comm.receive_nothing(timeout=0.05, interval=0.01):
            continue
        output = await sock.comm.receive_output(timeout=1)
        if output["type"] == "websocket.close":
            return bool(output.get("code") == 4401)
    return False


def change_password(user: Any) -> None:
    user.set_password("a-new-password-after-theft")
    user.save()


def leave_group(user: Any) -> None:
    from staff.roles import COUNSELLOR_GROUP

    user.groups.remove(user.groups.get(name=COUNSELLOR_GROUP))


def group_clears_its_members(user: Any) -> None:
    from django.contrib.auth.models import Group

    from staff.roles import COUNSELLOR_GROUP

    Group.objects.get(name=COUNSELLOR_GROUP).user_set.clear()


def delete_all_sessions(user: Any) -> None:
    from django.contrib.sessions.models import Session

    Session.objects.all().delete()


# The same changes made behind the signals' back (SQL, a restore, another tool): only the
# sockets' own re-check can notice.
def password_hash_by_sql(user: Any) -> None:
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User

    User.objects.filter(pk=user.pk).update(password=make_password("changed-elsewhere-1"))


def sessions_truncated(user: Any) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_session")


def group_row_deleted(user: Any) -> None:
    from django.contrib.auth.models import User

    User.groups.through.objects.filter(user_id=user.pk)._raw_delete("default")


IMMEDIATE = [change_password, leave_group, group_clears_its_members, delete_all_sessions]
SILENT = [password_hash_by_sql, sessions_truncated, group_row_deleted]


@pytest.mark.usefixtures("open_all_day")
@pytest.mark.parametrize("revoke", IMMEDIATE + SILENT, ids=lambda f: f.__name__)
async def test_taking_access_away_closes_the_console_within_seconds_and_no_offer_follows(
    service: Service, sara: Any, revoke: Any, settings: Any
) -> None:
    settings.STAFF_RECHECK_SECONDS = 60 if revoke in IMMEDIATE else 1  # events alone / the re-check alone
    staff = await console(sara)
    await staff.send(type="duty", state="available")
    await staff.expect("queue")
    await sync_to_async(revoke)(sara)
    assert await closed_with_4401(staff, timeout=4.0), f"the console stayed open after {revoke.__name__}"
    await staff.close()  # what the server does once the socket is closed
    guest = await visitor(language="sv")
    await guest.expect("started")
    await asyncio.sleep(0.5)
    waiting = await service.store.queue()
    assert [c.state for c in waiting] == ["queued"]  # offered to nobody
    await guest.close()


@pytest.mark.usefixtures("open_all_day")
async def test_a_socket_whose_session_is_still_good_stays_open(service: Service, sara: Any, settings: Any) -> None:
    from django.contrib.sessions.models import Session

    settings.STAFF_RECHECK_SECONDS = 1
    staff = await console(sara)

    def drop_another_session() -> None:  # e.g. clearsessions removing an old, expired one
        other = Client()
        other.force_login(sara)
        Session.objects.filter(session_key=other.session.session_key).delete()

    await sync_to_async(drop_another_session)()
    assert not await closed_with_4401(staff, timeout=2.5)
    await staff.close()


@pytest.mark.usefixtures("open_all_day")
@pytest.mark.parametrize("revoke", [delete_all_sessions, sessions_truncated], ids=lambda f: f.__name__)
async def test_the_dashboard_closes_too(service: Service, maria: Any, revoke: Any, settings: Any) -> None:
    settings.STAFF_RECHECK_SECONDS = 60 if revoke in IMMEDIATE else 1
    board = await supervisor_socket(maria)
    await sync_to_async(revoke)(maria)
    assert await closed_with_4401(board)
    await board.close()


@pytest.mark.django_db
def test_the_console_log_in_tells_nobody_whether_a_password_was_right(settings: Any) -> None:
    """Once an authenticator is set up, a right password without its code is answered
    exactly as a wrong password (issue 18, item 1: no password oracle on any log-in)."""
    settings.STAFF_2FA = True
    settings.STAFF_ENROL_CODE_REQUIRED = False
    user = staff_user("vera")
    key = b"k" * 20
    TOTPDevice.objects.create(user=user, name="app", key=key.hex(), confirmed=True)

    def answer(password: str, code: str = "") -> tuple[int, str]:
        cache.clear()
        response = Client().post("/accounts/login/", {"username": "vera", "password": password, "otp_token": code})
        assert "sessionid" not in response.cookies
        body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        return response.status_code, body

    wrong = answer("wrong-password")
    assert answer(RIGHT) == wrong
    assert answer(RIGHT, "000000") == answer("wrong-password", "000000")
    # The wrong code above started django-otp's own back-off on the device (1 s after one
    # failure): on a fast machine the right code came inside it and was refused.
    TOTPDevice.objects.filter(user=user).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    cache.clear()
    ok = Client().post("/accounts/login/", {"username": "vera", "password": RIGHT, "otp_token": now_code(key)})
    assert ok.status_code == 302 and "sessionid" in ok.cookies
