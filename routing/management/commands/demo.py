"""Create (or reset) the demo accounts for trying the service: two counsellors, a
supervisor, a partner and an administrator, and a second centre (Una Norrbotten) that
takes Nexus's chats when its queue is full or nobody answered in three minutes.
Development only."""

from __future__ import annotations

import secrets
from datetime import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser

from centres.models import Centre, Line, OverflowRule
from contacts.models import OpeningException, OpeningHours
from staff.models import CounsellorProfile, Membership
from staff.roles import COUNSELLOR_GROUP, PARTNER_GROUP, SUPERVISOR_GROUP, ensure_roles


class Command(BaseCommand):
    help = "Create or reset the demo counsellors, supervisor, partner and administrator (development only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--always-open", action="store_true", help="Replace the opening hours with 00:00–24:00 every day."
        )
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="Base URL to print.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("The demo accounts are for development only (ENVIRONMENT=production is set).")
        ensure_roles()
        User = get_user_model()
        passwords = {}
        accounts: list[tuple[str, str, str, dict[str, Any]]] = [
            ("radgivare", "Sara", COUNSELLOR_GROUP, {}),
            ("radgivare2", "Omar", COUNSELLOR_GROUP, {}),
            ("arbetsledare", "Maria", SUPERVISOR_GROUP, {"is_staff": True, "first_name": "Maria"}),
            ("partner", "", PARTNER_GROUP, {}),
            # The README's "administration" (accounts, partner tokens) needs a superuser;
            # production makes its own with createsuperuser, never this one.
            ("admin", "", "", {"is_staff": True, "is_superuser": True}),
        ]
        for username, display, group, extra in accounts:
            user, _ = User.objects.get_or_create(username=username)
            password = secrets.token_urlsafe(9)
            user.set_password(password)
            for key, value in extra.items():
                setattr(user, key, value)
            user.save()
            if group:
                user.groups.add(Group.objects.get(name=group))
            passwords[username] = password
            if group == COUNSELLOR_GROUP:
                languages = ["sv", "en"] if username == "radgivare" else ["sv", "ar"]
                CounsellorProfile.objects.update_or_create(
                    user=user, defaults={"display_name": display, "languages": languages, "max_chats": 2}
                )
        una = self.second_centre(User.objects.get(username="radgivare2"))
        if options["always_open"]:
            OpeningHours.objects.all().delete()
            OpeningException.objects.all().delete()
            for day in range(7):
                OpeningHours.objects.create(weekday=day, opens=time(0, 0), closes=time(23, 59, 59, 999999))
                OpeningHours.objects.create(line=una, weekday=day, opens=time(0, 0), closes=time(23, 59, 59, 999999))
        url = options["url"].rstrip("/")
        self.stdout.write(
            "Two centres: a chat waiting at Nexus goes to Una Norrbotten (Omar) when Nexus's queue is"
            " full or nobody has answered in 3 minutes (Centres in the administration)."
        )
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Demo accounts (passwords are new on every start):",
                    f"  counsellor     radgivare     / {passwords['radgivare']}  (Sara: Swedish, English)",
                    f"  counsellor     radgivare2    / {passwords['radgivare2']}  (Omar: sv, ar; Nexus and Una)",
                    f"  supervisor     arbetsledare  / {passwords['arbetsledare']}  (Maria)",
                    f"  partner        partner       / {passwords['partner']}  (reads the statistics only)",
                    f"  administrator  admin         / {passwords['admin']}  (superuser: accounts, partner tokens)",
                    "",
                    f"  Visitor page:          {url}/",
                    f"  Una Norrbotten's page: {url}/norrbotten/",
                    f"  Counsellor console:    {url}/console/",
                    f"  Supervisor dashboard:  {url}/supervisor/",
                    f"  Statistics:            {url}/stats/  (supervisors; partners land here)",
                    f"  Administration:        {url}/admin/",
                    "  Open the console, log in, press 'Available', then start a chat on the visitor page",
                    "  in another browser or a private window.",
                    "  Opening hours: open around the clock (demo)." if options["always_open"] else "",
                    "",
                ]
            )
        )

    def second_centre(self, member: Any) -> Line:
        """Una Norrbotten beside the default centre, with Nexus's chat handing over to it.
        Una's own rules hand nothing back: the admin refuses a circle."""
        nexus = Centre.objects.filter(default=True).first() or Centre.objects.create(
            name="Nexus resurscentrum", slug="nexus", default=True
        )
        nexus_web, _ = Line.objects.get_or_create(centre=nexus, kind="web", defaults={"name": "Chatt"})
        # Una's own look on its page: a teal light enough that its buttons get dark text,
        # a logo of our own static, and Swedish and English only (no Arabic in the menu).
        una, _ = Centre.objects.get_or_create(
            slug="norrbotten",
            defaults={
                "name": "Una Norrbotten",
                "colour": "#1a9e8f",
                "logo": "frontend/logos/norrbotten.svg",
                "languages": ["sv", "en"],
            },
        )
        una_web, _ = Line.objects.get_or_create(centre=una, kind="web", defaults={"name": "Chatt"})
        for order, (condition, after) in enumerate((("full", 0), ("unanswered", 180))):
            OverflowRule.objects.update_or_create(
                line=nexus_web,
                order=order,
                defaults={"condition": condition, "after_seconds": after, "action": "centre", "centre": una},
            )
        # Omar works for both centres, with one console for both queues; Sara for Nexus only.
        Membership.objects.get_or_create(user=member, centre=nexus)
        Membership.objects.get_or_create(user=member, centre=una)
        return una_web
