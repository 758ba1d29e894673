"""The aiohttp application: health endpoints, JSON errors, body size limit, the admin API and the adapters.

Adapters are found through the `ticketbot.adapters` entry points, so this module (and the whole core) never
imports a platform SDK. Each entry point is a function `install(app, AdapterContext) -> Mounted | None` that
mounts its routes and reports what it mounted (routes, ports, background tasks); None means it is off.
The outbox worker runs as a background task too (unless `TICKETBOT_OUTBOX_WORKER` is off). At shutdown it
stops claiming as soon as the server stops accepting, and gets the same bound as the turns in flight
(`TICKETBOT_SHUTDOWN_TIMEOUT`, counted from the same moment) before it releases what it still holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from importlib.metadata import entry_points

from aiohttp import web

from bot import metrics
from bot.api import hooks
from bot.api.app import PREFIX, create_api
from bot.logs import request_log
from bot.seam import Mounted
from bot.services import Services
from bot.web import MAX_BODY, errors_as_json

log = logging.getLogger(__name__)

SERVICES = web.AppKey("services", Services)
MOUNTED = web.AppKey("mounted", list[Mounted])
# The metrics' own application, when `TICKETBOT_METRICS_PORT` gives them a listener of their own (`serve` runs it).
METRICS_APP = web.AppKey("metrics_app", web.Application)


async def healthz(_request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: the database answers, and every long-lived platform connection is up."""
    checks = {m.platform: m.ready() for m in request.app[MOUNTED] if m.ready is not None}
    if not await request.app[SERVICES].db.ping():
        body = {"status": "unavailable", "error": "The database does not answer.", "platforms": checks}
        return web.json_response(body, status=503)
    down = sorted(platform for platform, up in checks.items() if not up)
    if down:
        body = {"status": "unavailable", "error": f"Not connected: {', '.join(down)}.", "platforms": checks}
        return web.json_response(body, status=503)
    return web.json_response({"status": "ready", "platforms": checks})


def install_adapters(app: web.Application, services: Services) -> list[Mounted]:
    """Run every adapter's `install`; register the ports of those that are on."""
    mounted: list[Mounted] = []
    context = services.adapter_context()
    for entry in sorted(entry_points(group="ticketbot.adapters"), key=lambda e: e.name):
        result = entry.load()(app, context)
        if result is None:
            continue
        mounted.append(result)
        for port in result.ports:
            services.ports[port.platform] = port
    return mounted


def create_app(services: Services, *, upgrade: bool = True) -> web.Application:
    """The whole HTTP application over `services`; upgrades the schema on start unless told not to.

    The request log wraps everything (it sees the final status and stamps the request id), the metrics next,
    then the JSON errors."""
    middlewares = [request_log, services.metrics.middleware, errors_as_json]
    app = web.Application(client_max_size=MAX_BODY, middlewares=middlewares)
    app[SERVICES] = services
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.add_subapp(PREFIX, create_api(services.desk))
    secret = services.settings.hook_secret.get_secret_value()
    if secret:
        app.router.add_post(hooks.PATH, hooks.TicketHookEndpoint(services.desk, secret).handle)
    metrics_key = services.settings.metrics_key.get_secret_value()
    if services.settings.metrics_port:
        app[METRICS_APP] = services.metrics.app(metrics_key, services.db)
    elif metrics_key:
        app.router.add_get(metrics.PATH, services.metrics.handler(metrics_key, services.db))
    app[MOUNTED] = install_adapters(app, services)
    tasks: list[asyncio.Task[None]] = []
    worker: list[asyncio.Task[None]] = []
    deadline: list[float] = []

    async def on_startup(_app: web.Application) -> None:
        if upgrade:
            await services.upgrade()
        for mounted in app[MOUNTED]:
            tasks.extend(asyncio.ensure_future(start()) for start in mounted.background)
        if services.settings.outbox_worker:
            worker.append(asyncio.create_task(services.worker.run()))

    async def on_shutdown(_app: web.Application) -> None:
        # aiohttp runs this once the server stopped accepting, before it waits for the requests in flight.
        deadline.append(asyncio.get_running_loop().time() + services.settings.shutdown_timeout)
        if worker:
            services.worker.stop()

    async def on_cleanup(_app: web.Application) -> None:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if worker:
            left = deadline[0] - asyncio.get_running_loop().time() if deadline else 0.0
            await services.worker.finish(worker[0], max(0.0, left))
        await services.close()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    return app
