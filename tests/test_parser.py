"""Understanding a message: platform markup is stripped (adapters.markup), then the text is parsed (bot.chat.parser)."""

from __future__ import annotations

import pytest

from adapters.markup import Mention, Stripped, strip_markup
from bot.chat.parser import TITLE_MAX, USAGE, Intent, parse

PRIORITY_ERROR = "“{}” is not a priority: use low, medium, high or critical."


def draft(title: str, **fields: str) -> Intent:
    return Intent("draft", fields={"title": title, **fields})


def titled(text: str, **fields: str) -> tuple[str, Intent]:
    """A case whose whole text is the draft's title."""
    return text, draft(text, **fields)


def structured(**fields: str) -> Intent:
    return Intent("structured", fields=fields)


def create(**fields: str) -> Intent:
    return Intent("create", fields=fields)


def unknown(command: str) -> Intent:
    return Intent("unknown", suggestion=USAGE[command])


CASES = [
    # help, greetings, prefixes
    ("help", Intent("help")),
    ("HELP", Intent("help")),
    ("help?", Intent("help")),
    ("?", Intent("help")),
    ("commands", Intent("help")),
    ("hi", Intent("help")),
    ("Hello!", Intent("help")),
    ("hey", Intent("help")),
    ("/ticket help", Intent("help")),
    ("/ticket", Intent("help")),
    ("ticket: help", Intent("help")),
    # create
    ("new", Intent("create")),
    ("create ticket", Intent("create")),
    ("open a ticket", Intent("create")),
    ("new printer jam on floor 2", create(title="printer jam on floor 2")),
    ("create: VPN drops every hour, urgent", create(title="VPN drops every hour, urgent", priority="high")),
    (
        "New ticket - Outlook crashes\nIt happens when I open attachments.",
        create(title="Outlook crashes", description="It happens when I open attachments."),
    ),
    ("ticket: new VPN broken", create(title="VPN broken")),
    ("new\nTitle: Desk phone dead\nPriority: low", structured(title="Desk phone dead", priority="low")),
    # show
    ("show 42", Intent("show", number=42)),
    ("Show #42", Intent("show", number=42)),
    ("#42", Intent("show", number=42)),
    ("#42?", Intent("show", number=42)),
    ("ticket 42", Intent("show", number=42)),
    ("view 7", Intent("show", number=7)),
    ("show ticket #42", Intent("show", number=42)),
    ("open 42", Intent("show", number=42)),
    ("status of 42?", Intent("show", number=42)),
    ("   show    42   ", Intent("show", number=42)),
    ("/ticket show 42", Intent("show", number=42)),
    # history
    ("show 42 history", Intent("history", number=42)),
    ("history 42", Intent("history", number=42)),
    ("history of #42", Intent("history", number=42)),
    ("show history of 42", Intent("history", number=42)),
    # assign / unassign
    ("assign 42 to me", Intent("assign", number=42, who="me")),
    ("assign #42 Me", Intent("assign", number=42, who="me")),
    ("ASSIGN 42 TO MYSELF", Intent("assign", number=42, who="me")),
    ("assign 42 to Megan Bowen", Intent("assign", number=42, who="Megan Bowen")),
    ("assign 42 to megan@contoso.com", Intent("assign", number=42, who="megan@contoso.com")),
    ("assign 42 to @U123", Intent("assign", number=42, who="@U123")),
    ("assign 42 to José Álvarez.", Intent("assign", number=42, who="José Álvarez")),
    ("assign Megan Bowen to #42", Intent("assign", number=42, who="Megan Bowen")),
    ("assign 42", Intent("assign", number=42)),
    ("unassign 42 megan", Intent("unassign", number=42, who="megan")),
    ("unassign 42 from me", Intent("unassign", number=42, who="me")),
    ("unassign Megan from #42", Intent("unassign", number=42, who="Megan")),
    # status
    ("status 42 in progress", Intent("status", number=42, value="in progress")),
    ("status #42 to Waiting", Intent("status", number=42, value="Waiting")),
    ("status 42 to do", Intent("status", number=42, value="to do")),
    ("status 42: Resolved.", Intent("status", number=42, value="Resolved")),
    ("status 42", Intent("status", number=42)),
    # priority
    ("priority 42 p1", Intent("priority", number=42, value="critical")),
    ("priority 42 High", Intent("priority", number=42, value="high")),
    ("prio #42 to low", Intent("priority", number=42, value="low")),
    ("priority 42 urgent", Intent("priority", number=42, value="critical")),
    ("priority 42 p2 priority", Intent("priority", number=42, value="high")),
    ("priority 42", Intent("priority", number=42)),
    (
        "priority 42 banana",
        Intent(
            "invalid",
            number=42,
            value="banana",
            error=PRIORITY_ERROR.format("banana"),
            suggestion="priority <n> <priority>",
        ),
    ),
    # note
    ("note 42 called the user", Intent("note", number=42, value="called the user")),
    ("comment #42 waiting for parts", Intent("note", number=42, value="waiting for parts")),
    ("note 42 first line\nsecond line\n\nfourth", Intent("note", number=42, value="first line\nsecond line\n\nfourth")),
    ("note 42: rebooted 🎉", Intent("note", number=42, value="rebooted 🎉")),
    ("add a note to 42 user is on leave", Intent("note", number=42, value="user is on leave")),
    ("note 42", Intent("note", number=42)),
    # close / reopen
    ("close 42", Intent("close", number=42)),
    ("close 42.", Intent("close", number=42)),
    ("close #42 duplicate of #41", Intent("close", number=42, value="duplicate of #41")),
    ("Close 42 - fixed after reboot", Intent("close", number=42, value="fixed after reboot")),
    ("reopen 42", Intent("reopen", number=42)),
    ("re-open #42!", Intent("reopen", number=42)),
    # my tickets, list, search
    ("my tickets", Intent("my_tickets")),
    ("My Tickets?", Intent("my_tickets")),
    ("mine", Intent("my_tickets")),
    ("my", Intent("my_tickets")),
    ("show my tickets", Intent("my_tickets")),
    ("list my open tickets", Intent("my_tickets")),
    ("list", Intent("list")),
    ("list IT waiting", Intent("list", value="IT waiting")),
    ("open tickets", Intent("list", value="open")),
    ("search printer jam", Intent("search", value="printer jam")),
    ("search for VPN?", Intent("search", value="VPN")),
    # cancel, link, follow
    ("cancel", Intent("cancel")),
    ("Cancel!", Intent("cancel")),
    ("stop", Intent("cancel")),
    ("nevermind", Intent("cancel")),
    ("never mind", Intent("cancel")),
    ("quit", Intent("cancel")),
    ("link", Intent("link")),
    ("link me", Intent("link")),
    ("link megan@contoso.com.", Intent("link", value="megan@contoso.com")),
    ("follow IT Support", Intent("follow", value="IT Support")),
    ("follow", Intent("follow")),
    ("unfollow Facilities", Intent("unfollow", value="Facilities")),
    ("unfollow", Intent("unfollow")),
    # the structured form
    (
        "Title: Printer on 3rd floor jams\nPriority: P1\nDescription: Paper jam error 50\n"
        "Board: IT\nCategory: Hardware",
        structured(
            title="Printer on 3rd floor jams",
            priority="critical",
            description="Paper jam error 50",
            board="IT",
            category="Hardware",
        ),
    ),
    (
        "board: Facilities\ndescription: The blinds are stuck\nand rattle in the wind\n\nsince Monday\n"
        "title: Blinds stuck",
        structured(
            board="Facilities",
            description="The blinds are stuck\nand rattle in the wind\n\nsince Monday",
            title="Blinds stuck",
        ),
    ),
    ("TITLE : Badge reader broken\nPRIORITY: asap", structured(title="Badge reader broken", priority="critical")),
    ("Title: Mouse\nPriority: whenever-ish", structured(title="Mouse", priority="whenever-ish")),
    ("Priority: high", structured(priority="high")),
    # without a Priority line the priority words decide, as in a draft; a Priority line wins over them
    ("Title: Mail outage\nBoard: IT", structured(title="Mail outage", board="IT", priority="critical")),
    ("Title: Drucker\nDescription: Bitte dringend", structured(title="Drucker", description="Bitte dringend",
                                                              priority="high")),
    ("Title: Mail outage\nPriority: low", structured(title="Mail outage", priority="low")),
    ("Title:\nBoard: IT", structured(board="IT")),
    ("Keyboard missing keys\nBoard: IT", structured(title="Keyboard missing keys", board="IT")),
    (
        "Please file this:\nTitle: Keyboard missing keys\nBoard: IT",
        structured(title="Keyboard missing keys", description="Please file this:", board="IT"),
    ),
    # free text: drafts and their priority words
    titled("My printer is jammed"),
    ("Outlook crashes\nEvery time I open a PDF.", draft("Outlook crashes", description="Every time I open a PDF.")),
    (
        "The shared drive is not reachable from the Berlin office. We tried rebooting the router twice already.",
        draft(
            "The shared drive is not reachable from the Berlin office.",
            description="We tried rebooting the router twice already.",
        ),
    ),
    titled("Email is down for everyone", priority="critical"),
    titled("Website outage in EU", priority="critical"),
    titled("🔥 VPN down 🔥", priority="critical"),
    titled("need VPN access asap", priority="high"),
    titled("URGENT: can't log in", priority="high"),
    titled("P2 – shared drive slow", priority="high"),
    ("new monitor please, low priority", create(title="monitor please, low priority", priority="low")),
    titled("Server down but not urgent, it is the test box", priority="low"),
    titled("whenever you get a chance, replace the toner", priority="low"),
    titled("download keeps failing"),
    titled("Laptop won't shut down"),
    titled("the printer down the hall is out of paper"),
    titled("close the window in room 5 it's stuck"),
    titled("show me how to reset my password"),
    titled("help me my printer is broken"),
    ("help\nmy printer is broken", draft("help", description="my printer is broken")),
    titled("hi there, my screen flickers"),
    titled("follow up on my laptop order"),
    titled("list of software I need installed"),
    titled("cancel my meeting room booking"),
    titled("newspaper delivery missing"),
    # pleasantries are not drafts
    ("thanks", Intent("thanks")),
    ("Thank you!", Intent("thanks")),
    ("👍", Intent("thanks")),
    ("ok", Intent("thanks")),
    ("cool", Intent("thanks")),
    ("great", Intent("thanks")),
    ("merci", Intent("thanks")),
    ("danke schön", Intent("thanks")),
    ("gracias", Intent("thanks")),
    ("thanks, but the printer is still jammed", draft("thanks, but the printer is still jammed")),
    # German, French, Spanish priority words
    titled("Drucker im 2. Stock druckt nicht, dringend", priority="high"),
    titled("Störung im Netzwerk seit heute früh", priority="critical"),
    titled("Totaler Ausfall des Mailservers", priority="critical"),
    titled("Neuer Monitor für Frau Weber, nicht dringend", priority="low"),
    titled("Imprimante bloquée, urgent", priority="high"),
    titled("La messagerie est en panne", priority="critical"),
    titled("Problème bloquant sur la paie", priority="critical"),
    titled("Nouveau clavier, pas urgent", priority="low"),
    titled("La impresora no imprime, es urgente", priority="high"),
    titled("El servidor de correo está caído", priority="critical"),
    titled("Cambiar el ratón, no urgente", priority="low"),
    # titles are not cut at ordinals or abbreviations (long first lines are cut at their first sentence end)
    (
        "Der Drucker im 4. OG zeigt seit Montag einen Papierstau an, z. B. beim Drucken von PDF-Dateien aus Outlook. "
        "Neustart hat nichts gebracht.",
        draft(
            "Der Drucker im 4. OG zeigt seit Montag einen Papierstau an, z. B. beim Drucken von PDF-Dateien aus Outlook.",
            description="Neustart hat nichts gebracht.",
        ),
    ),
    (
        "Dr. Meyer's laptop will not connect to the VPN since the update, e.g. from the hotel wifi yesterday evening. "
        "It worked last week.",
        draft(
            "Dr. Meyer's laptop will not connect to the VPN since the update, e.g. from the hotel wifi yesterday evening.",
            description="It worked last week.",
        ),
    ),
    # unicode
    titled("Imprimante en panne au 3ᵉ étage — très urgent", priority="critical"),  # panne: an outage
    titled("打印机卡纸了"),
    (
        "三楼的打印机从今天早上开始一直显示错误代码五十并且无法打印任何文件我们已经尝试重新启动了好几次但是问题仍然存在没有任何改善请帮忙处理一下谢谢大家的配合与支持非常感谢。我们还试了换纸。",
        draft(
            "三楼的打印机从今天早上开始一直显示错误代码五十并且无法打印任何文件我们已经尝试重新启动了好几次但是问题仍然存在没有任何改善请帮忙处理一下谢谢大家的配合与支持非常感谢。",
            description="我们还试了换纸。",
        ),
    ),
    titled("המדפסת לא עובדת"),
    ("الطابعة لا تعمل\nمنذ الصباح", draft("الطابعة لا تعمل", description="منذ الصباح")),
    # command attempts that went wrong
    ("asign 42 to me", unknown("assign")),
    ("unasign 42 me", unknown("unassign")),
    ("shwo 42", unknown("show")),
    ("closed 42", unknown("close")),
    ("show abc", unknown("show")),
    ("show 42 please", unknown("show")),
    ("close", unknown("close")),
    ("reopen", unknown("reopen")),
    ("note", unknown("note")),
    ("assign to me", unknown("assign")),
    ("status done", unknown("status")),
    ("priority high", unknown("priority")),
    ("search", unknown("search")),
    ("hepl", unknown("help")),
    ("lsit", unknown("list")),
    # nothing at all
    ("", Intent("empty")),
    ("   \n\t  ", Intent("empty")),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[repr(text)[:60] for text, _ in CASES])
