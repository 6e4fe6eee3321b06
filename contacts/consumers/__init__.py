"""WebSocket adapters for visitors and counsellors (docs/protocol.md).

Thin on purpose: parse and check a frame, call the service, shape the reply. Layer
events are nudges named ``kind.action``; a handler re-reads the store rather than trust
a payload, so a dropped or repeated event changes nothing.
"""

from contacts.consumers.base import BaseConsumer
from contacts.consumers.console import CounsellorConsumer
from contacts.consumers.supervisor import SupervisorConsumer
from contacts.consumers.visitor import VisitorConsumer

__all__ = ["BaseConsumer", "CounsellorConsumer", "SupervisorConsumer", "VisitorConsumer"]
