"""`ticketbot chat` on a pseudo-terminal: what a person at a real terminal sees when typing and pasting."""

from __future__ import annotations

import ctypes
import json
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.facts import EXIT_INTERRUPTED

SCRIPT = Path(sys.executable).with_name("ticketbot")
WAIT = 30.0


class Terminal:
    """`ticketbot chat` running on a pty: type keystrokes, then read the screen until some text shows."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen([str(SCRIPT), "chat", *args], env=env, stdin=slave, stdout=slave, stderr=slave)
        os.close(slave)
        self.screen = ""
        self.mark = 0  # where the screen stood when the last keys were typed

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=WAIT)
        os.close(self.master)

    def type(self, keys: str) -> None:
        self.mark = len(self.screen)
        os.write(self.master, keys.encode())

    def wait_for(self, text: str) -> None:
        """Read the screen until `text` shows after the last keys typed (fails after WAIT seconds)."""
        deadline = time.monotonic() + WAIT
        while text not in self.screen[self.mark:]:
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} never showed; the screen:\n{self.screen}"
            if select.select([self.master], [], [], left)[0]:
                try:
                    self.screen += os.read(self.master, 65536).decode(errors="replace")
                except OSError:  # the chat ended and closed the pty
                    assert text in self.screen[self.mark:], f"{text!r} never showed; the screen:\n{self.screen}"

    def drain(self) -> str:
        """Everything the chat wrote until it closed the pty."""
        try:
            while select.select([self.master], [], [], WAIT)[0]:
                chunk = os.read(self.master, 65536)
                if not chunk:
                    break
                self.screen += chunk.decode(errors="replace")
        except OSError:  # the chat ended and closed the pty
            pass
        return self.screen

    def quit(self) -> None:
        self.type("quit\n")
        assert self.process.wait(timeout=WAIT) == 0


@pytest.fixture(scope="module")
def desk_with_alice(tmp_path_factory) -> Path:
    """A database with the admin Alice, made once: each test starts from a copy (a process start is ~2 s)."""
    folder = tmp_path_factory.mktemp("desk")
    added = subprocess.run(
        [str(SCRIPT), "members", "add", "Alice Admin", "--email", "alice@example.com", "--admin"],
        env=_env(folder), capture_output=True, timeout=60,
    )
    assert added.returncode == 0
    return folder / "chat.db"


@pytest.fixture
def env(tmp_path, desk_with_alice) -> dict[str, str]:
    shutil.copy(desk_with_alice, tmp_path / "chat.db")
    return _env(tmp_path)


def _env(folder: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'chat.db'}"}


def _tickets(env: dict[str, str]) -> list[dict]:
    listed = subprocess.run([str(SCRIPT), "tickets", "list", "--json"], env=env, capture_output=True, timeout=60)
    return json.loads(listed.stdout)


def test_pasted_lines_are_one_message(env):
    with Terminal(env, "--as", "alice@example.com") as terminal:
        terminal.wait_for("you> ")
        terminal.type("Title: VPN drops\nPriority: p2\nDescription: since Monday, every hour\n")  # one paste
        terminal.wait_for("Created ticket #1.")
        terminal.wait_for("you> ")
        terminal.quit()
    assert "Created ticket #2" not in terminal.screen
    [ticket] = _tickets(env)
    assert (ticket["title"], ticket["priority"], ticket["description"]) == (
        "VPN drops", "high", "since Monday, every hour"
    )


def test_typed_lines_are_one_message_when_continued_by_a_backslash(env):
    with Terminal(env, "--as", "alice@example.com") as terminal:
        terminal.wait_for("you> ")
        terminal.type("Title: VPN drops\\\n")
        terminal.wait_for("...> ")
        terminal.type("Priority: p2\n")
        terminal.wait_for("Created ticket #1.")
        terminal.wait_for("you> ")
        terminal.quit()
    [ticket] = _tickets(env)
    assert (ticket["title"], ticket["priority"]) == ("VPN drops", "high")


def test_a_typed_number_presses_the_button_of_the_card_on_screen(env):
    with Terminal(env, "--as", "alice@example.com") as terminal:
        terminal.wait_for("you> ")
        terminal.type("the printer on floor 3 is jammed\n")
        terminal.wait_for("[1] Create  [2] Cancel  [3] Edit")
        terminal.wait_for("you> ")
        terminal.type("1\n")
        terminal.wait_for("Created ticket #1.")
        terminal.wait_for("you> ")
        terminal.quit()
    [ticket] = _tickets(env)
    assert ticket["title"] == "the printer on floor 3 is jammed"


def test_ctrl_c_while_waiting_for_input_leaves_the_chat(env):
    with Terminal(env) as terminal:
        terminal.wait_for("you> ")
        terminal.process.send_signal(signal.SIGINT)  # what Ctrl-C sends to the terminal's foreground process
        assert terminal.process.wait(timeout=10) != 0  # it ends instead of waiting for a line that never comes
        assert "Traceback" not in terminal.drain()


def _ctrl_c_to(pid: int, tid: int) -> None:
    """SIGINT to one thread of the process (glibc's tgkill; os.kill would let the kernel pick the thread)."""
    ctypes.CDLL(None, use_errno=True).tgkill(pid, tid, signal.SIGINT)


def _other_threads(pid: int) -> list[int]:
    return [int(tid) for tid in os.listdir(f"/proc/{pid}/task") if int(tid) != pid]


def test_ctrl_c_taken_by_another_thread_still_leaves_the_chat(env):
    """The kernel gives a process's signal to any thread that does not block it; taken by one that is not the
    main one (the blocked read's, SQLite's), Ctrl-C still ends the chat."""
    for index in (0, -1):
        with Terminal(env) as terminal:
            terminal.wait_for("you> ")
            pid = terminal.process.pid
            _ctrl_c_to(pid, _other_threads(pid)[index])
            assert terminal.process.wait(timeout=10) == EXIT_INTERRUPTED
            assert "Traceback" not in terminal.drain()


def test_a_second_ctrl_c_while_the_chat_ends_exits_at_once_without_a_traceback(env):
    with Terminal(env) as terminal:
        terminal.wait_for("you> ")
        pid = terminal.process.pid
        for tid in [pid, *_other_threads(pid)]:
            _ctrl_c_to(pid, tid)
        assert terminal.process.wait(timeout=10) == EXIT_INTERRUPTED
        assert "Traceback" not in terminal.drain()
