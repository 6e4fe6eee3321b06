"""The Redis store's Lua scripts are files: each one is found, compiles in a real Redis,
and goes wherever the code goes."""

from __future__ import annotations

import hashlib
import os
import tomllib
import uuid
from importlib.resources import files
from pathlib import Path

from routing.store.redis import RedisStore
from routing.store.redis.lua import NAMES, PRELUDE, SCRIPTS, read

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_the_folder_holds_every_named_script_and_no_other() -> None:
    listed = {entry.name for entry in files("routing.store.redis.lua").iterdir() if entry.name.endswith(".lua")}
    # A file no name points to would be dead code that still looks like it runs.
    assert listed == {f"{name}.lua" for name in (*NAMES, PRELUDE)}
    assert set(SCRIPTS) == set(NAMES)
    assert all(body.startswith(read(PRELUDE)) for body in SCRIPTS.values())


async def test_every_script_compiles_in_redis() -> None:
    store = RedisStore(REDIS_URL, prefix=f"test-{uuid.uuid4().hex[:8]}", ttl=60, max_connections=5)
    try:
        for name, body in SCRIPTS.items():
            # SCRIPT LOAD compiles without running: a syntax error fails here, not mid-request.
            sha = await store.redis.script_load(body)
            assert sha == hashlib.sha1(body.encode(), usedforsecurity=False).hexdigest(), name  # Redis's script id
    finally:
        await store.close()


def test_whatever_ships_the_code_ships_the_scripts() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    if setuptools.get("packages") == []:
        # The project installs its dependencies only; the image copies the source tree,
        # and with it every .lua file next to the Python that reads it.
        assert "COPY routing/ routing/" in (ROOT / "deploy" / "docker" / "Dockerfile").read_text()
    else:
        package_data = setuptools.get("package-data", {})
        assert "*.lua" in package_data.get("routing.store.redis.lua", []), "a built package would lack the scripts"
