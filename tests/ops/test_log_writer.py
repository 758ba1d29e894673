"""The log writer under a reader that stops reading: logging never waits for it, the oldest lines past the
backlog are dropped, and the next write says how many."""

from __future__ import annotations

import logging
import threading

import bot.logs
from bot.logs import LineWriter


class StalledStream:
    """A stream whose first write blocks until `release` (a pipe whose reader stopped reading)."""

    def __init__(self) -> None:
        self.text = ""
        self.writing = threading.Event()
        self.released = threading.Event()

    def write(self, text: str) -> int:
        self.writing.set()
        assert self.released.wait(10)
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def test_lines_past_the_backlog_drop_the_oldest_and_the_next_write_says_how_many(monkeypatch):
    monkeypatch.setattr(bot.logs, "BACKLOG", 50)
    stream = StalledStream()
    handler = LineWriter(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    log = logging.getLogger("tests.log_writer")
    log.propagate = False
    log.addHandler(handler)
    try:
        log.warning("first")
        assert stream.writing.wait(10)  # the writer took "first" and is stuck writing it
        for n in range(200):
            log.warning("line %d", n)  # none of these waits for the stream
        stream.released.set()
    finally:
        log.removeHandler(handler)
        handler.close()  # writes what is left
    assert stream.text.splitlines() == [
        "WARNING first",
        "WARNING 150 log lines were dropped while the log was not being read",
        *(f"WARNING line {n}" for n in range(150, 200)),
    ]
