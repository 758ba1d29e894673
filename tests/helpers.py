"""Helpers the tests import (fixtures stay in the conftest files, which nothing imports)."""

from __future__ import annotations

from bot.settings import Settings

TEST_POOL_SIZE = 4
"""PostgreSQL connections per test app: a test drives a few turns at once, and the shared server's 100
connections must serve every test database of a run (and other runs on the machine) at the same time."""


def make_settings(url: str, **values) -> Settings:
    """Settings for a test: only what is given, nothing from the environment's platform variables."""
    values.setdefault("database_pool_size", TEST_POOL_SIZE)
    return Settings(_env_file=None, database_url=url, **values)
