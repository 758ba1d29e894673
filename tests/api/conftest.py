"""Admin API fixtures: the app served over a fresh database (SQLite; tickets run on both backends)."""

from __future__ import annotations

import pytest

from tests.api.helpers import serve_api


@pytest.fixture
async def api(sqlite_services):
    """A client of the served API over SQLite, holding an admin key (`api.keys` has the others)."""
    async with serve_api(sqlite_services) as client:
        yield client


@pytest.fixture
async def api_both(services):
    """A client of the served API over SQLite and over PostgreSQL."""
    async with serve_api(services) as client:
        yield client
