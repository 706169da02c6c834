"""Hunter's exceptions.

    HunterError
    ├── InputError          bad input: which file/row/column, what was wrong
    ├── ConfigError         a setting is wrong: which one, why (never its secret value)
    ├── RulesError          a rules data file is invalid: which file, where, why
    └── IntegrationError    an external system failed (names its ``system``)
        ├── IntegrationUnavailable
        ├── AuthFailed
        ├── RateLimited     (``retry_after`` seconds)
        └── Rejected        (the remote message)

A domain that fails DNS is *data* (``status: dns_error``), never an exception.
"""

from __future__ import annotations


class HunterError(Exception):
    """Base of every error Hunter raises on purpose."""


class InputError(HunterError):
    def __init__(self, message: str, *, source: str | None = None, row: int | None = None,
                 column: str | None = None) -> None:
        self.source, self.row, self.column = source, row, column
        where = ", ".join(p for p in (
            source and f"file {source}",
            row is not None and f"row {row}",
            column and f"column {column!r}",
        ) if p)
        super().__init__(f"{where}: {message}" if where else message)


class ConfigError(HunterError):
    def __init__(self, setting: str, why: str) -> None:
        self.setting = setting
        super().__init__(f"setting {setting}: {why}")


class RulesError(HunterError):
    def __init__(self, source: str, why: str) -> None:
        self.source = source
        super().__init__(f"rules file {source}: {why}")


class IntegrationError(HunterError):
    def __init__(self, system: str, message: str) -> None:
        self.system = system
        super().__init__(f"{system}: {message}")


class IntegrationUnavailable(IntegrationError):
    pass


class AuthFailed(IntegrationError):
    pass


class RateLimited(IntegrationError):
    def __init__(self, system: str, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(system, message)


class Rejected(IntegrationError):
    pass
