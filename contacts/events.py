"""The events the service publishes on the channel layer, one TypedDict each.

A consumer's handler for ``conv.ended`` is ``conv_ended(self, event: ConvEnded)``, and
``Service.publish`` takes only an :data:`Event`, so mypy refuses an event with a misspelt
or missing field at the place it is built. Events carry ids, counts and sealed text, never
plaintext: the layer is Redis in production (docs/privacy.md). Pure: no Django, no I/O.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from contacts.frames import IntakeState
from routing.state import Sender

# Who or what ended a conversation (docs/protocol.md, the ``ended`` frame's ``by``).
EndedBy = str


class QueueChanged(TypedDict):
    """Something in the queue moved: consoles, waiting visitors and dashboards re-read."""

    type: Literal["queue.changed"]


class HelpChanged(TypedDict):
    type: Literal["help.changed"]


class IntakeChanged(IntakeState):
    type: Literal["intake.changed"]


class StaffChanged(TypedDict):
    """A counsellor's own duty, load or capacity changed."""

    type: Literal["staff.changed"]


class StaffLogout(TypedDict):
    type: Literal["staff.logout"]


class StaffRecheck(TypedDict):
    """An account changed in admin: each of its sockets re-checks its session."""

    type: Literal["staff.recheck"]


class OfferMade(TypedDict):
    type: Literal["offer.made"]
    contact: str


class OfferWithdrawn(TypedDict):
    type: Literal["offer.withdrawn"]
    contact: str


class ConvStarted(TypedDict):
    type: Literal["conv.started"]
    contact: str


class ConvMessage(TypedDict):
    """A message was appended. It carries the message sealed as the store holds it, so a
    socket that is up to date shows it without reading the store."""

    type: Literal["conv.message"]
    contact: str
    counsellor: int
    supervisor: int
    seq: int
    sender: Sender
    sealed: str
    ts: float
    author: int


class ConvTyping(TypedDict):
    type: Literal["conv.typing"]
    contact: str
    sender: Sender


class ConvEnded(TypedDict):
    type: Literal["conv.ended"]
    contact: str
    by: EndedBy
    undelivered: int


class ConvRequeued(TypedDict):
    type: Literal["conv.requeued"]
    contact: str
    reason: NotRequired[str]


class ConvHandedOver(TypedDict):
    """A waiting contact moved to a partner centre's queue (its centre's overflow rules)."""

    type: Literal["conv.handed_over"]
    contact: str
    name: str  # the centre that will answer


class ConvElsewhere(TypedDict):
    """A waiting chat's centre can no longer answer it, and its overflow rules give a link
    to another service: the visitor may go there, or keep their place."""

    type: Literal["conv.elsewhere"]
    contact: str
    name: str  # the other service, as the visitor is told
    url: str


class ConvClosing(TypedDict):
    """The centre of a waiting contact stopped taking new ones: it closes at ``closes``."""

    type: Literal["conv.closing"]
    contact: str
    closes: str  # "HH:MM", Stockholm time


class ConvTransferred(TypedDict):
    type: Literal["conv.transferred"]
    contact: str


class ConvSupervisor(TypedDict):
    type: Literal["conv.supervisor"]
    contact: str
    joined: bool
    name: str


class VisitorPresence(TypedDict):
    type: Literal["visitor.presence"]
    contact: str
    connected: bool
    state: NotRequired[Literal["connected", "hidden"]]


class StaffNote(TypedDict):
    """A line between staff that no visitor receives: a whisper in a conversation
    (``contact`` set, sent to its counsellor and joined supervisor) or a message outside
    any conversation (``to``: "counsellor", "supervisors" or "counsellors"). Sealed, never stored;
    each receiving page answers ``reply_to`` with a :class:`StaffNoteReceived`."""

    type: Literal["staff.note"]
    id: str  # the server's random id for this note (the seal's associated data)
    contact: str  # "" outside a conversation
    to: Literal["whisper", "counsellor", "supervisors", "counsellors"]
    centres: list[str]  # whose staff may read it: the sender's centres
    sender: int
    role: Literal["counsellor", "supervisor"]
    name: str  # the sender's pseudonym (counsellor) or first name (supervisor)
    sealed: str
    ts: float
    reply_to: str  # the sending socket's channel, for the receipts


class StaffNoteReceived(TypedDict):
    """A staff page showed a note: sent to the sending socket's channel only."""

    type: Literal["staff.note_received"]
    id: str


Event = (
    QueueChanged
    | HelpChanged
    | IntakeChanged
    | StaffChanged
    | StaffLogout
    | StaffRecheck
    | OfferMade
    | OfferWithdrawn
    | ConvStarted
    | ConvMessage
    | ConvTyping
    | ConvEnded
    | ConvRequeued
    | ConvTransferred
    | ConvHandedOver
    | ConvClosing
    | ConvElsewhere
    | ConvSupervisor
    | VisitorPresence
    | StaffNote
    | StaffNoteReceived
)
