"""What import-linter cannot see: the adapters reaching live state through an attribute.

The contracts in pyproject.toml (`make lint`) keep the consumers from importing the store
or the ORM; this keeps them from going round the service by attribute, as
``self.service.store.ack(...)`` would, which no import reveals."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADAPTERS = [*sorted((ROOT / "contacts" / "consumers").glob("*.py")), ROOT / "contacts" / "phone.py"]


def reaches_past_the_service(source: str) -> list[str]:
    """Each ``<x>.store`` or ``<service>._private`` access, as ``line: code``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute):
            continue
        owner = ast.unparse(node.value)
        if node.attr == "store" or (owner.endswith("service") and node.attr.startswith("_")):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_check_finds_a_consumer_writing_the_store_itself() -> None:
    bad = "async def f(self):\n    await self.service.store.ack(1, 2)\n    self.service._lock\n"
    assert sorted(reaches_past_the_service(bad)) == ["2: self.service.store", "3: self.service._lock"]


def test_no_adapter_reaches_past_the_service() -> None:
    assert len(ADAPTERS) >= 6  # the package really was scanned
    offending = {
        path.relative_to(ROOT).as_posix(): found
        for path in ADAPTERS
        if (found := reaches_past_the_service(path.read_text()))
    }
    assert offending == {}
