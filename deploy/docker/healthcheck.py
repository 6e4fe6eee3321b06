"""Container health check: GET /health/live on the local daphne (the image's HEALTHCHECK).

Exit 0 if it answers 200, 1 otherwise. Standard library only (the slim image has no
curl), and no Django import, so a check costs a few milliseconds.

Django answers only to the host names in ALLOWED_HOSTS (any other Host header gets 400),
so the request names the first of them, read the way chatservice/env.py reads it
(ALLOWED_HOSTS_FILE wins over ALLOWED_HOSTS). It also says X-Forwarded-Proto: https, as
the TLS proxy does, so that SSL_REDIRECT cannot answer with a redirect.
"""

from __future__ import annotations

import http.client
import os
import sys

PORT = 8000  # as in the image's CMD
PATH = "/health/live"


def allowed_hosts() -> list[str]:
    file_name = os.environ.get("ALLOWED_HOSTS_FILE")
    if file_name:
        with open(file_name, encoding="utf-8") as f:
            raw = f.read().strip()
    else:
        default = "" if os.environ.get("ENVIRONMENT") == "production" else "localhost"
        raw = os.environ.get("ALLOWED_HOSTS", default)
    return [h.strip() for h in raw.split(",") if h.strip()]


def host_header() -> str:
    hosts = allowed_hosts()
    host = hosts[0] if hosts else "localhost"
    if host.startswith("."):  # ".example.se" matches any subdomain
        host = "health" + host
    return host


def main() -> int:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=4)
    try:
        conn.request("GET", PATH, headers={"Host": host_header(), "X-Forwarded-Proto": "https"})
        status = conn.getresponse().status
    except OSError as exc:
        print(f"health check failed: {exc.__class__.__name__}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    if status != 200:
        print(f"health check failed: HTTP {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
