"""Forwards applied to a set of recipients: who actually receives a delivery, and from whom it was forwarded.

Pure functions over recipient keys, so the rules are easy to read and to test: for each recipient with active
forwards the destinations are added, the source is dropped unless a forward keeps a copy, chains are followed
with a visited set (a cycle that slipped past creation cannot loop), and a destination that already receives
the delivery is not added twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Hop:
    """One active forward between two recipient keys."""

    source: str
    destination: str
    keep_copy: bool


@dataclass(frozen=True)
class Routed:
    """A final recipient, and the original recipient it was forwarded from (None: it receives directly)."""

    key: str
    forwarded_from: str | None = None


def route(recipients: Sequence[str], forwards: Mapping[str, Sequence[Hop]]) -> list[Routed]:
    """The final recipients of a delivery meant for `recipients` (in order, each once)."""
    receiving = set(recipients)
    chosen: dict[str, Routed] = {}
    # Depth first, each hop's forwards before the next hop's, with a stack: a nested function calling itself
    # would refer to itself and be left, with what it holds, to the garbage collector on every call.
    for start in recipients:
        stack: list[tuple[str, str | None, frozenset[str]]] = [(start, None, frozenset({start}))]
        while stack:
            key, origin, visited = stack.pop()
            hops = forwards.get(key, ())
            if not hops or any(h.keep_copy for h in hops):
                chosen.setdefault(key, Routed(key, origin))
            # Neither a hop already on this path nor one that receives the delivery already (its own forwards
            # apply to it there).
            onward = [
                (h.destination, origin or key, visited | {h.destination})
                for h in hops
                if h.destination not in visited and h.destination not in receiving
            ]
            stack.extend(reversed(onward))
    return list(chosen.values())


def closes_cycle(source: str, destination: str, forwards: Mapping[str, Sequence[str]]) -> bool:
    """Whether adding source → destination to `forwards` (source → destinations) would make a cycle."""
    seen = {destination}
    stack = [destination]
    while stack:
        node = stack.pop()
        if node == source:
            return True
        for nxt in forwards.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False
