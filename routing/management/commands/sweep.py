"""Repair what expiry can leave behind in the live state (run by each server's tick every
minute, and from a timer or by hand after an outage)."""

from __future__ import annotations

import asyncio
from typing import Any

from django.core.management.base import BaseCommand

from routing.store import get_store


class Command(BaseCommand):
    help = "Sweep the live-state store: free counsellors still holding contacts whose keys expired."

    def handle(self, *args: Any, **options: Any) -> None:
        async def sweep() -> int:
            store = get_store()
            try:
                return await store.sweep()
            finally:
                await store.close()

        repaired = asyncio.run(sweep())
        self.stdout.write(f"repaired {repaired}")
