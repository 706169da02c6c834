"""The alert rules and the Prometheus configuration, checked by promtool (Debian's ``prometheus``
package) and unit-tested with ``promtool test rules``; every metric the rules and the Grafana
dashboard use is one Hunter exports; every alert has its runbook in docs/operations.md.

In CI (``CI`` set) promtool must be installed (``.ci/run`` installs it): the tests fail rather
than skip."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from hunter import metrics

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS / "alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "hunter-dashboard.json"
OPERATIONS = ROOT / "docs" / "operations.md"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is required in CI: apt-get install prometheus (.ci/run does)")
        pytest.skip("promtool not installed (apt-get install prometheus); required in CI")
    return subprocess.run([found, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_promtool_checks_the_rules() -> None:
    result = promtool("check", "rules", str(RULES.relative_to(ROOT)))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_pass() -> None:
    result = promtool("test", "rules", str((PROMETHEUS / "alerts.test.yml").relative_to(ROOT)))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_checks_the_scrape_configuration() -> None:
    result = promtool("check", "config", str((PROMETHEUS / "prometheus.yml").relative_to(ROOT)))
    assert result.returncode == 0, result.stdout + result.stderr


def alerts() -> list[dict]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    return re.sub(r"[^a-z0-9 _-]", "", heading.strip().lower()).replace(" ", "-")


REQUIRED = {"HunterPartnerCenterSyncStale", "HunterPartnerCenterSyncFailing", "HunterDynamicsFailureRatioHigh",
            "HunterDnsErrorRatioJump", "HunterEnrichmentDatabaseMissing", "HunterEnrichmentDatabaseOld",
            "HunterJobBacklogGrowing", "HunterWorkersGone"}


def test_every_alert_is_annotated_and_has_its_runbook_section() -> None:
    anchors = {anchor(line.lstrip("#")) for line in OPERATIONS.read_text(encoding="utf-8").splitlines()
               if line.startswith("#")}
    names = [rule["alert"] for rule in alerts()]
    assert REQUIRED <= set(names) and len(names) == len(set(names))
    for rule in alerts():
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        notes = rule["annotations"]
        assert set(notes) == {"summary", "description", "runbook_url"}, rule["alert"]
        path, _, fragment = notes["runbook_url"].partition("#")
        assert path == "docs/operations.md" and fragment == rule["alert"].lower(), rule["alert"]
        assert fragment in anchors, f"docs/operations.md has no section for {rule['alert']}"


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    tests = yaml.safe_load((PROMETHEUS / "alerts.test.yml").read_text(encoding="utf-8"))["tests"]
    cases = [case for test in tests for case in test.get("alert_rule_test", [])]
    for name in (rule["alert"] for rule in alerts()):
        mine = [case for case in cases if case["alertname"] == name]
        assert any(case["exp_alerts"] for case in mine), f"{name} never fires in alerts.test.yml"
        assert any(not case["exp_alerts"] for case in mine), f"{name} is never quiet in alerts.test.yml"


KNOWN_SUFFIXES = ("_bucket", "_sum", "_count")


def exported() -> set[str]:
    names = {spec.name for spec in (*metrics.RECORDED, *metrics.SCRAPED)}
    names |= {spec.name + suffix for spec in metrics.RECORDED if spec.type == "histogram" for suffix in KNOWN_SUFFIXES}
    return names


def used_metrics(expression: str) -> set[str]:
    return set(re.findall(r"\bhunter_[a-z0-9_]+", expression))


def test_the_rules_and_the_dashboard_use_only_metrics_hunter_exports() -> None:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    expressions = [rule["expr"] for group in groups for rule in group["rules"]]
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    expressions += [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    unknown = set().union(*map(used_metrics, expressions)) - exported()
    assert not unknown
    recorded = {rule["record"] for group in groups for rule in group["rules"] if "record" in rule}
    used = set().union(*(set(re.findall(r"\bhunter:[a-z0-9_:]+", e)) for e in expressions))
    assert used <= recorded


def test_the_dashboard_is_grafana_json_on_a_chosen_datasource() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] and dashboard["title"] == "Hunter"
    assert [v["name"] for v in dashboard["templating"]["list"]] == ["datasource"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}" and panel["targets"], panel["title"]
