"""Bot Framework models to and from their JSON without msrest's generic walk, giving what msrest gives.

msrest reads an activity (`Activity().deserialize`), writes a reply (`Serializer._serialize`) and reads the Bot
Connector's answer by walking the model's attribute map through layers of type dispatch, key extractors and key
transformers: about 110 µs to read a Teams message and 130 µs to write a card reply on the 2-core machine, ~10% of
`serve`'s CPU in a `show` turn. The walks are done here directly for the shapes msrest treats plainly — keys that
are not flattened, no read-only or constant attributes, no subtypes, no XML, and values of exactly the JSON type the
map declares — and build the same thing: the same model classes called with the same arguments, the same
`additional_properties` (the keys the map does not know), copies of `object` values; and the same JSON, key for key,
in the map's order. Anything else (a number where a string is declared, which msrest would turn into a string; an
SDK model inside an `object`; a type this module does not know) makes the whole call msrest's, so its result or its
error is msrest's too. tests/teams/test_teams_wire.py holds both walks equal over every sample payload.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

import isodate
from botbuilder.schema import Activity
from msrest.serialization import Deserializer, Model, Serializer

# The classes msrest resolves an activity's type names in (what `Activity.deserialize` computes on each call).
ACTIVITY_MODELS: dict[str, type] = Activity._infer_class_models()
_SCALARS = {"str": str, "bool": bool, "int": int, "float": float}


class Unhandled(Exception):
    """A model or value this module does not treat exactly as msrest does; msrest is used instead."""


Fields = tuple[tuple[str, str, str], ...]
_PLANS: dict[type, tuple[Fields, frozenset[str]]] = {}


def _plan(cls: type[Model]) -> tuple[Fields, frozenset[str]]:
    """(attribute, JSON key, msrest type) of each attribute of a model class msrest treats plainly, and the JSON
    keys it knows; worked out once per class."""
    plan = _PLANS.get(cls)
    if plan is not None:
        return plan
    if getattr(cls, "_subtype_map", None) or cls.is_xml_model():
        raise Unhandled(cls.__name__)
    if any(rule.get("readonly") or rule.get("constant") for rule in cls._validation.values()):
        raise Unhandled(cls.__name__)
    fields = []
    for attr, desc in cls._attribute_map.items():
        key, kind = desc["key"], desc["type"]
        if attr == "additional_properties" or not key or "." in key or "\\" in key or not isinstance(kind, str):
            raise Unhandled(cls.__name__)
        fields.append((attr, key, kind))
    plan = _PLANS[cls] = (tuple(fields), frozenset(key for _, key, _ in fields))
    return plan


# The UTC timestamps the Bot Connector sends ("2026-12-07T23:32:39.1234567Z"): msrest reads them with isodate's
# regular expressions, about 10 µs each on the 2-core machine (more under load); `datetime.fromisoformat` in about 2.
_UTC_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")


def _iso(value: str) -> datetime:
    """`Deserializer.deserialize_iso(value)`: the same datetime (fraction cut to microseconds, isodate's UTC)."""
    if _UTC_TIMESTAMP.fullmatch(value):
        try:
            return datetime.fromisoformat(value[:-1]).replace(tzinfo=isodate.UTC)
        except ValueError:  # a date that does not exist: msrest's error
            pass
    return Deserializer.deserialize_iso(value)


def _copy(value: Any) -> Any:
    """A copy of a plain JSON value (msrest's `object` handling of one, in both directions)."""
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is int or kind is float:
        return value
    if kind is dict:
        return {_key(k): _copy(v) for k, v in value.items()}
    if kind is list:
        return [_copy(v) for v in value]
    raise Unhandled(kind.__name__)


def _key(key: Any) -> str:
    if type(key) is not str:
        raise Unhandled(type(key).__name__)
    return key


def _model_from_json(cls: type[Model], data: Mapping[str, Any], models: Mapping[str, type]) -> Model:
    fields, known = _plan(cls)
    model = cls(**{attr: _from_json(data.get(key), kind, models) for attr, key, kind in fields})
    extra = {key: data[key] for key in data.keys() - known}
    if extra:
        model.additional_properties = extra
    return model


def _from_json(value: Any, kind: str, models: Mapping[str, type]) -> Any:
    if value is None:
        return None
    scalar = _SCALARS.get(kind)
    if scalar is not None:
        if type(value) is not scalar:
            raise Unhandled(kind)
        return value
    if kind == "object":
        return _copy(value)
    if kind == "iso-8601":
        if type(value) is not str:
            raise Unhandled(kind)
        return _iso(value)
    if kind.startswith("[") and kind.endswith("]"):
        if type(value) is not list:
            raise Unhandled(kind)
        return [_from_json(item, kind[1:-1], models) for item in value]
    cls = models.get(kind)
    if isinstance(cls, type) and issubclass(cls, Model) and type(value) is dict:
        return _model_from_json(cls, value, models)
    raise Unhandled(kind)


def model_from_json(cls: type[Model], data: Mapping[str, Any], models: Mapping[str, type]) -> Model:
    """The model msrest's `Deserializer(models)` reads from `data` as `cls`; raises where this would differ from
    msrest, or where msrest would refuse the data (the caller then asks msrest)."""
    if type(data) is not dict:
        raise Unhandled(type(data).__name__)
    return _model_from_json(cls, data, models)


def activity_from_json(body: Mapping[str, Any]) -> Activity:
    """`Activity().deserialize(body)`: the same model, built directly when msrest would treat the body plainly."""
    try:
        activity = model_from_json(Activity, body, ACTIVITY_MODELS)
    except Exception:  # Unhandled, or a value msrest refuses (a bad timestamp): its call decides
        return Activity().deserialize(body)
    assert isinstance(activity, Activity)
    return activity


def model_json(model: Model, models: Mapping[str, type]) -> dict[str, Any]:
    """The JSON msrest's `Serializer._serialize` writes for a model; raises `Unhandled` where this would differ
    (`models`: the classes the serializer resolves type names in)."""
    if not isinstance(model, Model):
        raise Unhandled(type(model).__name__)
    wire: dict[str, Any] = {}
    for attr, key, kind in _plan(type(model))[0]:
        value = getattr(model, attr)
        if value is not None:
            wire[key] = _to_json(value, kind, models)
    return wire


def _to_json(value: Any, kind: str, models: Mapping[str, type]) -> Any:
    if kind == "str":
        if type(value) is str:
            return value
        if isinstance(value, Enum):
            return value.value
        raise Unhandled(kind)
    scalar = _SCALARS.get(kind)
    if scalar is not None:
        if type(value) is not scalar:
            raise Unhandled(kind)
        return value
    if kind == "object":
        return _copy(value)
    if kind == "iso-8601":
        if type(value) is not datetime:
            raise Unhandled(kind)
        return Serializer.serialize_iso(value)
    if kind.startswith("[") and kind.endswith("]"):
        if type(value) is not list:
            raise Unhandled(kind)
        return [None if item is None else _to_json(item, kind[1:-1], models) for item in value]
    cls = models.get(kind)
    if isinstance(cls, type) and issubclass(cls, Model):
        return model_json(value, models)
    raise Unhandled(kind)
