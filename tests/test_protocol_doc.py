"""docs/protocol.md names every frame the consumers accept or send, and every error code.

Read from the code, not from a list kept here: a frame added to a consumer's
``handlers`` or sent with a ``{"type": ...}`` literal fails this test until it is
documented in its endpoint's section.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from pathlib import Path

import pytest

from contacts import protocol
from contacts.consumers import (
    CounsellorConsumer,
    SupervisorConsumer,
    VisitorConsumer,
    base,
    console,
    supervisor,
    visitor,
)
from contacts.consumers.delivery import Delivery

DOC = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text()
ENDPOINTS = {"Visitor": VisitorConsumer, "Console": CounsellorConsumer, "Supervisor": SupervisorConsumer}


def section(text: str, heading: str, level: str) -> str:
    """The text under the first ``level`` heading starting with ``heading``, up to the
    next heading of the same or a higher level."""
    match = re.search(rf"^{level} {re.escape(heading)}.*?$(.*?)(?=^#{{1,{len(level)}}} |\Z)", text, re.M | re.S)
    assert match, f"docs/protocol.md has no section {level} {heading}"
    return match.group(1)


def named(text: str) -> set[str]:
    """Frame types a section documents: in a #### heading, or first in a table row."""
    names: set[str] = set()
    for line in text.splitlines():
        if line.startswith("#### "):
            names.update(re.findall(r"`([a-z_]+)`", line))
        elif cell := re.match(r"\|\s*`([a-z_]+)`\s*\|", line):
            names.add(cell.group(1))
    return names


def literal_types(cls: type) -> set[str]:
    """Every ``"type": "<name>"`` in dict literals of the class's own source. Dotted
    names are channel-layer events between processes, not frames."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "type"
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                    and "." not in value.value
                ):
                    found.add(value.value)
    return found


def sent_by(cls: type) -> set[str]:
    project = {c for c in cls.__mro__ if c.__module__.split(".")[0] in {"contacts", "frontend"}}
    return set().union(*(literal_types(c) for c in project)) - {"error"}  # errors: below


@pytest.mark.parametrize("who", ENDPOINTS)
def test_every_frame_an_endpoint_accepts_is_documented(who: str) -> None:
    endpoint = section(DOC, f"{who} endpoint", "##")
    documented = named(section(endpoint, f"{who} -> server", "###"))
    missing = set(ENDPOINTS[who].handlers) - documented
    assert not missing, f"{who} -> server frames missing from docs/protocol.md: {sorted(missing)}"


@pytest.mark.parametrize("who", ENDPOINTS)
def test_every_frame_an_endpoint_sends_is_documented(who: str) -> None:
    endpoint = section(DOC, f"{who} endpoint", "##")
    # A reply may share a heading with its request ("#### `clear_abandoned` and `cleared`").
    headings = named("\n".join(line for line in endpoint.splitlines() if line.startswith("#### ")))
    documented = named(section(endpoint, f"Server -> {who.lower()}", "###")) | headings
    sent = sent_by(ENDPOINTS[who])
    assert {"message", "queue"} & sent  # the scan really reads the consumers
    missing = sent - documented
    assert not missing, f"server -> {who.lower()} frames missing from docs/protocol.md: {sorted(missing)}"


def test_every_error_code_is_documented() -> None:
    codes: set[str] = set()
    for module in (base, visitor, console, supervisor, protocol):
        tree = ast.parse(inspect.getsource(module))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "FrameError" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    codes.add(first.value)
            if isinstance(node, ast.Dict):
                pairs = {
                    k.value: v.value
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant) and isinstance(v, ast.Constant)
                }
                if pairs.get("type") == "error" and isinstance(pairs.get("code"), str):
                    codes.add(str(pairs["code"]))
    assert {"bad_json", "rate_limited"} <= codes  # the scan really reads the sources
    documented = named(section(DOC, "Errors", "##"))
    missing = codes - documented
    assert not missing, f"error codes missing from docs/protocol.md: {sorted(missing)}"


def test_base_frames_are_sent_by_every_endpoint() -> None:
    # message comes from Delivery, a base class: the scan must follow the class hierarchy.
    assert "message" in literal_types(Delivery)
    assert all("message" in sent_by(cls) for cls in ENDPOINTS.values())
