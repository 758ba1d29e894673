"""Shared fixtures: per-test databases on SQLite and PostgreSQL, and services over them."""

from __future__ import annotations

import pytest

from bot.services import Services
from tests.databases import POSTGRES_ENV, PostgresFactory, SqliteFactory, postgres_url
from tests.helpers import make_settings


@pytest.fixture(scope="session")
def sqlite_factory(tmp_path_factory):
    factory = SqliteFactory(tmp_path_factory.mktemp("sqlite"))
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def postgres_factory():
    url = postgres_url()
    if url is None:
        pytest.skip(f"{POSTGRES_ENV} is not set: PostgreSQL storage tests are skipped")
    factory = PostgresFactory(url)
    yield factory
    factory.close()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request) -> str:
    """A fresh, migrated database URL: every test that takes it runs on SQLite and on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_factory").new()


@pytest.fixture
def sqlite_url(sqlite_factory) -> str:
    """A fresh, migrated SQLite database URL (for tests whose subject is not the storage backend)."""
    return sqlite_factory.new()


@pytest.fixture
async def services(db_url):
    """Services over a fresh database, on both backends."""
    svc = Services(make_settings(db_url))
    yield svc
    await svc.close()


@pytest.fixture
async def sqlite_services(sqlite_url):
    """Services over a fresh SQLite database."""
    svc = Services(make_settings(sqlite_url))
    yield svc
    await svc.close()
