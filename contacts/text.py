"""How a counsellor's message is shown: as text, with web addresses made into links.

The text is escaped first and only then linkified, so the one piece of markup that can
ever reach a page is an ``<a>`` that bleach built. Done on the server, so the rule holds
for every client. Visitors' messages get no markup at all.
"""

from __future__ import annotations

import html

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


def counsellor_html(text: str) -> str:
    return str(_linker.linkify(html.escape(text, quote=False)))
