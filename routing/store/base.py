"""The store interface both backends implement (tests/test_store_contract.py).

One abstract class per concern, so that a reader can find an operation by what it is
about, and ``Store`` combining them all: every caller holds a ``Store``. Each backend
mirrors the split with one module per concern (``routing/store/memory/``,
``routing/store/redis/``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Literal, NamedTuple

from routing.state import Contact, Counsellor, CounsellorState, Message, Sender

HeldKind = Literal["v", "c"]  # a visitor's socket (by contact id) or a console (by counsellor id)

Body = str | Callable[[int], str]


class Appended(NamedTuple):
    """What appending a message settled, and who the conversation is with (so that the
    caller can tell them without reading the contact)."""

    seq: int
    duplicate: bool  # a repeated client id: nothing was appended, ``seq`` is the first one's
    counsellor: int
    supervisor: int


def body_for(body: Body, seq: int) -> str:
    return body if isinstance(body, str) else body(seq)


class QueueStore(ABC):
    """A contact from its arrival until a counsellor has it: the queue and its offers."""

    @abstractmethod
    async def add_contact(self, contact: Contact, token_hash: str) -> None:
        """Put a new contact in the queue, reachable later by its resumption token hash."""

    @abstractmethod
    async def get_contact(self, contact_id: str) -> Contact | None: ...

    @abstractmethod
    async def contact_for_token(self, token_hash: str) -> str | None: ...

    @abstractmethod
    async def queue(self) -> list[Contact]:
        """Contacts waiting (queued or offered), in queue order."""

    @abstractmethod
    async def position(self, contact_id: str) -> int | None:
        """1-based place in the queue, or None when not waiting."""

    @abstractmethod
    async def offer(self, contact_id: str, counsellor_id: int, expires_at: float) -> bool:
        """queued -> offered, if the contact is still queued and the counsellor is
        available, connected, without a pending offer and below capacity."""

    @abstractmethod
    async def withdraw_offer(self, contact_id: str, counsellor_id: int, *, away: bool) -> bool:
        """offered (to this counsellor) -> queued; with ``away`` the counsellor who let
        it time out is set to away."""

    @abstractmethod
    async def accept(self, contact_id: str, counsellor_id: int, now: float) -> bool:
        """offered to this counsellor, or simply queued (picked from the queue) ->
        active with this counsellor, if they are on duty, below capacity, and not the
        contact's ``not_for``."""

    @abstractmethod
    async def requeue(self, contact_id: str, counsellor_id: int, *, not_for: int = 0) -> bool:
        """active with this counsellor -> queued again, ahead of new contacts. With
        ``not_for``, that staff member may never accept it (kept for the contact's life)."""

    @abstractmethod
    async def retarget(self, contact_id: str, counsellor_id: int, *, language: str = "", skill: str = "") -> bool:
        """Like ``requeue``, and the contact now needs this language and/or skill; the
        language overflow clock starts again."""

    @abstractmethod
    async def expired_offers(self, now: float) -> list[tuple[str, int]]: ...

    @abstractmethod
    async def hand_over(self, contact_id: str, centre: str, now: float) -> bool:
        """queued (not offered) -> in ``centre``'s queue, keeping its place by arrival; its
        wait there (for that centre's own rules) counts from ``now``. False if it was
        offered, taken or gone meanwhile: then it stays where it is."""


class ConversationStore(ABC):
    """A contact a counsellor has: handing it on, supervision, the wrap-up, the
    visitor's presence, and its end."""

    @abstractmethod
    async def tell_once(self, contact_id: str, notice: str) -> bool:
        """True the first time ``notice`` is marked for this live contact, False after
        (or when the contact is gone): every process ticks, and one of them tells the
        visitor. The mark goes with the contact."""

    @abstractmethod
    async def transfer(self, contact_id: str, from_id: int, to_id: int, now: float) -> bool:
        """active with ``from_id`` -> active with ``to_id``, if the colleague is on shift,
        connected and below capacity. The conversation (messages, seq) goes along."""

    @abstractmethod
    async def request_help(self, contact_id: str, counsellor_id: int) -> bool:
        """The counsellor in this conversation asks for a supervisor."""

    @abstractmethod
    async def help_requests(self) -> list[Contact]:
        """Conversations whose counsellor has asked for a supervisor and not yet been
        answered, longest asking first."""

    @abstractmethod
    async def join_supervisor(self, contact_id: str, supervisor_id: int) -> bool:
        """A supervisor answers a help request: only one, only while it is open."""

    @abstractmethod
    async def leave_supervisor(self, contact_id: str, supervisor_id: int) -> bool: ...

    @abstractmethod
    async def open_wrapup(self, contact_id: str, counsellor_id: int) -> None:
        """Let this counsellor file one wrap-up for this conversation (holds nothing else)."""

    @abstractmethod
    async def take_wrapup(self, contact_id: str, counsellor_id: int) -> bool:
        """Use the wrap-up ticket: True once, for the counsellor it was opened for."""

    @abstractmethod
    async def end(self, contact_id: str) -> Contact | None:
        """Delete the contact and everything about it; returns its last state, or None
        if another process ended it first."""

    @abstractmethod
    async def set_visitor_gone(self, contact_id: str, at: float) -> None:
        """Record when the visitor's socket went away (0: connected again)."""

    @abstractmethod
    async def visitors_gone_before(self, before: float) -> list[str]: ...


