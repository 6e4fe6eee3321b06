"""Counsellors on duty, and the sweep that repairs what expiry leaves behind."""

from __future__ import annotations

from dataclasses import replace

from routing.state import Counsellor, CounsellorState
from routing.store.base import CounsellorStore
from routing.store.memory.state import MemoryState


class MemoryCounsellors(MemoryState, CounsellorStore):
    async def upsert_counsellor(self, counsellor: Counsellor) -> Counsellor:
        with self._lock:
            existing = self._counsellor(counsellor.id)
            if existing is None:
                stored = replace(counsellor)
            else:
                stored = replace(
                    existing,
                    name=counsellor.name,
                    languages=counsellor.languages,
                    skills=counsellor.skills,
                    capacity=counsellor.capacity,
                    phone=counsellor.phone,
                    centres=counsellor.centres,
                    aliases=counsellor.aliases,
                    languages_at=counsellor.languages_at,
                    skills_at=counsellor.skills_at,
                    capacity_at=counsellor.capacity_at,
                )
            self._save_counsellor(stored)
            return replace(stored)

    async def get_counsellor(self, counsellor_id: int) -> Counsellor | None:
        with self._lock:
            found = self._counsellor(counsellor_id)
            return replace(found) if found else None

    async def counsellors(self) -> list[Counsellor]:
        with self._lock:
            self._gc()
            return [replace(c) for c, _ in sorted(self._counsellors.values(), key=lambda x: x[0].id)]

    async def set_counsellor_state(self, counsellor_id: int, state: CounsellorState, now: float) -> Counsellor | None:
        with self._lock:
            counsellor = self._counsellor(counsellor_id)
            if counsellor is None:
                return None
            if state == "available" and counsellor.state != "available":
                counsellor.free_since = now
            counsellor.state = state
            self._save_counsellor(counsellor)
            return replace(counsellor)

    async def set_rest(self, counsellor_id: int, until: float) -> None:
        with self._lock:
            counsellor = self._counsellor(counsellor_id)
            if counsellor is not None:
                counsellor.rest_until = until
                self._save_counsellor(counsellor)

    async def set_counsellor_gone(self, counsellor_id: int, at: float) -> None:
        with self._lock:
            counsellor = self._counsellor(counsellor_id)
            if counsellor is not None:
                counsellor.gone_at = at
                self._save_counsellor(counsellor)

    async def counsellors_gone_before(self, before: float) -> list[int]:
        with self._lock:
            self._gc()
            return [c.id for c, _ in self._counsellors.values() if 0 < c.gone_at <= before]

    async def remove_counsellor(self, counsellor_id: int) -> None:
        with self._lock:
            self._counsellors.pop(counsellor_id, None)

    async def sweep(self) -> int:
        with self._lock:
            before = len(self._contacts)
            self._gc()  # dropping an expired contact also frees its counsellor here
            return before - len(self._contacts)