def test_parse(text: str, expected: Intent) -> None:
    assert parse(text) == expected


MARKUP_CASES = [
    ("teams", "<at>Ticketbot</at> show 42", Intent("show", number=42)),
    ("teams", '<at id="0">TICKETBOT</at>&nbsp;help', Intent("help")),
    (
        "teams",
        "<p><at>Ticketbot</at> note 42 called &amp; emailed</p><p>will retry&nbsp;&nbsp;tomorrow</p>",
        Intent("note", number=42, value="called & emailed\nwill retry tomorrow"),
    ),
    ("teams", "<at>Ticketbot</at> assign 42 to <at>Megan Bowen</at>", Intent("assign", number=42, who="Megan Bowen")),
    (
        "teams",
        "<div>Title: Projector broken</div>\n<div>Priority: p2</div><div>Board: Facilities</div>",
        Intent("structured", fields={"title": "Projector broken", "priority": "high", "board": "Facilities"}),
    ),
    (
        "teams",
        "<p><at>Ticketbot</at> Monitor flickers &lt;HDMI&gt;<br>since the update</p>",
        draft("Monitor flickers <HDMI>", description="since the update"),
    ),
    ("slack", "<@UBOT> assign 42 to <@U2|megan>", Intent("assign", number=42, who="@megan")),
    ("slack", "<@UBOT> assign 42 to <@U2>", Intent("assign", number=42, who="@U2")),
    ("slack", "<@UBOT> link <mailto:megan@contoso.com|megan@contoso.com>", Intent("link", value="megan@contoso.com")),
    ("slack", "follow <#C123|it-support>", Intent("follow", value="#it-support")),
    (
        "slack",
        "<@UBOT> VPN is down, see <https://status.contoso.com|the status page> &amp; <https://contoso.com/vpn>",
        draft("VPN is down, see the status page & https://contoso.com/vpn", priority="critical"),
    ),
    ("slack", "<!here> printer on floor 2 is out of toner", draft("@here printer on floor 2 is out of toner")),
    ("slack", "/ticket show 42", Intent("show", number=42)),
    (
        "webex",
        '<spark-mention data-object-type="person" data-object-id="BOT">Ticketbot</spark-mention> **close** 42 *fixed*',
        Intent("close", number=42, value="fixed"),
    ),
    (
        "webex",
        "<p><spark-mention data-object-type='person' data-object-id='BOT'>Ticketbot</spark-mention> assign 42 to "
        '<spark-mention data-object-id="P2" data-object-type="person">Megan</spark-mention></p>',
        Intent("assign", number=42, who="Megan"),
    ),
    (
        "webex",
        "**Title:** Badge reader broken\n__Priority:__ `high`\n*Description:* door B",
        Intent("structured", fields={"title": "Badge reader broken", "priority": "high", "description": "door B"}),
    ),
    ("console", "  show\t #42  ", Intent("show", number=42)),
]


