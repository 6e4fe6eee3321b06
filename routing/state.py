"""The live state of the service: contacts waiting or talking, counsellors on duty.

Plain dataclasses with no Django and no I/O. They exist only in the state store (memory
or Redis, always with a TTL) and never in the database: a contact leaves no row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from chatservice import vocabulary

Channel = Literal["chat", "phone"]
ContactState = Literal["queued", "offered", "active"]
CounsellorState = Literal["available", "break", "away", "off"]
Sender = Literal["visitor", "counsellor", "supervisor", "system"]

CHANNELS: tuple[Channel, ...] = ("chat", "phone")
KINDS = vocabulary.VISITOR_KINDS
SKILLS = vocabulary.SKILLS
COUNSELLOR_STATES: tuple[CounsellorState, ...] = ("available", "break", "away", "off")
READY_WHEN_SAID = 2.0**52  # a rest_until no clock reaches: until the counsellor says ready


@dataclass
class Contact:
    id: str
    channel: Channel
    language: str
    enqueued_at: float
    # The centre whose queue it is in (centres/models.py, by slug); "" is the default
    # centre, so an installation from before centres keeps its live state as it was.
    centre: str = ""
    kind: str = ""  # "", or one of KINDS: who the visitor said they are
    danger: bool = False  # "in danger right now": first in the queue
    plain: bool = False  # chose easy-read (lättläst): the counsellor is asked to write simply
    skill: str = ""  # "", or one of SKILLS: only counsellors with it may take the contact
    state: ContactState = "queued"
    requeued: bool = False  # came back to the queue after a counsellor left: goes first
    routed_at: float = 0.0  # when it last needed a new language or skill: overflow counts from here
    offered_to: int = 0
    offer_expires: float = 0.0
    counsellor: int = 0
    answered_at: float = 0.0
    visitor_gone_at: float = 0.0  # 0 while the visitor's socket is connected
    help: bool = False  # the counsellor asked a supervisor to join
    supervisor: int = 0  # the supervisor who joined, if any
    # Who may never take this contact: the supervisor who sent its counsellor off duty.
    # Otherwise a supervisor on counsellor duty could send a colleague home and pick the
    # conversation, with its history, without anyone asking for help.
    not_for: int = 0
    source: str = ""  # keyed hash of the connecting address, kept only for a block
    key: str = ""  # the conversation's message key, wrapped with the server key (contacts/crypto.py)
    seq: int = 0  # last sequence number used in the conversation
    visitor_ack: int = 0
    counsellor_ack: int = 0


@dataclass
class Counsellor:
    id: int
    name: str  # the chosen first name or pseudonym a visitor sees
    languages: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    capacity: int = 2
    phone: bool = False  # takes phone calls (has a work phone to connect them to)
    # The centres whose queues this counsellor is on duty for, by slug ("" the default
    # centre); none means the default centre only.
    centres: tuple[str, ...] = ()
    # The pseudonym used at each of ``centres`` (same order; "" there: ``name``), so that
    # one person working for two centres can be known by a different name at each.
    aliases: tuple[str, ...] = ()
    # What this counsellor takes at each of ``centres`` (same order), where a membership
    # narrows the profile: the languages and skills there (empty: the profile's), and
    # how many of that centre's conversations at once (0: up to ``capacity``).
    languages_at: tuple[tuple[str, ...], ...] = ()
    skills_at: tuple[tuple[str, ...], ...] = ()
    capacity_at: tuple[int, ...] = ()
    state: CounsellorState = "off"
    active: tuple[str, ...] = field(default_factory=tuple)  # contact ids in conversation
    offers: int = 0  # pending offers (at most one at a time)
    free_since: float = 0.0  # when they last finished or started work: "idle longest"
    gone_at: float = 0.0  # 0 while at least one console socket is connected
    # A breather after a conversation (centres.Centre.breather): no new offer before this
    # time; READY_WHEN_SAID means until the counsellor says they are ready.
    rest_until: float = 0.0
    # Not stored: set by the service from the active contacts. ``on_call``: one of them is a
    # call; ``apart``: one of them is of a centre that keeps calls and chats apart.
    on_call: bool = False
    apart: bool = False
    load_at: dict[str, int] = field(default_factory=dict)  # not stored: conversations per centre

    @property
    def load(self) -> int:
        return len(self.active)

    def _index(self, centre: str) -> int:
        return self.centres.index(centre) if centre in self.centres else -1

    def languages_for(self, centre: str) -> tuple[str, ...]:
        i = self._index(centre)
        return (self.languages_at[i] if 0 <= i < len(self.languages_at) else ()) or self.languages

    def skills_for(self, centre: str) -> tuple[str, ...]:
        i = self._index(centre)
        return (self.skills_at[i] if 0 <= i < len(self.skills_at) else ()) or self.skills

    def capacity_for(self, centre: str) -> int:
        """How many of this centre's conversations at once; 0: no limit but ``capacity``."""
        i = self._index(centre)
        return self.capacity_at[i] if 0 <= i < len(self.capacity_at) else 0

    def name_at(self, centre: str) -> str:
        """The name a visitor of ``centre`` knows this counsellor by."""
        for at, alias in zip(self.centres, self.aliases, strict=False):
            if at == centre and alias:
                return alias
        return self.name


@dataclass(frozen=True)
class Message:
    seq: int
    sender: Sender
    body: str
    ts: float
    # The staff member who wrote it (0 for the visitor and the system): after a transfer
    # the new counsellor must see which lines were a colleague's, not "me".
    author: int = 0
