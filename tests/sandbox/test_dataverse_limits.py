"""Service protection limits of the Dataverse stand-in (B.8), tripped by real parallel clients."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from hunter.sandbox.dataverse import DataverseSandbox
from tests.sandbox.test_dataverse_api import error_of, token_for, web_api


def test_too_many_concurrent_requests_are_429_at_once(tmp_path: Path) -> None:
    with DataverseSandbox(tmp_path, concurrency_limit=2, latency=0.4) as sandbox:
        token, start = token_for(sandbox), threading.Barrier(6)
        answers: list[httpx.Response] = []

        def call() -> None:
            with web_api(sandbox, token) as client:
                client.get(f"{sandbox.url}/_sandbox/state")    # connect first (no limits there): the six overlap
                start.wait()
                answers.append(client.get("WhoAmI"))
        threads = [threading.Thread(target=call) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        refused = [answer for answer in answers if answer.status_code == 429]
    assert len(refused) >= 3 and sum(answer.status_code == 200 for answer in answers) >= 1
    assert error_of(refused[0]) == (429, "0x80072326", "Number of concurrent requests exceeded the limit of 2.")
    assert int(refused[0].headers["Retry-After"]) >= 1
    assert sandbox.state()["service_protection"]["refused"]["concurrency"] == len(refused)


def test_the_request_limit_refuses_once_exceeded_and_retry_after_grows(tmp_path: Path) -> None:
    with DataverseSandbox(tmp_path, request_limit=3, window_seconds=10) as sandbox, \
            web_api(sandbox, token_for(sandbox)) as client:
        answers = [client.get("WhoAmI") for _ in range(5)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429, 429]
    assert answers[2].headers["x-ms-ratelimit-burst-remaining-xrm-requests"] == "0"
    assert error_of(answers[3]) == (429, "0x80072322",
                                    "Number of requests exceeded the limit of 3 over time window of 10 seconds.")
    first, second = (int(answer.headers["Retry-After"]) for answer in answers[3:])
    assert 1 <= first <= 10 and second > first


def test_the_execution_time_limit(tmp_path: Path) -> None:
    with DataverseSandbox(tmp_path, execution_limit_ms=100, latency=0.15) as sandbox, \
            web_api(sandbox, token_for(sandbox)) as client:
        answers = [client.get("WhoAmI") for _ in range(2)]
    assert answers[0].status_code == 200
    status, code, message = error_of(answers[1])
    assert (status, code) == (429, "0x80072321")
    assert message.startswith("Combined execution time of incoming requests exceeded limit of 100 milliseconds "
                              "over time window of 300 seconds.")
