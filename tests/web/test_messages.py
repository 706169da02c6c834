"""Every word a person reads is in the catalogue, in Turkish and in English, with the same
placeholders; every key a template or a route names exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

from hunter.web.messages import MESSAGES

WEB = Path(__file__).resolve().parents[2] / "hunter" / "web"
LITERAL = re.compile(r"""\bt\(\s*['"]([a-z0-9_.]+)['"]""")
FLASH = re.compile(r"""["']((?:flash|error|import|admin|login)\.[a-z0-9_.]+)["']""")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_with_the_same_placeholders() -> None:
    wrong = [key for key, (tr, en) in MESSAGES.items()
             if not tr.strip() or not en.strip() or placeholders(tr) != placeholders(en)]
    assert not wrong


def test_every_key_named_in_a_template_or_a_route_exists() -> None:
    named: set[str] = set()
    for path in list(WEB.glob("templates/*.html")) + list(WEB.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        named |= set(LITERAL.findall(text))
        if path.suffix == ".py":
            named |= {k for k in FLASH.findall(text) if not k.endswith((".html", "."))}
    missing = sorted(k for k in named if k not in MESSAGES and not k.endswith((".", "_")))
    assert not missing


def test_the_keys_built_from_values_exist() -> None:
    families = {"role": ("viewer", "sales", "admin"), "dynamics": ("pending", "pushed", "stale", "failed", "none"),
                "status": ("ok", "no_mx", "null_mx", "nxdomain", "dns_error", "invalid"),
                "tenant_size": ("small", "medium", "large", "enterprise", "unknown"),
                "job.status": ("queued", "running", "done", "failed", "cancelled"),
                "facet": ("priority", "segment", "provider_key", "gateway_key", "local_provider", "tenant_size",
                          "referral", "dynamics", "status"),
                "error": ("400", "401", "403", "404", "405", "409", "413", "415", "422", "429", "500", "502", "503",
                          "csrf")}
    missing = [f"{family}.{value}" for family, values in families.items() for value in values
               if f"{family}.{value}" not in MESSAGES]
    missing += [f"error.{code}.text" for code in families["error"] if f"error.{code}.text" not in MESSAGES]
    assert not missing
