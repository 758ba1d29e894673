"""Soak: mixed requests over every inbound route while the platform stubs inject random faults, then the
database checked for consistency, then a restart that must lose nothing pending.

The requests (creates, shows, notes, assigns, status and priority changes, card button presses, lists, searches)
go to Teams `/api/messages` (local mode, as the Teams tests run it) and its signed outgoing webhook, Slack's
signed events and interactivity, Webex's signed webhooks, the web chat's socket, the admin API (bearer key), the
signed PSA hook, and the probes (`/healthz`, `/readyz`, `/metrics` with its key). A route that does not answer
2xx is sent the same request again, as a platform redelivers. Meanwhile the Bot Connector, Slack and Webex stubs
fail a share of the bot's calls at random (`tests/fakes/faults.py`): held past the bot's timeout, 500, 429 with
Retry-After, dropped connections. (Slack's SDK sets its own 30 s timeout per call, so there a held call is a
slow success.)

Afterwards, with the outbox drained: no request was answered 500; every acknowledged create exists exactly
once (an unacknowledged one at most once); every ticket's timeline replays to its fields (status, priority,
assignees, title) and version; every delivery is sent or dead with a reason. Then every platform refuses
everything while more tickets are opened, the app is closed with their deliveries pending, and a new app on the
same database (the platforms healthy again) sends each of them.

Everything random comes from one seed, printed at the start (pytest shows it with a failure):
`TICKETBOT_SOAK_SEED` replays the same plan and the same fault draws (which concurrent call meets which draw
can differ). The plan is `TICKETBOT_SOAK_REQUESTS` requests (3,000), sent until done or until
`TICKETBOT_SOAK_SECONDS` (8) have passed, which keeps the test to about 20 s on a busy 2-core machine (a few
hundred requests there); raise both for a longer local soak. `TICKETBOT_SOAK_FAULT_RATE` sets the share of
platform calls that fail (0.15).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import hmac
import json
import os
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import select

import adapters.webex.client
from adapters.teams.webhook import signature as webhook_signature
from bot.app import create_app
from bot.desk.keys import KeyService
from bot.services import Services
from bot.web import SharedSession
from storage.models import Delivery, Ticket, TimelineEntry
from tests.fakes.bot_connector import BotConnectorStub
from tests.fakes.faults import Faults
from tests.fakes.slack_api import SlackApiStub, bot_token
from tests.fakes.webex_api import BOT_ID, WebexApiStub
from tests.helpers import make_settings
from tests.hostile.routes import sample
from tests.http import served

SEED = int(os.environ.get("TICKETBOT_SOAK_SEED") or 20261207)
REQUESTS = int(os.environ.get("TICKETBOT_SOAK_REQUESTS") or 3000)
SECONDS = float(os.environ.get("TICKETBOT_SOAK_SECONDS") or 8)  # the load stops here even if requests are left
CONCURRENCY = 12
FAULT_RATE = 0.15  # share of the bot's platform calls that fail
CALL_TIMEOUT = 1  # seconds the bot waits for a platform here; a "timeout" fault holds a call longer
HOLD = 1.5
REDELIVERIES = 4  # how often a request that got no 2xx is sent again, as the platforms do
OUTAGE_CREATES = 15  # tickets opened while every platform refuses, pending across the restart
DRAIN_WITHIN = 30.0
REPLAYED = ("status", "priority", "assignees", "title")  # the ticket fields a timeline replay must reach

# The answers that ask the platform to send the event again (the bot could not fetch or authorize it).
REDELIVER_ME = {("webex", 502), ("slack", 503)}
FAULT_RATE = float(os.environ.get("TICKETBOT_SOAK_FAULT_RATE") or FAULT_RATE)

TEAMS_SECRET = base64.b64encode(b"soak-test-outgoing-webhook-secret").decode()
SLACK_SECRET = "soak-slack-signing-secret"
WEBEX_SECRET = "soak-webex-webhook-secret"
HOOK_SECRET = "soak-hook-secret"
METRICS_KEY = "soak-metrics-key"
SLACK_TEAM = "T111"
TEAMS_CHANNEL = "19:8d46058cda57449380517cc374727f2a@thread.tacv2"  # where the install sample adds the bot
SLACK_CHANNEL = "C0SOAK"
WEBEX_ROOM = "Y2lzY29zcGFyazovL3VzL1JPT00vc29haw"
STAFF = ("Ana Tech", "Ben Tech", "Cy Tech")  # desk members, linked on every platform
REQUESTERS = ("Dee Guest",)  # platform users who are not members: they may only open and read tickets
WORDS = ("printer", "vpn", "laptop", "coffee", "badge", "wifi")


@dataclass(frozen=True)
class Person:
    """One person, with an id on each platform."""

    name: str
    staff: bool

    @property
    def slug(self) -> str:
        return self.name.split()[0].lower()

    @property
    def email(self) -> str:
        return f"{self.slug}@example.com"

    @property
    def teams_aad(self) -> str:
        return f"aad-{self.slug}"

    @property
    def slack_user(self) -> str:
        return f"W{self.slug.upper()}"

    @property
    def webex_person(self) -> str:
        return f"Y2lzY29zcGFyazovL3VzL1BFT1BMRS9{self.slug}"


PEOPLE = tuple(Person(n, True) for n in STAFF) + tuple(Person(n, False) for n in REQUESTERS)


@dataclass
class Tally:
    """What the load saw: answers by (route, status), and for every create whether it was acknowledged."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    creates: dict[str, bool] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)


