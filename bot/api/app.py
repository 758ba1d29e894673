"""The `/api/v1` sub-application: its route table (`ROUTES`, from which both the handlers and the OpenAPI
document at `/api/v1/openapi.json` are made) and its builder, `create_api`.

Every route needs `Authorization: Bearer <key>` (keys from `ticketbot keys create`) and calls the desk's
services with the key's owner as the principal; notification recipients, rules, forwards and deliveries
(`bot.api.notify`) call the notification admin services (`bot.notify.admin`).
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from aiohttp import web
from pydantic import ConfigDict

from bot.api import boards, keys, members, notify, tickets
from bot.api.hooks import TicketHook
from bot.api.openapi import document
from bot.api.routing import ApiDesk, Call, Route, bind
from bot.api.schemas import Response
from bot.desk import Desk
from bot.desk.audit import AuditLog
from bot.desk.keys import KeyService
from bot.notify.admin import ForwardService, OutboxService, RecipientService, RuleService

PREFIX = "/api/v1"


class OpenApiDocument(Response):
    """The OpenAPI 3.1 document of this API (its shape is OpenAPI's own)."""

    model_config = ConfigDict(extra="allow")


def _routes() -> tuple[Route, ...]:
    spec: dict[str, Any] = {}

    async def openapi(_call: Call) -> OpenApiDocument:
        return OpenApiDocument(**spec)

    table = (
        *keys.ROUTES,
        *tickets.ROUTES,
        *boards.ROUTES,
        *members.ROUTES,
        *notify.ROUTES,
        Route("GET", "/openapi.json", "openapi", "This API's OpenAPI 3.1 document", openapi, OpenApiDocument),
    )
    spec.update(
        document(
            table,
            prefix=PREFIX,
            title="ticketbot admin API",
            version=version("ticketbot"),
            components=(TicketHook,),
        )
    )
    return table


ROUTES = _routes()


def api_desk(desk: Desk) -> ApiDesk:
    """The services the API calls, over the desk's database."""
    return ApiDesk(
        tickets=desk.tickets,
        members=desk.members,
        boards=desk.boards,
        keys=KeyService(desk.db),
        audit=AuditLog(desk.db),
        recipients=RecipientService(desk.db),
        rules=RuleService(desk.db),
        forwards=ForwardService(desk.db),
        outbox=OutboxService(desk.db),
    )


def create_api(desk: Desk) -> web.Application:
    """The `/api/v1` sub-application over `desk`."""
    api = web.Application()
    services = api_desk(desk)
    for route in ROUTES:
        api.router.add_route(route.method, route.path, bind(route, services), name=route.name)
    return api
