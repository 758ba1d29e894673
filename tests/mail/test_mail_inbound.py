"""Inbound mail through the real path: msal against the local HTTPS authority, the Graph client against the
Graph stub, the poller handing mail to the core, tickets and notes in the database."""

from __future__ import annotations

from bot.services import Services
from tests.fakes.graph import mail
from tests.mail.helpers import MAILBOX, mail_settings, poll

PRINTER = (
    "The printer on floor 3 is jammed again.\n"
    "Board: this line is part of the description.\n\n"
    "Thanks,\nAnn\n"
    "-- \n"
    "Ann Example | Finance | +1 555 0100\n"
)


async def test_a_new_mail_opens_one_ticket_for_its_sender(mail_services, graph, login):
    graph.deliver(mail("Printer <jammed> & stuck", PRINTER, importance="high"))

    result = await poll(mail_services)

    assert (result.handled, result.skipped) == (1, 0)
    tickets = await mail_services.tickets.list()
    assert [(t.number, t.title, t.priority) for t in tickets] == [(1, "Printer <jammed> & stuck", "high")]
    ticket = tickets[0]
    assert ticket.requester_name == "Ann Example"
    assert ticket.description == (
        "The printer on floor 3 is jammed again.\nBoard\u200b: this line is part of the description.\n\nThanks,\nAnn"
    )
    assert ticket.origin_platform == "mail" and ticket.origin_message == "<m1@example.com>"
    # msal got one token from the local authority (client credentials, Graph's .default scope) and reused it.
    assert len(login.token_requests) == 1 and login.scopes == [f"{graph.url}/.default"]
    # The answer went back in the thread: a reply draft tagged [#1], HTML with the user's text escaped, sent.
    [reply] = graph.sent
    assert reply["inReplyTo"] == "AAMk-1" and "[#1]" in reply["subject"]
    assert reply["body"]["contentType"] == "HTML"
    assert "Printer &lt;jammed&gt; &amp; stuck" in reply["body"]["content"]
    assert "<jammed>" not in reply["body"]["content"]
    # Processed: marked read and moved to the processed folder, never deleted.
    assert graph.calls("PATCH", "/messages/AAMk-1")[0].json == {"isRead": True}
    assert graph.calls("POST", "/messages/AAMk-1/move")[0].json == {"destinationId": "archive"}
    assert graph.folders["AAMk-1"] == "archive" and not any(r.method == "DELETE" for r in graph.requests)
    assert all('IdType="ImmutableId"' in r.headers["Prefer"] for r in graph.requests)


async def test_a_member_is_the_requester_by_email_and_low_importance_sets_the_priority(mail_services, graph):
    await mail_services.members.add("Dora Desk", "dora@example.com")
    graph.deliver(mail("VPN is slow", "Since Monday.", sender="Dora@Example.com", name="Dora", importance="low"))

    await poll(mail_services)

    [ticket] = await mail_services.tickets.list()
    assert ticket.priority == "low"
    assert ticket.requester_member_id == (await mail_services.members.by_email("dora@example.com")).id


async def test_priority_words_in_subject_or_body_set_the_priority_as_in_chat(mail_services, graph):
    graph.deliver(mail("Mail outage on floor 2", "Nobody gets mail."))
    graph.deliver(mail("Drucker", "Bitte dringend reparieren.", sender="bert@example.com"))
    graph.deliver(mail("Urgent: new mouse", "Mine broke.", sender="cleo@example.com", importance="low"))
    graph.deliver(mail("New mouse", "Mine broke.", sender="dave@example.com"))

    await poll(mail_services)

    tickets = sorted(await mail_services.tickets.list(), key=lambda t: t.number)
    # Outlook's importance is an explicit Priority line, so it wins over the words; no words: the board's default.
    assert [t.priority for t in tickets] == ["critical", "high", "low", "medium"]


async def test_a_reply_in_the_thread_becomes_a_note(mail_services, graph):
    first = graph.deliver(mail("Printer jammed", "It is jammed."))
    await poll(mail_services)
    conversation = graph.messages[first]["conversationId"]
    reply = "Still jammed after a restart.\n\nOn Tue, 1 Dec 2026 at 09:00, Helpdesk <hd@desk.example> wrote:\n> old"
    graph.deliver(mail("RE: Printer jammed [#1]", reply, conversation=conversation))

    await poll(mail_services)

    notes = await mail_services.tickets.notes(1)
    assert [n.text for n in notes] == ["Still jammed after a restart."]
    assert len(await mail_services.tickets.list()) == 1


async def test_a_subject_tag_reaches_the_ticket_from_another_thread(mail_services, graph):
    graph.deliver(mail("Printer jammed", "It is jammed."))
    await poll(mail_services)
    graph.deliver(mail("Fwd: about [#1]", "Here is the photo.", conversation="another-thread"))

    await poll(mail_services)

    assert [n.text for n in await mail_services.tickets.notes(1)] == ["Here is the photo."]


