"""Draw the soak's daphne RSS from `bench/run.py --json` as a PNG, and print what it shows.

    python bench/run.py --scenarios match --soak-minutes 60 --json /tmp/soak.json
    python bench/plot_soak.py /tmp/soak.json docs/soak-60min.png

The printed figures are the ones docs/performance.md quotes: RSS at the start, after the
warm-up, at the end, and the slope after the warm-up (a leak shows as a slope that does
not flatten; warm-up is caches, the interpreter's arenas and the first conversations'
buffers filling once).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

# The warm-up is excluded from the slope: the first minutes grow while every code path and
# buffer is touched for the first time, and would read as a leak over a short run.
WARMUP_FRACTION = 0.1


def summary(soak: dict[str, Any]) -> dict[str, float]:
    points = [(float(t), float(kb) / 1024) for t, kb in soak["rss_kb"]]
    if len(points) < 3:
        raise ValueError("too few RSS samples to say anything")
    end = points[-1][0]
    after = [p for p in points if p[0] >= end * WARMUP_FRACTION]
    # Least-squares slope after the warm-up, in MB per hour.
    n = len(after)
    mean_t = sum(t for t, _ in after) / n
    mean_m = sum(m for _, m in after) / n
    var = sum((t - mean_t) ** 2 for t, _ in after)
    slope = sum((t - mean_t) * (m - mean_m) for t, m in after) / var * 3600 if var else 0.0
    return {
        "minutes": end / 60,
        "start_mb": points[0][1],
        "after_warmup_mb": after[0][1],
        "end_mb": points[-1][1],
        "max_mb": max(m for _, m in points),
        "slope_mb_per_hour": slope,
        "samples": len(points),
    }


def plot(soak: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no screen here or in CI
    import matplotlib.pyplot as plt

    s = summary(soak)
    minutes = [float(t) / 60 for t, _ in soak["rss_kb"]]
    mb = [float(kb) / 1024 for _, kb in soak["rss_kb"]]
    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    ax.plot(minutes, mb, linewidth=1.2, color="#1f5f8b", label="daphne RSS")
    ax.axvline(s["minutes"] * WARMUP_FRACTION, color="#999999", linestyle=":", label="end of warm-up")
    ax.set_xlabel("minutes into the soak")
    ax.set_ylabel("RSS (MB)")
    ax.set_ylim(0, max(mb) * 1.15)
    ax.grid(True, alpha=0.3)
    ended = soak.get("outcomes", {}).get("ended", 0)
    ax.set_title(
        f"Soak: {soak['chats']} chats opening and closing, {ended} conversations;"
        f" after warm-up {s['slope_mb_per_hour']:+.1f} MB/h",
        fontsize=10,
    )
    ax.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("json", type=Path, help="the file `bench/run.py --json` wrote")
    parser.add_argument("png", type=Path, help="where to draw the plot")
    args = parser.parse_args(argv)
    results = json.loads(args.json.read_text())
    soak = results.get("soak")
    if not soak:
        print(f"{args.json} has no soak: run bench/run.py with the match scenario", file=sys.stderr)
        return 2
    plot(soak, args.png)
    s = summary(soak)
    keys = soak.get("keys_left", {})
    print(
        f"{s['minutes']:.1f} min, {s['samples']} samples: RSS {s['start_mb']:.1f} MB at the start,"
        f" {s['after_warmup_mb']:.1f} MB after warm-up, {s['end_mb']:.1f} MB at the end (max {s['max_mb']:.1f});"
        f" slope after warm-up {s['slope_mb_per_hour']:+.2f} MB/h; keys left {sum(keys.values())} {keys}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
