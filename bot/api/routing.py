"""The route table's parts: what a route declares, what a handler gets, and the one wrapper every route runs.

A `Route` declares its method, path, request body, query and response models and whether it needs an admin;
the same declaration mounts the handler (`bind`) and writes the OpenAPI document (`bot.api.openapi`). The
wrapper checks the key (`bot.api.auth`), refuses a non-admin on an admin route through the desk's
`require_admin`, validates path ids, query and body (400 naming the field), turns domain errors into their
status, answers the response model as JSON and records every successful write in the audit log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from bot.api.auth import Caller, authenticate
from bot.api.schemas import Error, PageQuery, Request
from bot.desk.audit import AuditLog
from bot.desk.boards import BoardService
from bot.desk.errors import Conflict, Invalid, NotFound, TicketbotError
from bot.desk.keys import KeyService
from bot.desk.members import MemberService
from bot.desk.policy import require_admin
from bot.desk.tickets import TicketService
from bot.facts import TICKET_NUMBER_MAX
from bot.notify.admin import ForwardService, OutboxService, RecipientService, RuleService
from bot.web import BadBody, read_json

B = TypeVar("B")
Q = TypeVar("Q")


@dataclass(frozen=True)
class ApiDesk:
    """The narrow part of the desk the API calls: its services, and the audit log it writes."""

    tickets: TicketService
    members: MemberService
    boards: BoardService
    keys: KeyService
    audit: AuditLog
    recipients: RecipientService
    rules: RuleService
    forwards: ForwardService
    outbox: OutboxService


@dataclass(frozen=True)
class Call(Generic[B, Q]):
    """One authenticated, validated request as a handler sees it."""

    desk: ApiDesk
    caller: Caller
    ids: dict[str, int]
    body: B
    query: Q


Handler = Callable[[Call[Any, Any]], Awaitable[BaseModel | None]]


@dataclass(frozen=True)
class Route:
    """One operation of the API. `name` is its operationId and the audit log's action."""

    method: str
    path: str
    name: str
    summary: str
    handler: Handler
    response: Any = None
    body: type[Request] | None = None
    body_required: bool = True
    query: type[PageQuery] | None = None
    status: int = 200
    admin: bool = False
    errors: tuple[int, ...] = field(default=())

    @property
    def path_ids(self) -> list[str]:
        """The names of the path's integer ids, e.g. `["number"]` for `/tickets/{number}`."""
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{")]

    @property
    def is_write(self) -> bool:
        """Whether the route changes something (and is audited)."""
        return self.method != "GET"

    def error_statuses(self) -> list[int]:
        """Every error status this route may answer, as the document lists them."""
        statuses = {401, *self.errors}
        if self.body or self.query or self.path_ids:
            statuses.add(400)
        if self.body:
            statuses.add(413)
        if self.admin:
            statuses.add(403)
        if self.path_ids:
            statuses.add(404)
        return sorted(statuses)


def error(status: int, message: str, field_name: str | None = None) -> web.Response:
    """An `Error` body with this status."""
    body = Error(error=message, field=field_name).model_dump_json(exclude_none=True)
    response = web.Response(text=body, status=status, content_type="application/json")
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="ticketbot"'
    return response


def invalid(exc: ValidationError, where: str) -> web.Response:
    """The first validation problem as a 400 naming its field."""
    first = exc.errors(include_url=False)[0]
    name = ".".join(str(part) for part in first["loc"]) or None
    message = first["msg"]
    return error(400, f"{name}: {message}" if name else f"The {where} is not acceptable: {message}", name)


def _ids(route: Route, request: web.Request) -> dict[str, int] | None:
    ids = {}
    for name in route.path_ids:
        raw = request.match_info.get(name, "")
        if not raw.isdigit() or len(raw) > 10 or not 1 <= int(raw) <= TICKET_NUMBER_MAX:
            return None
        ids[name] = int(raw)
    return ids


async def _body(route: Route, request: web.Request) -> Any:
    if not route.body_required and not (await request.read()).strip():
        return {}
    return await read_json(request)


def bind(route: Route, desk: ApiDesk) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler of one route."""

    async def handle(request: web.Request) -> web.StreamResponse:
        caller = await authenticate(request, desk.keys)
        if caller is None:
            return error(401, "A valid API key is needed: send `Authorization: Bearer <key>`.")
        try:
            if route.admin:
                require_admin(caller.principal, route.summary[0].lower() + route.summary[1:])
            ids = _ids(route, request)
            if ids is None:
                raise NotFound("There is nothing at this address (ids are whole numbers from 1).")
            try:
                query = route.query.model_validate(dict(request.query)) if route.query else None
            except ValidationError as exc:
                return invalid(exc, "query")
            try:
                raw = await _body(route, request) if route.body else None
                body = route.body.model_validate(raw) if route.body else None
            except BadBody as exc:
                return error(400, str(exc), exc.field)
            except ValidationError as exc:
                return invalid(exc, "body")
            result = await route.handler(Call(desk, caller, ids, body, query))
        except Conflict as exc:
            return error(409, str(exc))
        except TicketbotError as exc:
            return error(exc.status, str(exc), exc.field if isinstance(exc, Invalid) else None)
        if route.is_write:
            await desk.audit.record(
                actor=caller.principal.name,
                action=route.name,
                source=f"api key {caller.key.id} from {request.remote or 'unknown'}",
                detail={"path": ids, "body": body.model_dump(mode="json", exclude_unset=True) if body else None},
            )
        if result is None:
            return web.Response(status=204)
        return web.Response(text=result.model_dump_json(by_alias=True), status=route.status, content_type="application/json")

    return handle
