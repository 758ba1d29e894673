"""The Teams app package: manifest valid against the official schema (version pinned), icons as Teams wants."""

from __future__ import annotations

import io
import json
import zipfile

import jsonschema
import pytest
from PIL import Image
from typer.testing import CliRunner

from bot.cli.manifest import COMMAND_HELP, manifest_app
from manifest.teams import MANIFEST_VERSION, build_teams_package, command_word, teams_manifest
from tests.teams.helpers import schema

BOT_ID = "0b6fe6d1-fece-44f7-9a48-56465e2d5ab8"


def package_files(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def validator(version: str) -> jsonschema.Draft7Validator:
    # Draft 7 so that `manifestVersion`'s `const` is enforced (the schema says draft-04, which has no const);
    # no check_schema: the 1.29 schema holds a \p{L} pattern Python's re cannot compile, in a part bots never use.
    return jsonschema.Draft7Validator(schema(f"MicrosoftTeams.v{version}.schema.json"))


def pixels(png: bytes) -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
    image = Image.open(io.BytesIO(png))
    data = image.convert("RGBA").tobytes()
    return image, [tuple(data[i:i + 4]) for i in range(0, len(data), 4)]


def test_the_package_validates_against_the_matching_schema(tmp_path):
    out = tmp_path / "out" / "teams.zip"
    path = build_teams_package(out, bot_id=BOT_ID, name="Ticketbot", domain="bot.example.com", commands=COMMAND_HELP)
    files = package_files(path)
    assert set(files) == {"manifest.json", "color.png", "outline.png"}
    manifest = json.loads(files["manifest.json"])
    assert manifest["manifestVersion"] == MANIFEST_VERSION
    validator(MANIFEST_VERSION).validate(manifest)
    other = "1.19" if MANIFEST_VERSION != "1.19" else "1.29"
    errors = [e.message for e in validator(other).iter_errors(manifest)]
    assert any("manifestVersion" in e or f"'{other}' was expected" in e for e in errors), errors
    [bot] = manifest["bots"]
    assert bot["botId"] == BOT_ID
    assert sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    assert manifest["validDomains"] == ["bot.example.com"]
    assert manifest["developer"]["websiteUrl"] == "https://bot.example.com/"
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}


def test_command_lists_are_the_bots_commands_within_teams_limits():
    manifest = teams_manifest(bot_id=BOT_ID, name="Ticketbot", domain=None, commands=COMMAND_HELP)
    known = {command_word(usage) for usage, _ in COMMAND_HELP}
    lists = manifest["bots"][0]["commandLists"]
    covered = {scope for entry in lists for scope in entry["scopes"]}
    assert covered == {"personal", "team", "groupChat"}
    for entry in lists:
        assert 1 <= len(entry["commands"]) <= 10
        for command in entry["commands"]:
            assert command["title"] in known
            assert len(command["title"]) <= 32 and 0 < len(command["description"]) <= 128
    team_titles = {c["title"] for e in lists if "team" in e["scopes"] for c in e["commands"]}
    assert {"new", "show", "my tickets", "help", "follow"} <= team_titles


def test_icons_have_the_sizes_and_alpha_teams_requires(tmp_path):
    files = package_files(build_teams_package(tmp_path / "t.zip", bot_id=BOT_ID, name="Ticketbot", domain=None, commands=COMMAND_HELP))
    color, color_pixels = pixels(files["color.png"])
    assert color.format == "PNG" and color.size == (192, 192)
    assert all(a == 255 for *_, a in color_pixels)
    assert len({p[:3] for p in color_pixels}) > 1
    outline, outline_pixels = pixels(files["outline.png"])
    assert outline.format == "PNG" and outline.size == (32, 32) and outline.mode == "RGBA"
    assert all(a == 0 or (r, g, b) == (255, 255, 255) for r, g, b, a in outline_pixels)
    assert any(a == 0 for *_, a in outline_pixels) and any(a == 255 for *_, a in outline_pixels)


def test_the_app_id_is_stable_per_bot():
    first = teams_manifest(bot_id=BOT_ID, name="Ticketbot", domain=None, commands=COMMAND_HELP)
    assert teams_manifest(bot_id=BOT_ID.upper(), name="Desk", domain=None, commands=COMMAND_HELP)["id"] == first["id"]
    other = teams_manifest(bot_id="11111111-2222-3333-4444-555555555555", name="Ticketbot", domain=None, commands=COMMAND_HELP)
    assert other["id"] != first["id"]


@pytest.mark.parametrize(
    ("domain", "host"),
    [("bot.example.com", "bot.example.com"), ("https://Bot.Example.com/api/messages", "bot.example.com"),
     ("tunnel.example.dev:8443", "tunnel.example.dev:8443")],
)
def test_domains_are_hosts(domain, host):
    assert teams_manifest(bot_id=BOT_ID, name="T", domain=domain, commands=COMMAND_HELP)["validDomains"] == [host]


@pytest.mark.parametrize("bad", [{"bot_id": "not-a-guid"}, {"name": "  "}, {"domain": "not a host"}])
def test_bad_input_is_refused(bad):
    with pytest.raises(ValueError):
        teams_manifest(**{"bot_id": BOT_ID, "name": "Ticketbot", "domain": None, "commands": COMMAND_HELP, **bad})


def test_the_command_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    monkeypatch.setenv("MicrosoftAppId", "")
    missing = runner.invoke(manifest_app, ["teams", "--out", "x.zip"])
    assert missing.exit_code == 1 and missing.output.strip() == "error: no bot id: pass --bot-id or set MicrosoftAppId"
    monkeypatch.setenv("MicrosoftAppId", BOT_ID)
    args = ["teams", "--out", "pkg/teams.zip", "--name", "Help Desk", "--domain", "desk.example.org"]
    done = runner.invoke(manifest_app, args)
    assert done.exit_code == 0, done.output
    manifest = json.loads(package_files(tmp_path / "pkg" / "teams.zip")["manifest.json"])
    assert manifest["bots"][0]["botId"] == BOT_ID and manifest["name"]["short"] == "Help Desk"
    validator(MANIFEST_VERSION).validate(manifest)
    wrong = runner.invoke(manifest_app, ["teams", "--out", "y.zip", "--bot-id", "42"])
    assert wrong.exit_code == 1 and wrong.output.startswith("error: ") and len(wrong.output.strip().splitlines()) == 1
