"""What the web chat stores: tokens hashed (through the real `ticketbot web token` commands) and the transcript."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters.web.port import conversation_of
from bot.desk.errors import Invalid, NotFound
from bot.desk.transcripts import KEEP
from bot.seam import MessageRef, OutboundMessage
from cards.model import Card, Text
from storage.models import TranscriptMessage

SCRIPT = Path(sys.executable).with_name("ticketbot")


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
    done = subprocess.run([str(SCRIPT), *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done


def test_a_web_token_is_shown_once_stored_hashed_and_revocable(tmp_path):
    created = _cli(tmp_path, "web", "token", "create", "floor 2")
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("tbw_") and len(token) > 40
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        rows = conn.execute("SELECT token_hash, prefix FROM web_tokens").fetchall()
        audit = conn.execute("SELECT action FROM audit_log").fetchall()
    assert rows == [(hashlib.sha256(token.encode()).hexdigest(), token[:12])]
    assert audit == [("web_token.create",)]
    listed = _cli(tmp_path, "web", "token", "list", "--json").stdout
    assert token not in listed and json.loads(listed)[0]["revoked_at"] is None
    assert "revoked web token 1 'floor 2'" in _cli(tmp_path, "web", "token", "revoke", token[:12]).stdout


async def test_the_token_check_knows_live_tokens_only(services):
    tokens = services.web_tokens
    new = await tokens.create("floor 2", actor="test")
    assert await tokens.is_live(new.secret)
    assert not await tokens.is_live(new.secret + "x")
    assert not await tokens.is_live("tbk_" + new.secret[4:])
    with pytest.raises(Invalid):
        await tokens.create("  ", actor="test")
    await tokens.revoke(str(new.row.id), actor="test")
    assert not await tokens.is_live(new.secret)
    with pytest.raises(NotFound, match="no web token 'nope'"):
        await tokens.revoke("nope", actor="test")


async def test_the_transcript_keeps_the_newest_messages_and_replaces_in_place(services):
    transcript = services.transcripts
    dana, eve = conversation_of("dana@example.com"), conversation_of("eve@example.com")
    ids = [await transcript.append(dana, "user", OutboundMessage(f"m{n}")) for n in range(KEEP + 2)]
    await transcript.append(eve, "bot", OutboundMessage("for eve"))
    async with services.db.sessions() as session:
        mine = TranscriptMessage.conversation_id == dana.conversation_id
        kept = await session.scalar(select(func.count()).select_from(TranscriptMessage).where(mine))
    assert kept == KEEP
    card = Card("Refreshed", body=(Text("now"),))
    assert await transcript.replace(MessageRef(dana, ids[-2]), OutboundMessage("refreshed", card))
    assert not await transcript.replace(MessageRef(eve, ids[-1]), OutboundMessage("not eve's"))
    assert not await transcript.replace(MessageRef(dana, ids[0]), OutboundMessage("pruned"))
    recent = await transcript.recent(dana, 3)
    assert [(e.message_id, e.author, e.message.text) for e in recent] == [
        (ids[-3], "user", f"m{KEEP - 1}"),
        (ids[-2], "user", "refreshed"),
        (ids[-1], "user", f"m{KEEP + 1}"),
    ]
    assert recent[1].message.card == card
    assert [e.message.text for e in await transcript.recent(eve, 10)] == ["for eve"]
