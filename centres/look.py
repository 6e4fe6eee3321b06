"""A centre's colours on its page, made safe to read: pure functions, no Django.

A centre picks one main colour. The page uses it as a fill (buttons) and as text on the
light page (links, outlined buttons); WCAG AA asks 4.5:1 for both. So the text on a fill
is white or near-black, whichever reads (``on_accent``), and the colour used as text is
darkened until it reads on the page's background (``accent_text``). The page's CSS reads
these as custom properties (frontend/static/frontend/visitor.css).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
# The colours visitor.css puts the accent against.
WHITE = "#ffffff"
INK = "#1b1b1f"  # the page's text colour
PAGE = "#f6f5f2"  # the page's background, a little darker than white: the harder one
AA = 4.5
# The page as it looked before centres had a look; also what a bad value falls back to.
DEFAULT_COLOUR = "#1d4f91"


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance."""

    def linear(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def darken(colour: str, against: str, ratio: float = AA) -> str:
    """The colour, scaled towards black just until it reaches ``ratio`` against ``against``
    (a light colour); unchanged if it already does. Black always does, so this ends."""
    r, g, b = _rgb(colour)
    factor = 1.0
    while factor > 0:
        candidate = _hex((r * factor, g * factor, b * factor))
        if contrast(candidate, against) >= ratio:
            return candidate
        factor -= 0.02
    return "#000000"


def mix(colour: str, weight: float, base: str = WHITE) -> str:
    """``weight`` of the colour over ``base``: a light tint for the visitor's own messages."""
    c, w = _rgb(colour), _rgb(base)
    return _hex(tuple(w[i] + (c[i] - w[i]) * weight for i in range(3)))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Look:
    accent: str  # the centre's colour, as chosen: fills
    on_accent: str  # text on a fill
    accent_text: str  # the colour as text (and outlines) on the light page
    accent_hover: str  # a fill under the pointer
    tint: str  # the visitor's own messages

    def css(self) -> str:
        """One rule for a <style> element; the view allows exactly this text by its hash."""
        return (
            f":root{{--accent:{self.accent};--on-accent:{self.on_accent};--accent-text:{self.accent_text};"
            f"--accent-hover:{self.accent_hover};--tint:{self.tint}}}"
        )


def look(colour: str) -> Look:
    """The page's colours for a centre's main colour (anything but #rrggbb: the default,
    so that a value written around the admin's validation cannot reach the CSS)."""
    accent = colour.lower() if HEX.match(colour or "") else DEFAULT_COLOUR
    if contrast(accent, WHITE) >= AA:
        on_accent = WHITE
    elif contrast(accent, INK) >= AA:
        on_accent = INK  # a light colour keeps its brightness and gets dark text
    else:  # a middle tone neither reads on: darkened until white text does
        accent = darken(accent, WHITE)
        on_accent = WHITE
    # Under the pointer: darker behind white text, lighter behind dark text.
    darker, lighter = darken(accent, WHITE, contrast(accent, WHITE) * 1.25), mix(accent, 0.85)
    hover = darker if on_accent == WHITE else lighter
    return Look(
        accent=accent,
        on_accent=on_accent,
        accent_text=darken(accent, PAGE),
        accent_hover=hover,
        tint=mix(accent, 0.12),
    )
