"""Every error is an RFC 9457 problem, mapped in one place, and never shows internals."""

from __future__ import annotations

import pytest

from hunter.errors import ConfigError, InputError, IntegrationUnavailable, RateLimited

from .conftest import Api
from .test_auth import assert_problem

SECRET = "postgresql://hunter:s3cret@db/hunter /srv/hunter/data SELECT * FROM leads"


def add_failing_route(api: Api, exc: Exception) -> str:
    path = f"/api/v1/test-failure-{id(exc)}"

    def fail() -> None:
        raise exc

    api.app.router.add_api_route(path, fail)
    return path


@pytest.mark.parametrize(("exc", "status"), [
    (RuntimeError(SECRET), 500),
    (ConfigError("HUNTER_DATABASE_URL", SECRET), 500),
    (IntegrationUnavailable("partner_center", SECRET), 503),
    (RateLimited("dataverse", SECRET, retry_after=2.5), 503),
    (InputError("bad row", source="/srv/hunter/data/uploads/x.csv", row=3), 422),
    (InputError("file is 9 bytes, larger than the limit of 1 bytes (max_bytes)"), 413),
])
async def test_errors_are_mapped_without_internals(api: Api, exc: Exception, status: int) -> None:
    response = await api.client.get(add_failing_route(api, exc))
    body = assert_problem(response, status)
    assert "s3cret" not in response.text and "SELECT" not in response.text
    assert "/srv/hunter" not in response.text
    if isinstance(exc, RateLimited):
        assert response.headers["retry-after"] == "3"


async def test_unknown_route_and_method_are_problems(api: Api) -> None:
    assert_problem(await api.get("/api/v1/nothing-here"), 404)
    assert_problem(await api.client.put("/api/v1/leads", headers=api.auth("admin")), 405)
