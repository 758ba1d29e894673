"""The one Webex REST client of the process: webexpythonsdk's `WebexAPI`, called off the event loop.

webexpythonsdk is synchronous (`requests`), so every call runs in a worker thread and the loop never blocks: on
threads of the client's own (`WORKERS`), not the loop's default executor. That one has cores + 4 threads (6 here)
and also runs Teams' token validation and token fetches; Webex calls held to their timeout by a slow API would have
taken every one of its threads, and Teams requests would have waited behind them. One `WebexAPI` object (one
`requests` connection pool) serves the whole process. The SDK's own rate-limit handling (sleep for Retry-After,
then retry, inside the call) is off: a 429 comes back at once as a `DeliveryError` carrying Retry-After, and the
outbox decides when to try again. Every refusal of the API becomes a `DeliveryError` (status, Retry-After,
permanent) whatever the call, so the callers handle one type.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import requests
from requests.adapters import DEFAULT_POOLSIZE
from webexpythonsdk import WebexAPI
from webexpythonsdk.exceptions import ApiError

from bot.seam import DeliveryError
from bot.web import is_permanent, retry_after_seconds

T = TypeVar("T")

REQUEST_TIMEOUT = 10  # seconds for one HTTP request; well inside the reply budget's use of it
# One thread per connection `requests` keeps to the API host: with more, the extra connections would be opened
# and then thrown away by the pool; calls beyond it wait for a thread.
WORKERS = DEFAULT_POOLSIZE
PEOPLE_CACHE = 1000  # people (names, emails) kept in memory; a webhook names its sender by id only


def refusal(exc: ApiError) -> DeliveryError:
    """The `DeliveryError` for an answer of the Webex API that is not a success."""
    status = exc.status_code
    retry_after = retry_after_seconds(exc.response.headers.get("Retry-After")) if status == 429 else None
    return DeliveryError(
        f"Webex answered HTTP {status}: {exc.message or exc.status or 'no reason given'}"[:300],
        status=status,
        retry_after=retry_after,
        permanent=is_permanent(status),
    )


def _plain(value: Any) -> dict[str, Any]:
    """An SDK data object as a plain dict (`{}` for anything else)."""
    data = value.to_dict() if hasattr(value, "to_dict") else value
    return dict(data) if isinstance(data, Mapping) else {}


def _environment_once(session: requests.Session, base_url: str) -> None:
    """Take what `requests` reads from the environment for every call (`HTTPS_PROXY` and `NO_PROXY` for the
    API's host, `REQUESTS_CA_BUNDLE` or `CURL_CA_BUNDLE`) once, into the session, and stop it reading more.

    Every call reads the whole environment twice for its proxies and looks for a `~/.netrc`: 0.36 of 0.98 ms of
    CPU for a `GET /messages/{id}` against a local server (2-core machine), two calls in every turn. The client
    talks to one host, so its answer does not change; and a `~/.netrc` entry for that host would have replaced
    the bot's bearer token with its password."""
    found = session.merge_environment_settings(base_url, {}, None, None, None)
    session.proxies = found["proxies"]
    session.verify = found["verify"]
    session.trust_env = False


class WebexClient:
    """Async access to the few Webex REST resources ticketbot uses."""

    def __init__(self, access_token: str, base_url: str) -> None:
        self.api = WebexAPI(
            access_token=access_token,
            base_url=base_url,
            single_request_timeout=REQUEST_TIMEOUT,
            wait_on_rate_limit=False,
        )
        _environment_once(self.api._session._req_session, base_url)
        self._threads = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="webex")
        self._me: dict[str, Any] | None = None
        self._me_lock = asyncio.Lock()
        self._people: dict[str, dict[str, Any]] = {}

    async def _call(self, work: Callable[[], T]) -> T:
        context = contextvars.copy_context()  # the turn's log fields, as asyncio.to_thread passes them
        try:
            return await asyncio.get_running_loop().run_in_executor(self._threads, context.run, work)
        except ApiError as exc:
            raise refusal(exc) from exc
        except requests.RequestException as exc:
            raise DeliveryError(f"Webex could not be reached ({type(exc).__name__}).") from exc

    async def close(self) -> None:
        """Close the connection pool and let the threads go (calls still queued are cancelled; one under way
        ends at its timeout). The SDK has no close of its own; left to the garbage collector, the pool's
        sockets close at some later collection, with a ResourceWarning for each."""
        await asyncio.to_thread(self.api._session._req_session.close)  # not behind calls held on our threads
        self._threads.shutdown(wait=False, cancel_futures=True)

    async def __aenter__(self) -> WebexClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def me(self) -> dict[str, Any]:
        """The bot's own person (`GET /people/me`), fetched once per process."""
        async with self._me_lock:
            if self._me is None:
                self._me = _plain(await self._call(self.api.people.me))
            return self._me

    async def person(self, person_id: str) -> dict[str, Any]:
        """A person (`GET /people/{id}`), remembered for the process (at most `PEOPLE_CACHE` of them)."""
        known = self._people.get(person_id)
        if known is None:
            known = _plain(await self._call(lambda: self.api.people.get(person_id)))
            if len(self._people) >= PEOPLE_CACHE:
                self._people.pop(next(iter(self._people)))
            self._people[person_id] = known
        return known

    async def message(self, message_id: str) -> dict[str, Any]:
        """A message (`GET /messages/{id}`): a webhook names it by id only."""
        return _plain(await self._call(lambda: self.api.messages.get(message_id)))

    async def attachment_action(self, action_id: str) -> dict[str, Any]:
        """A card submission with its inputs (`GET /attachment/actions/{id}`)."""
        return _plain(await self._call(lambda: self.api.attachment_actions.get(action_id)))

    async def post_message(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Post a message (`POST /messages`); `body` holds the API's own field names."""
        fields = dict(body)
        return _plain(await self._call(lambda: self.api.messages.create(**fields)))

    async def webhooks(self) -> list[dict[str, Any]]:
        """Every webhook of the bot (`GET /webhooks`, all pages)."""
        return await self._call(lambda: [_plain(w) for w in self.api.webhooks.list()])

    async def create_webhook(
        self, *, name: str, target_url: str, resource: str, event: str, secret: str
    ) -> dict[str, Any]:
        """Create a webhook (`POST /webhooks`)."""
        return _plain(
            await self._call(
                lambda: self.api.webhooks.create(
                    name=name, targetUrl=target_url, resource=resource, event=event, secret=secret
                )
            )
        )

    async def update_webhook(self, webhook_id: str, *, name: str, target_url: str, secret: str) -> dict[str, Any]:
        """Point a webhook at `target_url` with `secret`, and re-enable it (`PUT /webhooks/{id}`)."""
        return _plain(
            await self._call(
                lambda: self.api.webhooks.update(
                    webhook_id, name=name, targetUrl=target_url, secret=secret, status="active"
                )
            )
        )

    async def delete_webhook(self, webhook_id: str) -> None:
        """Delete a webhook (`DELETE /webhooks/{id}`)."""
        await self._call(lambda: self.api.webhooks.delete(webhook_id))

    async def rooms(self) -> list[dict[str, Any]]:
        """Every space the bot is in (`GET /rooms`, all pages)."""
        return await self._call(lambda: [_plain(r) for r in self.api.rooms.list()])

    async def memberships(self, room_id: str) -> list[dict[str, Any]]:
        """The members of a space (`GET /memberships?roomId=`, all pages)."""
        return await self._call(lambda: [_plain(m) for m in self.api.memberships.list(roomId=room_id)])
