"""The functions a py-spy profile spends its samples in, from `bench/run.py --profile`.

    python bench/run.py --scenarios chats --layers pubsub --rates 300 --profile /tmp/prof
    python bench/top_frames.py /tmp/prof/service-pubsub-300.txt

Prints, for the busiest functions, the share of samples in which the function was on
the stack (inclusive: it and what it called) and at the top of it (self). A function of
the project is shown with its module path; "--match contacts/" keeps only those.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent) + "/"

# py-spy's raw format: "frame;frame;...;frame count", each frame "function (file)" or
# "function (file:line)"; the first frame is the process/thread.
FRAME = re.compile(r"^(?P<fn>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def short(frame: str) -> str:
    m = FRAME.match(frame)
    if not m:
        return frame
    path = m["file"]
    # site-packages/channels/layers.py -> channels/layers.py; the project's own as it is.
    path = path.split("site-packages/")[-1]
    return f"{m['fn']} ({path.removeprefix(ROOT)})"


def read(path: Path) -> tuple[Counter[str], Counter[str], int]:
    inclusive: Counter[str] = Counter()
    self_: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [short(f) for f in stack.split(";")[1:]]  # [0] names the thread
        if not frames:
            continue
        total += n
        self_[frames[-1]] += n
        for f in set(frames):
            inclusive[f] += n
    return inclusive, self_, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profile", type=Path, nargs="+")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--match", default="", help="only functions whose file contains this")
    args = parser.parse_args(argv)
    for path in args.profile:
        inclusive, self_, total = read(path)
        print(f"{path}: {total} samples")
        print(f"{'incl':>6} {'self':>6}  function")
        shown = [f for f, _ in inclusive.most_common() if args.match in f][: args.top]
        for f in shown:
            print(f"{inclusive[f] / total:6.1%} {self_[f] / total:6.1%}  {f}")
        print(f"\nby self time{' (' + args.match + ')' if args.match else ''}:")
        for f, n in [(f, n) for f, n in self_.most_common() if args.match in f][: args.top]:
            print(f"{inclusive[f] / total:6.1%} {n / total:6.1%}  {f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
