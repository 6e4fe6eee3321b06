"""The centres as the service sees them while it runs: a snapshot of centres/models.py,
re-read at most every 30 s (like opening hours), so that no visitor connect or call
waits for the database.

Live state names a centre by its *live slug*: "" for the default centre (so live state
from before there were centres stays valid), the slug for any other.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from channels.db import database_sync_to_async

from centres.look import DEFAULT_COLOUR, Look, look
from routing.overflow import Rule
from routing.state import READY_WHEN_SAID, Channel

CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class CentreInfo:
    live: str  # "" for the default centre
    slug: str  # the page address, /<slug>/
    name: str
    languages: tuple[str, ...]
    tell_on_transfer: bool
    block_seconds: int
    lines: dict[Channel, int]  # the line a contact of this channel enters by, by id
    rules: dict[Channel, tuple[Rule, ...]]  # that line's overflow rules, in order
    closing: dict[Channel, int] = field(default_factory=dict)  # minutes: no new contacts before closing
    # After a conversation: 0 none, READY_WHEN_SAID until the counsellor says ready, or seconds.
    breather: float = 0.0
    # A call and a chat never together for a counsellor (centres.Centre.channels_apart).
    channels_apart: bool = True
    # The page's look: its colours made readable (centres/look.py) and the logo's URL
    # under /static/ ("" for none), worked out here once rather than on every page view.
    look: Look = field(default_factory=lambda: look(DEFAULT_COLOUR))
    logo: str = ""


@dataclass(frozen=True)
class Directory:
    centres: dict[str, CentreInfo] = field(default_factory=dict)  # by live slug
    numbers: dict[str, tuple[str, int]] = field(default_factory=dict)  # dialled number -> (live slug, line)

    def get(self, live: str) -> CentreInfo | None:
        return self.centres.get(live)

    def by_page(self, slug: str) -> CentreInfo | None:
        """The centre whose page is /<slug>/."""
        return next((c for c in self.centres.values() if c.slug == slug), None)

    def line(self, live: str, channel: Channel) -> int | None:
        centre = self.centres.get(live)
        return centre.lines.get(channel) if centre is not None else None

    def closing(self, live: str, channel: Channel) -> int:
        centre = self.centres.get(live)
        if centre is None:
            return 0
        return centre.closing.get(channel, centre.closing.get("chat", 0))

    def rules_by_centre(self, channel: Channel) -> dict[str, tuple[Rule, ...]]:
        return {live: c.rules.get(channel, ()) for live, c in self.centres.items()}

    def mixed(self) -> frozenset[str]:
        """The centres (live slugs) that let a counsellor have a call and chats at once;
        any other, one unknown here included, keeps them apart."""
        return frozenset(live for live, c in self.centres.items() if not c.channels_apart)

    def name(self, live: str) -> str:
        centre = self.centres.get(live)
        return centre.name if centre is not None else ""


# A logo is a file of our own static: a relative path of plain names, no "..", no scheme
# (staticfiles would pass "https://…" through as it is), an image type.
LOGO_PATH = re.compile(r"^(?:[A-Za-z0-9_-]+/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*\.(?:svg|png|webp)$")


def logo_url(path: str) -> str:
    """The logo's URL under /static/, or "" if the path is not one of our files."""
    from django.contrib.staticfiles.storage import staticfiles_storage

    if not LOGO_PATH.match(path or "") or ".." in path:
        return ""
    try:
        return str(staticfiles_storage.url(path))
    except ValueError:  # not in the manifest (production): no logo rather than an error page
        return ""


def load_directory() -> Directory:
    from centres.models import Centre, OverflowRule

    centres = list(Centre.objects.prefetch_related("lines"))
    live = {c.pk: ("" if c.default else c.slug) for c in centres}
    rules: dict[int, list[Rule]] = {}
    for row in OverflowRule.objects.select_related("centre").order_by("line", "order", "id"):
        rule = row.rule()
        if rule.action == "centre" and row.centre_id in live:
            # Rules name centres by their page slug; live state by the live one.
            rule = Rule(**{**rule.__dict__, "centre": live[row.centre_id]})
        rules.setdefault(row.line_id, []).append(rule)
    infos: dict[str, CentreInfo] = {}
    numbers: dict[str, tuple[str, int]] = {}
    for centre in centres:
        lines: dict[Channel, int] = {}
        centre_rules: dict[Channel, tuple[Rule, ...]] = {}
        closing: dict[Channel, int] = {}
        for line in sorted(centre.lines.all(), key=lambda line: line.pk):
            channel: Channel = "chat" if line.kind == "web" else "phone"
            if line.kind == "phone" and line.number:
                numbers[line.number] = (live[centre.pk], line.pk)
            if channel not in lines:  # the first phone line stands for the centre's calls
                lines[channel] = line.pk
                centre_rules[channel] = tuple(rules.get(line.pk, ()))
                closing[channel] = line.closing_minutes
        infos[live[centre.pk]] = CentreInfo(
            live=live[centre.pk],
            slug=centre.slug,
            name=centre.name,
            languages=tuple(centre.languages or ()),
            tell_on_transfer=centre.tell_on_transfer,
            block_seconds=centre.block_minutes * 60,
            lines=lines,
            rules=centre_rules,
            closing=closing,
            breather=(
                READY_WHEN_SAID
                if centre.breather == "ready"
                else 60.0 * centre.breather_minutes
                if centre.breather == "minutes"
                else 0.0
            ),
            channels_apart=centre.channels_apart,
            look=look(centre.colour),
            logo=logo_url(centre.logo),
        )
    return Directory(infos, numbers)


_cache: tuple[float, Directory] | None = None


def invalidate() -> None:
    global _cache
    _cache = None


def cached() -> Directory | None:
    return _cache[1] if _cache is not None else None


async def current_directory() -> Directory:
    global _cache
    now = time.monotonic()
    if _cache is None or now - _cache[0] > CACHE_SECONDS:
        _cache = (now, await database_sync_to_async(load_directory)())
    return _cache[1]
