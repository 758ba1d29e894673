"""The import contracts of pyproject.toml hold, and each would catch a forbidden import (import-linter).

Each probe copies the packages into a temporary folder, adds one forbidden import, and runs the real
contracts there: the contract that guards against that import must report BROKEN.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("bot", "adapters", "dialogs", "cards", "storage", "manifest")
CONTRACTS = (
    "The core never imports a platform SDK",
    "Layers: each layer imports only the layers below it",
    "Adapters see only the seam",
)


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(cwd), "PATH": str(LINT.parent)}
    return subprocess.run(
        [str(LINT), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


def test_every_contract_is_kept():
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in CONTRACTS:
        assert f"{name} KEPT" in done.stdout


@pytest.mark.parametrize(
    ("where", "statement", "contract"),
    [
        ("cards/probe.py", "import botbuilder.core", "The core never imports a platform SDK"),
        ("bot/desk/probe.py", "import bot.chat.pipeline", "Layers: each layer imports only the layers below it"),
        ("storage/probe.py", "import bot.desk.tickets", "Layers: each layer imports only the layers below it"),
        ("adapters/teams/probe.py", "import bot.services", "Adapters see only the seam"),
        ("adapters/teams/probe.py", "import storage.models", "Adapters see only the seam"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(tmp_path, where, statement, contract):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / where).write_text(f'"""A probe."""\n\n{statement}\n')
    done = _lint(tmp_path)
    assert done.returncode == 1, done.stdout
    assert f"{contract} BROKEN" in done.stdout
