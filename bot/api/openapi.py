"""The OpenAPI 3.1 document, generated from the route table and the pydantic models, never written by hand.

Pydantic writes JSON Schema 2020-12, which is what OpenAPI 3.1 uses for schemas, so `models_json_schema`
gives every body's schema as it is validated (requests) and serialised (responses); this module adds the
paths, parameters, responses and the bearer scheme from the `Route` declarations. Query parameters come from
the fields of a route's query model (a nullable field is simply optional in a query string). Bodies served
outside this API (the `/hooks/tickets` body) are listed as components by the caller, so their schema is
documented from the model that validates them too.
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from bot.api.routing import Route
from bot.api.schemas import Error
from bot.facts import TICKET_NUMBER_MAX

REF = "#/components/schemas/{model}"


def _json(ref: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": ref}}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    parameters = []
    for name, prop in schema["properties"].items():
        prop = {k: v for k, v in prop.items() if k not in ("title", "default")}
        branches = [b for b in prop.pop("anyOf", []) if b.get("type") != "null"]
        if branches:
            prop = {**branches[0], **prop}
        parameters.append({"name": name, "in": "query", "required": False, "schema": prop})
    return parameters


def _path_parameters(route: Route) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1, "maximum": TICKET_NUMBER_MAX}}
        for name in route.path_ids
    ]


def document(
    routes: Sequence[Route],
    *,
    prefix: str,
    title: str,
    version: str,
    components: Sequence[type[BaseModel]] = (),
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `routes` mounted under `prefix`, with the schemas of `components` (request
    bodies of other endpoints) among its components."""
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(Error, "serialization")]
    wanted.extend((model, "validation") for model in components)
    for route in routes:
        if route.body is not None:
            wanted.append((route.body, "validation"))
        if route.response is not None:
            wanted.append((route.response, "serialization"))
    refs, top = models_json_schema(list(dict.fromkeys(wanted)), ref_template=REF)
    error_ref = refs[(Error, "serialization")]
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        responses: dict[str, Any] = {}
        if route.response is None:
            responses[str(route.status)] = {"description": HTTPStatus(route.status).phrase}
        else:
            responses[str(route.status)] = {
                "description": HTTPStatus(route.status).phrase,
                "content": _json(refs[(route.response, "serialization")]),
            }
        for status in route.error_statuses():
            responses[str(status)] = {"description": HTTPStatus(status).phrase, "content": _json(error_ref)}
        operation: dict[str, Any] = {
            "operationId": route.name,
            "summary": route.summary,
            "tags": [route.name.split(".")[0]],
            "parameters": _path_parameters(route) + (_query_parameters(route.query) if route.query else []),
            "responses": responses,
        }
        if route.admin:
            operation["description"] = "Needs an admin key."
        if route.body is not None:
            operation["requestBody"] = {
                "required": route.body_required,
                "content": _json(refs[(route.body, "validation")]),
            }
        paths.setdefault(prefix + route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": top.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
