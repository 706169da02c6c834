"""The JSON Schema of the analysis object, generated from ``model.Analysis``."""

from __future__ import annotations

import json
from pathlib import Path

from .model import Analysis

SCHEMA_FILE = Path(__file__).resolve().parent / "analysis.schema.json"


def analysis_schema() -> dict:
    schema = Analysis.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "urn:hunter:analysis:1"
    schema["description"] = "One Hunter analysis object per domain; see CONTRACT.md."
    return schema


def write_schema_file(path: Path = SCHEMA_FILE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(analysis_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
