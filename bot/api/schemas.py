"""The request and response bodies of the admin API, and the CLI's `--json` output: one shape for both.

Every model here is also the source of the OpenAPI document (`bot.api.openapi`), so what the API accepts,
what it answers and what it documents cannot drift apart. Request models forbid unknown fields and bound every
value to what the database can hold: text never contains NUL (PostgreSQL refuses it), lengths follow the
columns (`storage.models`), integers fit a 32-bit column. Each model is built on first use (`defer_build`):
a CLI command builds the few shapes it prints instead of all fifty (about 20 ms of its start-up).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.facts import DELIVERY_STATES, DESCRIPTION_MAX, NOTE_MAX, PLATFORMS, RECIPIENT_KINDS, TICKET_NUMBER_MAX, TITLE_MAX
from storage.models import ApiKey, AuditEntry, Board, Category, Identity, Member, Note, Status, Ticket, TimelineEntry

NO_NUL = r"^[^\x00]*$"

Id = Annotated[int, Field(ge=1, le=TICKET_NUMBER_MAX)]


def text(max_length: int, min_length: int = 0) -> Any:
    """A text field of at most `max_length` characters with no NUL in it."""
    return Field(min_length=min_length, max_length=max_length, pattern=NO_NUL)


Platform = Literal[PLATFORMS]  # type: ignore[valid-type]
Name = Annotated[str, text(200, 1)]
Email = Annotated[str, text(320)]


class Request(BaseModel):
    """Base of request bodies and queries: unknown fields are refused by name."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class Response(BaseModel):
    """Base of response bodies."""

    model_config = ConfigDict(defer_build=True)


class Error(Response):
    """Every error answer: a message for a person; `field` names the offending field when there is one."""

    error: str
    field: str | None = None


T = TypeVar("T")


class Page(Response, Generic[T]):
    """One page of a list; pass `next_cursor` as `?cursor=` for the next page (null on the last page)."""

    items: list[T]
    next_cursor: str | None = None


class PageQuery(Request):
    """Paging of every list: at most `limit` items after the opaque `cursor` of the previous page."""

    model_config = ConfigDict(extra="ignore")

    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=12, pattern=r"^[0-9]{1,10}$")

    @field_validator("cursor")
    @classmethod
    def _cursor_in_range(cls, value: str | None) -> str | None:
        if value is not None and int(value) > TICKET_NUMBER_MAX:
            raise ValueError("not a cursor this API gave out")
        return value


# Members and identities


class IdentityOut(Response):
    """A platform identity linked to a member."""

    id: int
    platform: str
    user_id: str

    @classmethod
    def of(cls, row: Identity) -> IdentityOut:
        """The identity as JSON."""
        return cls(id=row.id, platform=row.platform, user_id=row.user_id)


class MemberOut(Response):
    """A member of the desk, with the platforms it is linked on."""

    id: int
    name: str
    email: str | None
    admin: bool
    preferred_platform: str | None
    identities: list[IdentityOut]

    @classmethod
    def of(cls, row: Member) -> MemberOut:
        """The member as JSON (its identities must be loaded)."""
        return cls(
            id=row.id,
            name=row.name,
            email=row.email,
            admin=row.is_admin,
            preferred_platform=row.preferred_platform,
            identities=[IdentityOut.of(i) for i in row.identities],
        )


class MemberCreate(Request):
    """A new member; identities with the same email are linked to it."""

    name: Name
    email: Email | None = None
    admin: bool = False
    preferred_platform: Platform | None = None


class MemberUpdate(Request):
    """Fields to change on a member; an empty email removes it."""

    name: Name | None = None
    email: Email | None = None
    admin: bool | None = None
    preferred_platform: Platform | None = None


class IdentityCreate(Request):
    """A platform identity to link to the member."""

    platform: Platform
    user_id: Annotated[str, text(255, 1)]
    name: Annotated[str, text(200)] = ""


# Boards, statuses, categories


class StatusOut(Response):
    """One step of a board's workflow."""

    id: int
    name: str
    closed: bool

    @classmethod
    def of(cls, row: Status) -> StatusOut:
        """The status as JSON."""
        return cls(id=row.id, name=row.name, closed=row.is_closed)


class BoardOut(Response):
    """A board with its ordered workflow."""

    id: int
    name: str
    default_priority: str
    keywords: list[str]
    statuses: list[StatusOut]

    @classmethod
    def of(cls, row: Board) -> BoardOut:
        """The board as JSON."""
        return cls(
            id=row.id,
            name=row.name,
            default_priority=row.default_priority,
            keywords=list(row.keywords),
            statuses=[StatusOut.of(s) for s in row.statuses],
        )


Keyword = Annotated[str, text(60)]
StatusName = Annotated[str, text(60, 1)]
Priority = Annotated[str, text(20, 1)]


class BoardCreate(Request):
    """A new board; without `statuses` it gets New, In Progress, Waiting, Resolved, Closed."""

    name: Annotated[str, text(100, 1)]
    statuses: list[StatusName] = Field(default_factory=list, max_length=30)
    closed: list[StatusName] = Field(default_factory=list, max_length=30)
    default_priority: Priority = "medium"
    keywords: list[Keyword] = Field(default_factory=list, max_length=50)


