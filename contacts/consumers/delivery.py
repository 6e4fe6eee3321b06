"""Delivery of numbered messages to one socket, the one implementation for all three
endpoints (docs/protocol.md, "Sequence numbers, acks, replay and sync").

A socket remembers, per conversation, the highest seq it has handed to its page and the
seqs the page wrote itself (it already shows those). A layer event carrying the next
message in order is sent as it is (the fast path: no store read); anything else, a gap,
a lost or repeated nudge, a reconnect, is caught up from the store.
"""

from __future__ import annotations

from typing import Any

from contacts.consumers.base import BaseConsumer
from contacts.events import ConvMessage
from contacts.frames import MessageFrame
from contacts.text import counsellor_html
from routing.state import Message


class Delivery(BaseConsumer):
    # The visitor's socket holds one conversation and its frames name none.
    tags_contact = True
    # Staff pages: message frames say whose line it is ("mine", "name").
    labels_authors = False
    uid = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delivered: dict[str, int] = {}
        # Per conversation, the seqs the page wrote that this socket has not passed yet.
        # Only those: a console stays open all shift, and keeping every seq its
        # counsellor ever wrote grew the process by some 0.9 KB a conversation.
        self.own: dict[str, set[int]] = {}
        self.names: dict[int, str] = {}  # staff pseudonyms by uid, for labelling lines

    async def message_frame(self, contact: str, m: Message) -> MessageFrame:
        frame: MessageFrame = {
            "type": "message",
            "seq": m.seq,
            "from": m.sender,
            "text": m.body,
            "ts": int(m.ts * 1000),
        }
        if m.sender == "counsellor":
            frame["html"] = counsellor_html(m.body)
        if self.tags_contact:
            frame["contact"] = contact
        if self.labels_authors and m.sender in ("counsellor", "supervisor"):
            # After a transfer a colleague's lines are in the history: label them by author.
            frame["mine"] = bool(m.author) and m.author == self.uid
            if m.author and m.author != self.uid:
                if m.author not in self.names:
                    self.names[m.author] = await self.service.staff_name(m.author)
                frame["name"] = self.names[m.author]
        return frame

    def track(self, cid: str, from_seq: int = 0) -> None:
        """Start delivering ``cid`` (kept where it is if already tracked)."""
        self.delivered.setdefault(cid, from_seq)

    def forget(self, cid: str) -> None:
        self.delivered.pop(cid, None)
        self.own.pop(cid, None)

    def resync(self, cid: str, last_seq: int) -> None:
        """The page says it has everything up to ``last_seq``: send again from there."""
        self.delivered[cid] = min(last_seq, self.delivered.get(cid, last_seq))

    def sent_own(self, cid: str, seq: int) -> None:
        """The page wrote ``seq`` itself: never echo it back."""
        if cid in self.delivered and seq == self.delivered[cid] + 1:
            self.handed(cid, seq)  # its own nudge then needs no work at all
        elif seq > self.delivered.get(cid, 0):
            self.own.setdefault(cid, set()).add(seq)

    def is_own(self, cid: str, seq: int) -> bool:
        return seq in self.own.get(cid, ())

    def handed(self, cid: str, seq: int) -> None:
        """The page has everything up to ``seq``; what it wrote up to there needs no
        remembering. (A resync to before it then sends an own line again: the page
        knows its seq from ``sent`` and shows it once.)"""
        self.delivered[cid] = seq
        mine = self.own.get(cid)
        if mine:
            mine.difference_update([s for s in mine if s <= seq])
            if not mine:
                del self.own[cid]

    async def deliver(self, cid: str) -> None:
        """Everything after what this socket has handed on, from the store."""
        for m in await self.service.messages_after(cid, self.delivered.get(cid, 0)):
            if not self.is_own(cid, m.seq):
                await self.out(await self.message_frame(cid, m))
            self.handed(cid, m.seq)

    async def deliver_event(self, cid: str, event: ConvMessage, *, ready: bool = True) -> None:
        """A conv.message nudge: the fast path when it carries the next message and the
        page is ``ready`` for it, else a catch-up from the store."""
        seq = event.get("seq")
        if isinstance(seq, int) and ready and cid in self.delivered and seq <= self.delivered[cid]:
            return  # shown already (or this socket's own message)
        m = self.service.carried(event)
        if m is not None and ready and cid in self.delivered and m.seq == self.delivered[cid] + 1:
            if not self.is_own(cid, m.seq):
                await self.out(await self.message_frame(cid, m))
            self.handed(cid, m.seq)
            return
        await self.deliver(cid)
