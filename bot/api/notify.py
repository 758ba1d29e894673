"""`/recipients`, `/rules`, `/forwards`, `/outbox` and `/deliveries`: notification routing and the outbox, for
admins only (who hears about which board is desk configuration, as in the CLI).

The handlers call the notification admin services (`bot.notify.admin`), so a rule, forward or retry made here
is the one `ticketbot rules|forwards|outbox` makes: a forward that would close a cycle is a 409, a retry of a
delivery that is not dead a 400. Deliveries page in the database (the outbox can hold many rows); the other
lists hold tens of rows and are cut by `page_by_id`.
"""

from __future__ import annotations

from bot.api.paging import page_by_id
from bot.api.routing import Call, Route
from bot.api.schemas import (
    DeliveryOut,
    DeliveryQuery,
    ForwardCreate,
    ForwardOut,
    OutboxStatus,
    Page,
    PageQuery,
    RecipientCreate,
    RecipientOut,
    Retried,
    RuleCreate,
    RuleOut,
    RuleUpdate,
)


async def list_recipients(call: Call[None, PageQuery]) -> Page[RecipientOut]:
    """A page of recipients."""
    rows = [RecipientOut.model_validate(r) for r in await call.desk.recipients.list()]
    return page_by_id(rows, call.query, lambda r: r)


async def get_recipient(call: Call) -> RecipientOut:
    """One recipient."""
    return RecipientOut.model_validate(await call.desk.recipients.get(call.ids["recipient_id"]))


async def create_recipient(call: Call[RecipientCreate, None]) -> RecipientOut:
    """Add a conversation as a recipient."""
    b = call.body
    return RecipientOut.model_validate(await call.desk.recipients.add(b.platform, b.conversation, b.name, kind=b.kind))


async def list_rules(call: Call[None, PageQuery]) -> Page[RuleOut]:
    """A page of rules."""
    rows = [RuleOut.model_validate(r) for r in await call.desk.rules.list()]
    return page_by_id(rows, call.query, lambda r: r)


async def get_rule(call: Call) -> RuleOut:
    """One rule."""
    return RuleOut.model_validate(await call.desk.rules.get(call.ids["rule_id"]))


async def create_rule(call: Call[RuleCreate, None]) -> RuleOut:
    """Add a rule on a board."""
    b = call.body
    rule = await call.desk.rules.add(b.board, b.recipient_id, min_priority=b.min_priority, on_update=b.on_update)
    return RuleOut.model_validate(rule)


async def update_rule(call: Call[RuleUpdate, None]) -> RuleOut:
    """Enable or disable a rule."""
    await call.desk.rules.set_enabled(call.ids["rule_id"], call.body.enabled)
    return RuleOut.model_validate(await call.desk.rules.get(call.ids["rule_id"]))


async def delete_rule(call: Call) -> None:
    """Delete a rule."""
    await call.desk.rules.delete(call.ids["rule_id"])


async def list_forwards(call: Call[None, PageQuery]) -> Page[ForwardOut]:
    """A page of forwards."""
    rows = [ForwardOut.model_validate(f) for f in await call.desk.forwards.list()]
    return page_by_id(rows, call.query, lambda f: f)


async def get_forward(call: Call) -> ForwardOut:
    """One forward."""
    return ForwardOut.model_validate(await call.desk.forwards.get(call.ids["forward_id"]))


async def create_forward(call: Call[ForwardCreate, None]) -> ForwardOut:
    """Add a forward."""
    b = call.body
    forward = await call.desk.forwards.add(b.source, b.destination, start=b.start, end=b.end, keep_copy=b.keep_copy)
    return ForwardOut.model_validate(forward)


async def delete_forward(call: Call) -> None:
    """Delete a forward."""
    await call.desk.forwards.delete(call.ids["forward_id"])


async def outbox_status(call: Call) -> OutboxStatus:
    """Counts by state, the oldest pending row's age, the dead rows."""
    return OutboxStatus.model_validate(await call.desk.outbox.status())


async def list_deliveries(call: Call[None, DeliveryQuery]) -> Page[DeliveryOut]:
    """A page of deliveries by id, optionally of one state."""
    q = call.query
    rows = await call.desk.outbox.list(state=q.state, after=int(q.cursor) if q.cursor else 0, limit=q.limit + 1)
    items = [DeliveryOut.model_validate(r) for r in rows[: q.limit]]
    return Page[DeliveryOut](items=items, next_cursor=str(items[-1].id) if len(rows) > q.limit else None)


async def get_delivery(call: Call) -> DeliveryOut:
    """One delivery."""
    return DeliveryOut.model_validate(await call.desk.outbox.get(call.ids["delivery_id"]))


async def retry_delivery(call: Call) -> DeliveryOut:
    """Make one dead delivery pending again."""
    await call.desk.outbox.retry([call.ids["delivery_id"]])
    return DeliveryOut.model_validate(await call.desk.outbox.get(call.ids["delivery_id"]))


async def retry_dead(call: Call) -> Retried:
    """Make every dead delivery pending again."""
    return Retried(revived=await call.desk.outbox.retry())


R = "/recipients/{recipient_id}"
U = "/rules/{rule_id}"
F = "/forwards/{forward_id}"
D = "/deliveries/{delivery_id}"
ROUTES = (
    Route("GET", "/recipients", "recipients.list", "List notification recipients", list_recipients,
          Page[RecipientOut], query=PageQuery, admin=True),
    Route("POST", "/recipients", "recipients.create", "Add a notification recipient", create_recipient,
          RecipientOut, RecipientCreate, status=201, admin=True, errors=(409,)),
    Route("GET", R, "recipients.get", "Show a notification recipient", get_recipient, RecipientOut, admin=True),
    Route("GET", "/rules", "rules.list", "List board rules", list_rules, Page[RuleOut], query=PageQuery,
          admin=True),
    Route("POST", "/rules", "rules.create", "Add a board rule", create_rule, RuleOut, RuleCreate, status=201,
          admin=True, errors=(404, 409)),
    Route("GET", U, "rules.get", "Show a board rule", get_rule, RuleOut, admin=True),
    Route("PATCH", U, "rules.update", "Enable or disable a board rule", update_rule, RuleOut, RuleUpdate,
          admin=True),
    Route("DELETE", U, "rules.delete", "Delete a board rule", delete_rule, status=204, admin=True),
    Route("GET", "/forwards", "forwards.list", "List forwards", list_forwards, Page[ForwardOut], query=PageQuery,
          admin=True),
    Route("POST", "/forwards", "forwards.create", "Add a forward", create_forward, ForwardOut, ForwardCreate,
          status=201, admin=True, errors=(404, 409)),
    Route("GET", F, "forwards.get", "Show a forward", get_forward, ForwardOut, admin=True),
    Route("DELETE", F, "forwards.delete", "Delete a forward", delete_forward, status=204, admin=True),
    Route("GET", "/outbox", "outbox.status", "Show the outbox at a glance", outbox_status, OutboxStatus,
          admin=True),
    Route("GET", "/deliveries", "deliveries.list", "List deliveries", list_deliveries, Page[DeliveryOut],
          query=DeliveryQuery, admin=True),
    Route("POST", "/deliveries/retry", "deliveries.retry_dead", "Send every dead delivery again", retry_dead,
          Retried, admin=True),
    Route("GET", D, "deliveries.get", "Show a delivery", get_delivery, DeliveryOut, admin=True),
    Route("POST", D + "/retry", "deliveries.retry", "Send a dead delivery again", retry_delivery, DeliveryOut,
          admin=True),
)
