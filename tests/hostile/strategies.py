"""Hypothesis strategies for hostile request bodies: raw bytes no JSON parser should choke on, and inert
platform payloads with one field (or a whole sub-object) replaced by something of the wrong type or by text
that cannot be stored or sent (NUL, unpaired surrogates, CR/LF, over-long)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
CONTROLS = st.sampled_from(["\x00", "\r", "\n", "\r\n", "\x1b", "\x7f"])

# Strings a real platform would never send: each holds a surrogate or a control character, or is empty or long.
hostile_text = st.one_of(
    st.builds(lambda a, bad, b: a + bad + b, st.text(max_size=5), st.one_of(SURROGATES, CONTROLS), st.text(max_size=5)),
    st.just(""),
    st.integers(1025, 5000).map(lambda n: "x" * n),
)

# Numbers past what databases and Python's int→str conversion take.
huge_numbers = st.one_of(
    st.sampled_from([2**31, 2**63, 2**64 + 1, -(2**63) - 1, 10**40]),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
)

wrong_types = st.one_of(
    st.none(),
    st.booleans(),
    huge_numbers,
    hostile_text,
    st.lists(st.one_of(st.integers(), hostile_text), max_size=3),
    st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), hostile_text), max_size=3),
)


def _nested(depth: int, kind: str) -> bytes:
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


raw_bodies = st.one_of(
    st.builds(_nested, st.integers(65, 20_000), st.sampled_from(["array", "object"])),
    st.integers(41, 6_000).map(lambda n: b'{"type": "message", "id": ' + b"9" * n + b"}"),
    st.integers(41, 6_000).map(lambda n: b'{"x": 1.' + b"5" * n + b"}"),
    st.binary(max_size=64),
    st.sampled_from([b"", b"null", b"[]", b'"text"', b"NaN", b'{"a": Infinity}', b"\xff\xfe{}", b"{" * 3]),
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a field in a JSON value (objects by key, arrays by index), the value itself first."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A deep copy of `value` with the field at `path` replaced by `new`."""
    if not path:
        return new
    changed = copy.deepcopy(value)
    target = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return changed


def mutations(template: dict[str, Any]) -> st.SearchStrategy[bytes]:
    """The template as JSON with one field replaced by a wrong type or hostile text (one in four: replaced by a
    deeply nested value)."""
    all_paths = list(paths(template))
    nested = st.integers(65, 200).map(lambda depth: json.loads(_nested(depth, "array")))
    new_values = st.one_of(wrong_types, wrong_types, wrong_types, nested)
    return st.builds(
        lambda path, new: json.dumps(replaced(template, path, new)).encode(), st.sampled_from(all_paths), new_values
    )
