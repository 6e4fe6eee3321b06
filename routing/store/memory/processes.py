"""Which server process holds which socket. The embedded default runs one process, but
keeps the contract Redis keeps, so the service need not know which backend it has."""

from __future__ import annotations

from routing.store.base import HeldKind, ProcessStore
from routing.store.memory.state import MemoryState


class MemoryProcesses(MemoryState, ProcessStore):
    async def hold(self, process: str, kind: HeldKind, member: str, held: bool, now: float) -> None:
        with self._lock:
            members = self._held.setdefault((kind, process), set())
            if held:
                members.add(member)
            else:
                members.discard(member)
            self._procs[process] = now

    async def heartbeat(self, process: str, now: float) -> bool:
        with self._lock:
            known = process in self._procs and process not in self._dead
            self._dead.discard(process)
            self._procs[process] = now
            return known

    async def release_dead(self, before: float) -> tuple[list[str], list[int]]:
        with self._lock:
            dead = {p: at for p, at in self._procs.items() if at < before}
            for p in dead:
                del self._procs[p]
                self._dead.add(p)

            def held_elsewhere(kind: HeldKind, member: str) -> bool:
                return any(member in self._held.get((kind, p), set()) for p in self._procs)

            gone_v: list[str] = []
            gone_c: list[int] = []
            for p, at in dead.items():
                for cid in sorted(self._held.pop(("v", p), set())):
                    contact = self._contacts.get(cid)
                    if contact is not None and contact.visitor_gone_at == 0 and not held_elsewhere("v", cid):
                        contact.visitor_gone_at = at
                        gone_v.append(cid)
                for uid in sorted(self._held.pop(("c", p), set())):
                    counsellor = self._counsellor(int(uid))
                    if counsellor is not None and counsellor.gone_at == 0 and not held_elsewhere("c", uid):
                        counsellor.gone_at = at
                        self._save_counsellor(counsellor)
                        gone_c.append(int(uid))
            return gone_v, gone_c
