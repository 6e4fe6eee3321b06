"""Small-number suppression for everything that leaves the service.

A count between 1 and k-1 is shown as "<k" (primary suppression). A table's total is
published, so a single hidden cell could be recomputed from the total and the other
cells; secondary suppression then hides further cells (shown as "–") until every hidden
cell could still be at least two different numbers, whatever an attacker knows:

- a "<k" cell lies in [1, k-1];
- a "–" cell was chosen as the smallest cell left visible, so it lies in [k, smallest
  visible cell] (an attacker who knows this rule gains exactly that bound);
- all hidden cells add up to the total minus the visible cells.

The sum of integer intervals is an integer interval, so the values cell i can take are
[max(lo_i, S - Σhi_j), min(hi_i, S - Σlo_j)] over the other hidden cells j. A table
whose total is below k shows "<k" for the total and for every cell, zeros included;
elsewhere zero is shown as 0. Two-way tables are published column by column with no row totals (see
docs/statistics.md), so every table here is one-dimensional.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

PRIMARY = "primary"
SECONDARY = "secondary"


@dataclass(frozen=True)
class Table:
    cells: dict[str, int | str]  # a number, "<k" or "–"
    total: int | str


def _bounds(kind: str, k: int, total: int, smallest_visible: int | None) -> tuple[int, int]:
    if kind == PRIMARY:
        return 1, k - 1
    return k, total if smallest_visible is None else min(total, smallest_visible)


def is_safe(values: dict[str, int], hidden: dict[str, str], k: int) -> bool:
    """True when every hidden cell could still take at least two values."""
    if not hidden:
        return True
    total = sum(values.values())
    visible = [v for name, v in values.items() if name not in hidden and v > 0]
    smallest = min(visible) if visible else None
    hidden_sum = sum(values[name] for name in hidden)
    bounds = {name: _bounds(kind, k, total, smallest) for name, kind in hidden.items()}
    sum_lo = sum(lo for lo, _ in bounds.values())
    sum_hi = sum(hi for _, hi in bounds.values())
    for lo, hi in bounds.values():
        low = max(lo, hidden_sum - (sum_hi - hi))
        high = min(hi, hidden_sum - (sum_lo - lo))
        if high - low < 1:
            return False
    return True


def suppress(values: dict[str, int], k: int) -> Table:
    total = sum(values.values())
    small = f"<{k}"
    if total == 0:
        return Table(dict.fromkeys(values, 0), 0)
    if total < k:
        # Zeros too: "four cells, total under five, none zero" would give away that each is 1.
        return Table(dict.fromkeys(values, small), small)
    hidden = {name: PRIMARY for name, v in values.items() if 0 < v < k}
    while not is_safe(values, hidden, k):
        candidates = sorted((v, name) for name, v in values.items() if name not in hidden and v > 0)
        if not candidates:
            # Even hiding every cell leaves one recoverable: hide the total as well.
            return Table(
                {name: (0 if v == 0 else small if hidden[name] == PRIMARY else "–") for name, v in values.items()},
                "–",
            )
        hidden[candidates[0][1]] = SECONDARY
    cells: dict[str, int | str] = {}
    for name, v in values.items():
        kind = hidden.get(name)
        cells[name] = v if kind is None else (small if kind == PRIMARY else "–")
    return Table(cells, total)


HIDDEN = "–"


def combine(parts: Sequence[Table]) -> Table:
    """A longer period (a quarter, a year) from the published tables of its months.

    A cell is shown only where every month shows it, as the sum of the months' numbers;
    the total likewise. Anything else is "–", whatever its true value: the mark depends
    only on what the months show, so it says nothing the months do not. Everything a
    longer period publishes is then a sum of numbers the months publish, and subtracting
    periods from each other gives back nothing the months hide (docs/statistics.md).
    """
    if not parts:
        raise ValueError("a period has at least one month")
    names = list(parts[0].cells)
    if any(set(part.cells) != set(names) for part in parts):
        raise ValueError("every month's table must have the same cells")

    def add(values: list[int | str]) -> int | str:
        numbers = [v for v in values if isinstance(v, int)]
        return sum(numbers) if len(numbers) == len(values) else HIDDEN

    return Table(
        {name: add([part.cells[name] for part in parts]) for name in names},
        add([part.total for part in parts]),
    )
