"""Admin scoped per centre (issue 15): a centre's supervisor sees and edits in admin only
their own centres' configuration, and a forged request for another centre's row finds
nothing and changes nothing. A superuser keeps everything; a national supervisor has
nothing. Everyone logs in to admin as in production: password and authenticator code."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from centres.models import Centre, Line, OverflowRule
from contacts.models import CannedResponse, EmergencyNumber, OpeningException, OpeningHours, ServiceText
from staff.models import Membership
from staff.roles import NATIONAL_GROUP, SUPERVISOR_GROUP, ensure_roles

PASSWORD = "a-supervisors-password-17"

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_centres() -> dict[str, Any]:
    """Nexus (the default centre) and Una, each with a web line, hours, a closed day and
    an overflow rule: Una hands over to Nexus, Nexus links elsewhere when full."""
    nexus = Centre.objects.filter(default=True).first() or Centre.objects.create(
        name="Nexus", slug="nexus", default=True
    )
    una = Centre.objects.create(name="Una Norrbotten", slug="una")
    made: dict[str, Any] = {"nexus": nexus, "una": una}
    for slug, centre in (("nexus", nexus), ("una", una)):
        line, _ = Line.objects.get_or_create(centre=centre, kind="web", defaults={"name": "Chatt"})
        made[f"{slug}_line"] = line
        made[f"{slug}_hours"] = OpeningHours.objects.create(line=line, weekday=0, opens=time(9), closes=time(17))
        made[f"{slug}_closed"] = OpeningException.objects.create(line=line, date="2026-12-24", note="Julafton")
    made["una_rule"] = OverflowRule.objects.create(
        line=made["una_line"], condition="closed", action="centre", centre=nexus
    )
    made["nexus_rule"] = OverflowRule.objects.create(
        line=made["nexus_line"], condition="full", action="link", url="https://example.org/chat"
    )
    return made


def admin_login(user: User, settings: Any) -> Client:
    """Log in at /admin/ with password and authenticator code, as STAFF_2FA asks."""
    settings.STAFF_2FA = True
    cache.clear()  # the log-in throttle
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    client = Client()
    answer = client.post("/admin/login/", {"username": user.username, "password": PASSWORD, "otp_token": code})
    assert answer.status_code == 302, "the admin log-in failed"
    assert client.get("/admin/").status_code == 200
    return client


def staff(username: str, *groups: str, centres: tuple[Centre, ...] = ()) -> User:
    ensure_roles()
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    for group in groups:
        user.groups.add(Group.objects.get(name=group))
    for centre in centres:
        Membership.objects.create(user=user, centre=centre)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def una_boss(two_centres: dict[str, Any], settings: Any) -> Client:
    """Una's supervisor, with staff status, logged in to admin."""
    return admin_login(staff("ulla", SUPERVISOR_GROUP, centres=(two_centres["una"],)), settings)


def listed(client: Client, path: str) -> set[int]:
    """The ids of the rows a changelist shows."""
    page = client.get(path)
    assert page.status_code == 200
    return {row.pk for row in page.context["cl"].result_list}


def test_the_changelists_show_only_the_supervisors_centres_rows(una_boss: Client, two_centres: dict[str, Any]) -> None:
    una = two_centres
    assert listed(una_boss, "/admin/centres/centre/") == {una["una"].pk}
    assert listed(una_boss, "/admin/centres/line/") == {una["una_line"].pk}
    assert listed(una_boss, "/admin/centres/overflowrule/") == {una["una_rule"].pk}
    assert listed(una_boss, "/admin/contacts/openinghours/") == {una["una_hours"].pk}
    assert listed(una_boss, "/admin/contacts/openingexception/") == {una["una_closed"].pk}
    # The centre filter lists no other centre's name.
    assert two_centres["nexus"].name not in una_boss.get("/admin/centres/line/").content.decode()


