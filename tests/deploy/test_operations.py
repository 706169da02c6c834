"""docs/operations.md kept true: the Hunter commands in its shell blocks parse, every metric is in
its table, its token-cache re-encryption really re-encrypts, and the README points at it."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from hunter import metrics
from hunter.errors import AuthFailed
from hunter.integrations.tokencache import TokenCacheFile

from .test_compose import parse

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)
HUNTER_COMMAND = re.compile(r"docker compose (?:run --rm (?:-T )?|exec (?:-T )?)api (?:hunter )?([a-z][^\n#<>|&]*)")


def blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(DOC) if lang == language]


def test_the_readme_points_at_the_operations_guide() -> None:
    assert "docs/operations.md" in (ROOT / "README.md").read_text(encoding="utf-8")


COMMANDS = sorted({m.group(1).strip() for body in blocks("sh") for m in HUNTER_COMMAND.finditer(body)
                   if not m.group(1).startswith("python")})


@pytest.mark.parametrize("command", COMMANDS)
def test_every_hunter_command_in_the_guide_parses(command: str) -> None:
    args = [arg for arg in shlex.split(command.replace("…", "someone")) if arg]
    assert not parse(args).args, command


def test_the_guide_names_some_commands() -> None:
    assert {"partner-center login", "partner-center sync --json", "token create --role admin --name \"ops\""} \
        <= set(COMMANDS)


@pytest.mark.parametrize("spec", [*metrics.RECORDED, *metrics.SCRAPED], ids=lambda s: s.name)
def test_every_metric_is_in_the_table(spec: metrics.Spec) -> None:
    row = next((line for line in DOC.splitlines() if line.startswith(f"| `{spec.name}` |")), None)
    assert row is not None, f"docs/operations.md does not list {spec.name}"
    assert f"| {spec.type} |" in row
    for label in spec.labels:
        assert f"`{label}`" in row, (spec.name, label)


def test_the_rekey_snippet_re_encrypts_the_token_cache(tmp_path: Path) -> None:
    snippet = next(body for body in blocks("python") if body.startswith("# re-encrypt"))
    path = tmp_path / "partner-center.tokencache"
    before = TokenCacheFile(path, secret_key="the old key", system="partner_center")
    before.cache.deserialize('{"AccessToken": {}, "RefreshToken": {"rt": {"secret": "refresh-me"}}}')
    before.cache.has_state_changed = True
    before.save()
    env = {**os.environ, "HUNTER_DATA_DIR": str(tmp_path), "OLD_SECRET_KEY": "the old key",
           "HUNTER_SECRET_KEY": "the new key"}
    env.pop("HUNTER_PC_TOKEN_CACHE", None)
    done = subprocess.run([sys.executable, "-"], input=snippet, env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "refresh-me" not in path.read_text(encoding="latin-1")
    after = TokenCacheFile(path, secret_key="the new key", system="partner_center").load()
    assert "refresh-me" in after.serialize()
    with pytest.raises(AuthFailed):
        TokenCacheFile(path, secret_key="the old key", system="partner_center").load()