@pytest.mark.parametrize(
    ("platform", "raw", "expected"), MARKUP_CASES, ids=[f"{p}:{r[:40]}" for p, r, _ in MARKUP_CASES]
)
def test_markup_then_parse(platform: str, raw: str, expected: Intent) -> None:
    stripped = strip_markup(platform, raw, bot_names=["Ticketbot"], bot_ids=["UBOT", "BOT"])
    assert parse(stripped.text) == expected


def test_a_10_kb_first_line_is_cut_at_a_word_boundary_and_kept_whole_in_the_description() -> None:
    text = "Database cluster unreachable from every app server in region west " * 160
    assert len(text) > 10_000
    intent = parse(text)
    title = intent.fields["title"]
    assert intent.name == "draft"
    assert len(title) <= TITLE_MAX
    assert title.endswith("…")
    assert text.startswith(title[:-1]) and text[len(title) - 1] == " "
    assert intent.fields["description"] == text.strip()


def test_a_10_kb_description_is_kept() -> None:
    body = "\n".join(f"step {i}: tried again, still failing" for i in range(400))
    intent = parse(f"Payroll export fails\n{body}")
    assert len(body) > 10_000
    assert intent.fields == {"title": "Payroll export fails", "description": body}


def test_a_long_title_without_spaces_is_cut_hard() -> None:
    text = "打" * 500
    title = parse(text).fields["title"]
    assert title == "打" * (TITLE_MAX - 1) + "…"


