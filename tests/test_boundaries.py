"""The core (`bot/`, `dialogs/`, `cards/`) never imports a platform SDK, checked by import-linter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(config: Path | None = None) -> subprocess.CompletedProcess[str]:
    args = [str(LINT), "--no-cache"] + (["--config", str(config)] if config else [])
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_core_imports_no_platform_sdk():
    done = _lint()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "The core never imports a platform SDK KEPT" in done.stdout


def test_the_contract_would_catch_a_forbidden_import(tmp_path):
    config = tmp_path / "contracts.toml"
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["bot", "dialogs", "cards"]\ninclude_external_packages = true\n'
        '[[tool.importlinter.contracts]]\nname = "probe"\ntype = "forbidden"\n'
        'source_modules = ["bot"]\nforbidden_modules = ["sqlalchemy"]\n'
    )
    done = _lint(config)
    assert done.returncode == 1
    assert "probe BROKEN" in done.stdout
