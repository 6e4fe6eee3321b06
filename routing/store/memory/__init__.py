"""In-process backend for the embedded default: one server process, no Redis.

Every method runs to completion without awaiting anything, so on one event loop each
is atomic just as a Lua script is in Redis; a lock guards against sync callers in
worker threads. Expiry is checked lazily, as Redis would do it.

One module per concern of ``routing.store.base``, each a mixin over the one shared
state (``state.py``); ``MemoryStore`` combines them.
"""

from __future__ import annotations

from routing.store.base import Store
from routing.store.memory.aggregates import MemoryAggregates
from routing.store.memory.conversations import MemoryConversations
from routing.store.memory.counsellors import MemoryCounsellors
from routing.store.memory.limits import MemoryLimits
from routing.store.memory.messages import MemoryMessages
from routing.store.memory.processes import MemoryProcesses
from routing.store.memory.queue import MemoryQueue

__all__ = ["MemoryStore"]


class MemoryStore(
    MemoryQueue,
    MemoryConversations,
    MemoryMessages,
    MemoryCounsellors,
    MemoryLimits,
    MemoryAggregates,
    MemoryProcesses,
    Store,
):
    """Every concern on one shared state (``MemoryState``); what ``get_store()`` returns
    when REDIS_URL is empty."""