class BoardUpdate(Request):
    """Fields to change on a board."""

    name: Annotated[str, text(100, 1)] | None = None
    default_priority: Priority | None = None
    keywords: list[Keyword] | None = Field(None, max_length=50)


class StatusCreate(Request):
    """A status to add to a workflow, at `position` (0-based; at the end when absent)."""

    name: StatusName
    closed: bool = False
    position: int | None = Field(None, ge=0, le=100)


class StatusUpdate(Request):
    """Fields to change on a status."""

    name: StatusName | None = None
    closed: bool | None = None


class CategoryOut(Response):
    """A node of the category tree; `board_id` null means it is shared by every board."""

    id: int
    name: str
    parent_id: int | None
    board_id: int | None

    @classmethod
    def of(cls, row: Category) -> CategoryOut:
        """The category as JSON."""
        return cls(id=row.id, name=row.name, parent_id=row.parent_id, board_id=row.board_id)


class CategoryCreate(Request):
    """A category path like `Hardware/Printers` (parents are created as needed)."""

    path: Annotated[str, text(300, 1)]
    board_id: Id | None = None


class CategoryQuery(PageQuery):
    """Categories usable on one board (its own and shared ones) when `board_id` is given."""

    board_id: Id | None = None


# Tickets


class MemberRef(Response):
    """A member named on a ticket."""

    id: int
    name: str
    email: str | None


class Requester(Response):
    """Who asked: a name, and the member id when the requester is a member."""

    name: str
    member_id: int | None


class Origin(Response):
    """Where the ticket was opened."""

    platform: str | None
    conversation: str | None


class TicketOut(Response):
    """A ticket; `version` is what an update must name (optimistic locking)."""

    number: int
    title: str
    description: str
    status: str
    closed: bool
    priority: str
    board: str
    category: str | None
    assignees: list[MemberRef]
    requester: Requester
    origin: Origin
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Ticket) -> TicketOut:
        """The ticket as JSON."""
        return cls(
            number=row.number,
            title=row.title,
            description=row.description,
            status=row.status.name,
            closed=row.status.is_closed,
            priority=row.priority,
            board=row.board.name,
            category=row.category.name if row.category else None,
            assignees=[MemberRef(id=m.id, name=m.name, email=m.email) for m in row.assignees],
            requester=Requester(name=row.requester_name, member_id=row.requester_member_id),
            origin=Origin(platform=row.origin_platform, conversation=row.origin_conversation),
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class NoteOut(Response):
    """A note on a ticket; `id` is stable."""

    id: str
    author: str
    text: str
    internal: bool
    created_at: datetime

    @classmethod
    def of(cls, row: Note) -> NoteOut:
        """The note as JSON."""
        return cls(id=row.uid, author=row.author_name, text=row.text, internal=row.internal, created_at=row.created_at)


class TimelineOut(Response):
    """One change of a ticket: who, when, what, and each field's old and new value."""

    at: datetime
    actor: str
    action: str
    changes: list[dict[str, Any]]

    @classmethod
    def of(cls, row: TimelineEntry) -> TimelineOut:
        """The timeline entry as JSON."""
        return cls(at=row.at, actor=row.actor, action=row.action, changes=list(row.changes))


class TicketDetail(TicketOut):
    """A ticket with its notes and its timeline (`ticketbot tickets show --json`)."""

    notes: list[NoteOut]
    history: list[TimelineOut]


Version = Annotated[int, Field(ge=1, le=TICKET_NUMBER_MAX)]
CategoryPath = Annotated[str, text(300)]


class TicketQuery(PageQuery):
    """Ticket filters: board and status by name, assignee and requester by member id, `q` words in the text."""

    board: Annotated[str, text(100)] | None = None
    status: Annotated[str, text(60)] | None = None
    assignee: Id | None = None
    requester: Id | None = None
    open: bool = False
    q: Annotated[str, text(200)] | None = None


class TicketCreate(Request):
    """A new ticket; the board's default priority and the default board apply when absent."""

    title: Annotated[str, text(TITLE_MAX, 1)]
    description: Annotated[str, text(DESCRIPTION_MAX)] = ""
    priority: Priority | None = None
    board: Annotated[str, text(100)] | None = None
    category: CategoryPath | None = None
    requester: Id | None = Field(None, description="The requesting member's id (the key's owner when absent).")


class TicketUpdate(Request):
    """Fields to change; `version` is the version you saw: a stale one is refused with 409."""

    version: Version
    title: Annotated[str, text(TITLE_MAX, 1)] | None = None
    description: Annotated[str, text(DESCRIPTION_MAX)] | None = None
    priority: Priority | None = None
    status: StatusName | None = None
    category: CategoryPath | None = None


class Assignment(Request):
    """Members to assign or unassign, by id."""

    members: list[Id] = Field(min_length=1, max_length=20)
    version: Version | None = None


class NoteCreate(Request):
    """A note to add; internal notes are seen by desk members only."""

    text: Annotated[str, text(NOTE_MAX, 1)]
    internal: bool = False
    version: Version | None = None


class Closing(Request):
    """Closing a ticket, with an optional reason kept as a public note."""

    reason: Annotated[str, text(NOTE_MAX)] | None = None
    version: Version | None = None


class Reopening(Request):
    """Reopening a closed ticket."""

    version: Version | None = None


class NoteAdded(Response):
    """The ticket after the note, and the note."""

    ticket: TicketOut
    note: NoteOut


# Keys, the caller, the audit log


class KeyOut(Response):
    """An API key's public facts (never the key or its hash)."""

    id: int
    name: str
    prefix: str
    member_id: int | None
    admin: bool
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, row: ApiKey) -> KeyOut:
        """The key as JSON."""
        return cls(
            id=row.id,
            name=row.name,
            prefix=row.prefix,
            member_id=row.member_id,
            admin=row.is_admin,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
        )


