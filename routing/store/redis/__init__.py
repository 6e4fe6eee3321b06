"""Redis backend of the live-state store (production, any number of server processes).

Key layout (every key starts with ``{prefix}:`` and carries a TTL of ``ttl`` seconds,
refreshed on every write, so nothing can outlive an abandoned conversation):

- ``c:{id}`` hash: one contact (the fields of ``routing.state.Contact`` plus ``tok``,
  the keyed hash of its resumption token, so ``end`` can delete the token key)
- ``q`` sorted set: waiting contacts, scored by ``policy.queue_score``
- ``tok:{hash}`` string: token hash -> contact id
- ``m:{id}`` list: the conversation's messages as JSON; ``ids:{id}`` hash: client
  message id -> seq, for idempotent resends
- ``offers`` / ``vgone`` sorted sets: pending offers by expiry, absent visitors by time;
  ``help`` sorted set: conversations whose counsellor asked for a supervisor, by time
  (``end`` removes its id; one answered or requeued is dropped when the set is read)
- ``p:{uid}`` hash: one counsellor (``active`` is a comma-separated list of contact ids);
  ``ps`` set: counsellor ids; ``cgone`` sorted set: absent consoles by time
- ``procs`` sorted set: server processes by last heartbeat; ``dead`` set: processes
  declared dead that have not beaten since; ``held:v:{proc}`` /
  ``held:c:{proc}`` sets: the contact ids / counsellor ids whose socket that process
  holds (so that the others can mark them gone if it is killed without warning)
- ``w:{id}:{uid}``: a one-use wrap-up ticket; ``agg`` hash: mean handling time;
  ``samples`` hash: minute -> "waiting,available" for the dashboard's chart;
  ``blocked:{hash}``: a blocked source (a keyed hash of an address) -> the blocking
  counsellor's display name, for BLOCK_SECONDS; ``blocks`` zset: hash -> until;
  ``starts:{hash}``: contacts started from a source in the current START_WINDOW_SECONDS

Every operation that reads and then writes runs as one Lua script, so it is atomic
across processes: that is what makes double assignment impossible. Scripts build key
names from the prefix, which standalone Redis and Sentinel allow and Redis Cluster
does not (channels-redis does not support Cluster either).

One module per concern of ``routing.store.base``, each a mixin over the shared client
(``connection.py``); ``RedisStore`` combines them.
"""

from __future__ import annotations

from routing.store.base import Store
from routing.store.redis.aggregates import RedisAggregates
from routing.store.redis.conversations import RedisConversations
from routing.store.redis.counsellors import RedisCounsellors
from routing.store.redis.limits import RedisLimits
from routing.store.redis.messages import RedisMessages
from routing.store.redis.processes import RedisProcesses
from routing.store.redis.queue import RedisQueue

__all__ = ["RedisStore"]


class RedisStore(
    RedisQueue,
    RedisConversations,
    RedisMessages,
    RedisCounsellors,
    RedisLimits,
    RedisAggregates,
    RedisProcesses,
    Store,
):
    """Every concern on one client per event loop (``RedisConnection``); what
    ``get_store()`` returns when REDIS_URL is set."""
