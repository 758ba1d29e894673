"""`GET /privacy` and `GET /terms`: the privacy statement and terms of use the Teams app package links to.

Teams requires both links in every app package, and they must answer. The texts come from
`TICKETBOT_PRIVACY_TEXT` and `TICKETBOT_TERMS_TEXT`; without them a short default says what the bot keeps.
The pages are plain HTML with the text escaped, one paragraph per blank-line-separated block.
"""

from __future__ import annotations

import html

from aiohttp import web

from bot.settings import Settings

PRIVACY_PATH = "/privacy"
TERMS_PATH = "/terms"

DEFAULT_PRIVACY = (
    "{name} keeps what you send it to run the service desk: the tickets and notes you write, your name, your "
    "chat account and the email address your organisation's directory gives for it, and the conversations it "
    "is installed in so that it can answer there. It shares them with no one outside this desk.\n\n"
    "Ask the desk's administrators to see or remove what it keeps about you."
)
DEFAULT_TERMS = (
    "{name} is run by your organisation's service desk for its own users. Use it to report problems and follow "
    "them up; what you write is kept on the tickets and seen by the desk's members.\n\n"
    "The desk's administrators decide who may use it."
)


def page(title: str, text: str) -> str:
    """A small HTML page with the escaped text, one paragraph per blank-line-separated block."""
    paragraphs = "".join(f"<p>{html.escape(block.strip())}</p>" for block in text.split("\n\n") if block.strip())
    heading = html.escape(title)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{heading}</title></head>'
        f"<body><h1>{heading}</h1>{paragraphs}</body></html>"
    )


def mount(app: web.Application, settings: Settings) -> tuple[str, ...]:
    """Add the two pages to `app`; the routes mounted."""
    name = settings.bot_name
    pages = {
        PRIVACY_PATH: page(f"{name}: privacy statement", settings.privacy_text or DEFAULT_PRIVACY.format(name=name)),
        TERMS_PATH: page(f"{name}: terms of use", settings.terms_text or DEFAULT_TERMS.format(name=name)),
    }
    for path, body in pages.items():

        async def answer(request: web.Request, body: str = body) -> web.Response:
            return web.Response(text=body, content_type="text/html")

        app.router.add_get(path, answer)
    return tuple(f"GET {path}" for path in pages)
