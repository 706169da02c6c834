"""Load and validate the scoring rules file (``hunter/rules/scoring.yaml``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import RulesError

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "rules" / "scoring.yaml"
PRIORITIES = ("P1", "P2", "P3", "P4", "P5", "P6")
SEGMENTS = ("greenfield", "competitive", "microsoft", "unknown_behind_gateway", "no_mail", "unknown")
POINTS = (
    "spf_missing", "spf_invalid", "spf_not_strict", "dmarc_missing", "dmarc_not_enforced",
    "dmarc_partial", "dkim_missing", "gateway_present", "local_provider", "m365_hybrid",
    "tenant_small", "tenant_medium", "tenant_large", "tenant_enterprise",
    "pc_referral_open", "pc_referral_won", "pc_referral_closed",
)
NAMED_SEGMENTS = ("unknown_behind_gateway",)    # labels that name the gateway: ``named`` with {gateway}


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Label(_Strict):
    en: str = Field(min_length=1)
    tr: str = Field(min_length=1)


class Segment(Label):
    base: int = Field(ge=0, le=100)
    named: Label | None = None          # the label naming the gateway ("Unknown behind {gateway}")


class Thresholds(_Strict):
    greenfield_p1_min_score: int = Field(ge=0, le=100)
    competitive_p2_min_score: int = Field(ge=0, le=100)


class ScoringRules(_Strict):
    version: str = Field(min_length=1)
    priorities: dict[str, Label]
    segments: dict[str, Segment]
    points: dict[str, int]
    thresholds: Thresholds
    referral_priority: dict[str, str]   # segment -> the priority an open referral lifts it to

    @model_validator(mode="after")
    def _complete(self) -> "ScoringRules":
        _exact("priorities", self.priorities, PRIORITIES)
        _exact("segments", self.segments, SEGMENTS)
        _exact("points", self.points, POINTS)
        negative = [k for k, v in self.points.items() if v < 0]
        if negative:
            raise ValueError(f"points must not be negative: {', '.join(negative)}")
        _named(self.segments)
        _lifts(self.referral_priority)
        return self


def _named(segments: dict[str, Segment]) -> None:
    for code in NAMED_SEGMENTS:
        named = segments[code].named
        if named is None or "{gateway}" not in named.en or "{gateway}" not in named.tr:
            raise ValueError(f"segments.{code}.named: en and tr must name the {{gateway}}")


def _lifts(lifts: dict[str, str]) -> None:
    unknown = [k for k in lifts if k not in SEGMENTS or k == "unknown"]
    if unknown:
        raise ValueError(f"referral_priority: unknown or unrankable segments {unknown}")
    bad = [f"{k}: {v}" for k, v in lifts.items() if v not in PRIORITIES]
    if bad:
        raise ValueError(f"referral_priority: not a priority: {', '.join(bad)}")


def _exact(section: str, found: dict[str, object], wanted: tuple[str, ...]) -> None:
    missing = [k for k in wanted if k not in found]
    unknown = [k for k in found if k not in wanted]
    if missing or unknown:
        raise ValueError(f"{section}: missing {missing or 'none'}, unknown {unknown or 'none'}")


@lru_cache(maxsize=8)
def load(path: Path = DEFAULT_PATH) -> ScoringRules:
    """Read and validate a rules file; raises RulesError naming the file and the problem."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(str(path), f"cannot read: {exc}") from None
    if not isinstance(raw, dict):
        raise RulesError(str(path), "top level must be a mapping")
    try:
        return ScoringRules.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors())
        raise RulesError(str(path), problems) from None
