"""The aiohttp application: health endpoints, JSON errors, body size limit, and the platform adapters.

Adapters are found through the `ticketbot.adapters` entry points, so this module (and the whole core) never
imports a platform SDK. Each entry point is a function `install(app, services) -> ChatPort | None` that
mounts its routes and returns its port when the platform is configured.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from importlib.metadata import entry_points

from aiohttp import web

from bot.services import Services

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
SERVICES = web.AppKey("services", Services)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_error(status: int, message: str) -> web.Response:
    """A JSON error answer: `{"error": message}` with the given status."""
    return web.json_response({"error": message}, status=status)


@web.middleware
async def errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error answer is JSON; an unexpected failure is logged and answered without details."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return json_error(413, f"The request body is larger than {MAX_BODY} bytes.")
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else exc.reason
        return json_error(exc.status, message)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json_error(500, "Something went wrong on our side; it has been logged.")


async def healthz(_request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: the database answers."""
    if await request.app[SERVICES].db.ping():
        return web.json_response({"status": "ready"})
    return web.json_response({"status": "unavailable", "error": "The database does not answer."}, status=503)


def _install_adapters(app: web.Application, services: Services) -> None:
    for entry in entry_points(group="ticketbot.adapters"):
        port = entry.load()(app, services)
        if port is not None:
            services.ports[port.platform] = port


def create_app(services: Services, *, upgrade: bool = True) -> web.Application:
    """The whole HTTP application over `services`; upgrades the schema on start unless told not to."""
    app = web.Application(client_max_size=MAX_BODY, middlewares=[errors_as_json])
    app[SERVICES] = services
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    _install_adapters(app, services)

    async def on_startup(_app: web.Application) -> None:
        if upgrade:
            await services.upgrade()

    async def on_cleanup(_app: web.Application) -> None:
        await services.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app
