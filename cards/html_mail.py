"""HTML rendering of the platform-neutral card for mail bodies (the web chat has its own, `cards.html`).

The output is a self-contained fragment with inline styles only (mail clients drop `<style>` blocks and
scripts): the title as a heading, texts as paragraphs, facts as a two-column table, inputs as `Label: value`
rows like the text renderer. Actions are not rendered: mail has no buttons, and a surface that has them adds
its own controls from `card.actions`. Every user-visible string passes through `escape_html_lines`.
"""

from __future__ import annotations

from cards.escape import escape_html_lines
from cards.model import Card, ChoiceInput, Element, Facts, Text, TextInput
from cards.text import input_display

_TEXT_STYLES = {
    "default": "margin:0 0 8px 0",
    "heading": "margin:12px 0 4px 0;font-weight:bold",
    "subtle": "margin:0 0 8px 0;color:#666666;font-size:90%",
    "warning": "margin:0 0 8px 0;color:#9a3412;font-weight:bold",
}
_CELL = "padding:2px 12px 2px 0;vertical-align:top"


def _element(element: Element) -> str:
    if isinstance(element, Text):
        if not element.text.strip():
            return ""
        style = _TEXT_STYLES.get(element.style, _TEXT_STYLES["default"])
        return f'<p style="{style}">{escape_html_lines(element.text)}</p>'
    if isinstance(element, Facts):
        rows = "".join(
            f'<tr><th style="{_CELL};text-align:left">{escape_html_lines(f.title)}</th>'
            f'<td style="{_CELL}">{escape_html_lines(f.value)}</td></tr>'
            for f in element.facts
        )
        return f'<table style="border-collapse:collapse;margin:0 0 8px 0">{rows}</table>' if rows else ""
    if isinstance(element, TextInput | ChoiceInput):
        label, value = escape_html_lines(element.label), escape_html_lines(input_display(element))
        return f'<p style="{_TEXT_STYLES["default"]}"><b>{label}:</b> {value}</p>'
    raise TypeError(f"no HTML rendering for {type(element).__name__}")


def render_mail_html(card: Card) -> str:
    """The card as an HTML fragment (a `<div>`), user text escaped."""
    parts = [f'<h2 style="margin:0 0 8px 0;font-size:120%">{escape_html_lines(card.title)}</h2>']
    parts.extend(filter(None, map(_element, card.body)))
    return f'<div style="font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:14px">{"".join(parts)}</div>'


def html_document(fragment: str, *, footer: str = "") -> str:
    """A whole HTML document around a fragment, with an optional escaped footer line (a mail's reply hint)."""
    tail = f'<p style="{_TEXT_STYLES["subtle"]}">{escape_html_lines(footer)}</p>' if footer else ""
    return f'<html><head><meta charset="utf-8"></head><body>{fragment}{tail}</body></html>'