def slack_signed(body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    digest = hmac.new(SLACK_SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": "v0=" + digest}


def webex_signed(body: bytes) -> dict[str, str]:
    return {"X-Spark-Signature": hmac.new(WEBEX_SECRET.encode(), body, hashlib.sha1).hexdigest()}


def hook_signed(body: bytes) -> dict[str, str]:
    return {"X-Ticketbot-Signature": "sha256=" + hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()}


class Load:
    """Builds and sends the requests; one instance per served app."""

    def __init__(self, url: str, http: aiohttp.ClientSession, connector: BotConnectorStub, webex: WebexApiStub,
                 api_key: str, tally: Tally) -> None:
        self.url = url
        self.http = http
        self.connector = connector
        self.webex = webex
        self.api_key = api_key
        self.tally = tally

    async def send(self, route: str, path: str, body: bytes, headers: dict[str, str], *, create: str | None = None,
                   redeliver: bool = True) -> int:
        """POST the body (again while it gets no 2xx, when `redeliver`); the last status (0: no answer)."""
        status = 0
        for _ in range(REDELIVERIES + 1 if redeliver else 1):
            try:
                async with self.http.post(self.url + path, data=body, headers=headers,
                                          timeout=aiohttp.ClientTimeout(total=30)) as resp:
                    status = resp.status
                    answer = await resp.read()
            except (aiohttp.ClientError, TimeoutError):
                status, answer = 0, b""
            self.tally.statuses[(route, status)] += 1
            if status >= 500 and (route, status) not in REDELIVER_ME:
                self.tally.server_errors.append(f"{route} {path} answered {status}: {answer[:300]!r}")
            if 200 <= status < 300:
                break
            if route == "slack":  # Slack marks a redelivery
                headers = {**headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
        if create is not None:
            acknowledged = 200 <= status < 300
            self.tally.creates[create] = self.tally.creates.get(create, False) or acknowledged
        return status

    # Teams ------------------------------------------------------------------------------------------------

    def _teams_activity(self, person: Person, key: str) -> dict[str, Any]:
        activity = copy.deepcopy(sample("teams", "message.personal.msteams-docs.json"))
        activity.pop("attachments")
        activity.update(id=key, serviceUrl=self.connector.service_url)
        activity["from"] = {"id": f"29:{person.slug}", "name": person.name, "aadObjectId": person.teams_aad}
        activity["conversation"] = {"conversationType": "personal", "id": f"a:soak-{person.slug}"}
        return activity

    async def teams_text(self, person: Person, key: str, text: str, create: str | None = None) -> None:
        activity = self._teams_activity(person, key) | {"text": text}
        await self.send("teams", "/api/messages", json.dumps(activity).encode(), {"Content-Type": "application/json"},
                        create=create)

    async def teams_press(self, person: Person, key: str, verb: str, data: dict[str, Any]) -> None:
        activity = self._teams_activity(person, key)
        activity.update(type="invoke", name="adaptiveCard/action", replyToId=f"card-{key}", text=None)
        activity["value"] = {"action": {"type": "Action.Execute", "title": verb, "verb": verb, "data": data},
                             "trigger": "manual"}
        await self.send("teams", "/api/messages", json.dumps(activity).encode(), {"Content-Type": "application/json"})

    async def webhook_text(self, person: Person, key: str, text: str, create: str | None = None) -> None:
        activity = copy.deepcopy(sample("teams", "message.channel.mention-bot.teams-net.json"))
        activity.pop("recipient")
        activity.update(id=key, text=f"<at>ridotest</at> {text}")
        activity["from"] = {"id": f"29:{person.slug}", "name": person.name, "aadObjectId": person.teams_aad}
        body = json.dumps(activity).encode()
        headers = {"Content-Type": "application/json",
                   "Authorization": webhook_signature(base64.b64decode(TEAMS_SECRET), body)}
        await self.send("teams-webhook", "/api/teams/webhook", body, headers, create=create)

    # Slack ------------------------------------------------------------------------------------------------

    async def slack_text(self, person: Person, key: str, text: str, create: str | None = None) -> None:
        body = copy.deepcopy(sample("slack", "event_callback.message.im.slack-docs.json"))
        body.update(team_id=SLACK_TEAM, event_id=f"Ev{key}",
                    authorizations=[{"team_id": SLACK_TEAM, "user_id": f"UBOT{SLACK_TEAM}", "is_bot": True}])
        body["event"].update(channel=f"D{person.slack_user}", user=person.slack_user, text=text, ts=f"{key}.0001",
                             event_ts=f"{key}.0001")
        raw = json.dumps(body).encode()
        await self.send("slack", "/slack/events", raw, {"Content-Type": "application/json", **slack_signed(raw)},
                        create=create)

    async def slack_press(self, person: Person, key: str, verb: str, data: dict[str, Any]) -> None:
        payload = copy.deepcopy(sample("slack", "block_actions.bolt-python.json"))
        payload["user"] = {"id": person.slack_user, "team_id": SLACK_TEAM}
        payload["team"] = {"id": SLACK_TEAM, "domain": "soak"}
        channel = f"D{person.slack_user}"
        payload["channel"] = {"id": channel}
        payload["container"] = {"type": "message", "message_ts": f"{key}.0002", "channel_id": channel}
        payload.pop("response_url")
        payload["trigger_id"] = f"trigger-{key}"
        payload["actions"] = [{"action_id": verb, "block_id": "actions", "type": "button", "action_ts": f"{key}.3",
                               "value": json.dumps({"action": verb, **data})}]
        raw = urlencode({"payload": json.dumps(payload)}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **slack_signed(raw)}
        await self.send("slack", "/slack/events", raw, headers)

    # Webex ------------------------------------------------------------------------------------------------

    def _webex_room(self, person: Person) -> str:
        return f"Y2lzY29zcGFyazovL3VzL1JPT00vZGlyZWN0-{person.slug}"

    async def webex_text(self, person: Person, key: str, text: str, create: str | None = None) -> None:
        webhook = copy.deepcopy(sample("webex", "webhook.messages.created.direct.captured.json"))
        message_id = f"Y2lzY29zcGFyazovL3VzL01FU1NBR0Uv{key}"
        data = {"id": message_id, "roomId": self._webex_room(person), "roomType": "direct",
                "personId": person.webex_person, "personEmail": person.email, "created": "2026-12-07T00:00:00.000Z"}
        webhook["data"] = data
        self.webex.messages[message_id] = {**data, "text": text}
        raw = json.dumps(webhook).encode()
        await self.send("webex", "/webex/events", raw, {"Content-Type": "application/json", **webex_signed(raw)},
                        create=create)

    async def webex_press(self, person: Person, key: str, verb: str, data: dict[str, Any]) -> None:
        card_id = f"Y2lzY29zcGFyazovL3VzL01FU1NBR0UvY2FyZA-{key}"
        self.webex.messages[card_id] = {"id": card_id, "roomId": self._webex_room(person), "roomType": "direct",
                                        "personId": BOT_ID, "personEmail": "ticketbot@webex.bot", "text": "card"}
        action_id = f"Y2lzY29zcGFyazovL3VzL0FUVEFDSE1FTlRfQUNUSU9OL{key}"
        self.webex.actions[action_id] = {"id": action_id, "type": "submit", "messageId": card_id,
                                         "inputs": {"action": verb, **data}, "personId": person.webex_person,
                                         "roomId": self._webex_room(person), "created": "2026-12-07T00:00:00.000Z"}
        webhook = copy.deepcopy(sample("webex", "webhook.attachmentActions.created.captured.json"))
        webhook["data"].update(id=action_id, messageId=card_id, personId=person.webex_person,
                               roomId=self._webex_room(person))
        raw = json.dumps(webhook).encode()
        await self.send("webex", "/webex/events", raw, {"Content-Type": "application/json", **webex_signed(raw)})

    # The web chat, and the probes -------------------------------------------------------------------------

    async def web_text(self, person: Person, key: str, text: str, create: str | None = None) -> None:
        """One message on the web chat's socket (loopback callers pick who they are); acknowledged when the
        server ends its answer with `done`."""
        done = False
        try:
            async with self.http.ws_connect(f"{self.url}/chat/ws?as={person.email}",
                                            timeout=aiohttp.ClientWSTimeout(ws_close=10)) as ws:
                while (await ws.receive_json(timeout=10))["type"] != "welcome":
                    pass
                await ws.send_json({"type": "message", "text": text})
                while not done:
                    frame = await ws.receive_json(timeout=10)
                    done = frame["type"] == "done"
        except (aiohttp.ClientError, TimeoutError, TypeError) as exc:
            self.tally.server_errors.append(f"web chat: {type(exc).__name__} {exc}")
        self.tally.statuses[("web", 200 if done else 0)] += 1
        if create is not None:
            self.tally.creates[create] = self.tally.creates.get(create, False) or done

    async def probe(self, path: str) -> None:
        headers = {"Authorization": f"Bearer {METRICS_KEY}"} if path == "/metrics" else {}
        async with self.http.get(self.url + path, headers=headers) as resp:
            await resp.read()
            self.tally.statuses[(path, resp.status)] += 1
            if resp.status != 200:
                self.tally.server_errors.append(f"GET {path} answered {resp.status}")

    # The admin API and the PSA hook -----------------------------------------------------------------------

    async def api(self, method: str, path: str, body: dict[str, Any] | None = None,
                  create: str | None = None) -> Any:
        """One admin API call (never redelivered: the API promises no idempotency); its JSON answer."""
        headers = {"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"}
        try:
            async with self.http.request(method, f"{self.url}/api/v1{path}", data=json.dumps(body or {}).encode(),
                                         headers=headers) as resp:
                status, answer = resp.status, await resp.read()
        except (aiohttp.ClientError, TimeoutError):
            status, answer = 0, b""
        self.tally.statuses[("api", status)] += 1
        if status >= 500 or status == 0:
            self.tally.server_errors.append(f"api {method} {path} answered {status}: {answer[:300]!r}")
        if create is not None:
            self.tally.creates[create] = self.tally.creates.get(create, False) or 200 <= status < 300
        return json.loads(answer) if answer else None

    async def hook(self, external_id: str, title: str, person: Person, rng: random.Random, create: str | None) -> None:
        body = {"event": "created" if create else "updated",
                "ticket": {"external_id": external_id, "title": title,
                           "priority": rng.choice(("low", "medium", "high")),
                           "status": rng.choice(("New", "In Progress", "Waiting")),
                           "assignees": [p.email for p in PEOPLE if p.staff and rng.random() < 0.3],
                           "requester": person.email}}
        raw = json.dumps(body).encode()
        await self.send("hook", "/hooks/tickets", raw, {"Content-Type": "application/json", **hook_signed(raw)},
                        create=create)


TEXT_PLATFORMS = ("teams", "slack", "webex", "teams-webhook", "web")
PRESS_PLATFORMS = ("teams", "slack", "webex")
VERBS = ("ticket.assign_me", "ticket.status", "ticket.priority", "ticket.note", "ticket.close", "ticket.reopen",
         "ticket.show")
KINDS = {"create": 22, "show": 8, "note": 12, "assign": 8, "status": 7, "priority": 6, "press": 20, "list": 4,
         "search": 4, "api": 5, "hook": 4, "probe": 2}


def plan(rng: random.Random, count: int) -> list[Callable[[Load], Awaitable[Any]]]:
    """`count` requests, drawn from the seed before any is sent (so the plan is the same in every replay)."""
    steps: list[Callable[[Load], Awaitable[Any]]] = []
    creates = 1
    for n in range(count):
        kind = rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
        person = rng.choice(PEOPLE)
        number = rng.randint(1, creates)  # some name a ticket not made (yet): a short answer, not an error
        key = f"{SEED}x{n}"
        word = rng.choice(WORDS)
        platform = rng.choice(TEXT_PLATFORMS)
        if kind == "create":
            creates += 1
            title = f"soak {key} {word} broken"
            text = f"Title: {title}\nPriority: {rng.choice(('low', 'medium', 'high', 'urgent'))}"
            steps.append(_text(platform, person, key, text, create=title))
        elif kind == "press":
            verb = rng.choice(VERBS)
            data: dict[str, Any] = {"ticket": number}
            if rng.random() < 0.5:
                data["version"] = rng.randint(1, 6)  # often stale: answered with the fresh card
            data |= {"status": rng.choice(("In Progress", "Waiting", "Resolved")),
                     "priority": rng.choice(("low", "high", "critical")), "note": f"pressed note {key}"}
            steps.append(_press(rng.choice(PRESS_PLATFORMS), person, key, verb, data))
        elif kind == "api":
            steps.append(_api(rng, key, number, word))
        elif kind == "probe":
            path = rng.choice(("/healthz", "/readyz", "/metrics"))
            steps.append(lambda load, path=path: load.probe(path))
        elif kind == "hook":
            external = f"psa-{rng.randint(1, max(1, count // 40))}"
            steps.append(lambda load, e=external, p=person, t=f"psa {word} ticket {key}", r=random.Random(key):
                         load.hook(e, t, p, r, create=None))
        else:
            text = {
                "show": f"show {number}",
                "note": f"note {number} soak note {key} about the {word}",
                "assign": f"assign {number} to {'me' if rng.random() < 0.5 else rng.choice(STAFF[:2])}",
                "status": f"status {number} {rng.choice(('in progress', 'waiting', 'resolved'))}",
                "priority": f"priority {number} {rng.choice(('low', 'medium', 'high', 'critical'))}",
                "list": rng.choice(("my tickets", "list")),
                "search": f"search {word}",
            }[kind]
            steps.append(_text(platform, person, key, text))
    return steps


def _text(platform: str, person: Person, key: str, text: str, create: str | None = None):
    senders = {"teams": Load.teams_text, "slack": Load.slack_text, "webex": Load.webex_text,
               "teams-webhook": Load.webhook_text, "web": Load.web_text}
    return lambda load: senders[platform](load, person, key, text, create)


def _press(platform: str, person: Person, key: str, verb: str, data: dict[str, Any]):
    pressers = {"teams": Load.teams_press, "slack": Load.slack_press, "webex": Load.webex_press}
    return lambda load: pressers[platform](load, person, key, verb, data)


def _api(rng: random.Random, key: str, number: int, word: str):
    choice = rng.choice(("create", "create", "note", "patch", "list", "get", "close"))
    if choice == "create":
        title = f"soak {key} {word} via api"
        return lambda load: load.api("POST", "/tickets", {"title": title, "priority": "high"}, create=title)
    if choice == "note":
        return lambda load: load.api("POST", f"/tickets/{number}/notes", {"text": f"api note {key}"})
    if choice == "patch":
        status = rng.choice(("In Progress", "Waiting"))

        async def patch(load: Load) -> None:
            ticket = await load.api("GET", f"/tickets/{number}")
            if ticket and "version" in ticket:
                await load.api("PATCH", f"/tickets/{number}", {"version": ticket["version"], "status": status})

        return patch
    if choice == "close":
        return lambda load: load.api("POST", f"/tickets/{number}/close", {"reason": f"api close {key}"})
    if choice == "get":
        return lambda load: load.api("GET", f"/tickets/{number}")
    return lambda load: load.api("GET", f"/tickets?q={word}")


async def run_all(load: Load, steps: list[Callable[[Load], Awaitable[Any]]], seconds: float) -> int:
    """Send the steps in order, CONCURRENCY at a time, until all are sent or `seconds` have passed; how many."""
    queue = list(reversed(steps))
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        while queue and time.monotonic() < deadline:
            await queue.pop()(load)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return len(steps) - len(queue)


# The app and its state ------------------------------------------------------------------------------------


@dataclass
class Platforms:
    """The three platform stubs, sharing one fault knob."""

    faults: Faults
    connector: BotConnectorStub
    slack: SlackApiStub
    webex: WebexApiStub


@asynccontextmanager
async def platforms(seed: int) -> AsyncIterator[Platforms]:
    faults = Faults(0.0, seed=seed, hold=HOLD)
    async with BotConnectorStub(faults=faults) as connector, SlackApiStub(faults=faults) as slack, \
            WebexApiStub(faults=faults) as webex:
        for person in PEOPLE:
            slack.users[person.slack_user] = {"id": person.slack_user, "name": person.slug, "real_name": person.name,
                                              "profile": {"real_name": person.name, "email": person.email}}
            webex.people[person.webex_person] = {"id": person.webex_person, "emails": [person.email],
                                                 "displayName": person.name, "type": "person"}
        yield Platforms(faults, connector, slack, webex)


def settings(db_url: str, stubs: Platforms):
    return make_settings(
        db_url,
        teams_webhook_secret=TEAMS_SECRET,
        slack_bot_token=bot_token(SLACK_TEAM), slack_signing_secret=SLACK_SECRET, slack_api_url=stubs.slack.api_url,
        webex_access_token="soak-webex-token", webex_webhook_secret=WEBEX_SECRET, webex_api_url=stubs.webex.api_url,
        hook_secret=HOOK_SECRET, metrics_key=METRICS_KEY,
        outbox_backoff_seconds=0.05, outbox_poll_seconds=0.05, outbox_lease_seconds=3.0,
    )


@asynccontextmanager
async def serve(db_url: str, stubs: Platforms) -> AsyncIterator[tuple[str, Services]]:
    """The whole app over `db_url`, calling the stubs with short timeouts, served on a free port."""
    services = Services(settings(db_url, stubs))
    services.http = SharedSession(aiohttp.ClientTimeout(total=CALL_TIMEOUT))
    try:
        async with served(create_app(services)) as url:
            yield url, services
    finally:
        await services.close()


async def set_up_desk(services: Services, load: Load, stubs: Platforms) -> str:
    """Members linked on every platform, and a rule sending each new critical ticket to a Teams
    channel, a Slack channel and a Webex room (each a lane the outbox sends in order, one row at a time, so the
    rule is narrow enough to drain in seconds); the admin API key. Changes reach the assignees' DMs."""
    for person in PEOPLE:
        if person.staff:
            await services.members.add(person.name, person.email, is_admin=person.name == STAFF[0])
            await services.members.link(person.email, "teams", person.teams_aad)
            await services.members.link(person.email, "slack", f"{SLACK_TEAM}:{person.slack_user}")
            await services.members.link(person.email, "webex", person.webex_person)
    admin = await services.members.by_email(PEOPLE[0].email)
    key = (await KeyService(services.db).create("soak", member=admin, admin=True)).secret
    load.api_key = key
    install = copy.deepcopy(sample("teams", "conversationUpdate.bot-added-to-team.sentry.json"))
    install["serviceUrl"] = stubs.connector.service_url
    assert await load.send("teams", "/api/messages", json.dumps(install).encode(),
                           {"Content-Type": "application/json"}) == 200
    board = (await load.api("GET", "/boards"))["items"][0]["name"]
    for platform, conversation in (("teams", TEAMS_CHANNEL), ("slack", SLACK_CHANNEL), ("webex", WEBEX_ROOM)):
        recipient = await load.api("POST", "/recipients", {"platform": platform, "conversation": conversation,
                                                           "name": f"{platform} desk channel"})
        assert recipient and "id" in recipient, recipient
        rule = await load.api("POST", "/rules", {"board": board, "recipient_id": recipient["id"],
                                                 "min_priority": "critical"})
        assert rule and "id" in rule, rule
    return key


async def deliveries(services: Services) -> list[Delivery]:
    async with services.db.sessions() as session:
        return list(await session.scalars(select(Delivery).order_by(Delivery.id)))


async def drained(services: Services, within: float = DRAIN_WITHIN) -> list[Delivery]:
    """The delivery rows once none is pending or sending (the worker retrying past the faults)."""
    deadline = time.monotonic() + within
    while True:
        rows = await deliveries(services)
        busy = [r for r in rows if r.state in ("pending", "sending")]
        if not busy:
            return rows
        if time.monotonic() > deadline:
            pytest.fail(f"seed {SEED}: {len(busy)} deliveries still pending after {within:g} s: "
                        f"{[(r.id, r.platform, r.state, r.attempts, r.next_attempt_at, r.lane, r.last_error) for r in busy[:8]]}")
        await asyncio.sleep(0.1)


async def tickets_by_title(services: Services) -> Counter[str]:
    async with services.db.sessions() as session:
        return Counter((await session.scalars(select(Ticket.title))).all())


async def settled(services: Services, tally: Tally, within: float = 30.0) -> Counter[str]:
    """The tickets' titles once every acknowledged create is stored (Slack works after its ack)."""
    deadline = time.monotonic() + within
    acknowledged = {title for title, ok in tally.creates.items() if ok}
    while True:
        titles = await tickets_by_title(services)
        missing = acknowledged - set(titles)
        if not missing:
            return titles
        if time.monotonic() > deadline:
            pytest.fail(f"seed {SEED}: {len(missing)} acknowledged creates are not stored: {sorted(missing)[:5]}")
        await asyncio.sleep(0.2)


async def timeline_mismatches(services: Services) -> list[str]:
    """Every ticket whose timeline does not replay to its fields and version."""
    problems = []
    async with services.db.sessions() as session:
        tickets = list(await session.scalars(select(Ticket).order_by(Ticket.number)))
        entries: dict[int, list[TimelineEntry]] = {}
        for entry in await session.scalars(select(TimelineEntry).order_by(TimelineEntry.id)):
            entries.setdefault(entry.ticket_id, []).append(entry)
    for ticket in tickets:
        state: dict[str, Any] = {"assignees": []}
        timeline = entries.get(ticket.id, [])
        if not timeline or timeline[0].action != "created":
            problems.append(f"#{ticket.number}: the timeline does not start with its creation")
            continue
        for entry in timeline:
            for change in entry.changes:
                name = change["field"]
                if name not in REPLAYED:
                    continue
                if entry.action != "created" and name in state and state[name] != change["old"]:
                    problems.append(f"#{ticket.number}: {name} went from {change['old']!r}, but was {state[name]!r}")
                state[name] = change["new"]
        actual = {"status": ticket.status.name, "priority": ticket.priority, "title": ticket.title,
                  "assignees": sorted(m.name for m in ticket.assignees)}
        state["assignees"] = sorted(state["assignees"])
        for name, value in actual.items():
            if state.get(name) != value:
                problems.append(f"#{ticket.number}: {name} is {value!r}, the timeline says {state.get(name)!r}")
        if ticket.version != len(timeline):
            problems.append(f"#{ticket.number}: version {ticket.version} after {len(timeline)} timeline entries")
    return problems


def bad_deliveries(rows: list[Delivery]) -> list[str]:
    """Rows that are neither sent, nor retrying (pending with an error), nor dead with a reason."""
    bad = []
    for row in rows:
        if row.state == "sent" and row.sent_at is not None:
            continue
        if row.state == "pending" and (row.attempts == 0 or row.last_error):
            continue
        if row.state == "dead" and row.last_error:
            continue
        bad.append(f"delivery {row.id}: {row.state}, {row.attempts} attempts, error {row.last_error!r}")
    return bad


async def test_soak_with_faults_then_a_restart_loses_nothing(db_url, monkeypatch):
    print(f"soak seed {SEED} ({REQUESTS} requests); replay with TICKETBOT_SOAK_SEED={SEED}")
    monkeypatch.setattr(adapters.webex.client, "REQUEST_TIMEOUT", CALL_TIMEOUT)
    rng = random.Random(SEED)
    steps = plan(rng, REQUESTS)
    tally = Tally()
    async with platforms(SEED) as stubs, aiohttp.ClientSession() as http:
        async with serve(db_url, stubs) as (url, services):
            load = Load(url, http, stubs.connector, stubs.webex, "", tally)
            await set_up_desk(services, load, stubs)
            stubs.faults.rate = FAULT_RATE
            started = time.monotonic()
            sent = await run_all(load, steps, SECONDS)
            print(f"{sent} requests in {time.monotonic() - started:.1f} s; faults {dict(stubs.faults.struck)}; "
                  f"answers {dict(tally.statuses)}")
            assert not tally.server_errors, f"seed {SEED}: {tally.server_errors[:5]}"
            titles = await settled(services, tally)
            rows = await drained(services)

            duplicated = {t: n for t, n in titles.items() if t in tally.creates and n > 1}
            assert not duplicated, f"seed {SEED}: creates stored more than once: {duplicated}"
            assert sum(tally.creates.values()) > sent // 10, "too few creates were acknowledged to mean anything"
            assert stubs.faults.struck.total() > 0 and len(stubs.faults.struck) == 4, stubs.faults.struck
            problems = await timeline_mismatches(services)
            assert not problems, f"seed {SEED}: {problems[:10]}"
            assert not bad_deliveries(rows), f"seed {SEED}: {bad_deliveries(rows)[:10]}"
            assert Counter(r.state for r in rows)["sent"] > sent // 10, Counter(r.state for r in rows)

            # An outage: every platform refuses, more tickets are opened, and the app goes down with their
            # deliveries pending.
            stubs.faults.rate, stubs.faults.kinds = 1.0, ("500",)
            before = {r.id for r in rows}
            for n in range(OUTAGE_CREATES):
                await load.api("POST", "/tickets", {"title": f"outage {SEED} {n}", "priority": "critical"},
                               create=f"outage {SEED} {n}")
            deadline = time.monotonic() + DRAIN_WITHIN
            while True:
                pending = [r for r in await deliveries(services) if r.id not in before]
                assert all(r.state in ("pending", "sending") for r in pending), "sent while every platform refuses"
                # The first row of each lane is retried; the rows behind it wait their turn.
                tried = {r.lane for r in pending if r.attempts > 0}
                if len(pending) >= OUTAGE_CREATES and tried == {r.lane for r in pending}:
                    break
                assert time.monotonic() < deadline, "the outage's deliveries were never tried"
                await asyncio.sleep(0.05)
        stubs.faults.rate = 0.0
        refused = len(stubs.connector.requests) + len(stubs.slack.calls) + len(stubs.webex.requests)
        async with serve(db_url, stubs) as (url, services):
            rows = await drained(services)
            after = {r.id: r for r in rows}
            lost = [r.id for r in pending if after[r.id].state != "sent"]
            assert not lost, f"seed {SEED}: pending deliveries not sent after the restart: {lost}"
            calls = len(stubs.connector.requests) + len(stubs.slack.calls) + len(stubs.webex.requests)
            assert calls - refused >= len(pending), "the new process did not call the platforms for them"
            titles = await tickets_by_title(services)
            assert all(titles[f"outage {SEED} {n}"] == 1 for n in range(OUTAGE_CREATES))
            assert not await timeline_mismatches(services)
            assert not bad_deliveries(rows)
