"""What a mail becomes: the sender's own words, the subject as a title, automatic mail recognised, and the
card as escaped HTML."""

from __future__ import annotations

import pytest

from adapters.mail.body import own_words
from adapters.mail.translate import automatic, parse_mail, thread_events
from cards.html_mail import render_mail_html
from cards.model import Card, Choice, ChoiceInput, Fact, Facts, Text
from tests.fakes.graph import mail

BASE = "http://graph.test/v1.0/users/helpdesk@desk.example/messages"


@pytest.mark.parametrize(
    "body",
    [
        "Still broken.\n\nOn Mon, 30 Nov 2026 at 10:00, Helpdesk <hd@desk.example> wrote:\n> Did it work?",
        "Still broken.\n\n-----Original Message-----\nFrom: Helpdesk\nSent: Monday",
        "Still broken.\n\nFrom: Helpdesk <hd@desk.example>\nSent: Monday, 30 November 2026 10:00\nTo: Ann",
        "Still broken.\n\nLe lun. 30 nov. 2026 à 10:00, Helpdesk <hd@desk.example> a écrit :\n> Ça marche ?",
        "Still broken.\n-- \nAnn Example\nFinance",
        "Still broken.\n\nSent from my iPhone",
        "> Did it work?\nStill broken.",
    ],
)
def test_quoted_history_and_signatures_are_trimmed(body):
    assert own_words(body) == "Still broken."


def test_own_words_keep_their_lines():
    assert own_words("Line one\r\nLine two\n\n\n\nLine three\n") == "Line one\nLine two\n\nLine three"


def test_the_title_drops_reply_prefixes_and_tags_and_fits():
    parsed = parse_mail({**mail("RE: Fwd: AW: Printer [#12] jammed", "x"), "id": "m1"}, BASE)
    assert parsed is not None and parsed.title == "Printer jammed" and parsed.ticket_tag == 12
    long = parse_mail({**mail("word " * 80, "x"), "id": "m2"}, BASE)
    assert long is not None and len(long.title) <= 200 and not long.title.endswith(" ")
    empty = parse_mail({**mail("", "x"), "id": "m3"}, BASE)
    assert empty is not None and empty.title == "(no subject)"


@pytest.mark.parametrize(
    ("sender", "headers", "expected"),
    [
        ("ann@example.com", {}, False),
        ("ann@example.com", {"Auto-Submitted": "no"}, False),
        ("ann@example.com", {"Auto-Submitted": "auto-replied"}, True),
        ("ann@example.com", {"X-Autoreply": "yes"}, True),
        ("ann@example.com", {"Precedence": "bulk"}, True),
        ("noreply@shop.example", {}, True),
        ("do-not-reply+tag@shop.example", {}, True),
        ("MAILER-DAEMON@mx.example", {}, True),
        ("noreen@example.com", {}, False),
    ],
)
def test_automatic_mail_is_recognised(sender, headers, expected):
    parsed = parse_mail({**mail("s", "b", sender=sender, headers=headers), "id": "m1"}, BASE)
    assert parsed is not None and automatic(parsed) is expected


def test_attachments_are_references_to_graph():
    attachments = [
        {"id": "a1", "name": "photo.jpg", "contentType": "image/jpeg", "isInline": False},
        {"id": "a2", "name": "logo.png", "contentType": "image/png", "isInline": True},
    ]
    parsed = parse_mail({**mail("s", "", attachments=attachments), "id": "m1"}, BASE)
    assert parsed is not None
    [attachment] = parsed.attachments
    assert (attachment.name, attachment.content_type) == ("photo.jpg", "image/jpeg")
    assert attachment.url == f"{BASE}/m1/attachments/a1"
    [event] = thread_events(parsed, 4)
    assert event.text == "note 4 Attached: photo.jpg" and event.attachments == parsed.attachments


@pytest.mark.parametrize(
    ("body", "texts"),
    [
        ("close\nFixed by replacing the toner.", ["close 4", "note 4 Fixed by replacing the toner."]),
        ("Close: works again", ["close 4 works again"]),
        ("assign to me", ["assign 4 to me"]),
        ("priority high", ["priority 4 high"]),
        ("Status: Waiting\nWaiting for the vendor.", ["status 4 Waiting", "note 4 Waiting for the vendor."]),
        ("Thanks, it works now.", ["note 4 Thanks, it works now."]),
        ("priority\nis what this has", ["note 4 priority\nis what this has"]),
    ],
)
def test_a_first_line_command_acts_on_the_ticket(body, texts):
    parsed = parse_mail({**mail("RE: Printer [#4]", body), "id": "m1"}, BASE)
    assert parsed is not None
    events = thread_events(parsed, 4)
    assert [e.text for e in events] == texts
    assert len({e.idempotency_key for e in events}) == len(events)


def test_html_escapes_all_user_text():
    card = Card(
        "#3 <script>alert(1)</script>",
        (
            Text("a & b\nsecond line", "warning"),
            Facts((Fact("Requester", '"Eve" <eve@example.com>'),)),
            ChoiceInput("p", "Priority", (Choice("High <!>", "high"),), value="high"),
        ),
    )
    html = render_mail_html(card)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "a &amp; b<br>second line" in html
    assert "&quot;Eve&quot; &lt;eve@example.com&gt;" in html
    assert "<b>Priority:</b> High &lt;!&gt;" in html
