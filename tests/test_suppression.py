"""Small numbers cannot be recomputed from a published table (property-based)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from stats.suppression import suppress

K = 5
MAX_CELL = 40


def feasible_values(published: dict[str, int | str], total: int | str) -> dict[str, set[int]]:
    """What an attacker who knows the rule can say about each hidden cell: brute force over
    every table consistent with what was published, independent of the implementation."""
    visible = [v for v in published.values() if isinstance(v, int) and v > 0]
    smallest = min(visible) if visible else None
    ranges: dict[str, range] = {}
    for name, v in published.items():
        if isinstance(v, int):
            ranges[name] = range(v, v + 1)
        elif v == f"<{K}":
            # Zero is shown as 0, except in a table whose whole total is small.
            ranges[name] = range(0 if total == f"<{K}" else 1, K)
        else:  # "–": at least k, and not above the smallest cell left visible
            top = smallest if smallest is not None else MAX_CELL * len(published)
            ranges[name] = range(K, top + 1)
    if isinstance(total, int):
        totals = {total}
    elif total == f"<{K}":
        totals = set(range(1, K))
    else:
        totals = set(range(0, MAX_CELL * len(published) + 1))
    names = list(ranges)
    out: dict[str, set[int]] = {n: set() for n in names}
    for i, name in enumerate(names):
        others = names[:i] + names[i + 1 :]
        sums = {0}
        for other in others:
            sums = {s + v for s in sums for v in ranges[other]}
        for v in ranges[name]:
            if any((t - v) in sums for t in totals):
                out[name].add(v)
    return out


tables = st.dictionaries(
    st.sampled_from(["a", "b", "c", "d", "e", "f"]), st.integers(min_value=0, max_value=MAX_CELL), min_size=1
)


@settings(max_examples=400, deadline=None)
@given(tables)
def test_no_hidden_count_can_be_recomputed(values: dict[str, int]) -> None:
    table = suppress(values, K)
    possible = feasible_values(table.cells, table.total)
    for name, shown in table.cells.items():
        if isinstance(shown, int):
            assert shown == values[name]  # what is shown is true
            assert shown == 0 or shown >= K  # and never a small number
        else:
            assert values[name] in possible[name]  # the truth is among the possibilities
            assert len(possible[name]) >= 2, (values, table)


@settings(max_examples=200, deadline=None)
@given(tables)
def test_the_total_is_shown_whenever_that_is_safe(values: dict[str, int]) -> None:
    table = suppress(values, K)
    total = sum(values.values())
    if total >= K and all(v == 0 or v >= K for v in values.values()):
        assert table.total == total and table.cells == values


def test_known_examples() -> None:
    assert suppress({"chat": 12, "phone": 3}, K).cells == {"chat": "–", "phone": "<5"}
    assert suppress({"chat": 1, "phone": 1}, K).total == "<5"
    assert suppress({"a": 0, "b": 7}, K).cells == {"a": 0, "b": 7}
