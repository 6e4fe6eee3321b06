"""Make the secret files that deploy/docker/compose.yaml mounts, in deploy/docker/secrets/.

    python3 deploy/docker/make-secrets.py [FOLDER]

Writes random values for everything the stack needs, consistently (the database and
Redis URLs carry the same passwords as the PostgreSQL and Redis files), and an empty
secrets/twilio_auth_token (no phone line; put the token there to enable it). Refuses to
touch a folder that already holds any of them: a new STATE_KEY makes every open
conversation unreadable, and a new PostgreSQL password no longer matches the database
initialised with the old one.

The folder is made 0700 and the files 0444: Compose bind-mounts each file as it is, and
the container users (uid 10001 for the app, 999 for PostgreSQL) must be able to read
it, while nobody else on the host can reach it through the folder. The TLS certificate
and key (tls_cert.pem, tls_key.pem) are not made here; see README.md.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

NAMES = (
    "secret_key",
    "state_key",
    "postgres_password",
    "redis_password",
    "database_url",
    "redis_url",
    "twilio_auth_token",
)


def main() -> int:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent / "secrets"
    existing = [name for name in NAMES if (folder / name).exists()]
    if existing:
        print(f"{folder} already holds {', '.join(existing)}: nothing written", file=sys.stderr)
        return 1
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    # Hex only: safe inside a URL and in redis.conf without quoting.
    postgres_password = secrets.token_hex(24)
    redis_password = secrets.token_hex(24)
    values = {
        "secret_key": secrets.token_urlsafe(50),  # 67 characters (E002: 50+, 10+ different)
        "state_key": secrets.token_hex(32),  # 64 hex characters (E003)
        "postgres_password": postgres_password,
        "redis_password": redis_password,
        "database_url": f"postgres://chatservice:{postgres_password}@postgres:5432/chatservice",
        "redis_url": f"redis://:{redis_password}@redis:6379/0",
        "twilio_auth_token": "",
    }
    for name, value in values.items():
        path = folder / name
        path.write_text(value + "\n" if value else "", encoding="utf-8")
        path.chmod(0o444)
    print(f"wrote {len(values)} files in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
