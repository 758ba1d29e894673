"""A local Microsoft Graph mailbox: the inbox delta query, messages, reply/sendMail, move, recording every request.

Tests `deliver()` mail into the inbox. The delta query answers like Graph: the first round lists the inbox in
pages of `page_size` (`@odata.nextLink` with a `$skiptoken`), ending with an `@odata.deltaLink` whose
`$deltatoken` marks the change log's position; a later round with that link returns only what changed since
(new mail, mail updated in the inbox, and `@removed` entries for mail moved out). Ids are immutable: a moved
message keeps its id. `refuse_next` answers the next request with an error status (429 with Retry-After …).
Only requests with a bearer token the login stub issued are served (401 otherwise).
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp import web

from tests.http import LocalServer

API_PATH = "/v1.0/"


@dataclass(frozen=True)
class Recorded:
    """One request the stub received."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str] = field(repr=False)
    status: int = 200


@dataclass
class Refusal:
    """An error answer for the next request whose path ends with `path` (any request when empty)."""

    status: int
    retry_after: str | None = None
    path: str = ""


def mail(
    subject: str,
    body: str,
    *,
    sender: str = "ann@example.com",
    name: str = "Ann Example",
    conversation: str | None = None,
    importance: str = "normal",
    headers: dict[str, str] | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A Graph message resource as a test writes it (ids are filled in by `deliver`)."""
    return {
        "subject": subject,
        "uniqueBody": {"contentType": "text", "content": body},
        "from": {"emailAddress": {"address": sender, "name": name}},
        "sender": {"emailAddress": {"address": sender, "name": name}},
        "conversationId": conversation,
        "importance": importance,
        "isRead": False,
        "internetMessageHeaders": [{"name": k, "value": v} for k, v in (headers or {}).items()],
        "attachments": attachments or [],
        "hasAttachments": bool(attachments),
    }


class GraphStub(LocalServer):
    """The fake Graph API for one mailbox. `api_url` is what `GRAPH_API_URL` should say."""

    def __init__(self, mailbox: str, tokens: Callable[[], list[str]], *, page_size: int = 10) -> None:
        self.mailbox = mailbox
        self.page_size = page_size
        self._tokens = tokens
        self.messages: dict[str, dict[str, Any]] = {}
        self.folders: dict[str, str] = {}  # message id → folder
        self.log: list[tuple[str, str]] = []  # ("added" | "updated" | "removed", message id)
        self.sent: list[dict[str, Any]] = []  # every mail sent: reply drafts sent and sendMail messages
        self.drafts: dict[str, dict[str, Any]] = {}
        self.requests: list[Recorded] = []
        self.refusals: list[Refusal] = []
        self.known_folders = {"inbox": "Inbox", "archive": "Archive"}
        self._snapshots: dict[str, list[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        app = web.Application()
        base = f"{API_PATH}users/{{mailbox}}"
        app.router.add_get(f"{base}/mailFolders/inbox/messages/delta", self._delta)
        app.router.add_get(f"{base}/mailFolders/{{folder}}", self._folder)
        app.router.add_get(f"{base}/messages/{{id}}", self._get)
        app.router.add_patch(f"{base}/messages/{{id}}", self._patch)
        app.router.add_post(f"{base}/messages/{{id}}/move", self._move)
        app.router.add_post(f"{base}/messages/{{id}}/createReply", self._create_reply)
        app.router.add_post(f"{base}/messages/{{id}}/send", self._send)
        app.router.add_post(f"{base}/sendMail", self._send_mail)
        super().__init__(app)

    @property
    def api_url(self) -> str:
        return self.url + API_PATH

    def deliver(self, message: dict[str, Any]) -> str:
        """Put a mail into the inbox; returns its Graph id."""
        n = next(self._ids)
        message = copy.deepcopy(message)
        message_id = f"AAMk-{n}"
        message["id"] = message_id
        message.setdefault("internetMessageId", f"<m{n}@example.com>")
        message["conversationId"] = message.get("conversationId") or f"conv-{n}"
        for index, attachment in enumerate(message.get("attachments") or ()):
            attachment.setdefault("id", f"att-{n}-{index}")
        self.messages[message_id] = message
        self.folders[message_id] = "inbox"
        self.log.append(("added", message_id))
        return message_id

    def put_back(self, message_id: str) -> None:
        """Move a processed mail back into the inbox (Graph reports it as new in the next delta round)."""
        self.folders[message_id] = "inbox"
        self.log.append(("added", message_id))

    def refuse_next(self, status: int, retry_after: str | None = None, *, path: str = "") -> None:
        """Answer the next request (whose path ends with `path`, when given) with this error status instead."""
        self.refusals.append(Refusal(status, retry_after, path))

    def calls(self, method: str, suffix: str) -> list[Recorded]:
        """The recorded requests of this method whose path ends with `suffix`."""
        return [r for r in self.requests if r.method == method and r.path.endswith(suffix)]

    def inbox(self) -> list[str]:
        return [i for i, folder in self.folders.items() if folder == "inbox"]

    async def _record(self, request: web.Request) -> tuple[Recorded, web.Response | None]:
        raw = await request.read()
        query = {k: v[-1] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}
        body = json.loads(raw) if raw else None
        recorded = Recorded(request.method, request.path, query, body, dict(request.headers))
        self.requests.append(recorded)
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth.removeprefix("Bearer ") not in self._tokens():
            return recorded, _error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        if request.match_info.get("mailbox", "").lower() != self.mailbox:
            return recorded, _error(404, "ErrorInvalidUser", "The requested user is invalid.")
        refusal = next((r for r in self.refusals if request.path.endswith(r.path)), None)
        if refusal is not None:
            self.refusals.remove(refusal)
            headers = {"Retry-After": refusal.retry_after} if refusal.retry_after else None
            return recorded, _error(refusal.status, "TooManyRequests", "refused on demand", headers)
        return recorded, None

    def _items_since(self, position: int | None) -> list[dict[str, Any]]:
        if position is None:
            return [self.messages[i] for i in self.inbox()]
        changed = dict.fromkeys(message_id for _, message_id in self.log[position:])  # each once, as Graph does
        return [
            self.messages[i] if self.folders[i] == "inbox" else {"id": i, "@removed": {"reason": "deleted"}}
            for i in changed
        ]

    async def _delta(self, request: web.Request) -> web.Response:
        recorded, refused = await self._record(request)
        if refused is not None:
            return refused
        query = recorded.query
        if "$skiptoken" in query:
            snapshot, _, offset_text = query["$skiptoken"].partition("-")
            items, offset = self._snapshots[snapshot], int(offset_text)
        else:
            position = int(query["$deltatoken"]) if "$deltatoken" in query else None
            snapshot, items, offset = str(len(self._snapshots)), self._items_since(position), 0
            self._snapshots[snapshot] = items
        page = items[offset : offset + self.page_size]
        select = query.get("$select")
        fields = set(select.split(",")) | {"id", "@removed"} if select else None
        value = [{k: v for k, v in item.items() if fields is None or k in fields} for item in page]
        link = f"{self.api_url}users/{self.mailbox}/mailFolders/inbox/messages/delta"
        answer: dict[str, Any] = {"value": value}
        if offset + self.page_size < len(items):
            answer["@odata.nextLink"] = f"{link}?$skiptoken={snapshot}-{offset + self.page_size}"
        else:
            answer["@odata.deltaLink"] = f"{link}?$deltatoken={len(self.log)}"
        return web.json_response(answer)

    async def _folder(self, request: web.Request) -> web.Response:
        _, refused = await self._record(request)
        if refused is not None:
            return refused
        folder = request.match_info["folder"]
        if folder not in self.known_folders:
            return _error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        unread = sum(1 for i in self.inbox() if not self.messages[i].get("isRead")) if folder == "inbox" else 0
        return web.json_response({"id": folder, "displayName": self.known_folders[folder], "unreadItemCount": unread})

    def _message(self, request: web.Request) -> dict[str, Any] | None:
        return self.messages.get(request.match_info["id"])

    async def _get(self, request: web.Request) -> web.Response:
        _, refused = await self._record(request)
        if refused is not None:
            return refused
        message = self._message(request)
        if message is None:
            return _error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        return web.json_response(message)

    async def _patch(self, request: web.Request) -> web.Response:
        recorded, refused = await self._record(request)
        if refused is not None:
            return refused
        message = self._message(request)
        if message is None:
            return _error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        message.update(recorded.json or {})
        self.log.append(("updated", message["id"]))
        return web.json_response(message)

    async def _move(self, request: web.Request) -> web.Response:
        recorded, refused = await self._record(request)
        if refused is not None:
            return refused
        message = self._message(request)
        destination = (recorded.json or {}).get("destinationId")
        if message is None or destination not in self.known_folders:
            return _error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        self.folders[message["id"]] = destination
        self.log.append(("removed", message["id"]))
        return web.json_response(message, status=201)

    async def _create_reply(self, request: web.Request) -> web.Response:
        recorded, refused = await self._record(request)
        if refused is not None:
            return refused
        original = self._message(request)
        if original is None:
            return _error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        given = (recorded.json or {}).get("message") or {}
        draft = {
            "id": f"draft-{next(self._ids)}",
            "subject": given.get("subject") or f"RE: {original.get('subject', '')}",
            "body": given.get("body") or {"contentType": "text", "content": ""},
            "toRecipients": [original["from"]],
            "conversationId": original["conversationId"],
            "inReplyTo": original["id"],
        }
        self.drafts[draft["id"]] = draft
        return web.json_response(draft, status=201)

    async def _send(self, request: web.Request) -> web.Response:
        _, refused = await self._record(request)
        if refused is not None:
            return refused
        draft = self.drafts.pop(request.match_info["id"], None)
        if draft is None:
            return _error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        self.sent.append(draft)
        return web.Response(status=202)

    async def _send_mail(self, request: web.Request) -> web.Response:
        recorded, refused = await self._record(request)
        if refused is not None:
            return refused
        message = (recorded.json or {}).get("message") or {}
        if not message.get("toRecipients"):
            return _error(400, "ErrorInvalidRecipients", "At least one recipient is required.")
        self.sent.append(message)
        return web.Response(status=202)


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)
