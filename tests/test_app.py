"""The HTTP application: health, readiness, JSON errors and the body limit, over real HTTP."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from bot.app import create_app
from bot.services import Services
from tests.helpers import make_settings
from tests.http import served


@pytest.fixture
async def base_url(sqlite_url):
    async with served(create_app(Services(make_settings(sqlite_url)))) as url:
        yield url


async def test_health_and_readiness(base_url):
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base_url}/healthz") as resp:
            assert resp.status == 200 and (await resp.json())["status"] == "ok"
        async with http.get(f"{base_url}/readyz") as resp:
            assert resp.status == 200 and (await resp.json())["status"] == "ready"


async def test_readiness_fails_when_the_database_does_not_answer():
    services = Services(make_settings("postgresql+asyncpg://postgres@127.0.0.1:9/none"))
    async with served(create_app(services, upgrade=False)) as url, aiohttp.ClientSession() as http:
        async with http.get(f"{url}/readyz") as resp:
            assert resp.status == 503
            assert "database" in (await resp.json())["error"]
        async with http.get(f"{url}/healthz") as resp:
            assert resp.status == 200


async def test_unknown_route_is_a_json_404(base_url):
    async with aiohttp.ClientSession() as http, http.get(f"{base_url}/nope") as resp:
        assert resp.status == 404
        assert resp.content_type == "application/json"
        assert await resp.json() == {"error": "Not Found"}


async def test_wrong_method_is_a_json_405(base_url):
    async with aiohttp.ClientSession() as http, http.post(f"{base_url}/healthz", data=b"{}") as resp:
        assert resp.status == 405
        assert "error" in await resp.json()


async def test_bodies_over_one_mebibyte_get_413(base_url):
    async with aiohttp.ClientSession() as http, http.post(f"{base_url}/healthz", data=io.BytesIO(b"x" * (1024 * 1024 + 1))) as resp:
        assert resp.status == 413
        assert "larger than" in (await resp.json())["error"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_healthz_and_logs_no_secret(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        "MicrosoftAppPassword": "s3cret-app-password",
        "SLACK_BOT_TOKEN": "xoxb-s3cret-token",
        "SLACK_SIGNING_SECRET": "s3cret-signing",
        "TICKETBOT_METRICS_KEY": "s3cret-metrics-key",
    }
    script = Path(sys.executable).with_name("ticketbot")
    proc = subprocess.Popen(
        [str(script), "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and status != 200:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n")
                    status = int(sock.recv(100).split()[1])
            except OSError:
                time.sleep(0.2)
        assert status == 200
    finally:
        proc.terminate()
        output = proc.communicate(timeout=20)[0]
    assert "platform teams: on (local, loopback only, unauthenticated) · POST /api/messages" in output
    assert "platform slack: on (HTTP events, one workspace) · POST /slack/events" in output
    assert "metrics: GET /metrics (bearer key)" in output
    assert "GET /healthz 200" in output  # the request log line
    assert "s3cret" not in output
    assert (tmp_path / "serve.db").exists()
