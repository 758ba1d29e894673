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

    def walk(key: str, origin: str | None, visited: set[str]) -> None:
        hops = forwards.get(key, ())
        if not hops or any(h.keep_copy for h in hops):
            chosen.setdefault(key, Routed(key, origin))
        for hop in hops:
            destination = hop.destination
            if destination in visited:
                continue
            if destination in receiving:
                continue  # it receives the delivery already (and its own forwards apply to it there)
            walk(destination, origin or key, visited | {destination})

    for key in recipients:
        walk(key, None, {key})
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
