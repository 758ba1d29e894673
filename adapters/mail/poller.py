"""The inbox poller: reads new mail with a Graph delta query and hands it to the core.

Each round follows the stored link (`@odata.nextLink` while pages remain, then the `@odata.deltaLink`), or
starts a delta query of the inbox when none is stored; the link is stored after each page, so a restart
resumes where it stopped. Each new message is read in full (the unique body as text, the headers, the
attachment list) and skipped when it is from the mailbox itself, automatic (`translate.automatic`) or from an
excluded sender; otherwise it becomes events for the core (`translate`), the core's replies are mailed back in
its thread (refused replies go to the outbox), an assignment rule is applied to a ticket it opened, and the
message is marked read and moved to the processed folder — never deleted. The idempotency key is the
message's `internetMessageId`, so a message seen twice (a re-poll, a replayed page) changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from adapters.mail import translate
from adapters.mail.graph import GraphClient, GraphError
from adapters.mail.port import MailPort
from adapters.mail.token import TokenError
from bot.seam import AdapterContext, ConversationRef, CursorStore, DeliveryError, MailDesk, Reply

log = logging.getLogger(__name__)

DELTA_SELECT = "subject,from,conversationId,internetMessageId,isRead"
MESSAGE_SELECT = (
    "subject,from,sender,conversationId,internetMessageId,importance,uniqueBody,internetMessageHeaders,hasAttachments"
)
ATTACHMENTS = "attachments($select=id,name,contentType,size,isInline)"


@dataclass
class PollResult:
    """What one round did: mails handed to the core, mails skipped (automatic, excluded, our own)."""

    handled: int = 0
    skipped: int = 0


class InboxPoller:
    """Polls one mailbox's inbox for as long as it runs."""

    def __init__(
        self, context: AdapterContext, graph: GraphClient, port: MailPort, cursors: CursorStore, desk: MailDesk
    ) -> None:
        self.context = context
        self.graph = graph
        self.port = port
        self.cursors = cursors
        self.desk = desk
        self.cursor_name = f"mail:inbox:{graph.config.mailbox}"

    async def run(self) -> None:
        """Poll every `GRAPH_POLL_SECONDS` until cancelled; a failed round is logged and retried next time."""
        while True:
            try:
                await self.poll_once()
            except (GraphError, TokenError) as exc:
                log.warning("mail poll of %s failed: %s", self.graph.config.mailbox, exc)
            except Exception:
                log.exception("mail poll of %s failed", self.graph.config.mailbox)
            await asyncio.sleep(self.graph.config.poll_seconds)

    async def poll_once(self) -> PollResult:
        """One round through every page of changes; raises `GraphError`/`TokenError` when Graph fails."""
        result = PollResult()
        link = await self.cursors.get(self.cursor_name)
        if link is not None and not self.graph.under_api(link):
            log.warning("the stored mail delta link is not under GRAPH_API_URL; starting a new delta query")
            link = None
        params: dict[str, str] | None = None
        if link is None:
            link = f"{self.graph.config.mailbox_path}/mailFolders/inbox/messages/delta"
            params = {"$select": DELTA_SELECT}
        while True:
            page = await self.graph.request("GET", link, params=params) or {}
            params = None
            for item in page.get("value") or ():
                if "@removed" not in item and item.get("id"):
                    if await self._message(str(item["id"])):
                        result.handled += 1
                    else:
                        result.skipped += 1
            next_link = page.get("@odata.nextLink")
            following = next_link or page.get("@odata.deltaLink")
            if following:
                await self.cursors.put(self.cursor_name, following)
            if not next_link:
                return result
            link = next_link

    async def _message(self, message_id: str) -> bool:
        mailbox = self.graph.config.mailbox_path
        try:
            message = await self.graph.request(
                "GET",
                f"{mailbox}/messages/{message_id}",
                params={"$select": MESSAGE_SELECT, "$expand": ATTACHMENTS},
                prefer=('outlook.body-content-type="text"',),
            )
        except GraphError as exc:
            if exc.status == 404:  # moved or deleted since the delta page was written
                return False
            raise
        mail = translate.parse_mail(message or {}, self.graph.url(f"{mailbox}/messages"))
        if mail is None or not await self._wanted(mail):
            return False
        await self._handle(mail)
        await self.graph.request("PATCH", f"{mailbox}/messages/{mail.id}", json={"isRead": True})
        await self.graph.request(
            "POST", f"{mailbox}/messages/{mail.id}/move", json={"destinationId": self.graph.config.processed_folder}
        )
        return True

    async def _wanted(self, mail: translate.Mail) -> bool:
        if mail.address == self.graph.config.mailbox:
            reason = "it is from the mailbox itself"
        elif translate.automatic(mail):
            reason = "it was sent automatically"
        elif await self.desk.excluded(mail.address):
            reason = "its sender is excluded"
        else:
            return True
        log.info("skipped mail %s: %s", mail.internet_message_id, reason)
        return False

    async def _handle(self, mail: translate.Mail) -> None:
        number = mail.ticket_tag or await self.desk.ticket_of(translate.PLATFORM, mail.conversation_id)
        if number is not None:
            for event in translate.thread_events(mail, number):
                await self._reply(event.conversation, await self.context.core.handle(event), event.idempotency_key)
            return
        route = await self.desk.route(mail.address)
        if await self.context.directory.get(translate.PLATFORM, mail.conversation_id) is None:
            event = translate.new_ticket_event(mail, route)
        else:  # the core asked a question in this thread (a category) and no ticket exists yet: the answer
            event = translate.answer_event(mail)
        reply = await self.context.core.handle(event)
        ref = event.conversation
        opened = await self.desk.ticket_of(translate.PLATFORM, mail.conversation_id)
        if opened is not None:
            ref = translate.thread(mail, opened)
            await self.context.directory.remember(ref, name=mail.name)
            if route.assignee:
                await self._assign(opened, route.assignee)
        await self._reply(ref, reply, event.idempotency_key)

    async def _assign(self, number: int, assignee: str) -> None:
        try:
            await self.desk.assign_by_rule(number, assignee)
        except Exception as exc:  # the desk's refusal (the member left, the ticket is closed): the ticket stays
            log.warning("mail rule could not assign #%s to %s: %s", number, assignee, exc)

    async def _reply(self, ref: ConversationRef, reply: Reply, key: str) -> None:
        messages = list(reply.messages)
        while messages:
            try:
                await self.port.send(ref, messages[0])
            except DeliveryError as exc:
                await self.context.replies.defer(ref, messages, key=key, error=exc)
                return
            messages.pop(0)

