"""Where a contact goes when its own centre cannot answer: pure functions over a line's
ordered overflow rules (centres/models.py holds them; docs/architecture.md, "Centres").

A rule says *when* (the line is closed, its queue is full, or nobody answered within N
seconds) and *where* (a partner centre's queue, a forward of the call to a number such as
the national line, or for chat a link to another service). The first rule that applies
wins. A hand-over to a centre follows that centre's rules in turn, so a chain
Uppsala -> Norrbotten -> national line works; cycles are refused when rules are saved
(``find_cycle``) and ``resolve`` stops after as many hops as there are centres anyway.
Nothing of the conversation is part of a decision: only its channel, and how long it
has waited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from routing.state import Channel

Condition = Literal["closed", "full", "unanswered"]
Action = Literal["centre", "forward", "link"]
CONDITIONS: tuple[Condition, ...] = ("closed", "full", "unanswered")
ACTIONS: tuple[Action, ...] = ("centre", "forward", "link")


@dataclass(frozen=True)
class Rule:
    condition: Condition
    action: Action
    after_seconds: int = 0  # "unanswered": how long a contact waits before it moves on
    centre: str = ""  # "centre": the partner centre's slug
    number: str = ""  # "forward": the number a call is forwarded to (phone only)
    url: str = ""  # "link": the other service's address (chat only)
    name: str = ""  # the service that will answer, as the visitor is told

    def serves(self, channel: Channel) -> bool:
        """A call cannot follow a link and a chat cannot be forwarded to a number."""
        if self.action == "forward":
            return channel == "phone"
        if self.action == "link":
            return channel == "chat"
        return True


@dataclass(frozen=True)
class Situation:
    """What the rules may look at: whether the line is closed or full, and for a contact
    already waiting, for how long it has waited unanswered."""

    channel: Channel
    closed: bool = False
    full: bool = False
    waited: float | None = None  # None: a new contact, not waiting yet


def applies(rule: Rule, situation: Situation) -> bool:
    if not rule.serves(situation.channel):
        return False
    if rule.condition == "closed":
        return situation.closed
    if situation.closed:
        return False  # "full" and "unanswered" are about an open line
    if rule.condition == "full":
        return situation.full
    return situation.waited is not None and situation.waited >= rule.after_seconds


def first_rule(rules: Sequence[Rule], situation: Situation) -> Rule | None:
    """The first of a line's rules, in its order, that applies; None: the contact stays."""
    return next((rule for rule in rules if applies(rule, situation)), None)


@dataclass(frozen=True)
class Destination:
    """Where a contact ends up: a centre's queue (``centre``), or out of this service
    (``rule`` is the forward or link to follow). ``hops`` counts the hand-overs."""

    centre: str
    rule: Rule | None = None
    hops: int = 0

    @property
    def leaves(self) -> bool:
        return self.rule is not None


def resolve(
    start: str,
    rules_of: Mapping[str, Sequence[Rule]],
    situation_of: Callable[[str], Situation],
) -> Destination:
    """Follow the rules from centre ``start``: stop at the first centre whose rules keep
    the contact, or at a forward or link. A centre handed over to is judged as a new
    contact there (its own opening hours and queue), never by the wait elsewhere."""
    current, hops, seen = start, 0, {start}
    situation = situation_of(start)
    while True:
        rule = first_rule(rules_of.get(current, ()), situation)
        if rule is None:
            return Destination(current, hops=hops)
        if rule.action != "centre":
            return Destination(current, rule=rule, hops=hops)
        if rule.centre in seen or rule.centre not in rules_of:
            # A cycle saved around the admin's check, or a centre since removed: stay.
            return Destination(current, hops=hops)
        current, hops = rule.centre, hops + 1
        seen.add(current)
        fresh = situation_of(current)
        situation = Situation(fresh.channel, fresh.closed, fresh.full, None)


def find_cycle(edges: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A cycle in the hand-over graph (centre -> centres its rules hand to), as the path
    that closes it (["a", "b", "a"]), or None. Iterative, so no recursion limit."""
    graph = {node: sorted(set(targets)) for node, targets in edges.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in sorted(graph):
        if state.get(root):
            continue
        path = [root]
        stack = [iter(graph.get(root, ()))]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(graph.get(nxt, ())))
    return None
