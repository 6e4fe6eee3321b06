"""Container health check: GET /health/live on the local daphne (the image's HEALTHCHECK).

Exit 0 if it answers 200, 1 otherwise. Standard library only (the slim image has no
curl), and no Django import, so a check costs a few milliseconds. The service answers
its probes whatever Host header they carry (chatservice/health.py), so none is needed.
"""

from __future__ import annotations

import http.client
import sys

PORT = 8000  # as in the image's CMD
PATH = "/health/live"


def main() -> int:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=4)
    try:
        conn.request("GET", PATH)
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
