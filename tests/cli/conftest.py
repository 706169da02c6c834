"""What the CLI tests share: the environment of a command run against a stand-in."""

from __future__ import annotations

from collections.abc import Callable

import pytest


@pytest.fixture
def cli_env(world, tmp_path, monkeypatch) -> Callable[[dict[str, str]], None]:
    """``cli_env(settings)`` points the CLI at a fresh SQLite store in ``tmp_path`` and the
    sandbox DNS, wide output, and sets ``settings`` (a stand-in's ``settings_env()`` and more)."""
    def apply(settings: dict[str, str]) -> None:
        base = {"HUNTER_DATA_DIR": str(tmp_path), "HUNTER_DNS_NAMESERVERS": world.address,
                "HUNTER_DNS_TIMEOUT": "0.3", "COLUMNS": "200"}
        for name, value in {**base, **settings}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("HUNTER_DATABASE_URL", raising=False)
    return apply
