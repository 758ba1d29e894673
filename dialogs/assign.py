"""The assign dialog: who should work on a ticket, offering the members that match what was typed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.desk.errors import Invalid, NotFound
from bot.seam import Reply
from dialogs.engine import AskAgain, Question, Turn, pick
from dialogs.replies import ticket_message


async def member_for(who: str, turn: Turn) -> int | None:
    """The member id `who` names without doubt (`me`, an email, a unique name), None when it is ambiguous."""
    if who.strip().lower() in {"me", "myself", "i"}:
        if turn.principal.member_id is None:
            raise Invalid("Only desk members can be assigned, and you are not one yet. Ask an admin to add you.")
        return turn.principal.member_id
    found = await turn.desk.members.find(who)
    if not found:
        raise NotFound(f"No member matches '{who.strip()}'.")
    return found[0].id if len(found) == 1 else None


class WhoStep:
    """Who to assign; several matches become the choices of the next question."""

    name = "member_id"

    async def question(self, data: Mapping[str, Any], turn: Turn) -> Question:
        candidates = tuple(data.get("_candidates", ()))
        if candidates:
            return Question(f"Several members match. Who should work on #{data['ticket']}?", candidates)
        return Question(f"Who should work on #{data['ticket']}? Say `me`, a name or an email.")

    async def accept(self, answer: str, data: dict[str, Any], turn: Turn) -> int:
        candidates = data.get("_candidates", [])
        chosen = pick(answer, candidates) if candidates else None
        member_id = await member_for(chosen or answer, turn)
        if member_id is None:
            data["_candidates"] = [m.name for m in await turn.desk.members.find(answer)]
            raise AskAgain
        return member_id


class AssignDialog:
    """Assigns a member to a ticket and answers with the ticket card."""

    name = "assign"
    title = "assignment"
    steps = (WhoStep(),)

    async def finish(self, data: dict[str, Any], turn: Turn) -> Reply:
        member = await turn.desk.members.named(data["member_id"])
        ticket = await turn.desk.tickets.assign(turn.principal, data["ticket"], [member])
        message = await ticket_message(turn.desk, ticket, viewer=turn.principal, notice=f"Assigned #{ticket.number} to {member.name}.")
        return Reply(messages=(message,))


class WhomStep:
    """Which of several matching assignees to take off."""

    name = "member_id"

    async def question(self, data: Mapping[str, Any], turn: Turn) -> Question:
        return Question(f"Whom should I take off #{data['ticket']}?", tuple(data["_candidates"]))

    async def accept(self, answer: str, data: dict[str, Any], turn: Turn) -> int:
        chosen = pick(answer, data["_candidates"])
        if chosen is None:
            raise Invalid(f"Choose one of: {', '.join(data['_candidates'])}.")
        return int(data["_ids"][data["_candidates"].index(chosen)])


class UnassignDialog:
    """Takes a member off a ticket when what was typed matched several of its assignees."""

    name = "unassign"
    title = "unassignment"
    steps = (WhomStep(),)

    async def finish(self, data: dict[str, Any], turn: Turn) -> Reply:
        member = await turn.desk.members.named(data["member_id"])
        ticket = await turn.desk.tickets.unassign(turn.principal, data["ticket"], [member])
        notice = f"Took {member.name} off #{ticket.number}."
        return Reply(messages=(await ticket_message(turn.desk, ticket, viewer=turn.principal, notice=notice),))
