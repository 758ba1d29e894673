"""The `ticketbot` console-script entry point: the command line imported with the garbage collector paused,
and the heap frozen out of it before the interpreter's teardown.

Measured on `ticketbot tickets list --json` (2-core machine, 0.55 s before): importing the command line made
about 170 collections, 30–40 ms, over objects that all live until the process ends, and the teardown at exit,
which walks and frees every module's objects (SQLAlchemy, pydantic, the models), took 80–100 ms. Frozen objects
are neither walked nor freed: the command's database is closed by then, `atexit` handlers (logging's flush)
still run, and the system takes the memory back. The imports leave about 700 objects of garbage, which stay
frozen too. A command that runs for long (`serve`, `worker`, `chat`) collects as usual: the collector is back
on before any command runs.
"""

from __future__ import annotations

import gc
import sys


def main() -> None:
    """Run the command line with the arguments `sys.argv` holds."""
    gc.disable()
    try:
        from bot.cli.main import app
        from bot.facts import EXIT_INTERRUPTED
    finally:
        gc.freeze()
        gc.enable()
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    finally:
        gc.freeze()
