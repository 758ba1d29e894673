"""Understanding a message (SPEC §3): turning plain text into an `Intent`.

The text is expected without platform markup (see `adapters.markup`). Only exact command shapes are commands; free
text that merely starts with a command word ("show me how to reset my password", "close the window in room
5") is a draft. Text that clearly tries to be a command but is malformed or misspelt ("asign 42 to me",
"show abc", "close") is `unknown`, with the usage of the closest command as the suggestion.

Priority in a draft comes from words (whole words, case-insensitive), checked in this order, first hit wins:
  low       "low priority", "not urgent", "not critical", "non-urgent", "no rush", "p4"
  critical  "outage", "emergency", "critical", "p1", and "down" used as an outage ("server down", "email is
            down for everyone"; not "shut down", "slow down", "the printer down the hall")
  high      "urgent", "urgently", "asap", "high priority", "p2"
  medium    "medium priority", "p3"
  low       "whenever"
The same words set the priority of a structured form that has no Priority line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bot.chat.vocabulary import COMMANDS, USAGE
from bot.desk.priorities import normalize_priority
from bot.facts import PRIORITIES, TITLE_MAX

INTENTS: tuple[str, ...] = (
    *(c.intent for c in COMMANDS),
    "empty", "structured", "draft", "unknown", "invalid", "thanks",
)
"""Every intent name `parse` can return (the command table has a handler for each, which a test checks)."""

CONFIRM_WORDS = frozenset("yes y yep yeah create ok okay go confirm sure oui ja sí si".split())
DISCARD_WORDS = frozenset("no n nope cancel discard drop non nein".split())



@dataclass(frozen=True)
class Intent:
    """What a message asks for. `name` says which of the other fields are set (see the module's `parse`)."""

    name: str
    number: int | None = None
    who: str | None = None
    value: str | None = None
    fields: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None
    suggestion: str | None = None
    internal: bool = False


def confirmation(text: str) -> str | None:
    """"confirm" or "discard" when the text is only a word that answers a pending draft, else None."""
    word = text.strip().strip(_PUNCTUATION + "👍").lower() or ("yes" if "👍" in text else "")
    if word in CONFIRM_WORDS:
        return "confirm"
    if word in DISCARD_WORDS:
        return "discard"
    return None


def parse(text: str) -> Intent:
    """The intent of a message's plain text.

    Names and fields: help; create (fields from the draft rules, empty without text); show, history,
    reopen (number); assign, unassign (number, who — "me" for me/myself, else as typed, None if missing);
    status (number, value as typed or None); priority (number, value canonical or None); note (number,
    value with its newlines or None); close (number, value = reason or None); my_tickets; list (value =
    filter words or None); search (value); cancel; link (value = an email if one was given); follow,
    unfollow (value = board or None); structured (fields); draft (fields); unknown (suggestion); invalid
    (number, value, error, suggestion); empty.
    """
    text = text.replace("\r\n", "\n").strip()
    if not text:
        return Intent("empty")
    text = _PREFIX.sub("", text, count=1).strip()
    if not text:
        return Intent("help")
    rules = _TEXT_RULES if "\n" in text else _LINE_RULES + _TEXT_RULES
    for name, pattern in rules:
        match = pattern.fullmatch(text)
        if match:
            return _BUILDERS.get(name, _generic)(name, match)
    fields = _structured_fields(text)
    if fields is not None:
        return Intent("structured", fields=fields)
    return _unknown(text) or Intent("draft", fields=_draft_fields(text))


_PREFIX = re.compile(r"(?:/ticket\b:?|ticket:)\s*", re.IGNORECASE)
_NUM = r"(?:ticket\s+)?#?(?P<n>\d+)\b"
_END_MARKS = "?!."
_END = rf"[{_END_MARKS}]*"
_TAIL = r"[?!.,]*(?:[\s:=\-–—]+(?P<text>.*))?"
_PUNCTUATION = " \t\n.,:;!?-–—"


def _rules(*rules: tuple[str, str]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((name, re.compile(pattern, re.IGNORECASE | re.DOTALL)) for name, pattern in rules)


_LINE_RULES = _rules(
    ("help", rf"(?:help|\?|commands|hi|hello|hey){_END}"),
    ("my_tickets", rf"(?:(?:show|list)\s+)?(?:my(?:\s+(?:open\s+)?tickets?)?|mine){_END}"),
    ("cancel", rf"(?:cancel|stop|nevermind|never\s+mind|quit){_END}"),
    ("link", rf"link(?:\s+me)?(?:\s+(?:to\s+)?(?P<v>[^\s@]+@[^\s@]+))?{_END}"),
    ("history", rf"(?:show\s+)?{_NUM}\s+history{_END}"),
    ("history", rf"(?:show\s+)?(?:the\s+)?history\s+(?:of\s+|for\s+)?{_NUM}{_END}"),
    ("notes", rf"(?:show\s+)?{_NUM}\s+(?:notes|comments){_END}"),
    ("notes", rf"(?:show\s+)?(?:the\s+)?(?:notes|comments)\s+(?:of\s+|for\s+|on\s+)?{_NUM}{_END}"),
    ("more", rf"(?:more|next|next\s+page|show\s+more){_END}"),
    ("thanks", rf"(?:thanks?(?:\s+(?:you|a\s+lot|so\s+much))?|thx|ty|ok(?:ay)?|cool|great|nice|perfect|awesome|"
               rf"got\s+it|merci|danke(?:\s+schön)?|gracias|super|👍+|🙏+){_END}"),
    ("show", rf"(?:(?:show|view|open|status\s+of)\s+)?{_NUM}{_END}"),
    ("assign", rf"assign\s+{_NUM}(?:\s+to)?(?:\s+(?P<who>.+))?{_END}"),
    ("assign", rf"assign\s+(?P<who>.+?)\s+to\s+{_NUM}{_END}"),
    ("unassign", rf"unassign\s+{_NUM}(?:\s+from)?(?:\s+(?P<who>.+))?{_END}"),
    ("unassign", rf"unassign\s+(?P<who>.+?)\s+from\s+{_NUM}{_END}"),
    ("status", rf"status\s+{_NUM}(?:(?:\s*[:=]\s*|\s+)(?P<v>.+))?{_END}"),
    ("priority", rf"(?:priority|prio)\s+{_NUM}(?:(?:\s*[:=]\s*|\s+)(?P<v>.+))?{_END}"),
    ("reopen", rf"re-?open\s+{_NUM}{_END}"),
    ("list", rf"(?P<v>open|closed|all)\s+tickets{_END}"),
    ("list", rf"list(?!\s+of\b)(?:\s+(?P<v>.+))?{_END}"),
    ("search", rf"search(?::|\s+for)?\s+(?P<v>.+){_END}"),
    ("follow", rf"follow(?!\s+up\b)(?:\s+(?P<v>.+))?{_END}"),
    ("unfollow", rf"unfollow(?:\s+(?P<v>.+))?{_END}"),
)
_TEXT_RULES = _rules(
    ("note", rf"(?:note|comment|add\s+(?:a\s+)?note\s+to)\s+{_NUM}{_TAIL}"),
    ("internal", rf"internal(?:\s+note)?\s+{_NUM}{_TAIL}"),
    ("close", rf"close\s+{_NUM}{_TAIL}"),
    ("create", rf"(?:new|create|open)(?:\s+(?:a\s+)?(?:new\s+)?ticket)?{_TAIL}"),
)


_MAX_DIGITS = 40
"""Digits read as a number; a longer one stands for 10**40 (no ticket has it), so Python's 4,300-digit limit
on int() is never reached."""


def _number(digits: str) -> int:
    return int(digits) if len(digits) <= _MAX_DIGITS else 10**_MAX_DIGITS


def _generic(name: str, match: re.Match[str]) -> Intent:
    groups = match.groupdict()
    number = _number(groups["n"]) if groups.get("n") else None
    who = _clean(groups.get("who"), drop=_END_MARKS)
    if who is not None and who.casefold() in ("me", "myself"):
        who = "me"
    value = _clean(groups.get("v"), drop=_END_MARKS) or _clean(groups.get("text"))
    return Intent(name, number=number, who=who, value=value)


def _status(name: str, match: re.Match[str]) -> Intent:
    intent = _generic(name, match)
    if intent.value is None:
        return intent
    return Intent(name, number=intent.number, value=re.sub(r"^to\s+(?!do$)", "", intent.value, flags=re.I))


def _priority(name: str, match: re.Match[str]) -> Intent:
    intent = _generic(name, match)
    if intent.value is None:
        return intent
    priority = _priority_word(intent.value)
    if priority is None:
        return Intent(
            "invalid",
            number=intent.number,
            value=intent.value,
            error=f"“{intent.value}” is not a priority: use {', '.join(PRIORITIES[:-1])} or {PRIORITIES[-1]}.",
            suggestion=USAGE["priority"],
        )
    return Intent(name, number=intent.number, value=priority)


def _create(name: str, match: re.Match[str]) -> Intent:
    text = _clean(match["text"])
    if text is None:
        return Intent(name)
    fields = _structured_fields(text)
    if fields is not None:
        return Intent("structured", fields=fields)
    return Intent(name, fields=_draft_fields(text))


_INTERNAL = re.compile(r"internal\b[\s:,\-–—]*", re.IGNORECASE)


def _note(name: str, match: re.Match[str]) -> Intent:
    intent = _generic(name, match)
    value = intent.value or ""
    internal = name == "internal" or bool(_INTERNAL.match(value))
    if name != "internal" and internal:
        value = _INTERNAL.sub("", value, count=1)
    return Intent("note", number=intent.number, value=_clean(value), internal=internal)


_BUILDERS: dict[str, Callable[[str, re.Match[str]], Intent]] = {
    "status": _status,
    "priority": _priority,
    "create": _create,
    "note": _note,
    "internal": _note,
}


def _clean(value: str | None, drop: str = "") -> str | None:
    """The value stripped (and rid of trailing `drop` characters), or None when it is only punctuation."""
    if value is None or not value.strip(_PUNCTUATION):
        return None
    return value.strip().rstrip(drop).rstrip()


def _priority_word(value: str) -> str | None:
    """The canonical priority for a typed value such as "P1", "to high", "critical!" or "low priority"."""
    word = re.sub(r"^to\s+|\s+priority$", "", value.strip().rstrip("?!."), flags=re.I)
    return normalize_priority(word)


# The structured form.

_KEY_LINE = re.compile(r"^[ \t]*(title|priority|description|board|category)[ \t]*:[ \t]*", re.I | re.M)


def _structured_fields(text: str) -> dict[str, str] | None:
    """Fields of the `Key: value` form, or None when no line starts with a key.

    A value runs to the next key line. Text before the first key is the title when there is no Title key,
    else the start of the description. A priority is made canonical when it is one, else left as typed.
    """
    keys = list(_KEY_LINE.finditer(text))
    if not keys:
        return None
    values: dict[str, str] = {}
    for key, after in zip(keys, [*keys[1:], None], strict=False):
        value = text[key.end() : after.start() if after else len(text)].strip()
        if value:
            values[key.group(1).lower()] = value
    preamble = text[: keys[0].start()].strip()
    title_text = values.pop("title", "")
    if not title_text:
        title_text, preamble = preamble, ""
    fields: dict[str, str] = {}
    overflow = ""
    if title_text:
        fields["title"], overflow = _title_and_rest(title_text)
    description = "\n\n".join(p for p in (overflow, preamble, values.pop("description", "")) if p)
    if description:
        fields["description"] = description
    if "priority" in values:
        values["priority"] = _priority_word(values["priority"]) or values["priority"]
    fields.update(values)
    if "priority" not in fields:
        # Without a Priority line the words decide, as in a draft (a mail's subject and body arrive as this form).
        worded = _priority_from_words("\n".join(fields.get(k, "") for k in ("title", "description")))
        if worded is not None:
            fields["priority"] = worded
    return fields


# Drafts.

_LONG_LINE = 80
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")
_ABBREVIATIONS = frozenset(
    "dr mr mrs ms prof st sr sra jr nr no vs ca approx dept bzw usw evtl ggf inkl z.b u.a d.h mme mlle m p.ej"
    " ej e.g i.e etc. str tel".split()
)
_TOKEN_BEFORE = re.compile(r"(\S+)$")


def _sentence_end(line: str) -> re.Match[str] | None:
    """The first real end of a sentence in `line`: not after an ordinal ("im 4. OG"), a single letter
    ("z. B."), an abbreviation ("Dr.", "e.g."), or before a lower-case word."""
    for match in _SENTENCE_END.finditer(line):
        if line[match.start() - 1] in "。！？":
            return match
        before = _TOKEN_BEFORE.search(line, 0, match.start())
        token = before.group(1).rstrip(".!?").lower() if before else ""
        following = line[match.end() : match.end() + 1]
        if line[match.start() - 1] == "." and (
            token.isdigit() or len(token) <= 1 or token in _ABBREVIATIONS or "." in token or following.islower()
        ):
            continue
        return match
    return None


def _draft_fields(text: str) -> dict[str, str]:
    """Title, description and (when words say so) priority of free text."""
    title, description = _title_and_rest(text.strip())
    fields = {"title": title}
    if description:
        fields["description"] = description
    priority = _priority_from_words(text)
    if priority is not None:
        fields["priority"] = priority
    return fields


def _title_and_rest(text: str) -> tuple[str, str]:
    """The first line (or first sentence of a long first line) as a title of at most TITLE_MAX chars, and
    the rest; the rest is the whole text when the title had to be cut."""
    first, _, rest = text.partition("\n")
    sentence_end = _sentence_end(first) if len(first) > _LONG_LINE else None
    if sentence_end:
        first, rest = first[: sentence_end.start()], f"{first[sentence_end.end():]}\n{rest}"
    first = first.strip()
    if len(first) <= TITLE_MAX:
        return first, rest.strip()
    space = first.rfind(" ", 0, TITLE_MAX)
    cut = first[:space] if space > TITLE_MAX // 2 else first[: TITLE_MAX - 1]
    return cut.rstrip(_PUNCTUATION) + "…", text.strip()


def _words(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE)


_LOW_WORDS = _words(
    r"low[\s-]+priority|not\s+(?:urgent|critical)|non[\s-]?urgent|no\s+rush|p4"
    r"|nicht\s+(?:dringend|eilig)|keine\s+eile|niedrige\s+priorität"  # German
    r"|pas\s+(?:urgent|pressé)|non\s+urgent|priorité\s+basse|basse\s+priorité"  # French
    r"|no\s+(?:es\s+)?urgente|sin\s+prisa|prioridad\s+baja|baja\s+prioridad"  # Spanish
)
_CRITICAL_WORDS = _words(
    r"outage|emergency|critical|p1"
    r"|ausfall|ausgefallen|störung|notfall|kritisch"  # German
    r"|panne|bloquant|bloquante|critique|en\s+panne|urgence"  # French
    r"|caído|caída|caido|caida|crítico|crítica|emergencia|avería"  # Spanish
)
_HIGH_WORDS = _words(
    r"urgent|urgently|asap|high[\s-]+priority|p2"
    r"|dringend|eilig|hohe\s+priorität"  # German
    r"|urgente|priorité\s+haute|haute\s+priorité"  # French (urgent as in English)
    r"|prioridad\s+alta|alta\s+prioridad"  # Spanish (urgente as in French)
)
_MEDIUM_WORDS = _words(r"medium[\s-]+priority|p3")
_WHENEVER = _words(r"whenever")
_DOWN = re.compile(r"(?<![\w-])down(?![\w-])", re.IGNORECASE)
_WORD_BEFORE = re.compile(r"(\w+)\W*$")
_WORD_AFTER = re.compile(r"\s*(\w*)")
_NOT_OUTAGE_BEFORE = frozenset(
    "shut shuts shutting slow slows slowed slowing turn turned turning scroll scrolled scrolling write put sit "
    "calm cut narrow step upside pull pulled drop dropped break broke breaking let look wind count back up "
    "and or not t".split()
)
_OUTAGE_BEFORE = frozenset("is are was were been be went goes go gone going still s".split())
_OUTAGE_AFTER = frozenset(("", "again", "since", "for"))


def _says_down(text: str) -> bool:
    """Whether "down" is used as in an outage: after is/are/went/it's…, or ending a clause ("VPN down!")."""
    for down in _DOWN.finditer(text):
        before = _WORD_BEFORE.search(text, max(0, down.start() - 40), down.start())
        word_before = before.group(1).lower() if before else ""
        if word_before in _NOT_OUTAGE_BEFORE:
            continue
        word_after = _WORD_AFTER.match(text, down.end())
        following = word_after[1].lower() if word_after else ""
        if word_before in _OUTAGE_BEFORE or following in _OUTAGE_AFTER:
            return True
    return False


def _priority_from_words(text: str) -> str | None:
    if _LOW_WORDS.search(text):
        return "low"
    if _CRITICAL_WORDS.search(text) or _says_down(text):
        return "critical"
    if _HIGH_WORDS.search(text):
        return "high"
    if _MEDIUM_WORDS.search(text):
        return "medium"
    if _WHENEVER.search(text):
        return "low"
    return None


# Command attempts that went wrong.

_NEEDS_NUMBER = {
    "show": "show",
    "view": "show",
    "history": "history",
    "assign": "assign",
    "unassign": "unassign",
    "status": "status",
    "priority": "priority",
    "prio": "priority",
    "note": "note",
    "comment": "note",
    "close": "close",
    "reopen": "reopen",
    "re-open": "reopen",
}
_COMMAND_WORDS = frozenset(_NEEDS_NUMBER).union(
    "help commands hi hello hey new create open my mine cancel stop nevermind quit link list search follow "
    "unfollow ticket".split()
)
_FUZZY_TARGETS = {
    **_NEEDS_NUMBER,
    "help": "help",
    "commands": "help",
    "create": "create",
    "mine": "my_tickets",
    "list": "list",
    "search": "search",
    "cancel": "cancel",
    "link": "link",
    "follow": "follow",
    "unfollow": "unfollow",
}


def _unknown(text: str) -> Intent | None:
    """An `unknown` intent when the text looks like a failed command, else None (it is then a draft)."""
    head, *more = text.split(maxsplit=1)
    word, rest = head.lower().rstrip("?!.,:"), more[0] if more else ""
    if word in _NEEDS_NUMBER:
        command = _NEEDS_NUMBER[word]
        return _suggest(command) if _looks_like_arguments(command, rest) else None
    if word in _COMMAND_WORDS:
        return _suggest("search") if word == "search" and not rest else None
    closest = _closest(word)
    if closest is not None and (not rest or rest[0] in "#0123456789"):
        return _suggest(closest)
    return None


def _suggest(command: str) -> Intent:
    return Intent("unknown", suggestion=USAGE[command])


def _looks_like_arguments(command: str, rest: str) -> bool:
    """Whether what follows a command word that needs a ticket number reads as (bad) arguments."""
    words = rest.lower().split()
    if len(words) <= 1 or rest[0] in "#0123456789":
        return True
    if command in ("assign", "unassign") and words[0] in ("to", "from", "me", "myself"):
        return True
    return command == "priority" and _priority_word(rest) is not None


def _closest(word: str) -> str | None:
    """The command a word is a likely typo of: edit distance 1 (2 for commands longer than five letters)."""
    if not 3 <= len(word) <= max(map(len, _FUZZY_TARGETS)) + 2:
        return None
    candidates = [
        (distance, target)
        for target in _FUZZY_TARGETS
        if (distance := _distance(word, target)) <= (1 if len(target) <= 5 else 2)
    ]
    return _FUZZY_TARGETS[min(candidates)[1]] if candidates else None


def _distance(a: str, b: str) -> int:
    """Edit distance counting a swap of two neighbouring letters as one edit (optimal string alignment)."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, rows[-2][j - 2] + 1)
            row.append(cost)
        rows.append(row)
    return rows[-1][-1]
