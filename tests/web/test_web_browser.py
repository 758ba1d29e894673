"""The web chat in a real browser (Playwright driving the system Chromium, headless): the whole conversation,
hostile text, and a notification pushed live. One browser for the module; a screenshot of each step is
written under the test's temporary directory.

The browser is `TICKETBOT_TEST_CHROMIUM` or `/usr/bin/chromium` (Debian's `chromium`, which `.ci/run`
installs); Playwright's own browser downloads are never used. Without a browser the tests skip, saying so.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.web.helpers import DANA, WebApp, serve_web

playwright_api = pytest.importorskip("playwright.async_api", reason="Playwright for Python is not installed")
expect = playwright_api.expect

pytestmark = pytest.mark.asyncio(loop_scope="module")

CHROMIUM_ENV = "TICKETBOT_TEST_CHROMIUM"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PROBLEM = "The printer on floor 2 is jammed"
HOSTILE = '<script>window.pwned=1</script><img src=x onerror="alert(1)"> **bold** _it_ # head @channel <!here>'
EVE = "eve@example.com"
# The served app runs its outbox worker (as `serve` does), polling often so a notification shows at once.
LIVE_OUTBOX = {"outbox_worker": True, "outbox_poll_seconds": 0.05}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    path = os.environ.get(CHROMIUM_ENV) or "/usr/bin/chromium"
    if not os.access(path, os.X_OK):
        pytest.skip(f"no Chromium at {path}: install Debian's chromium (as .ci/run does) or set {CHROMIUM_ENV}")
    async with playwright_api.async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="module")
async def chat(sqlite_url) -> AsyncIterator[WebApp]:
    async with serve_web(sqlite_url, **LIVE_OUTBOX) as app:
        await app.services.members.add("Dana Desk", DANA)
        yield app


class Tab:
    """One browser page on the chat, recording every dialog it would have opened and shooting each step."""

    def __init__(self, page: Any, shots: Path) -> None:
        self.page = page
        self.shots = shots
        self.dialogs: list[str] = []
        page.on("dialog", self._dialog)
        self.step = 0

    async def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        await dialog.dismiss()

    async def shoot(self, name: str) -> None:
        self.step += 1
        path = self.shots / f"{self.step}-{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0

    async def sign_in(self, url: str, email: str) -> None:
        await self.page.goto(f"{url}/chat")
        await self.page.fill("#email", email)
        await self.page.click("text=Start chatting")
        await expect(self.page.locator("#status")).to_have_text("connected")

    async def say(self, text: str) -> None:
        await self.page.fill("#text", text)
        await self.page.press("#text", "Enter")


async def _tab(browser: Any, shots: Path) -> Tab:
    context = await browser.new_context()
    return Tab(await context.new_page(), shots)


async def test_a_conversation_from_problem_to_assigned_ticket_survives_a_reload(browser, chat, tmp_path):
    tab = await _tab(browser, tmp_path)
    page = tab.page
    await tab.sign_in(chat.url, DANA)
    await expect(page.locator(".message-bot .card-title")).to_have_text("Hi, I'm Ticketbot")
    await tab.shoot("signed-in")

    await tab.say(PROBLEM)
    bot = page.locator(".message-bot:has(.card-title)").last
    await expect(bot.locator(".card-title")).to_have_text("New ticket")
    await expect(bot.locator("input[name=title]")).to_have_value(PROBLEM)
    await expect(page.locator(".message-user")).to_have_text(PROBLEM)
    await tab.shoot("draft")

    await bot.get_by_role("button", name="Create").click()
    await expect(bot.locator(".card-title")).to_contain_text(f"#1 {PROBLEM}")
    # the welcome, the draft replaced by the ticket, and the first-contact line ("You are Dana Desk on the desk")
    await expect(page.locator(".message-bot:has(.card-title)")).to_have_count(2)
    await expect(page.locator(".message-bot").last).to_contain_text("You are Dana Desk on the desk.")
    await tab.shoot("ticket")

    await bot.get_by_role("button", name="Assign to me").click()
    await expect(bot.locator(".card")).to_contain_text("Dana Desk")
    await expect(bot.locator(".card")).to_contain_text("Assigned to Dana Desk.")
    await tab.shoot("assigned")

    await page.reload()
    await expect(page.locator(".message-user")).to_have_text(PROBLEM)
    await expect(page.locator(".message-bot .card").last).to_contain_text("Dana Desk")
    await expect(page.locator("#who-email")).to_have_text(DANA)
    await tab.shoot("reloaded")
    assert tab.dialogs == []
    await page.context.close()


async def test_an_assignment_in_one_browser_is_pushed_live_to_the_assignee_in_another(browser, chat, tmp_path):
    # Eve prefers the web chat; both are linked to their web identities by email (`ticketbot members link`).
    await chat.services.members.add("Eve Desk", EVE, preferred_platform="web")
    for email in (DANA, EVE):
        await chat.services.members.link(email, "web", email)
    dana, eve = await _tab(browser, tmp_path), await _tab(browser, tmp_path)
    await eve.page.goto(f"{chat.url}/chat")
    await eve.page.fill("#email", "eve@localhost")  # the browser's own check would pass it; the server's not
    await eve.page.click("text=Start chatting")
    await expect(eve.page.locator("#signin")).to_be_visible()
    await expect(eve.page.locator("#chat")).to_be_hidden()
    await eve.sign_in(chat.url, EVE)
    await expect(eve.page.locator(".message")).to_have_count(1)  # her welcome card
    await dana.sign_in(chat.url, DANA)

    await dana.say(PROBLEM)
    draft = dana.page.locator(".message-bot:has(.card-title)").last
    await draft.get_by_role("button", name="Create").click()
    await expect(draft.locator(".card-title")).to_contain_text(f"#1 {PROBLEM}")
    await dana.say(f"assign 1 to {EVE}")
    await expect(dana.page.locator(".message-bot").last).to_contain_text("Eve Desk")
    await dana.shoot("assigned-to-eve")

    # The change's delivery row goes out through the outbox worker of the served app, over Eve's open socket.
    notified = eve.page.locator(".message-bot").last
    await expect(notified.locator(".card-title")).to_contain_text(f"#1 {PROBLEM}")
    await expect(notified.locator(".card")).to_contain_text("assigned to Eve Desk (by Dana Desk)")
    await expect(eve.page.locator(".message")).to_have_count(2)
    await eve.shoot("notified-live")
    await expect(dana.page.locator(".message", has_text="(by Dana Desk)")).to_have_count(0)  # not to the actor
    assert dana.dialogs == eve.dialogs == []
    for tab in (dana, eve):
        await tab.page.context.close()


async def test_hostile_text_shows_as_typed_and_never_runs(browser, chat, tmp_path):
    tab = await _tab(browser, tmp_path)
    page = tab.page
    await tab.sign_in(chat.url, DANA)
    await expect(page.locator(".message-bot")).to_have_count(1)
    await tab.say(HOSTILE)
    await expect(page.locator(".message-user")).to_have_text(HOSTILE)
    bot = page.locator(".message-bot:has(.card-title)").last
    await expect(bot.locator("input[name=title]")).to_have_value(HOSTILE)
    await bot.get_by_role("button", name="Create").click()
    await expect(bot.locator(".card-title")).to_contain_text(HOSTILE)
    await tab.shoot("hostile")
    log = page.locator("#log")
    for injected in ("script", "img", "strong", "em", "h1", "a"):
        await expect(log.locator(injected)).to_have_count(0)
    assert await page.evaluate("typeof window.pwned") == "undefined"
    assert tab.dialogs == []
    await page.context.close()
