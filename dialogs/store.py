"""Dialog state in the `dialog_states` table, keyed by (platform, conversation, user), expiring when idle.

Within one session (a turn's unit of work) the store remembers which keys it found without a state, so
ending a dialog that was never stored (a create that finishes in the turn it began) writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import FromClause, Join, and_, bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database, first_row
from storage.direct import Direct
from storage.models import DialogState, table_of, utcnow

IDLE_LIMIT = timedelta(minutes=30)


@dataclass(frozen=True)
class DialogKey:
    """Whose dialog: one person in one conversation."""

    platform: str
    conversation_id: str
    user_id: str


@dataclass
class State:
    """Where a dialog stands: its name, the step it asked, the answers so far, invalid answers in a row."""

    dialog: str
    step: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    invalid_count: int = 0


@dataclass(frozen=True)
class Loaded:
    """What `load` found: the live state, or whether an expired one was just dropped."""

    state: State | None
    expired: str | None = None


ABSENT_KEY = "ticketbot.dialogs.absent"


def _absent(session: AsyncSession) -> set[DialogKey]:
    absent: set[DialogKey] = session.info.setdefault(ABSENT_KEY, set())
    return absent


_S = table_of(DialogState).c
_KEY = (
    _S.platform == bindparam("platform"),
    _S.conversation_id == bindparam("conversation_id"),
    _S.user_id == bindparam("user_id"),
)
STATE = "dialogs.state"
"""The lookup of a dialog state, by `DialogKey`: `bot.chat.opening` reads it ahead."""
STATE_COLUMNS = (_S.dialog, _S.step, _S.data, _S.invalid_count, _S.updated_at)
_STATE = select(*STATE_COLUMNS).where(*_KEY)
"""Built once: every turn loads its speaker's state. The table's columns, not an ORM object (`save` writes with
a Core upsert that an identity-mapped object would not see) nor the class's attributes (which route the
statement through the ORM)."""
_DELETE = Direct(delete(table_of(DialogState)).where(*_KEY))


def state_joined(onto: FromClause) -> Join:
    """`onto` LEFT JOIN the state `STATE` looks up (binds `platform`, `conversation_id`, `user_id`)."""
    return onto.outerjoin(table_of(DialogState), and_(*_KEY))


_KEYED = ("platform", "conversation_id", "user_id")
_SAVED = ("dialog", "step", "data", "invalid_count", "updated_at")


def _params(key: DialogKey) -> dict[str, str]:
    return {"platform": key.platform, "conversation_id": key.conversation_id, "user_id": key.user_id}


class DialogStore:
    """Loads, saves and clears dialog state."""

    def __init__(self, db: Database) -> None:
        self.db = db
        insert = db.insert(DialogState)
        # Built once (a list page or a dialog question saves state on every turn): the row's values replace the
        # stored ones.
        self._upsert = Direct(
            insert.on_conflict_do_update(
                index_elements=list(_KEYED), set_={name: insert.excluded[name] for name in _SAVED}
            ),
            (*_KEYED, *_SAVED),
        )

    async def load(self, key: DialogKey) -> Loaded:
        """The live state for `key`; a state idle for more than 30 minutes is deleted and reported expired."""
        async with self.db.sessions() as session:
            row = await first_row(session, STATE, key, _STATE, _params(key))
            if row is None:
                _absent(session).add(key)
                return Loaded(None)
            if utcnow() - row.updated_at <= IDLE_LIMIT:
                return Loaded(State(row.dialog, row.step, dict(row.data), row.invalid_count))
            expired = row.dialog
        async with self.db.writing() as session:
            await _DELETE.run(session, _params(key))
            _absent(session).add(key)
        return Loaded(None, expired=expired)

    async def save(self, key: DialogKey, state: State) -> None:
        """Store the state (and restart its idle clock): one upsert."""
        values = {
            **_params(key),
            "dialog": state.dialog,
            "step": state.step,
            "data": dict(state.data),
            "invalid_count": state.invalid_count,
            "updated_at": utcnow(),
        }
        async with self.db.writing() as session:
            _absent(session).discard(key)
            await self._upsert.run(session, values)

    async def clear(self, key: DialogKey) -> None:
        """End the dialog."""
        async with self.db.sessions() as session:
            if key in _absent(session):
                return
        async with self.db.writing() as session:
            await _DELETE.run(session, _params(key))
            _absent(session).add(key)
