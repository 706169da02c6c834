"""Tests of hunter/integrations: the offline IP enrichment adapters and the Enricher.

The test databases and their expected values live in the shared folder (``HUNTER_SHARED_DIR``,
else ``<repo>/../shared``): ``data/maxmind`` and ``data/ip2location``.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any


def shared_dir() -> Path:
    env = os.environ.get("HUNTER_SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared"


MAXMIND = shared_dir() / "data" / "maxmind"
IP2 = shared_dir() / "data" / "ip2location"


@cache
def expected(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "expected-values.json").read_text(encoding="utf-8"))


def events(caplog: Any, event: str) -> list[Any]:
    """The log records of one ``event`` (the structured field the adapters log)."""
    return [r for r in caplog.records if getattr(r, "event", None) == event]
