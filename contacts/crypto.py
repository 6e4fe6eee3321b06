"""Messages held for replay are encrypted, so a dump or backup of Redis reveals no text.

Each conversation gets its own random AES-256-GCM key. The key is stored in the live
state only *wrapped* (encrypted) with the server key ``STATE_KEY``, which is never in
Redis; ending the conversation deletes the wrapped key with everything else, and with it
any way to read a message that might linger. (A Redis snapshot taken *during* a
conversation holds both, readable with STATE_KEY: production Redis keeps nothing on disk,
see docs/privacy.md.) Each message is sealed with the
conversation id and its sequence number as associated data, so a ciphertext cannot be
moved to another conversation or another place in this one. (Not Fernet: its tokens
carry their creation time in plain text.)
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

NONCE = 12


class Unreadable(Exception):
    """A ciphertext that does not open with this key and place."""


def _server_key() -> bytes:
    return _derive(settings.STATE_KEY)


def _readable_keys() -> list[bytes]:
    """The key that wraps new conversation keys, then STATE_KEY_PREVIOUS if set: during a
    key rotation, conversations wrapped before it stay readable (docs/deployment.md)."""
    keys = [_server_key()]
    if settings.STATE_KEY_PREVIOUS:
        keys.append(_derive(settings.STATE_KEY_PREVIOUS))
    return keys


def _derive(raw: str) -> bytes:
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        key = b""
    # Production requires 32 random bytes as hex (chatservice/checks.py); anything else is
    # stretched so that a development key still works.
    return key if len(key) == 32 else hashlib.sha256(raw.encode()).digest()


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> str:
    nonce = os.urandom(NONCE)
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, plaintext, aad)).decode()


def _open(key: bytes, sealed: str, aad: bytes) -> bytes:
    try:
        blob = base64.b64decode(sealed, validate=True)
        return AESGCM(key).decrypt(blob[:NONCE], blob[NONCE:], aad)
    except (InvalidTag, ValueError) as exc:
        raise Unreadable from exc


def new_conversation_key(contact_id: str) -> str:
    """A fresh key for one conversation, returned wrapped with the server key."""
    return _seal(_server_key(), AESGCM.generate_key(bit_length=256), b"key:" + contact_id.encode())


def unwrap(contact_id: str, wrapped: str) -> bytes:
    for key in _readable_keys():
        try:
            return _open(key, wrapped, b"key:" + contact_id.encode())
        except Unreadable:
            continue
    raise Unreadable


def seal(key: bytes, contact_id: str, seq: int, text: str) -> str:
    return _seal(key, text.encode(), f"{contact_id}:{seq}".encode())


def open_message(key: bytes, contact_id: str, seq: int, sealed: str) -> str:
    return _open(key, sealed, f"{contact_id}:{seq}".encode()).decode()


def _note_key() -> bytes:
    # Staff notes (whispers and messages between staff) are never stored; they are sealed
    # only because the channel layer is Redis in production and carries no readable text.
    # A key of their own, derived from STATE_KEY, so a note cannot pass for anything else.
    return hashlib.sha256(b"staff-note:" + _server_key()).digest()


def seal_note(note_id: str, text: str) -> str:
    return _seal(_note_key(), text.encode(), b"note:" + note_id.encode())


def open_note(note_id: str, sealed: str) -> str:
    return _open(_note_key(), sealed, b"note:" + note_id.encode()).decode()