async def test_a_members_first_line_command_acts_on_the_ticket(mail_services, graph):
    await mail_services.members.add("Bob Tech", "bob@desk.example")
    first = graph.deliver(mail("Printer jammed", "It is jammed."))
    await poll(mail_services)
    conversation = graph.messages[first]["conversationId"]
    graph.deliver(mail("RE: Printer jammed [#1]", "assign to me\nOn my way.", sender="bob@desk.example", name="Bob",
                       conversation=conversation))

    await poll(mail_services)

    ticket = await mail_services.tickets.get(1)
    assert [m.name for m in ticket.assignees] == ["Bob Tech"]
    assert [n.text for n in await mail_services.tickets.notes(1)] == ["On my way."]


async def test_a_repolled_mail_changes_nothing(mail_services, graph):
    first = graph.deliver(mail("Printer jammed", "It is jammed."))
    await poll(mail_services)
    graph.put_back(first)  # the mail shows up in the inbox again

    result = await poll(mail_services)

    assert result.handled == 1
    assert len(await mail_services.tickets.list()) == 1
    assert await mail_services.tickets.notes(1) == []
    assert len(graph.sent) == 1


async def test_a_restart_resumes_from_the_stored_delta_link(db_url, login, graph):
    graph.page_size = 1
    graph.deliver(mail("Printer jammed", "It is jammed."))
    graph.deliver(mail("Screen flickers", "Since today."))
    first = Services(mail_settings(db_url, login, graph))
    try:
        assert (await poll(first)).handled == 2
    finally:
        await first.close()
    graph.deliver(mail("Mouse is gone", "Someone took it."))
    requests_before = len(graph.requests)

    second = Services(mail_settings(db_url, login, graph))  # a new process over the same database
    try:
        result = await poll(second)
        titles = sorted(t.title for t in await second.tickets.list())
    finally:
        await second.close()

    assert result.handled == 1
    assert titles == ["Mouse is gone", "Printer jammed", "Screen flickers"]
    delta = [r for r in graph.requests[requests_before:] if r.path.endswith("/delta")]
    assert "$deltatoken" in delta[0].query


async def test_automatic_mail_and_excluded_senders_create_nothing(mail_services, graph):
    await mail_services.mail.add_exclusion("@newsletters.example")
    graph.deliver(mail("Automatic reply: Printer", "I am out.", headers={"Auto-Submitted": "auto-replied"}))
    graph.deliver(mail("Your invoice", "Pay now.", sender="no-reply@shop.example"))
    graph.deliver(mail("Weekly news", "News.", sender="editor@mail.newsletters.example"))
    graph.deliver(mail("Loop", "From ourselves.", sender=MAILBOX))

    result = await poll(mail_services)

    assert (result.handled, result.skipped) == (0, 4)
    assert await mail_services.tickets.list() == []
    assert graph.sent == [] and len(graph.inbox()) == 4


async def test_a_rule_assigns_mail_from_a_domain(mail_services, graph):
    await mail_services.members.add("Bob Tech", "bob@desk.example")
    await mail_services.boards.add("Facilities")
    await mail_services.mail.add_rule("example.org", board="Facilities", assignee="bob@desk.example")
    graph.deliver(mail("Door is stuck", "Room 4.", sender="carl@sites.example.org", name="Carl"))
    graph.deliver(mail("Printer jammed", "It is jammed."))

    await poll(mail_services)

    by_title = {t.title: t for t in await mail_services.tickets.list()}
    door, printer = by_title["Door is stuck"], by_title["Printer jammed"]
    assert door.board.name == "Facilities" and [m.name for m in door.assignees] == ["Bob Tech"]
    assert printer.board.name == "Service Desk" and printer.assignees == []


async def test_a_throttled_delta_query_is_retried_after_retry_after(mail_services, graph):
    graph.deliver(mail("Printer jammed", "It is jammed."))
    graph.refuse_next(429, "0")

    result = await poll(mail_services)

    assert result.handled == 1
    assert len(graph.calls("GET", "/delta")) == 2



async def test_a_question_the_core_asks_is_answered_by_the_next_mail_in_the_thread(mail_services, graph):
    await mail_services.boards.add_category(None, "Printers")
    await mail_services.boards.add_category(None, "Network")
    first = graph.deliver(mail("Printer jammed", "It is jammed."))
    await poll(mail_services)
    assert await mail_services.tickets.list() == []
    [question] = graph.sent
    assert "Which category" in question["body"]["content"]
    graph.deliver(mail("RE: Printer jammed", "Printers\n\nOn Tue, Helpdesk wrote:\n> Which category?",
                       conversation=graph.messages[first]["conversationId"]))

    await poll(mail_services)

    [ticket] = await mail_services.tickets.list()
    assert ticket.title == "Printer jammed" and ticket.category.name == "Printers"
    assert ticket.description == "It is jammed."
    assert "[#1]" in graph.sent[-1]["subject"]
