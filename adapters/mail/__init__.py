"""Mail: a Microsoft 365 shared mailbox read and answered through Microsoft Graph, tokens by msal.

`install` is the `ticketbot.adapters` entry point. Mail is on when the `GRAPH_*` app registration settings and
`GRAPH_MAILBOX` are set (`adapters.mail.config`); it mounts no routes: its inbox poller runs as a background
task of `serve` (also `ticketbot mail poll`), and its `MailPort` answers by mail. msal is imported only in this
package.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web

from adapters.mail.config import PLATFORM, REQUIRED, MailConfig, mail_config
from adapters.mail.graph import GraphClient
from adapters.mail.poller import InboxPoller
from adapters.mail.port import MailPort
from adapters.mail.token import TokenSource
from bot.seam import AdapterContext, Mounted
from bot.web import SharedSession

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailChannel:
    """The mail adapter's parts for one mailbox: the Graph client, the port and the poller."""

    graph: GraphClient
    port: MailPort
    poller: InboxPoller

    async def run(self) -> None:
        """Poll until cancelled (the background task of `serve`), then close the token source."""
        try:
            await self.poller.run()
        finally:
            await self.close()

    async def close(self) -> None:
        """Release msal's connection to the authority."""
        await self.graph.tokens.close()


def graph_client(config: MailConfig, http: SharedSession) -> GraphClient:
    """A Graph client with its msal token source."""
    return GraphClient(config, TokenSource(config), http)


def channel(context: AdapterContext) -> MailChannel | None:
    """The mail channel over `context`, or None when mail is off (settings missing, no cursor store or desk)."""
    config = mail_config(context.settings)
    if config is None:
        return None
    if context.cursors is None or context.mail is None:
        log.error("mail is configured but this process offers no cursor store or mail desk; mail is off")
        return None
    graph = graph_client(config, context.http)
    port = MailPort(graph)
    return MailChannel(graph, port, InboxPoller(context, graph, port, context.cursors, context.mail))


def install(app: web.Application, context: AdapterContext) -> Mounted | None:
    """Report the mail port and the poller (no routes), or None when mail is off."""
    mail = channel(context)
    if mail is None:
        log.debug("mail is off: set %s to turn it on", ", ".join(REQUIRED))
        return None
    config = mail.graph.config
    description = f"on ({config.mailbox}, polled every {config.poll_seconds:g} s)"
    return Mounted(platform=PLATFORM, description=description, ports=(mail.port,), background=(mail.run,))
