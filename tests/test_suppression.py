"""Small numbers cannot be recomputed from a published table (property-based)."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from stats.suppression import Table, combine, suppress

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


# Issue 18, item 5: an attacker who may ask every period. Months are suppressed on their
# own; a quarter or a year is built from its months (suppression.combine). The attacker
# below sees six months, both quarters and the year, and works out, independently of the
# implementation, every value each hidden monthly cell can still take.

CELLS = ["a", "b", "c"]
MONTH_MAX = 12
TOTAL = len(CELLS)  # the index of the total in a world (a, b, c, total)
Vector = tuple[int, ...]


def publish_months(data: list[dict[str, int]]) -> list[Table]:
    return [suppress(month, K) for month in data]


def publish_longer(months: list[Table]) -> dict[str, Table]:
    """Both quarters and the year (whose last six months had no contacts)."""
    empty = [suppress(dict.fromkeys(CELLS, 0), K)] * 6
    return {"q1": combine(months[:3]), "q2": combine(months[3:]), "year": combine(months + empty)}


def month_worlds(table: Table) -> list[Vector]:
    """Every month (a, b, c, total) consistent with its table, read by the documented
    rule: "<k" is 1..k-1 (0..k-1 when the total is "<k"), "–" is k..the smallest visible
    cell, the cells add up to the total."""
    cells = {name: table.cells[name] for name in CELLS}
    visible = [v for v in cells.values() if isinstance(v, int) and v > 0]
    top = min(visible) if visible else MONTH_MAX * len(CELLS)
    ranges = []
    for v in cells.values():
        if isinstance(v, int):
            ranges.append(range(v, v + 1))
        elif v == f"<{K}":
            ranges.append(range(0 if table.total == f"<{K}" else 1, K))
        else:
            ranges.append(range(K, top + 1))
    worlds = []
    for values in itertools.product(*ranges):
        total = sum(values)
        if isinstance(table.total, int) and total != table.total:
            continue
        if table.total == f"<{K}" and not 1 <= total < K:
            continue
        worlds.append((*values, total))
    return worlds


def shown(table: Table) -> dict[int, int]:
    """The numbers a longer period shows, by index in a world. Its "–" is read as saying
    nothing: whether a cell is shown depends only on what the months show (checked in
    the test by changing the months within what they show)."""
    values = [table.cells[name] for name in CELLS] + [table.total]
    return {i: v for i, v in enumerate(values) if isinstance(v, int)}


def add(x: Vector, y: Vector) -> Vector:
    return tuple(a + b for a, b in zip(x, y, strict=True))


def sumset(sets: list[set[Vector]], width: int) -> set[Vector]:
    out = {(0,) * width}
    for s in sets:
        out = {add(x, y) for x in out for y in s}
    return out


def possible_values(months: list[Table], longer: dict[str, Table]) -> list[dict[str, set[int]]]:
    """For each month, the values each cell can take in some world consistent with
    everything published. A dynamic programme over the vector of partial sums, on only
    the coordinates a longer period shows, keeps the search small."""
    worlds = [month_worlds(t) for t in months]
    quarters = {"q1": [0, 1, 2], "q2": [3, 4, 5]}
    year = shown(longer["year"])
    year_coords = sorted(year)
    coords = {q: sorted(set(shown(longer[q])) | set(year)) for q in quarters}

    def project(x: Vector, q: str) -> Vector:
        return tuple(x[i] for i in coords[q])

    def fits_quarter(s: Vector, q: str) -> bool:
        return all(s[coords[q].index(i)] == v for i, v in shown(longer[q]).items())

    def year_part(s: Vector, q: str) -> Vector:
        return tuple(s[coords[q].index(i)] for i in year_coords)

    projected = {q: [{project(x, q) for x in worlds[m]} for m in ms] for q, ms in quarters.items()}
    reach = {q: {year_part(s, q) for s in sumset(projected[q], len(coords[q])) if fits_quarter(s, q)} for q in quarters}
    target = tuple(year[i] for i in year_coords)
    out: list[dict[str, set[int]]] = [{name: set() for name in CELLS} for _ in months]
    for q, ms in quarters.items():
        (other,) = (o for o in quarters if o != q)
        for pos, m in enumerate(ms):
            rest = sumset([p for i, p in enumerate(projected[q]) if i != pos], len(coords[q]))
            memo: dict[Vector, bool] = {}
            for x in worlds[m]:
                u = project(x, q)
                if u not in memo:
                    memo[u] = any(
                        fits_quarter(s, q)
                        and tuple(t - y for t, y in zip(target, year_part(s, q), strict=True)) in reach[other]
                        for s in (add(u, r) for r in rest)
                    )
                if memo[u]:
                    for i, name in enumerate(CELLS):
                        out[m][name].add(x[i])
    return out


month_data = st.fixed_dictionaries(
    {
        name: st.one_of(st.just(0), st.integers(min_value=1, max_value=K - 1), st.integers(K, MONTH_MAX))
        for name in CELLS
    }
)


@settings(max_examples=300, deadline=None)
@given(st.lists(month_data, min_size=6, max_size=6))
def test_no_hidden_count_can_be_recovered_from_any_set_of_periods(data: list[dict[str, int]]) -> None:
    months = publish_months(data)
    longer = publish_longer(months)
    truth = {"q1": data[:3], "q2": data[3:], "year": data}
    for key, table in longer.items():
        for name, value in [*table.cells.items(), ("total", table.total)]:
            if isinstance(value, int):
                true = sum(m[name] for m in truth[key]) if name != "total" else sum(map(sum_cells, truth[key]))
                assert value == true, (key, name)  # what is shown is true
                assert value == 0 or value >= K  # and never a small number
            else:
                assert value == "–"  # one mark, which says only "some month hides this"
    possible = possible_values(months, longer)
    for m, table in enumerate(months):
        for name, value in table.cells.items():
            if not isinstance(value, int):
                assert data[m][name] in possible[m][name]
                assert len(possible[m][name]) >= 2, (m, name, data, months, longer)
    # The attacker's reading of a longer period's "–" is sound only if the longer periods
    # depend on nothing but what the months show: other months that show the same must
    # give the same quarters and year.
    other = []
    for table in months:
        same = [w for w in month_worlds(table) if suppress(dict(zip(CELLS, w, strict=False)), K) == table]
        other.append(dict(zip(CELLS, same[-1], strict=False)))
    assert publish_longer(publish_months(other)) == longer


def sum_cells(month: dict[str, int]) -> int:
    return sum(month.values())


def test_the_attacker_would_catch_a_quarter_suppressed_on_its_own() -> None:
    """The same attacker against the old way (a quarter suppressed from its own sums):
    a quarter minus two of its months gives back the hidden month."""
    data = [{"a": 6, "b": 20, "c": 0}, {"a": 1, "b": 20, "c": 0}, {"a": 6, "b": 20, "c": 0}] + [
        {"a": 9, "b": 9, "c": 9}
    ] * 3
    months = publish_months(data)
    assert months[1].cells["a"] == "<5"

    def own(ms: list[dict[str, int]]) -> Table:
        return suppress({name: sum(m[name] for m in ms) for name in CELLS}, K)

    naive = {"q1": own(data[:3]), "q2": own(data[3:]), "year": own(data)}
    assert possible_values(months, naive)[1]["a"] == {1}
    assert len(possible_values(months, publish_longer(months))[1]["a"]) >= 2


centre_data = st.fixed_dictionaries(
    {name: st.one_of(st.just(0), st.integers(min_value=1, max_value=K - 1), st.integers(K, 30)) for name in "abc"}
)


@settings(max_examples=300, deadline=None)
@given(st.lists(centre_data, min_size=2, max_size=4))
def test_the_national_roll_up_gives_back_nothing_a_centre_hides(data: list[dict[str, int]]) -> None:
    """Centres' tables, each suppressed, and the roll-up across them (stats.reports.roll_up
    uses combine): subtracting the other centres from a national cell must never give a
    cell a centre hides."""
    centres = [suppress(d, K) for d in data]
    national = combine(centres)
    for name in "abc":
        shown_here = [t.cells[name] for t in centres]
        value = national.cells[name]
        if all(isinstance(v, int) for v in shown_here):
            assert value == sum(d[name] for d in data)  # true, and only a sum of what is shown
        else:
            assert value == "–"  # some centre hides its part: so does the roll-up
    if isinstance(national.total, int):
        assert national.total == sum(sum(d.values()) for d in data)
        assert all(isinstance(t.total, int) for t in centres)
    # What an attacker can say about a hidden cell of one centre, knowing every table
    # (the others' and the roll-up): the roll-up shows only sums of shown numbers, so the
    # centre's own table is all there is about it, and it leaves two values or more.
    for d, table in zip(data, centres, strict=True):
        possible = feasible_values(table.cells, table.total)
        for name, value in table.cells.items():
            if not isinstance(value, int):
                assert d[name] in possible[name] and len(possible[name]) >= 2


def test_a_roll_up_suppressed_on_its_own_sums_would_give_a_centre_away() -> None:
    nexus, una = {"a": 3, "b": 20, "c": 7}, {"a": 20, "b": 6, "c": 9}
    tables = [suppress(nexus, K), suppress(una, K)]
    assert tables[0].cells["a"] == "<5"
    own = suppress({name: nexus[name] + una[name] for name in "abc"}, K)
    assert own.cells["a"] == 23  # and Una shows 20: 23 - 20 = 3, Nexus's hidden count
    assert combine(tables).cells["a"] == "–"