class MessageStore(ABC):
    """What is said in a conversation, and how far each side has read it."""

    @abstractmethod
    async def append_message(
        self, contact_id: str, sender: Sender, body: Body, client_id: str, now: float, *, author: int = 0
    ) -> Appended | None:
        """Append to an active conversation (``duplicate`` False); a repeated
        ``client_id``: the seq it got the first time, ``duplicate`` True, and nothing
        appended. None when there is no active conversation, or when ``author`` is given
        and is not the conversation's counsellor (sender "counsellor") or its joined
        supervisor (sender "supervisor"). ``body`` may be a function of the message's
        seq, called once the seq is settled: that is how a message is sealed with its
        own number."""

    @abstractmethod
    async def messages_after(self, contact_id: str, seq: int) -> list[Message]: ...

    @abstractmethod
    async def ack(self, contact_id: str, role: Sender, seq: int, *, author: int = 0) -> bool:
        """Cumulative: everything up to ``seq`` reached ``role``. Never moves backwards.
        With ``author``, only in an active conversation of that counsellor. False when
        nothing was acknowledged for that reason or because the contact is gone."""


class CounsellorStore(ABC):
    """Counsellors on duty: profile, duty state, presence, and the repair of what
    expiry leaves on their records."""

    @abstractmethod
    async def upsert_counsellor(self, counsellor: Counsellor) -> Counsellor:
        """Create, or refresh the profile fields (name, languages, skills, capacity) and
        keep the live ones (state, active, offers). Returns the stored record."""

    @abstractmethod
    async def get_counsellor(self, counsellor_id: int) -> Counsellor | None: ...

    @abstractmethod
    async def counsellors(self) -> list[Counsellor]: ...

    @abstractmethod
    async def set_counsellor_state(
        self, counsellor_id: int, state: CounsellorState, now: float
    ) -> Counsellor | None: ...

    @abstractmethod
    async def set_counsellor_gone(self, counsellor_id: int, at: float) -> None: ...

    @abstractmethod
    async def set_rest(self, counsellor_id: int, until: float) -> None:
        """No new offer to this counsellor before ``until`` (0: none); kept until changed."""

    @abstractmethod
    async def counsellors_gone_before(self, before: float) -> list[int]: ...

    @abstractmethod
    async def remove_counsellor(self, counsellor_id: int) -> None:
        """Forget a counsellor who is off duty with no conversation left."""

    @abstractmethod
    async def sweep(self) -> int:
        """Repair what expiry can leave behind (a counsellor still holding a contact whose
        keys expired). Returns how many things were repaired."""


class LimitStore(ABC):
    """Who may start a contact: blocked sources and the count of starts per source."""

    @abstractmethod
    async def block_source(self, source: str, seconds: int, by: str = "") -> None:
        """Turn this source (a keyed hash, never an address) away for ``seconds``;
        ``by`` is the blocking counsellor's display name, for the supervisors' list."""

    @abstractmethod
    async def is_blocked(self, source: str) -> bool: ...

    @abstractmethod
    async def blocks(self) -> list[tuple[str, float, str]]:
        """The blocks in force: (source hash, until, by), soonest to end first."""

    @abstractmethod
    async def lift_block(self, source: str) -> bool:
        """End a block early (a supervisor's decision); False if none was in force."""

    @abstractmethod
    async def take_start(self, source: str, limit: int, window: int) -> bool:
        """Count one start of a contact from this source (a keyed hash); False once more
        than ``limit`` were counted in the current ``window`` seconds. The count lives
        no longer than the window, in every process's view at once."""


class AggregateStore(ABC):
    """Figures without a contact in them: the mean handling time for wait estimates,
    and the dashboard chart's counts per minute."""

    @abstractmethod
    async def record_handle_time(self, seconds: float) -> None: ...

    @abstractmethod
    async def mean_handle_time(self, default: float) -> float: ...

    @abstractmethod
    async def record_sample(self, minute: int, waiting: int, available: int) -> None:
        """One point of the dashboard's chart: counts for a minute, never a contact."""

    @abstractmethod
    async def samples(self, since_minute: int) -> list[tuple[int, int, int]]:
        """(minute, waiting, available) from ``since_minute`` on, oldest first."""


class ProcessStore(ABC):
    """Which server process holds which socket, so that the others notice a process
    killed without warning."""

    @abstractmethod
    async def hold(self, process: str, kind: HeldKind, member: str, held: bool, now: float) -> None:
        """This server process now holds (or no longer holds) the socket of a visitor's
        contact (kind "v", member: contact id) or a counsellor's console ("c", member:
        counsellor id). Counts as a heartbeat of the process too."""

    @abstractmethod
    async def heartbeat(self, process: str, now: float) -> bool:
        """The process is alive at ``now``. False if the store did not know it as alive
        (new, or declared dead by another process since its last heartbeat, even if it
        has called ``hold`` since): it should then re-``hold`` its sockets and mark
        their owners present again."""

    @abstractmethod
    async def release_dead(self, before: float) -> tuple[list[str], list[int]]:
        """Forget every process whose last heartbeat is older than ``before``, and mark
        the visitors and counsellors whose socket only such a process held, and who
        still count as connected, gone since that heartbeat: the grace periods then run
        for them as for any lost socket. One caller wins each dead process. Returns the
        contact ids and counsellor ids marked gone."""


class Store(QueueStore, ConversationStore, MessageStore, CounsellorStore, LimitStore, AggregateStore, ProcessStore):
    """Live state only. Every key carries a TTL of at most ``ttl`` seconds. (Tests empty
    a store with ``routing.store.testing.flush``.)"""

    ttl: int

    async def close(self) -> None:
        return None


HANDLE_EMA_WEIGHT = 0.1  # each ended conversation moves the mean handling time by 10 %
MAX_MESSAGES = 2000  # a conversation keeps at most this many messages for replay
SAMPLE_MINUTES = 6 * 60  # the dashboard chart's memory