@pytest.mark.parametrize(
    ("path", "key", "field", "forged"),
    [
        ("centres/centre", "nexus", "name", {"name": "Taken over", "slug": "nexus", "languages": "[]"}),
        ("centres/line", "nexus_line", "name", {"centre": "", "kind": "web", "name": "Taken over"}),
        (
            "centres/overflowrule",
            "nexus_rule",
            "url",
            {"condition": "full", "action": "link", "url": "https://x.test/"},
        ),
        ("contacts/openinghours", "nexus_hours", "closes", {"weekday": "0", "opens": "09:00", "closes": "09:01"}),
        ("contacts/openingexception", "nexus_closed", "note", {"date": "2026-12-24", "closed": "on", "note": "x"}),
    ],
)
def test_another_centres_row_is_not_found_and_a_forged_post_changes_nothing(
    una_boss: Client, two_centres: dict[str, Any], path: str, key: str, field: str, forged: dict[str, str]
) -> None:
    row = two_centres[key]
    before = getattr(type(row).objects.get(pk=row.pk), field)
    for action in ("change", "delete", "history"):
        assert una_boss.get(f"/admin/{path}/{row.pk}/{action}/").status_code == 404
    forged = {**forged, "line": str(two_centres["nexus_line"].pk)}
    assert una_boss.post(f"/admin/{path}/{row.pk}/change/", forged).status_code == 404
    assert una_boss.post(f"/admin/{path}/{row.pk}/delete/", {"post": "yes"}).status_code == 404
    assert getattr(type(row).objects.get(pk=row.pk), field) == before
    # Nor through the list's bulk delete, which works on the supervisor's rows only.
    una_boss.post(f"/admin/{path}/", {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
    assert type(row).objects.filter(pk=row.pk).exists()


def test_the_add_form_offers_only_the_supervisors_lines_and_refuses_another(
    una_boss: Client, two_centres: dict[str, Any]
) -> None:
    form = una_boss.get("/admin/contacts/openinghours/add/").context["adminform"].form
    assert {line.pk for line in form.fields["line"].queryset} == {two_centres["una_line"].pk}
    assert form.fields["line"].required  # empty would mean the default centre's chat
    rule_form = una_boss.get("/admin/centres/overflowrule/add/").context["adminform"].form
    assert {line.pk for line in rule_form.fields["line"].queryset} == {two_centres["una_line"].pk}
    # A rule may still hand over to any partner centre: that is what overflow is for.
    assert {c.pk for c in rule_form.fields["centre"].queryset} == {two_centres["una"].pk, two_centres["nexus"].pk}
    fields = {"weekday": "2", "opens": "08:00", "closes": "12:00"}
    refused = una_boss.post("/admin/contacts/openinghours/add/", {**fields, "line": two_centres["nexus_line"].pk})
    assert refused.status_code == 200 and "line" in refused.context["adminform"].form.errors
    assert not OpeningHours.objects.filter(opens=time(8)).exists()
    ok = una_boss.post("/admin/contacts/openinghours/add/", {**fields, "line": two_centres["una_line"].pk})
    assert ok.status_code == 302 and OpeningHours.objects.get(opens=time(8)).line == two_centres["una_line"]


def test_a_line_page_cannot_carry_another_centres_rule_in_its_inline(
    una_boss: Client, two_centres: dict[str, Any]
) -> None:
    line, theirs = two_centres["una_line"], two_centres["nexus_rule"]  # Nexus's rule under Una's line
    page = una_boss.get(f"/admin/centres/line/{line.pk}/change/")
    assert page.status_code == 200
    fields = {"centre": two_centres["una"].pk, "kind": "web", "name": "Chatt", "number": "", "closing_minutes": "0"}
    for prefix in ("hours", "exceptions"):
        fields |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    fields |= {
        "overflow-TOTAL_FORMS": "1",
        "overflow-INITIAL_FORMS": "1",
        "overflow-0-id": theirs.pk,
        "overflow-0-line": line.pk,
        "overflow-0-order": "0",
        "overflow-0-condition": "closed",
        "overflow-0-after_seconds": "0",
        "overflow-0-action": "link",
        "overflow-0-url": "https://x.test/",
    }
    rules = set(OverflowRule.objects.values_list("pk", "line_id", "url"))
    una_boss.post(f"/admin/centres/line/{line.pk}/change/", fields)
    assert set(OverflowRule.objects.values_list("pk", "line_id", "url")) == rules


def test_a_supervisor_edits_their_centre_but_not_which_centres_exist(
    una_boss: Client, two_centres: dict[str, Any]
) -> None:
    una = two_centres["una"]
    page = una_boss.get(f"/admin/centres/centre/{una.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "default" not in form.fields and "slug" not in form.fields  # shown, not editable
    assert una_boss.get("/admin/centres/centre/add/").status_code == 403
    assert una_boss.post(f"/admin/centres/centre/{una.pk}/delete/", {"post": "yes"}).status_code == 403
    Centre.objects.get(pk=una.pk)


def test_shared_texts_are_read_by_a_centres_supervisor_and_their_own_edited(
    una_boss: Client, two_centres: dict[str, Any]
) -> None:
    ServiceText.objects.filter(key="closed").delete()  # the seeded wording (contacts.0002)
    shared = ServiceText.objects.create(key="closed", language="sv", text="Vi har stängt.")
    theirs = ServiceText.objects.create(centre=two_centres["nexus"], key="closed", language="sv", text="Nexus stängt.")
    assert shared.pk in listed(una_boss, "/admin/contacts/servicetext/")
    assert theirs.pk not in listed(una_boss, "/admin/contacts/servicetext/")
    view = una_boss.get(f"/admin/contacts/servicetext/{shared.pk}/change/")
    assert view.status_code == 200 and not view.context["has_change_permission"]  # read only
    una_boss.post(f"/admin/contacts/servicetext/{shared.pk}/change/", {"key": "closed", "language": "sv", "text": "x"})
    una_boss.post("/admin/contacts/servicetext/", {"action": "delete_selected", "_selected_action": [shared.pk]})
    assert ServiceText.objects.get(pk=shared.pk).text == "Vi har stängt."
    form = una_boss.get("/admin/contacts/servicetext/add/").context["adminform"].form
    assert {c.pk for c in form.fields["centre"].queryset} == {two_centres["una"].pk} and form.fields["centre"].required
    added = una_boss.post(
        "/admin/contacts/servicetext/add/",
        {"centre": two_centres["una"].pk, "key": "closed", "language": "sv", "text": "Una har stängt."},
    )
    assert added.status_code == 302
    assert ServiceText.objects.get(centre=two_centres["una"]).text == "Una har stängt."
    # The emergency numbers every centre shows: read, not changed.
    number = EmergencyNumber.objects.create(number="112", dial="112")
    assert una_boss.get(f"/admin/contacts/emergencynumber/{number.pk}/change/").status_code == 200
    una_boss.post(f"/admin/contacts/emergencynumber/{number.pk}/change/", {"number": "999", "sort_order": "0"})
    assert EmergencyNumber.objects.get(pk=number.pk).number == "112"
    assert una_boss.get("/admin/contacts/emergencynumber/add/").status_code == 403


def test_a_superuser_sees_every_centre(two_centres: dict[str, Any], settings: Any) -> None:
    user = User.objects.create_superuser("root", password=PASSWORD)
    root = admin_login(user, settings)
    nexus, una = two_centres["nexus"], two_centres["una"]
    assert listed(root, "/admin/centres/centre/") >= {nexus.pk, una.pk}
    assert listed(root, "/admin/centres/line/") >= {two_centres["nexus_line"].pk, two_centres["una_line"].pk}
    assert listed(root, "/admin/contacts/openinghours/") >= {two_centres["nexus_hours"].pk, two_centres["una_hours"].pk}
    assert listed(root, "/admin/centres/overflowrule/") == {two_centres["nexus_rule"].pk, two_centres["una_rule"].pk}
    assert root.get(f"/admin/centres/line/{two_centres['una_line'].pk}/change/").status_code == 200
    assert root.get("/admin/centres/centre/add/").status_code == 200
    form = root.get("/admin/contacts/openinghours/add/").context["adminform"].form
    assert {two_centres["nexus_line"].pk, two_centres["una_line"].pk} <= {
        line.pk for line in form.fields["line"].queryset
    }


def test_a_default_centre_supervisor_keeps_the_hours_from_before_centres(
    two_centres: dict[str, Any], settings: Any
) -> None:
    """No membership: the default centre, whose hours may still have no line."""
    old = OpeningHours.objects.create(line=None, weekday=6, opens=time(10), closes=time(12))
    boss = admin_login(staff("nina", SUPERVISOR_GROUP), settings)
    nexus = set(OpeningHours.objects.filter(line=two_centres["nexus_line"]).values_list("pk", flat=True))
    assert listed(boss, "/admin/contacts/openinghours/") == nexus | {old.pk}
    assert two_centres["nexus_hours"].pk in nexus and two_centres["una_hours"].pk not in nexus
    assert listed(boss, "/admin/centres/line/") == {two_centres["nexus_line"].pk}


def test_a_national_supervisor_has_nothing_in_admin(two_centres: dict[str, Any], settings: Any) -> None:
    from django.contrib.auth.models import Permission

    nora = staff("nora", NATIONAL_GROUP)
    national = admin_login(nora, settings)
    assert national.get("/admin/").context["app_list"] == []
    assert national.get("/admin/centres/line/").status_code == 403
    assert national.get(f"/admin/centres/line/{two_centres['una_line'].pk}/change/").status_code in (403, 404)
    # Even given a permission by hand, no centre's configuration is theirs.
    nora.user_permissions.add(Permission.objects.get(codename="view_line"))
    assert listed(national, "/admin/centres/line/") == set()


def test_a_centres_closed_page_shows_its_own_words_before_the_shared_ones(two_centres: dict[str, Any]) -> None:
    from contacts import hours

    una = two_centres["una"]
    OpeningHours.objects.filter(line=two_centres["una_line"]).delete()  # Una closed all week
    OverflowRule.objects.filter(line__centre=una).delete()  # and handing nobody over
    hours.invalidate()
    ServiceText.objects.filter(key="closed").delete()
    ServiceText.objects.create(key="closed", language="sv", text="Alla: stängt.")
    ServiceText.objects.create(key="closed", language="ar", text="الجميع: مغلق")
    ServiceText.objects.create(centre=una, key="closed", language="sv", text="Una: stängt.")
    client = Client()
    assert client.get("/una/").context["info"]["text"] == "Una: stängt."
    # Her language before the centre's own Swedish.
    assert client.get("/una/?lang=ar").context["info"]["text"] == "الجميع: مغلق"
    assert client.get("/i18n/sv.json?centre=una").json()["info"]["texts"]["hours"] == "Una: stängt."
    # Another centre without words of its own has the shared ones.
    assert client.get("/i18n/sv.json").json()["info"]["texts"]["hours"] == "Alla: stängt."


def test_a_counsellor_gets_her_centres_canned_responses_before_the_shared_ones(two_centres: dict[str, Any]) -> None:
    from tests.conftest import make_counsellor

    una = two_centres["una"]
    CannedResponse.objects.filter(shortcut="hej").delete()
    CannedResponse.objects.create(shortcut="hej", language="sv", title="Hej", text="Hej från alla")
    CannedResponse.objects.create(centre=una, shortcut="hej", language="sv", title="Hej", text="Hej från Una")
    CannedResponse.objects.create(
        centre=two_centres["nexus"], shortcut="nexus", language="sv", title="N", text="Bara Nexus"
    )
    aino = make_counsellor("aino", "Aino", ["sv"], 2)
    Membership.objects.create(user=aino, centre=una)
    client = Client()
    client.force_login(aino)
    canned = client.get("/console/").context["config"]["canned"]
    texts = {(c["shortcut"], c["language"]): c["text"] for c in canned}
    assert texts[("hej", "sv")] == "Hej från Una"
    assert ("nexus", "sv") not in texts
    assert ("hejda", "sv") in texts  # the shared ones seeded by contacts.0004
    assert len(canned) == len(texts)  # one answer per shortcut and language


def test_a_role_per_membership_counsels_at_one_centre_and_supervises_the_other(
    two_centres: dict[str, Any], settings: Any
) -> None:
    """Issue 15: one person, a counsellor at Nexus and Una's supervisor. She takes only
    Nexus's contacts, supervises only Una (dashboard and admin), and a membership as a
    counsellor only gives no say over that centre's configuration."""
    from staff.models import CounsellorProfile
    from staff.profiles import load_profile, load_supervisor
    from staff.roles import COUNSELLOR_GROUP
    from staff.scope import admin_centres

    ensure_roles()
    both = staff("hedda", SUPERVISOR_GROUP, COUNSELLOR_GROUP)
    CounsellorProfile.objects.create(user=both, display_name="Hedda", languages=["sv"], max_chats=2)
    Membership.objects.create(user=both, centre=two_centres["nexus"], role="counsellor")
    Membership.objects.create(user=both, centre=two_centres["una"], role="supervisor", pseudonym="Hanna")
    both = User.objects.get(pk=both.pk)
    profile = load_profile(both)
    assert profile is not None and profile.centres == ("",) and profile.aliases == ("",)
    found = load_supervisor(both)
    assert found is not None and found[2] == ("una",)
    assert admin_centres(both) == frozenset({two_centres["una"].pk})
    client = admin_login(both, settings)
    assert listed(client, "/admin/centres/line/") == {two_centres["una_line"].pk}
    settings.STAFF_2FA = False  # the profile reads below have no session that passed it

    # Counsellor at both, supervisor nowhere: no dashboard, no centre in admin.
    Membership.objects.filter(user=both).update(role="counsellor")
    assert load_supervisor(both) is None and admin_centres(both) == frozenset()
    counsellor = load_profile(both)
    assert counsellor is not None and counsellor.centres == ("", "una")
    # Supervisor at both: no console.
    Membership.objects.filter(user=both).update(role="supervisor")
    assert load_profile(both) is None