def test_a_long_structured_title_is_cut_and_kept_in_the_description() -> None:
    long_title = "word " * 60
    intent = parse(f"Title: {long_title}\nDescription: details")
    assert len(intent.fields["title"]) <= TITLE_MAX
    assert intent.fields["description"] == f"{long_title.strip()}\n\ndetails"


def test_teams_mentions_leave_out_the_bot_by_name_in_any_case() -> None:
    raw = "<at>ticketBOT</at> assign 42 to <at>Megan Bowen</at> and <at>Alex W&amp;ilber</at>"
    stripped = strip_markup("teams", raw, bot_names=["TicketBot"])
    assert stripped == Stripped(
        "assign 42 to Megan Bowen and Alex W&ilber", (Mention(None, "Megan Bowen"), Mention(None, "Alex W&ilber"))
    )


def test_teams_html_keeps_lines_and_decodes_entities() -> None:
    raw = "<div><p>Title: A &lt;b&gt; tag</p>\n<p>&nbsp;</p><p>Description:&nbsp;x&nbsp;&nbsp;y</p><p>z<br/>w</p></div>"
    assert strip_markup("teams", raw).text == "Title: A <b> tag\n\nDescription: x y\nz\nw"


def test_slack_mentions_keep_ids_and_labels_and_leave_out_the_bot() -> None:
    raw = "<@UBOT> ping <@U2|megan> and <@W3> <!channel> <!subteam^S1|@ops>"
    stripped = strip_markup("slack", raw, bot_ids=["UBOT"])
    assert stripped.text == "ping @megan and @W3 @channel @ops"
    assert stripped.mentions == (Mention("U2", "megan"), Mention("W3", ""))


