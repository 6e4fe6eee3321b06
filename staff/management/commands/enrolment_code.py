"""Issue a one-time enrolment code for a staff member's authenticator set-up from the
server's shell, e.g. for the first administrator (who cannot yet reach admin)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from staff.enrolment import ENROL_CODE_SECONDS, issue_code, reset_second_factor


class Command(BaseCommand):
    help = "Print a one-time enrolment code for USERNAME (with --reset: remove their authenticators first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reset", action="store_true", help="remove authenticators, end sessions, close sockets")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError("no such user")
        code = reset_second_factor(user) if options["reset"] else issue_code(user)
        self.stdout.write(f"{code}  (single use, valid {ENROL_CODE_SECONDS // 86400} days)")
