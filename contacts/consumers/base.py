"""The transport every endpoint shares: flood limits, dispatch of frames to handlers,
closing, groups and debouncing. No endpoint logic."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from chatservice import metrics
from contacts import protocol
from contacts.frames import Frame
from contacts.limits import Bucket
from contacts.protocol import FrameError
from contacts.service import Service, get_service

Handler = Callable[[dict[str, Any]], Awaitable[None]]

QUEUE_REFRESH_SECONDS = 0.5  # at most two position updates a second per socket
# Close codes (docs/protocol.md). An application may only send 1000 or 3000-4999 (RFC
# 6455; autobahn refuses anything else and the handler used to crash on its own close),
# so the transport's own codes are mirrored at 4000 + code.
CLOSE_TOO_LARGE = 4009
CLOSE_INTERNAL = 4011
CLOSE_FLOOD = 4429

logger = logging.getLogger(__name__)


def where(exc: BaseException) -> str:
    """file:line where ``exc`` was raised: enough to find the bug, and no content. An
    exception's message may quote the frame (a UnicodeEncodeError quotes the character),
    so neither the message nor the traceback is ever logged."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"


class BaseConsumer(AsyncWebsocketConsumer):  # type: ignore[misc]
    handlers: dict[str, str] = {}
    endpoint = "other"  # the metrics' label for this kind of socket
    _bucket: Bucket | None = None
    _open = False
    _transport_gone = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # Whatever happens inside, the socket's per-address slot and its presence are
        # given back: a handler that died used to keep them until a restart, and thirty
        # crafted frames then shut a shared address (or, without proxy headers, every
        # visitor) out of the chat.
        try:
            await super().__call__(scope, receive, send)
        except Exception as exc:
            self.failed("socket", exc)
            await self.close_quietly(CLOSE_INTERNAL)
        finally:
            await self.release()

    _released = False

    async def release(self) -> None:
        """Give back what this socket holds, once, however the socket ended."""
        if self._released:
            return
        self._released = True
        for step in self.let_go():
            try:
                await step
            except Exception as exc:
                # Each step on its own: a failed presence update (Redis away) must not
                # keep the slot or the group membership.
                self.failed("release", exc)

    def let_go(self) -> list[Awaitable[Any]]:
        """The steps that give back what this socket holds (each subclass its own)."""
        return []

    async def disconnect(self, code: int) -> None:
        return None  # release() does the work, on this path and on every other

    def failed(self, what: str, exc: BaseException) -> None:
        """One line, no content, for something a handler did not expect."""
        metrics.frame_error("internal")
        logger.error("%s socket: %s failed with %s at %s", self.endpoint, what, type(exc).__name__, where(exc))

    async def close_quietly(self, code: int) -> None:
        with contextlib.suppress(Exception):
            await self.close(code=code)

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol, headers)
        if not self._open:
            self._open = True
            metrics.SOCKETS.labels(self.endpoint).inc()

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' own dispatch first hops to the one thread that all database calls of
        # a process share (to close stale connections), for every frame and every nudge:
        # a chat message then waited behind a counter's commit, and under load the
        # queue of those hops was the service's bottleneck. Every database call here
        # goes through database_sync_to_async, which closes stale connections on that
        # thread itself, so events need not visit it.
        kind = message.get("type")
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            # A layer event this endpoint has no use for (or one from a newer process).
            return
        try:
            await handler(message)
        except (StopConsumer, asyncio.CancelledError):
            raise
        except Exception as exc:
            # A nudge that failed is recovered by the client's next sync; the socket goes on.
            self.failed(handler.__name__, exc)
            if kind == "websocket.connect":
                await self.close_quietly(CLOSE_INTERNAL)
            elif kind == "websocket.disconnect":
                raise StopConsumer() from None

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        self._transport_gone = True
        if self._open:
            self._open = False
            metrics.SOCKETS.labels(self.endpoint).dec()
        try:
            await self.disconnect(message.get("code", 1000))
        finally:
            await self.release()
        raise StopConsumer()

    @property
    def bucket(self) -> Bucket:
        if self._bucket is None:
            self._bucket = Bucket()
        return self._bucket

    @property
    def service(self) -> Service:
        return get_service()

    async def out(self, frame: Frame) -> None:
        if frame["type"] == "error":
            metrics.frame_error(frame["code"])
        if self._transport_gone:
            return
        try:
            await self.send(text_data=json.dumps(frame, ensure_ascii=False, separators=(",", ":")))
        except Exception:
            # The socket closed while a reply was on its way (the peer's close frame is in,
            # its disconnect not yet): nobody is there to read it. The handler goes on, so
            # the disconnect that follows still marks the visitor gone and frees the slot.
            self._transport_gone = True

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.bucket.take():
            if self.bucket.refused > 50:
                await self.close_quietly(CLOSE_FLOOD)  # a flood, not a fast typist
                return
            await self.out({"type": "error", "code": "rate_limited"})
            return
        size = len(text_data.encode("utf-8", "surrogatepass")) if text_data is not None else len(bytes_data or b"")
        if size > int(settings.CHAT["MAX_FRAME_BYTES"]):
            # Nothing that large is a chat frame: say so and close this socket only.
            await self.out({"type": "error", "code": "too_large"})
            await self.close_quietly(CLOSE_TOO_LARGE)
            return
        name = "frame"
        try:
            frame = protocol.parse(text_data, bytes_data)
            name = self.handlers.get(frame["type"], "")
            if not name:
                raise FrameError("unknown_type")
            handler: Handler = getattr(self, name)
            await handler(frame)
        except FrameError as err:
            await self.out(err.frame())
        except Exception as exc:
            # Not the client's fault, or a fault we did not foresee: say so, change nothing
            # more, keep the socket (the page resends what was not confirmed).
            self.failed(name, exc)
            await self.out({"type": "error", "code": "internal"})

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)

    async def leave(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)

    async def debounced(self, attr: str, coro: Callable[[float], Awaitable[None]]) -> None:
        """Run ``coro`` soon, once, however many nudges arrive meanwhile. It is given the
        time of the latest nudge: what it reads must be at least that new, and a read
        another socket of this process started after it can be shared."""
        setattr(self, attr + "_since", time.monotonic())
        if getattr(self, attr, None) is not None:
            return

        async def later() -> None:
            await asyncio.sleep(QUEUE_REFRESH_SECONDS)
            setattr(self, attr, None)
            with contextlib.suppress(Exception):
                await coro(getattr(self, attr + "_since"))

        setattr(self, attr, asyncio.get_running_loop().create_task(later()))
