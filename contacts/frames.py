"""The frames the server sends to the three pages (docs/protocol.md), one TypedDict each.

``BaseConsumer.out`` takes only a :data:`Frame`, so mypy refuses a frame with a misspelt,
missing or extra field where it is built; payloads the service hands to the consumers
(intake state, dashboard figures, what a closed visitor is shown) are typed here too,
because frames are made by spreading them. Frames from the pages are checked field by
field in protocol.py instead: what a client sends is untrusted until it is parsed.
Pure: no Django, no I/O.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

# --- payloads the service returns and frames carry ---


class IntakeState(TypedDict):
    centre: str  # the centre's live address, "" the default centre
    centre_name: str
    chat_paused: bool
    phone_paused: bool
    max_queue: int


class NumberInfo(TypedDict):
    number: str
    dial: str
    url: str
    label: str


class HoursInfo(TypedDict):
    day: str
    periods: list[str]


class ClosedInfo(TypedDict):
    text: str
    hours: list[HoursInfo]
    numbers: list[NumberInfo]


class ContactInfo(TypedDict):
    """What a counsellor sees of a waiting or active contact: no content, no source."""

    contact: str
    centre: str  # its centre's live slug ("" the default): a console of two centres labels it
    channel: str
    language: str
    kind: str
    danger: bool
    plain: bool  # the visitor chose easy-read: write simply
    skill: str
    waited: int
    enqueued: int  # ms since the epoch: the page counts the wait on by itself


class QueueItem(ContactInfo):
    offered: bool


class MeInfo(TypedDict):
    name: str
    state: str
    capacity: int
    load: int
    languages: list[str]
    rest_until: int  # a breather: 0 none, -1 until this counsellor says ready, else ms since the epoch


class Colleague(TypedDict):
    id: int
    name: str
    state: str
    load: int
    capacity: int
    languages: list[str]
    skills: list[str]


class TeamMember(TypedDict):
    id: int
    name: str
    state: str
    load: int
    capacity: int


class HelpRequest(TypedDict):
    contact: str
    counsellor: str
    language: str


class BlockInfo(TypedDict):
    id: str  # the keyed hash of a source: no address can be had from it
    by: str
    until: int


class LoadCounts(TypedDict):
    waiting: int
    by_channel: dict[str, int]
    by_language: dict[str, int]
    longest_wait: int
    offers: int
    abandoned: int
    conversations: int
    states: dict[str, int]


class DashboardData(LoadCounts):
    oldest_enqueued: int
    now: int
    team: list[TeamMember]
    help: list[HelpRequest]
    history: list[list[int]]
    blocks: list[BlockInfo]
    today: dict[str, Any]


# --- frames every page may get ---


class ErrorFrame(TypedDict):
    type: Literal["error"]
    code: str
    detail: NotRequired[str]


class PongFrame(TypedDict):
    type: Literal["pong"]


# A message line; "from" is a keyword, hence the functional form.
MessageFrame = TypedDict(
    "MessageFrame",
    {
        "type": Literal["message"],
        "seq": int,
        "from": str,
        "text": str,
        "ts": int,
        "html": NotRequired[str],  # a counsellor's text, escaped, with links
        "contact": NotRequired[str],  # staff pages only: the visitor's socket holds one
        "mine": NotRequired[bool],  # staff pages: this staff member wrote it
        "name": NotRequired[str],  # staff pages: a colleague's pseudonym
    },
)


class SentFrame(TypedDict):
    type: Literal["sent"]
    id: str
    seq: int
    contact: NotRequired[str]


class EndedFrame(TypedDict):
    type: Literal["ended"]
    by: str
    undelivered: int
    contact: NotRequired[str]


class SupervisorFrame(TypedDict):
    type: Literal["supervisor"]
    joined: bool
    name: str
    contact: NotRequired[str]


class TypingFrame(TypedDict):
    type: Literal["typing"]
    contact: NotRequired[str]


# --- the visitor's page ---


class Elsewhere(TypedDict):
    """Another service that answers when this one cannot (an overflow rule's link)."""

    name: str
    url: str


class ClosedFrame(ClosedInfo):
    type: Literal["closed"]
    reason: str
    elsewhere: NotRequired[Elsewhere]


class StartedFrame(TypedDict):
    type: Literal["started"]
    token: str
    grace: int
    answered_by: NotRequired[str]  # another centre answers: its name, to tell the visitor


class ExpiredFrame(TypedDict):
    type: Literal["expired"]


class ResumedFrame(TypedDict):
    type: Literal["resumed"]
    state: Literal["active", "queued"]


class ThanksFrame(TypedDict):
    type: Literal["thanks"]


class PositionFrame(TypedDict):
    type: Literal["queue"]
    position: int
    wait: int | None


class JoinedFrame(TypedDict):
    type: Literal["joined"]
    name: str


class RequeuedFrame(TypedDict):
    type: Literal["requeued"]
    reason: str


class HandedOverFrame(TypedDict):
    type: Literal["handed_over"]
    name: str  # the centre that will answer now


class ElsewhereFrame(TypedDict):
    type: Literal["elsewhere"]
    name: str  # the other service
    url: str


class ClosingFrame(TypedDict):
    type: Literal["closing"]
    closes: str  # "HH:MM": when the centre closes, in Stockholm time


class TransferredFrame(TypedDict):
    type: Literal["transferred"]
    name: str


# --- the counsellor's console ---


class ConversationFrame(ContactInfo):
    type: Literal["conversation"]
    visitor: Literal["connected", "away"]
    supervisor: bool  # a supervisor is in it: after a reload, the page offers the whisper box


class HelloFrame(TypedDict):
    type: Literal["hello"]
    me: MeInfo
    conversations: list[ConversationFrame]


class MeFrame(MeInfo):
    type: Literal["me"]


class IntakeFrame(IntakeState):
    type: Literal["intake"]


class QueueFrame(TypedDict):
    type: Literal["queue"]
    items: list[QueueItem]
    total: int
    on_duty: int
    colleagues: list[Colleague]
    now: int


class OfferFrame(ContactInfo):
    type: Literal["offer"]
    expires_in: int
    now: int


class OfferWithdrawnFrame(TypedDict):
    type: Literal["offer_withdrawn"]
    contact: str


class ContactFrame(TypedDict):
    """help_requested, wrapped: an answer that names the conversation only."""

    type: Literal["help_requested", "wrapped"]
    contact: str


class VisitorFrame(TypedDict):
    type: Literal["visitor"]
    contact: str
    state: str


# --- the supervisor's dashboard ---


class DashboardFrame(DashboardData):
    type: Literal["dashboard"]
    intake: IntakeState  # the first of intakes: the one a one-centre dashboard shows
    intakes: list[IntakeState]


class IntakeSavedFrame(IntakeState):
    type: Literal["intake_saved"]


class JoinedConversationFrame(TypedDict):
    type: Literal["conversation"]
    contact: str
    language: str
    channel: str


class BlockLiftedFrame(TypedDict):
    type: Literal["block_lifted"]
    block: str


class ClearedFrame(TypedDict):
    type: Literal["cleared"]
    count: int


# --- the staff side channel (console and dashboard): never sent to a visitor ---


class WhisperFrame(TypedDict):
    """A whisper in a conversation, for its staff only."""

    type: Literal["whisper"]
    contact: str
    id: str
    role: Literal["counsellor", "supervisor"]
    name: str
    mine: bool
    text: str
    ts: int


class NoteFrame(TypedDict):
    """A message between staff, outside any conversation."""

    type: Literal["note"]
    id: str
    to: Literal["counsellor", "supervisors", "counsellors"]
    sender: int
    role: Literal["counsellor", "supervisor"]
    name: str
    mine: bool
    text: str
    ts: int


class NoteDeliveredFrame(TypedDict):
    """At least one staff page showed the whisper or note the page sent as ``id``."""

    type: Literal["note_delivered"]
    id: str


class NoteUndeliveredFrame(TypedDict):
    """Nobody's page showed it in time: the sender is told rather than left to assume."""

    type: Literal["note_undelivered"]
    id: str


Frame = (
    ErrorFrame
    | PongFrame
    | MessageFrame
    | SentFrame
    | EndedFrame
    | SupervisorFrame
    | TypingFrame
    | ClosedFrame
    | StartedFrame
    | ExpiredFrame
    | ResumedFrame
    | ThanksFrame
    | PositionFrame
    | JoinedFrame
    | RequeuedFrame
    | TransferredFrame
    | HandedOverFrame
    | ClosingFrame
    | ElsewhereFrame
    | ConversationFrame
    | HelloFrame
    | MeFrame
    | IntakeFrame
    | QueueFrame
    | OfferFrame
    | OfferWithdrawnFrame
    | ContactFrame
    | VisitorFrame
    | DashboardFrame
    | IntakeSavedFrame
    | JoinedConversationFrame
    | BlockLiftedFrame
    | ClearedFrame
    | WhisperFrame
    | NoteFrame
    | NoteDeliveredFrame
    | NoteUndeliveredFrame
)
