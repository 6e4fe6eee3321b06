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
import typing
from pathlib import Path

import pytest

from contacts import events, frames, protocol
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
    """Every ``"type": "<name>"`` in dict literals of the class's own source, and every
    ``type="<name>"`` in a frame built by its TypedDict (``IntakeFrame(type="intake",
    **state)``). Dotted names are channel-layer events between processes, not frames."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if (
                    keyword.arg == "type"
                    and isinstance(keyword.value, ast.Constant)
                    and isinstance(keyword.value.value, str)
                    and "." not in keyword.value.value
                ):
                    found.add(keyword.value.value)
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


def frame_names(union: object) -> set[str]:
    """The ``type`` values of every TypedDict in a union of them."""
    names: set[str] = set()
    for member in typing.get_args(union):
        names.update(typing.get_args(typing.get_type_hints(member)["type"]))
    return names


def test_every_typed_frame_is_documented() -> None:
    documented: set[str] = set()
    for who in ENDPOINTS:
        endpoint = section(DOC, f"{who} endpoint", "##")
        headings = named("\n".join(line for line in endpoint.splitlines() if line.startswith("#### ")))
        documented |= named(section(endpoint, f"Server -> {who.lower()}", "###")) | headings
    typed = frame_names(frames.Frame) - {"error"}  # errors have their own section
    assert {"message", "dashboard", "offer"} <= typed
    missing = typed - documented
    assert not missing, f"frames in contacts/frames.py missing from docs/protocol.md: {sorted(missing)}"


def test_every_event_has_a_handler_and_every_handler_an_event() -> None:
    """A handler is found by name (conv.ended -> conv_ended): a misspelt one would never
    run, and an event no endpoint handles is dead weight on the channel layer."""
    events_typed = frame_names(events.Event)
    handled: set[str] = set()
    for cls in ENDPOINTS.values():
        for name, member in inspect.getmembers(cls, inspect.iscoroutinefunction):
            if list(inspect.signature(member).parameters) != ["self", "event"]:
                continue  # a helper that takes an event among other things
            event = typing.get_type_hints(member).get("event")
            if event is not None and typing.is_typeddict(event):
                handled.update(typing.get_args(typing.get_type_hints(event)["type"]))
                assert name == typing.get_args(typing.get_type_hints(event)["type"])[0].replace(".", "_"), name
    # staff.recheck is handled by StaffAccessMixin, typed there as the event it is.
    assert not events_typed - handled - {"staff.recheck"}, sorted(events_typed - handled)


def test_mypy_refuses_a_misspelt_frame_field(tmp_path: Path) -> None:
    from mypy import api

    sample = tmp_path / "sample.py"
    sample.write_text(
        "from contacts.frames import Frame\n"
        "def out(frame: Frame) -> None: ...\n"
        'out({"type": "ended", "by": "visitor", "undelivered": 0})\n'
        'out({"type": "ended", "by": "visitor", "undeliverd": 0})\n'
    )
    root = Path(__file__).resolve().parent.parent
    stdout, _stderr, status = api.run(
        ["--strict", "--no-incremental", "--follow-imports=silent", "--config-file=/dev/null", str(sample)]
    )
    assert status == 1, stdout
    assert "sample.py:4:" in stdout and "sample.py:3:" not in stdout, stdout
    assert root  # run from the project root (pytest's rootdir), where contacts/ is found
