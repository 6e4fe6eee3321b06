"""An existing installation upgrades in place when the staff models move into staff/.

The counsellor profile (routing/) and the enrolment code (frontend/) became staff's with
state-only migrations: their tables keep their names and rows. This migrates a database
back to the last migrations before the move, writes a row of each through the models as
they were then, migrates forward, and reads the same rows through staff.models."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

# The migrations an installation had before staff/ existed.
BEFORE_THE_MOVE = {"routing": "0002_phone", "frontend": "0001_initial"}


def _before_the_move(executor: MigrationExecutor) -> list[tuple[str, str | None]]:
    """Every app at its latest migration, except routing and frontend (as they were) and
    staff (not there at all)."""
    targets: list[tuple[str, str | None]] = []
    for app, name in executor.loader.graph.leaf_nodes():
        if app == "staff":
            targets.append((app, None))
        else:
            targets.append((app, BEFORE_THE_MOVE.get(app, name)))
    return targets


@pytest.mark.django_db(transaction=True)
def test_the_staff_rows_of_an_existing_installation_survive_the_move() -> None:
    assert connection.vendor == "postgresql", "the upgrade is tested on the database production runs"
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    old = _before_the_move(executor)
    executor.migrate(old)
    try:
        past = executor.loader.project_state([(app, name) for app, name in old if name is not None]).apps
        assert not any(m._meta.app_label == "staff" for m in past.get_models())
        user = past.get_model("auth", "User").objects.create(username="sara-before")
        past.get_model("routing", "CounsellorProfile").objects.create(
            user_id=user.pk,
            display_name="Sara",
            languages=["sv", "en"],
            skills=["nurse"],
            max_chats=3,
            takes_calls=True,
            work_phone="+4618123456",
        )
        expires = timezone.now() + timedelta(days=3)
        past.get_model("frontend", "EnrolmentCode").objects.create(user_id=user.pk, digest="d" * 64, expires=expires)
        content_type = past.get_model("contenttypes", "ContentType")
        content_type.objects.get_or_create(app_label="routing", model="counsellorprofile")
    finally:
        # Forward again whatever happened, so the rest of the suite finds today's schema.
        executor = MigrationExecutor(connection)
        executor.migrate(latest)

    from django.contrib.contenttypes.models import ContentType

    from staff.models import CounsellorProfile, EnrolmentCode

    profile = CounsellorProfile.objects.get(user_id=user.pk)
    assert (profile.display_name, profile.languages, profile.skills) == ("Sara", ["sv", "en"], ["nurse"])
    assert (profile.max_chats, profile.takes_calls, profile.work_phone) == (3, True, "+4618123456")
    assert profile.user.username == "sara-before"
    code = EnrolmentCode.objects.get(user_id=user.pk)
    assert (code.digest, code.expires) == ("d" * 64, expires)
    # Permissions and admin's history hang on the content type: it moved with the model.
    ContentType.objects.clear_cache()
    assert ContentType.objects.filter(app_label="staff", model="counsellorprofile").exists()
    assert not ContentType.objects.filter(app_label="routing", model="counsellorprofile").exists()


@pytest.mark.django_db
def test_the_staff_models_keep_the_tables_they_had() -> None:
    from staff.models import CounsellorProfile, EnrolmentCode

    assert CounsellorProfile._meta.db_table == "routing_counsellorprofile"
    assert EnrolmentCode._meta.db_table == "frontend_enrolmentcode"
