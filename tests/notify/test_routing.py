"""Forwards applied to a delivery's recipients (`bot.notify.routing.route`), on its own."""

from __future__ import annotations

from bot.notify.routing import Hop, Routed, route


def _forwards(*hops: Hop) -> dict[str, list[Hop]]:
    forwards: dict[str, list[Hop]] = {}
    for hop in hops:
        forwards.setdefault(hop.source, []).append(hop)
    return forwards


def test_each_hop_is_followed_to_its_end_before_the_next_hop_in_the_forwards_order():
    forwards = _forwards(Hop("a", "b", False), Hop("a", "c", True), Hop("b", "d", False), Hop("c", "e", False))
    assert route(["a", "x"], forwards) == [
        Routed("a"),  # one of a's forwards keeps a copy
        Routed("d", "a"),
        Routed("e", "a"),
        Routed("x"),
    ]


def test_a_cycle_of_forwards_is_not_followed_round_again():
    forwards = _forwards(Hop("a", "b", False), Hop("b", "a", False), Hop("b", "c", False))
    assert route(["a"], forwards) == [Routed("c", "a")]


def test_a_forward_to_a_recipient_of_the_delivery_adds_nothing():
    forwards = _forwards(Hop("a", "x", False))
    assert route(["a", "x"], forwards) == [Routed("x")]


def test_the_same_destination_reached_twice_is_delivered_once_from_the_first_origin():
    forwards = _forwards(Hop("a", "z", False), Hop("b", "z", False))
    assert route(["a", "b"], forwards) == [Routed("z", "a")]
