"""Parsing and checking WebSocket frames (docs/protocol.md).

Every frame from a client is a JSON object with a ``type``. Anything else gets an
``error`` frame with a stable ``code`` and changes nothing.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings

from contacts.frames import ErrorFrame

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# A resumption token as the server makes them (secrets.token_urlsafe): nothing else can
# be one, so nothing else (a lone surrogate, a phone call's "call:" key) is looked up.
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CONTACT_ID = re.compile(r"^[0-9a-f]{16}$")
MAX_SEQ = 2**53 - 1  # JavaScript's largest safe integer


class FrameError(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail

    def frame(self) -> ErrorFrame:
        out: ErrorFrame = {"type": "error", "code": self.code}
        if self.detail:
            out["detail"] = self.detail
        return out


def parse(text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
    if text_data is None:
        raise FrameError("text_only", "frames must be JSON text")
    if len(text_data.encode("utf-8", "surrogatepass")) > int(settings.CHAT["MAX_FRAME_BYTES"]):
        raise FrameError("too_large")
    try:
        frame = json.loads(text_data)
    except (ValueError, RecursionError):
        raise FrameError("bad_json") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise FrameError("bad_frame", "expected an object with a type")
    return frame


def text(frame: dict[str, Any], key: str = "text") -> str:
    value = frame.get(key)
    if not isinstance(value, str):
        raise FrameError("bad_field", key)
    # Lone surrogates cannot be stored or shown; control characters have no place in chat.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise FrameError("bad_field", key) from None
    value = "".join(ch for ch in value if ch in "\n\t" or ord(ch) >= 32).strip()
    if not value:
        raise FrameError("empty", key)
    if len(value) > int(settings.CHAT["MAX_MESSAGE_CHARS"]):
        raise FrameError("too_long", key)
    return value


def message_text(frame: dict[str, Any], message_id: str) -> str:
    """The text of a ``send``; a refusal names the message, so the page can mark it."""
    try:
        return text(frame)
    except FrameError as err:
        raise FrameError(err.code, message_id) from None


def seq(frame: dict[str, Any], key: str = "seq") -> int:
    value = frame.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEQ:
        raise FrameError("bad_field", key)
    return value


def token(frame: dict[str, Any]) -> str | None:
    """The resumption token, or None for anything that cannot be one (answered as an
    unknown token: ``expired``)."""
    value = frame.get("token")
    return value if isinstance(value, str) and TOKEN.match(value) else None


def client_id(frame: dict[str, Any]) -> str:
    value = frame.get("id")
    if not isinstance(value, str) or not CLIENT_ID.match(value):
        raise FrameError("bad_field", "id")
    return value


def contact_id(frame: dict[str, Any]) -> str:
    value = frame.get("contact")
    if not isinstance(value, str) or not CONTACT_ID.match(value):
        raise FrameError("bad_field", "contact")
    return value


def choice(frame: dict[str, Any], key: str, allowed: frozenset[str] | set[str], default: str | None = None) -> str:
    value = frame.get(key, default)
    if not isinstance(value, str) or value not in allowed:
        raise FrameError("bad_field", key)
    return value


def flag(frame: dict[str, Any], key: str) -> bool:
    value = frame.get(key, False)
    if not isinstance(value, bool):
        raise FrameError("bad_field", key)
    return value
