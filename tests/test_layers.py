"""The imports point one way (STYLE.md §2): a walk over every module's import statements."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hunter"
EDGES = ("settings", "wiring", "flows", "jobs", "cli", "api", "web", "store", "cache", "sandbox")
CORE_FORBIDDEN = {
    "normalise": EDGES + ("dns", "analysis", "scoring", "sales", "pipeline", "rules"),
    "dns": EDGES + ("analysis", "scoring", "sales", "pipeline", "normalise"),
    "analysis": EDGES + ("scoring", "sales", "pipeline", "dns.lookup", "dns.transport", "dns.cache"),
    "scoring": EDGES + ("analysis", "dns", "sales", "pipeline"),
    "rules": EDGES + ("analysis", "dns", "scoring", "pipeline"),
    "pipeline": EDGES,
    "model": EDGES + ("dns", "analysis", "scoring", "pipeline"),
    "changes": EDGES + ("dns", "analysis", "scoring", "pipeline"),
    "sales": EDGES + ("dns", "analysis", "pipeline"),
}


def hunter_imports(path: Path) -> set[str]:
    """Absolute ``hunter.x.y`` names this module imports (relative imports resolved)."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module.removesuffix(".__init__")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("hunter")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            if base.startswith("hunter"):
                found |= {base} | {f"{base}.{a.name}" for a in node.names}
    return found


def layer_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if layer_of(p) in CORE_FORBIDDEN)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_never_imports_an_edge_or_a_later_layer(path: Path) -> None:
    forbidden = CORE_FORBIDDEN[layer_of(path)]
    bad = sorted(name for name in hunter_imports(path)
                 if any(name == f"hunter.{f}" or name.startswith(f"hunter.{f}.") for f in forbidden))
    assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_sees_only_the_integration_interfaces(path: Path) -> None:
    """An ``IpLookup`` arrives inside the Context: the core may import ``integrations.base``
    and nothing else of ``integrations`` (no concrete adapter)."""
    bad = sorted(name for name in hunter_imports(path)
                 if name.startswith("hunter.integrations.") and not name.startswith("hunter.integrations.base"))
    assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_the_walk_sees_relative_imports() -> None:
    assert "hunter.dns.facts" in hunter_imports(PACKAGE / "pipeline.py")
    assert "hunter.integrations.base" in hunter_imports(PACKAGE / "pipeline.py")
