"""The served OpenAPI document describes every route of the table, and the migration matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.api.app import PREFIX, ROUTES
from storage.models import Base


async def test_the_document_is_openapi_3_1_and_lists_every_route(api):
    assert (await api.call("GET", "/openapi.json", key=None)).status == 401
    doc = await api.ok("GET", "/openapi.json")
    assert doc["openapi"] == "3.1.0"
    assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    served = {(method.upper(), path) for path, item in doc["paths"].items() for method in item}
    assert served == {(r.method, PREFIX + r.path) for r in ROUTES}
    update = doc["paths"][PREFIX + "/tickets/{number}"]["patch"]
    body = update["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert doc["components"]["schemas"][body]["required"] == ["version"]
    assert {"200", "400", "401", "404", "409"} <= set(update["responses"])
    keys = doc["paths"][PREFIX + "/keys"]["get"]
    assert "403" in keys["responses"] and keys["description"] == "Needs an admin key."
    forward = doc["paths"][PREFIX + "/forwards"]["post"]
    assert {"201", "400", "403", "404", "409"} <= set(forward["responses"])


async def test_the_document_has_the_ticket_hook_body(api):
    schemas = (await api.ok("GET", "/openapi.json"))["components"]["schemas"]
    hook = schemas["TicketHook"]
    assert hook["description"].startswith("The body of `POST /hooks/tickets`")
    ticket = hook["properties"]["ticket"]["$ref"].rsplit("/", 1)[-1]
    assert {"external_id", "title"} <= set(schemas[ticket]["required"])


async def test_the_migrated_schema_matches_the_models(services):
    def differences(connection):
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with services.db.engine.connect() as connection:
        changes = await connection.run_sync(differences)
    assert [c for c in changes if "api_keys" in repr(c) or "audit_log" in repr(c)] == []
