"""``hunter token create`` prints only the token; ``hunter serve`` answers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from hunter.cli.main import app
from hunter.settings import Settings
from hunter.store.db import make_engine, session_factory
from hunter.store.tokens import TokenRepository


def test_token_create_prints_only_the_token(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HUNTER_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["token", "create", "--role", "sales", "--name", "crm"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hnt_")
    engine = make_engine(Settings(data_dir=tmp_path).database())
    with session_factory(engine)() as session:
        row = TokenRepository(session).by_token(lines[0])
        assert row is not None and (row.role, row.name) == ("sales", "crm")
    engine.dispose()


def test_token_create_refuses_an_unknown_role(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HUNTER_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["token", "create", "--role", "root"])
    assert result.exit_code != 0 and "hnt_" not in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_runs_the_api_and_logs_json_lines(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "HUNTER_DATA_DIR": str(tmp_path), "HUNTER_DNS_NAMESERVERS": "127.0.0.1:9",
           "HUNTER_LOG_LEVEL": "INFO"}
    server = subprocess.Popen([sys.executable, "-m", "hunter.cli", "serve", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        ready = _poll(f"http://127.0.0.1:{port}/readyz")
        assert ready.status_code == 200
        answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/leads")
        assert answer.status_code == 401
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=10)
    lines = [json.loads(line) for line in stderr.splitlines() if line.strip()]   # every line is JSON
    assert any(line["logger"].startswith("uvicorn") for line in lines)            # uvicorn's own, too
    leads = [line for line in lines if line.get("request_id") == answer.headers["x-request-id"]]
    assert leads and all(line["logger"].startswith("hunter") for line in leads)   # one access line, no uvicorn copy


def _poll(url: str, timeout: float = 20.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
