"""A mail body as the ticket keeps it: the sender's own words, without the quoted history and the signature.

Graph's `uniqueBody` already leaves out most of the quoted conversation; this trims what clients still add.
The text is cut at the first line that starts the quoted history or a signature — `On … wrote:` (and the
French, German, Spanish forms), Outlook's `-----Original Message-----` or `From:`/`Sent:` header block, a
`________` rule, the signature separator `-- `, or a `Sent from my …` line — and `>`-quoted lines are dropped.
"""

from __future__ import annotations

import re

_CUT = re.compile(
    r"^(?:"
    r"on\b.{0,300}\bwrote:\s*$"  # On Tue, 1 Dec 2026, Ann <ann@example.com> wrote:
    r"|le\b.{0,300}\ba écrit\s*:\s*$"
    r"|am\b.{0,300}\bschrieb.{0,100}:\s*$"
    r"|el\b.{0,300}\bescribió:\s*$"
    r"|-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|mensaje original)\s*-{2,}"
    r"|_{8,}\s*$"
    r"|sent from my\b.*|envoyé de mon\b.*|von meinem\b.*gesendet.*"
    r")",
    re.IGNORECASE,
)
_HEADER_BLOCK = re.compile(r"^(?:from|von|de)\s*:\s", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^(?:sent|date|gesendet|envoyé|enviado|to|an|à|para)\s*:\s", re.IGNORECASE)
_BLANK_RUN = re.compile(r"\n{3,}")


def own_words(text: str) -> str:
    """The body without quoted history and signature, trailing blanks and runs of empty lines folded."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if line.rstrip("\n") in ("-- ", "--") or _CUT.match(stripped):
            break
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if _HEADER_BLOCK.match(stripped) and _HEADER_NEXT.match(following):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line.rstrip())
    return _BLANK_RUN.sub("\n\n", "\n".join(kept)).strip()
