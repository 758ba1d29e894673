"""The Teams app package: manifest valid against the official schema (version pinned), icons as Teams wants."""

from __future__ import annotations

import io
import json
import zipfile
from urllib.parse import urlsplit

import jsonschema
import pytest
from PIL import Image
from typer.testing import CliRunner

from bot.cli.manifest import LOCAL_MODE, manifest_app, teams_bot
from manifest.teams import MANIFEST_VERSION, build_teams_package, command_word, package_version, teams_manifest
from tests.teams.helpers import TeamsApp, schema, serve_teams

BOT_ID = "0b6fe6d1-fece-44f7-9a48-56465e2d5ab8"
TEAMS_BOT = teams_bot()
COMMAND_HELP = TEAMS_BOT.commands


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
    path = build_teams_package(out, bot_id=BOT_ID, name="Ticketbot", domain="bot.example.com", bot=TEAMS_BOT)
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
    manifest = teams_manifest(bot_id=BOT_ID, name="Ticketbot", domain=None, bot=TEAMS_BOT)
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
    files = package_files(build_teams_package(tmp_path / "t.zip", bot_id=BOT_ID, name="Ticketbot", domain=None, bot=TEAMS_BOT))
    color, color_pixels = pixels(files["color.png"])
    assert color.format == "PNG" and color.size == (192, 192)
    assert all(a == 255 for *_, a in color_pixels)
    assert len({p[:3] for p in color_pixels}) > 1
    outline, outline_pixels = pixels(files["outline.png"])
    assert outline.format == "PNG" and outline.size == (32, 32) and outline.mode == "RGBA"
    assert all(a == 0 or (r, g, b) == (255, 255, 255) for r, g, b, a in outline_pixels)
    assert any(a == 0 for *_, a in outline_pixels) and any(a == 255 for *_, a in outline_pixels)


def test_the_app_id_is_stable_per_bot():
    first = teams_manifest(bot_id=BOT_ID, name="Ticketbot", domain=None, bot=TEAMS_BOT)
    assert teams_manifest(bot_id=BOT_ID.upper(), name="Desk", domain=None, bot=TEAMS_BOT)["id"] == first["id"]
    other = teams_manifest(bot_id="11111111-2222-3333-4444-555555555555", name="Ticketbot", domain=None, bot=TEAMS_BOT)
    assert other["id"] != first["id"]


@pytest.mark.parametrize(
    ("domain", "host"),
    [("bot.example.com", "bot.example.com"), ("https://Bot.Example.com/api/messages", "bot.example.com"),
     ("tunnel.example.dev:8443", "tunnel.example.dev:8443")],
)
def test_domains_are_hosts(domain, host):
    assert teams_manifest(bot_id=BOT_ID, name="T", domain=domain, bot=TEAMS_BOT)["validDomains"] == [host]


@pytest.mark.parametrize("bad", [
    {"bot_id": "not-a-guid"}, {"name": "  "}, {"domain": "not a host"}, {"app_version": "1.2"},
    {"app_version": "v1.2.3"}, {"privacy_url": "http://example.com/p"}, {"terms_url": "terms"},
])
def test_bad_input_is_refused(bad):
    with pytest.raises(ValueError):
        teams_manifest(**{"bot_id": BOT_ID, "name": "Ticketbot", "domain": None, "bot": TEAMS_BOT, **bad})


def test_the_command_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    monkeypatch.setenv("MicrosoftAppId", "")
    missing = runner.invoke(manifest_app, ["teams", "--out", "x.zip"])
    assert missing.exit_code == 1 and missing.output.strip() == LOCAL_MODE
    assert not (tmp_path / "x.zip").exists()
    monkeypatch.setenv("MicrosoftAppId", BOT_ID)
    args = ["teams", "--out", "pkg/teams.zip", "--name", "Help Desk", "--domain", "desk.example.org"]
    done = runner.invoke(manifest_app, args)
    assert done.exit_code == 0, done.output
    manifest = json.loads(package_files(tmp_path / "pkg" / "teams.zip")["manifest.json"])
    assert manifest["bots"][0]["botId"] == BOT_ID and manifest["name"]["short"] == "Help Desk"
    assert manifest["version"] == package_version()
    validator(MANIFEST_VERSION).validate(manifest)
    urls = ["--privacy-url", "https://legal.example.org/p", "--terms-url", "https://legal.example.org/t"]
    versioned = runner.invoke(manifest_app, [*args, "--version", "2.0.1", *urls])
    assert versioned.exit_code == 0, versioned.output
    manifest = json.loads(package_files(tmp_path / "pkg" / "teams.zip")["manifest.json"])
    assert manifest["version"] == "2.0.1"
    assert manifest["developer"]["privacyUrl"] == "https://legal.example.org/p"
    assert manifest["developer"]["termsOfUseUrl"] == "https://legal.example.org/t"
    wrong = runner.invoke(manifest_app, ["teams", "--out", "y.zip", "--bot-id", "42"])
    assert wrong.exit_code == 1 and wrong.output.startswith("error: ") and len(wrong.output.strip().splitlines()) == 1


async def fetch_page(app: TeamsApp, path: str) -> tuple[int, str]:
    """GET a page of the served app: its status and HTML."""
    async with app.http.get(app.url + path) as resp:
        assert resp.content_type == "text/html"
        return resp.status, await resp.text()


async def test_version_1_2_3_with_the_message_extension_and_served_legal_pages(tmp_path, teams):
    path = build_teams_package(tmp_path / "t.zip", bot_id=BOT_ID, name="Ticketbot", domain="bot.example.com",
                               bot=TEAMS_BOT, app_version="1.2.3")
    manifest = json.loads(package_files(path)["manifest.json"])
    validator(MANIFEST_VERSION).validate(manifest)
    assert manifest["version"] == "1.2.3"
    [extension] = manifest["composeExtensions"]
    assert extension["botId"] == BOT_ID
    commands = {c["id"]: c for c in extension["commands"]}
    assert commands["createTicket"]["type"] == "action" and commands["createTicket"]["context"] == ["message"]
    assert commands["createTicket"]["fetchTask"] is True
    assert commands["searchTickets"]["type"] == "query"
    assert [p["name"] for p in commands["searchTickets"]["parameters"]] == ["query"]
    developer = manifest["developer"]
    assert developer["privacyUrl"] == "https://bot.example.com/privacy"
    assert developer["termsOfUseUrl"] == "https://bot.example.com/terms"
    for url in (developer["privacyUrl"], developer["termsOfUseUrl"]):
        status, page = await fetch_page(teams, urlsplit(url).path)
        assert status == 200 and "Ticketbot" in page


async def test_the_legal_pages_show_the_configured_text_escaped(sqlite_url, connector):
    text = "We keep <tickets> only.\n\nAsk admin@example.com."
    async with serve_teams(sqlite_url, connector, privacy_text=text) as app:
        status, page = await fetch_page(app, "/privacy")
    assert status == 200
    assert "<p>We keep &lt;tickets&gt; only.</p><p>Ask admin@example.com.</p>" in page


def test_the_description_promises_only_what_exists():
    manifest = teams_manifest(bot_id=BOT_ID, name="Ticketbot", domain=None, bot=TEAMS_BOT)
    full = manifest["description"]["full"]
    assert "Create ticket" in full and "compose box" in full
    assert "follow" not in full and "message when" not in full
