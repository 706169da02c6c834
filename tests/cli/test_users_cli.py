"""`hunter user create|list|disable|enable|password`: the lead screen's users from the shell; the
password comes from a hidden prompt or the first line of stdin, never from an argument."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from hunter.settings import Settings
from hunter.store import db
from hunter.store.users import UserRepository

runner = CliRunner()


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("HUNTER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HUNTER_DATABASE_URL", raising=False)
    from hunter.cli.main import app

    return app


def verify(name: str, password: str) -> bool:
    engine = db.make_engine(Settings().database())
    try:
        with db.session_factory(engine)() as session:
            return UserRepository(session).verify(name, password) is not None
    finally:
        engine.dispose()


def test_create_from_stdin_list_disable_enable_and_a_new_password(app) -> None:
    created = runner.invoke(app, ["user", "create", "Ayşe", "--role", "sales", "--password-stdin"],
                            input="Satis-Parola-2026\n")
    assert created.exit_code == 0, created.output
    assert created.output.strip() == "user ayşe created with the role sales"
    assert verify("ayşe", "Satis-Parola-2026")
    listed = runner.invoke(app, ["user", "list"])
    assert listed.exit_code == 0 and listed.output.startswith("ayşe\tsales\tactive\tlast sign-in: ")
    assert runner.invoke(app, ["user", "disable", "ayşe"]).exit_code == 0
    assert not verify("ayşe", "Satis-Parola-2026") and "disabled" in runner.invoke(app, ["user", "list"]).output
    assert runner.invoke(app, ["user", "enable", "ayşe"]).exit_code == 0
    changed = runner.invoke(app, ["user", "password", "ayşe", "--password-stdin"], input="Yeni-Parola-2026\n")
    assert changed.exit_code == 0 and verify("ayşe", "Yeni-Parola-2026")


def test_the_prompt_asks_twice_and_hides_the_password(app) -> None:
    created = runner.invoke(app, ["user", "create", "mehmet", "--role", "admin"],
                            input="Yonetici-Parola-1\nYonetici-Parola-1\n")
    assert created.exit_code == 0, created.output
    assert "Yonetici-Parola-1" not in created.output and verify("mehmet", "Yonetici-Parola-1")


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["user", "create", "x", "--role", "root", "--password-stdin"], "Parola-2026\n", "--role must be one of"),
    (["user", "create", "kisa", "--password-stdin"], "1234\n", "at least 8 characters"),
    (["user", "disable", "kimse"], "", "there is no user 'kimse'"),
])
def test_mistakes_are_one_line_errors(app, args: list[str], stdin: str, message: str) -> None:
    result = runner.invoke(app, args, input=stdin)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_a_name_taken_is_refused(app) -> None:
    for expected in (0, 2):
        result = runner.invoke(app, ["user", "create", "ali", "--password-stdin"], input="Parola-2026\n")
        assert result.exit_code == expected
    assert "already a user 'ali'" in result.output
