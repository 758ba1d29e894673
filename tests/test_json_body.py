"""The hardened JSON reader (`bot.web.parse_json`): what it refuses, and where it says the fault is."""

from __future__ import annotations

import json

import pytest

from bot.web import MAX_DEPTH, BadBody, parse_json


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"a": [{"b": "x\\u0000"}]}', "a.0.b: the text holds a NUL character."),
        (b'{"a": {"\\ud800": 1}}', "a: the text holds an unpaired surrogate (a \\ud800-\\udfff escape)."),
        (b'"\\u0000"', "The body holds a NUL character."),
        ('{"a": "\ud800"}', "a: the text holds an unpaired surrogate (a \\ud800-\\udfff escape)."),  # read as text
        (b'{"a": "x\x00"}', "The body is not JSON."),  # a raw NUL is no JSON at all
        (b'{"a": "\xed\xa0\x80"}', "The body is not UTF-8."),  # a surrogate's bytes are no UTF-8
        (b'{"k": ' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}",
         f"The body is nested deeper than {MAX_DEPTH} levels."),
    ],
)
def test_a_body_that_cannot_be_stored_is_refused_saying_where(raw: bytes | str, message: str) -> None:
    with pytest.raises(BadBody) as refused:
        parse_json(raw)
    assert str(refused.value) == message


def test_a_body_within_the_bounds_is_read_as_it_is() -> None:
    body = {"a": [{"b": "ünïcode \u2603 <at>x</at>"}], "n": 12, "f": 1.5, "t": True, "z": None}
    assert parse_json(json.dumps(body, ensure_ascii=False).encode()) == body
    assert parse_json(json.dumps(body).encode()) == body