class KeyCreated(KeyOut):
    """A new key: `secret` is shown this once and never again."""

    secret: str


class KeyCreate(Request):
    """A new key for a member (a service admin key when `member_id` is absent and `admin` is true)."""

    name: Annotated[str, text(100)] = ""
    member_id: Id | None = None
    admin: bool = False


class Me(Response):
    """Who the calling key acts as."""

    name: str
    admin: bool
    member: MemberOut | None
    key: KeyOut


class AuditOut(Response):
    """One write through the API or the CLI: who, what, when, from where."""

    id: int
    at: datetime
    actor: str
    action: str
    source: str
    detail: dict[str, Any]

    @classmethod
    def of(cls, row: AuditEntry) -> AuditOut:
        """The audit entry as JSON."""
        return cls(
            id=row.id, at=row.at, actor=row.actor, action=row.action, source=row.source, detail=dict(row.detail)
        )


class AuditQuery(PageQuery):
    """Audit entries, optionally of one action (e.g. `tickets.update`)."""

    action: Annotated[str, text(60)] | None = None


# Notifications: recipients, rules, forwards, deliveries (the outbox)


class RecipientOut(Response):
    """A named notification target: a room (channel, space) or a person's direct conversation."""

    id: int
    name: str
    kind: Literal[RECIPIENT_KINDS]  # type: ignore[valid-type]
    platform: str | None
    conversation: str | None
    member_id: int | None


class RecipientCreate(Request):
    """A conversation to notify, by its platform's conversation id (channel, space, room or chat id)."""

    platform: Platform
    conversation: Annotated[str, text(255, 1)]
    name: Name
    kind: Literal[RECIPIENT_KINDS] = "room"  # type: ignore[valid-type]


class RuleOut(Response):
    """A board rule: the board's tickets of these priorities (any when empty) reach the recipient on these events."""

    id: int
    board: str
    recipient_id: int
    recipient: str
    enabled: bool
    priorities: list[str]
    events: list[str]


class RuleCreate(Request):
    """Route a board's new tickets (and updates, with `on_update`) at `min_priority` or above to a recipient."""

    board: Annotated[str, text(100, 1)]
    recipient_id: Id
    min_priority: Priority | None = None
    on_update: bool = False


class RuleUpdate(Request):
    """Enable or disable a rule (a disabled rule is kept but routes nothing)."""

    enabled: bool


class ForwardOut(Response):
    """What reaches recipient `from` goes to `to` while now ∈ [start, end) (null ends are open)."""

    model_config = ConfigDict(populate_by_name=True)

    id: int
    source: int = Field(alias="from")
    destination: int = Field(alias="to")
    keep_copy: bool
    enabled: bool
    start: datetime | None
    end: datetime | None


class ForwardCreate(Request):
    """A forward between two different recipients; one that would close a cycle of forwards is a 409.

    A time without a zone is UTC (as the CLI reads it)."""

    source: Id = Field(alias="from")
    destination: Id = Field(alias="to")
    start: datetime | None = None
    end: datetime | None = None
    keep_copy: bool = False

    @field_validator("start", "end")
    @classmethod
    def _utc_when_naive(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class DeliveryOut(Response):
    """One outbox row: a message to one recipient (or a deferred reply), its state and its last error."""

    id: int
    state: Literal[DELIVERY_STATES]  # type: ignore[valid-type]
    platform: str
    recipient_id: int | None
    ticket_id: int | None
    attempts: int
    error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None


class DeliveryQuery(PageQuery):
    """Deliveries, optionally of one state (e.g. `dead`)."""

    state: Literal[DELIVERY_STATES] | None = None  # type: ignore[valid-type]


class Retried(Response):
    """How many dead deliveries are pending again."""

    revived: int


class DeadDelivery(Response):
    """A delivery that gave up, with the error that ended it."""

    id: int
    platform: str
    attempts: int
    error: str | None


class OutboxStatus(Response):
    """The outbox at a glance: counts by state, the oldest pending row's age, the dead rows with their error."""

    counts: dict[str, int]
    oldest_pending_seconds: float | None
    dead: list[DeadDelivery]
