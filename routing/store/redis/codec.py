"""How a contact and a counsellor are written to a Redis hash and read back.

Every value is a string in Redis; floats are written with ``repr`` so that a time read
back compares equal to the one written.
"""

from __future__ import annotations

from routing.state import Contact, Counsellor

_FLOATS = ("enqueued_at", "routed_at", "offer_expires", "answered_at", "visitor_gone_at")
_INTS = ("offered_to", "counsellor", "supervisor", "seq", "visitor_ack", "counsellor_ack", "not_for")


def encode_contact(c: Contact) -> dict[str, str]:
    return {
        "id": c.id,
        "channel": c.channel,
        "language": c.language,
        "centre": c.centre,
        "kind": c.kind,
        "danger": "1" if c.danger else "0",
        "plain": "1" if c.plain else "0",
        "skill": c.skill,
        "state": c.state,
        "requeued": "1" if c.requeued else "0",
        "help": "1" if c.help else "0",
        "key": c.key,
        "source": c.source,
        **{name: repr(float(getattr(c, name))) for name in _FLOATS},
        **{name: str(int(getattr(c, name))) for name in _INTS},
    }


def decode_contact(raw: dict[str, str]) -> Contact:
    return Contact(
        id=raw["id"],
        channel=raw["channel"],  # type: ignore[arg-type]
        language=raw["language"],
        centre=raw.get("centre", ""),
        kind=raw.get("kind", ""),
        danger=raw.get("danger") == "1",
        plain=raw.get("plain") == "1",
        skill=raw.get("skill", ""),
        state=raw["state"],  # type: ignore[arg-type]
        requeued=raw.get("requeued") == "1",
        help=raw.get("help") == "1",
        key=raw.get("key", ""),
        source=raw.get("source", ""),
        **{name: float(raw.get(name, "0")) for name in _FLOATS},  # type: ignore[arg-type]
        **{name: int(raw.get(name, "0")) for name in _INTS},
    )


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v for v in (value or "").split(",") if v)


ALIAS_SEPARATOR = "\x1f"


def encode_nested(values: tuple[tuple[str, ...], ...]) -> str:
    # Codes (languages, skills) hold neither separator.
    return ALIAS_SEPARATOR.join(",".join(inner) for inner in values) if values else ""


def decode_nested(raw: str | None) -> tuple[tuple[str, ...], ...]:
    return tuple(_split(inner) for inner in raw.split(ALIAS_SEPARATOR)) if raw else ()


def decode_counsellor(raw: dict[str, str]) -> Counsellor:
    return Counsellor(
        id=int(raw["id"]),
        name=raw.get("name", ""),
        languages=_split(raw.get("languages")),
        skills=_split(raw.get("skills")),
        capacity=int(raw.get("capacity", "1")),
        phone=raw.get("phone") == "1",
        centres=tuple(raw.get("centres", "").split(",")) if "centres" in raw else (),
        aliases=tuple(raw["aliases"].split(ALIAS_SEPARATOR)) if raw.get("aliases") else (),
        languages_at=decode_nested(raw.get("languages_at")),
        skills_at=decode_nested(raw.get("skills_at")),
        capacity_at=tuple(int(n) for n in raw["capacity_at"].split(",")) if raw.get("capacity_at") else (),
        state=raw.get("state", "off"),  # type: ignore[arg-type]
        active=_split(raw.get("active")),
        offers=int(raw.get("offers", "0")),
        free_since=float(raw.get("free_since", "0")),
        gone_at=float(raw.get("gone_at", "0")),
        rest_until=float(raw.get("rest_until", "0")),
    )


def pairs(flat: list[str]) -> dict[str, str]:
    return dict(zip(flat[::2], flat[1::2], strict=True))
