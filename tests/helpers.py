"""Helpers the tests import (fixtures stay in the conftest files, which nothing imports)."""

from __future__ import annotations

from bot.settings import Settings


def make_settings(url: str, **values) -> Settings:
    """Settings for a test: only what is given, nothing from the environment's platform variables."""
    return Settings(_env_file=None, database_url=url, **values)
