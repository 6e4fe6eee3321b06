"""How a counsellor's message is shown: as text, with web addresses made into links.

The text is escaped first and only then linkified, so the one piece of markup that can
ever reach a page is an ``<a>`` that bleach built. Done on the server, so the rule holds
for every client. Visitors' messages get no markup at all.
"""

from __future__ import annotations

import html
import re

from bleach.linkifier import Linker

REL = "noopener noreferrer"


def _link_attrs(
    attrs: dict[tuple[str | None, str], str], new: bool = False
) -> dict[tuple[str | None, str], str] | None:
    href = attrs.get((None, "href"), "")
    if not href.startswith(("https://", "http://")):
        return None  # no javascript:, data: or other schemes: leave the text as text
    attrs[(None, "rel")] = REL
    # A new tab, so that following a link never unloads the chat (it lives in page memory).
    attrs[(None, "target")] = "_blank"
    return attrs


_linker = Linker(callbacks=[_link_attrs], parse_email=False)


# A run of digits with the spaces, dashes, dots, colons or slashes inside it: a phone
# number, a time, a date. In a right-to-left page the Unicode bidi algorithm lays out
# "020-50 50 50" as "50 50 020-50" unless the run is isolated as left-to-right.
# (\d is any Unicode digit, so Arabic-Indic and Persian digits are runs too.)
NUMBER_RUN = re.compile(r"\+?\d(?:[ \u00a0\-\u2013./:]*\d)+")
_TAG = re.compile(r"(<[^>]*>)")
_ENTITY = re.compile(r"(&#?\w+;)")


def _isolate(escaped: str) -> str:
    """Wrap the number runs of already escaped text, leaving entities (&amp;) alone."""
    return "".join(
        part if _ENTITY.fullmatch(part) else NUMBER_RUN.sub(lambda m: f'<bdi dir="ltr">{m.group(0)}</bdi>', part)
        for part in _ENTITY.split(escaped)
    )


def number_html(text: str) -> str:
    """Plain text as HTML with its number runs isolated left-to-right."""
    return _isolate(html.escape(text, quote=False))


def counsellor_html(text: str) -> str:
    linked = str(_linker.linkify(html.escape(text, quote=False)))
    # Only the text between the tags bleach made, and never inside a link: an address is
    # left-to-right anyway, and its text must stay exactly what it links to.
    out: list[str] = []
    in_link = False
    for part in _TAG.split(linked):
        if _TAG.fullmatch(part):
            in_link = part.startswith("<a ") or (in_link and part != "</a>")
            out.append(part)
        else:
            out.append(part if in_link else _isolate(part))
    return "".join(out)
