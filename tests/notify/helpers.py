"""The desk the notification tests run against: members, a requester, three rooms, a recording port."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.desk.principal import Principal
from bot.seam import Actor
from bot.services import Services
from storage.models import Member
from tests.notify.recording import RecordingPort

FAST_OUTBOX = {"outbox_poll_seconds": 0.05, "outbox_backoff_seconds": 0.2}  # the served app's worker, quick


@dataclass
class Desk:
    """Services over a fresh database with people and rooms on the recording port's platform."""

    services: Services
    port: RecordingPort
    members: dict[str, Member] = field(default_factory=dict)
    people: dict[str, Principal] = field(default_factory=dict)
    rooms: dict[str, int] = field(default_factory=dict)

    async def drain(self) -> None:
        """Run the outbox worker until nothing is due."""
        while await self.services.worker.drain_once():
            pass

    def received(self) -> dict[str, int]:
        """How many new messages each conversation received."""
        return {conversation: len(texts) for conversation, texts in self.port.received().items()}


async def make_desk(services: Services, port: RecordingPort | None = None) -> Desk:
    """Alice, Bob and Carol (members, DMs on the port), Rita (a requester, not a member), rooms A, B and C."""
    port = port or RecordingPort()
    services.ports[port.platform] = port
    desk = Desk(services, port)
    for name in ("Alice", "Bob", "Carol"):
        email = f"{name.lower()}@example.com"
        member = await services.members.add(name, email, preferred_platform=port.platform)
        identity = await services.members.link(email, port.platform, name.lower())
        desk.members[name] = member
        desk.people[name] = Principal(name=name, member_id=member.id, identity_id=identity.id)
    desk.people["Rita"] = await services.members.principal_for(Actor(port.platform, "rita", "Rita"))
    for letter in "ABC":
        added = await services.recipients.add(port.platform, f"room-{letter.lower()}", f"Room {letter}")
        desk.rooms[letter] = added["id"]
    return desk
