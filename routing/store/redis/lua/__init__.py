"""The Redis store's Lua scripts: one file per operation that reads and then writes.

Each runs as one script so that it is atomic across processes. The files are read here,
once, at import, with ``prelude.lua`` put in front of each; every client registers them
once (``RedisConnection._client``). They are files rather than Python strings so that a
reader sees Lua as Lua, and an editor and ``redis-cli --eval`` can work on them.
"""

from __future__ import annotations

from importlib.resources import files

PRELUDE = "prelude"

# Named here rather than found by listing the folder: a missing file then fails the
# import (the process does not start) instead of the first request that needs it.
NAMES = (
    "add",
    "offer",
    "withdraw",
    "accept",
    "requeue",
    "hand_over",
    "rest",
    "transfer",
    "block",
    "start",
    "sample",
    "prune",
    "request_help",
    "join_supervisor",
    "leave_supervisor",
    "end",
    "visitor_gone",
    "append",
    "ack",
    "upsert",
    "state",
    "counsellor_gone",
    "hold",
    "heartbeat",
    "release_dead",
    "handle",
    "tell_once",
)


def read(name: str) -> str:
    return files(__name__).joinpath(f"{name}.lua").read_text(encoding="utf-8")


def _scripts() -> dict[str, str]:
    prelude = read(PRELUDE)
    return {name: prelude + read(name) for name in NAMES}


SCRIPTS: dict[str, str] = _scripts()  # name -> the whole script, prelude included
