"""The one role check (staff/roles.py) that the pages, the reports, the consumers and
the socket re-check all use."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from staff.models import CounsellorProfile
from staff.profiles import load_profile, load_supervisor
from staff.roles import (
    COUNSELLOR_GROUP,
    PARTNER_GROUP,
    SUPERVISOR_GROUP,
    ensure_roles,
    has_role,
    is_counsellor,
    is_partner,
    is_supervisor,
)


def person(name: str, *groups: str) -> User:
    user = User.objects.create_user(username=name, password="unused-password")
    for group in groups:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return User.objects.get(pk=user.pk)  # fresh: no cached profile


@pytest.mark.django_db
def test_a_counsellor_needs_the_group_and_a_profile() -> None:
    without_profile = person("ny", COUNSELLOR_GROUP)
    assert not is_counsellor(without_profile)
    assert load_profile(without_profile) is None  # routing would have no name or capacity
    with_profile = person("sara", COUNSELLOR_GROUP)
    CounsellorProfile.objects.create(user=with_profile, display_name="Sara", languages=["sv"], max_chats=2)
    assert is_counsellor(User.objects.get(pk=with_profile.pk))
    profile_only = person("lone")
    CounsellorProfile.objects.create(user=profile_only, display_name="Lone", languages=["sv"])
    assert not is_counsellor(User.objects.get(pk=profile_only.pk))
    counsellor = load_profile(User.objects.get(pk=with_profile.pk))
    assert counsellor is not None and (counsellor.name, counsellor.capacity) == ("Sara", 2)


@pytest.mark.django_db
def test_supervisors_and_partners_are_their_groups() -> None:
    maria, partner, nobody = person("maria", SUPERVISOR_GROUP), person("p", PARTNER_GROUP), person("x")
    assert is_supervisor(maria) and not is_partner(maria) and not is_counsellor(maria)
    assert is_partner(partner) and not is_supervisor(partner)
    assert not has_role(nobody, SUPERVISOR_GROUP, PARTNER_GROUP)
    assert has_role(partner, SUPERVISOR_GROUP, PARTNER_GROUP)
    maria.first_name = "Maria"
    assert load_supervisor(maria) == (maria.pk, "Maria", ("",))  # the name visitors see; the default centre
    assert load_supervisor(partner) is None


@pytest.mark.django_db
def test_the_roles_exist_after_migrate_and_supervisors_edit_only_configuration() -> None:
    ensure_roles()
    ensure_roles()  # idempotent
    assert set(Group.objects.values_list("name", flat=True)) >= {COUNSELLOR_GROUP, SUPERVISOR_GROUP, PARTNER_GROUP}
    perms = Group.objects.get(name=SUPERVISOR_GROUP).permissions.all()
    given = {f"{p.content_type.app_label}.{p.codename}" for p in perms}
    edits = {"openinghours", "openingexception", "servicetext", "cannedresponse", "line", "overflowrule"}
    assert {code.split("_", 1)[1] for code in given} == edits | {"centre", "emergencynumber", "emergencynumberlabel"}
    # Their own centre they change, but neither add nor delete; the shared numbers they read.
    assert {"centres.change_centre", "centres.view_centre", "contacts.view_emergencynumber"} <= given
    assert not given & {"centres.add_centre", "centres.delete_centre", "contacts.change_emergencynumber"}
    assert {"centres.add_line", "centres.delete_overflowrule", "contacts.change_openinghours"} <= given
    # An installation that gave supervisors the shared numbers before centres loses them.
    from django.contrib.auth.models import Permission

    supervisors = Group.objects.get(name=SUPERVISOR_GROUP)
    supervisors.permissions.add(Permission.objects.get(codename="change_emergencynumber"))
    ensure_roles()
    assert not supervisors.permissions.filter(codename="change_emergencynumber").exists()
    assert not Group.objects.get(name=COUNSELLOR_GROUP).permissions.exists()