def test_slack_links_channels_and_entities() -> None:
    raw = "<#C1|general> <#C2> <mailto:a@b.c|a@b.c> <mailto:d@e.f> <http://x|the x> <http://y> &lt;&amp;lt;&gt;"
    assert strip_markup("slack", raw).text == "#general #C2 a@b.c d@e.f the x http://y <&lt;>"


def test_webex_mentions_leave_out_the_bot_by_id_or_name_and_all() -> None:
    raw = (
        '<spark-mention data-object-type="person" data-object-id="BOT">Desk</spark-mention> '
        '<spark-mention data-object-type="person" data-object-id="B2">ticketbot</spark-mention> hi '
        '<spark-mention data-object-type="person" data-object-id="P2">Megan</spark-mention> '
        '<spark-mention data-object-type="groupMention" data-group-type="all">All</spark-mention>'
    )
    stripped = strip_markup("webex", raw, bot_names=["Ticketbot"], bot_ids=["BOT"])
    assert stripped == Stripped("hi Megan @all", (Mention("P2", "Megan"),))


def test_webex_markdown_is_reduced_to_its_text_but_lone_stars_and_snake_case_stay() -> None:
    raw = "<p>**bold** *em* __under__ `code` <strong>html</strong></p><p>2 * 3 * 4 = my_var_name</p>"
    assert strip_markup("webex", raw).text == "bold em under code html\n2 * 3 * 4 = my_var_name"


def test_other_platforms_only_tidy_whitespace() -> None:
    stripped = strip_markup("console", "  <at>Bot</at>  hello\t\tworld \r\n\n\n\n  next  line ", bot_names=["Bot"])
    assert stripped == Stripped("<at>Bot</at> hello world\n\nnext line", ())


def test_only_whitespace_after_stripping_is_empty() -> None:
    stripped = strip_markup("teams", "<p><at>Ticketbot</at>&nbsp;</p>", bot_names=["Ticketbot"])
    assert stripped == Stripped("", ())
    assert parse(stripped.text) == Intent("empty")
