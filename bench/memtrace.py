"""The service's ASGI application, with a way to see where its memory goes (bench --memtrace).

daphne loads ``bench.memtrace:application`` in place of ``chatservice.asgi:application``.
The first SIGUSR2 (after the soak's warm-up) starts tracemalloc and counts live objects
by type; the second writes what was allocated since and is still alive (a tracemalloc
snapshot holds only what was traced) and counts again. Both go to
``BENCH_MEMTRACE_DIR``. Tracing starts late on purpose: it slows the process several
times over, and what the warm-up allocates is not the question. Nothing here is imported
by the service itself.
"""

from __future__ import annotations

import collections
import gc
import json
import logging
import os
import signal
import time
import tracemalloc
from pathlib import Path
from types import FrameType

from chatservice.asgi import application

__all__ = ["application", "dump"]

FRAMES = 6  # enough to see past asyncio and the layer into who asked
_DIR = Path(os.environ.get("BENCH_MEMTRACE_DIR", "."))
_count = 0


def dump(signum: int | None = None, frame: FrameType | None = None) -> None:
    global _count
    _count += 1
    stem = _DIR / f"dump{_count}"
    try:
        gc.collect()
        if _count == 1:
            tracemalloc.start(FRAMES)
        else:
            tracemalloc.take_snapshot().dump(str(stem.with_suffix(".tracemalloc")))
        # By type: what tracemalloc cannot place still shows as a count.
        counts = collections.Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects())
        stem.with_suffix(".types.json").write_text(json.dumps({"at": time.time(), "types": dict(counts)}))
    except Exception:
        # Raised from a signal handler it would land in whatever the loop was running.
        logging.getLogger(__name__).exception("memtrace dump %d failed", _count)
    stem.with_suffix(".done").touch()


signal.signal(signal.SIGUSR2, dump)
