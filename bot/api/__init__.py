"""The admin HTTP API (SPEC §6): an aiohttp sub-application mounted at `/api/v1` (built in `app.py`), JSON in and
out; beside it, `hooks.py` holds the signed PSA hook (`/hooks/tickets`).

The package itself imports nothing, so the CLI can use `bot.api.schemas` without loading aiohttp.
"""
