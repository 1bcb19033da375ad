"""labeler/login.py: a failure budget per user name and per client address at `POST /login`."""

from __future__ import annotations

import time

import pytest
from fastapi import HTTPException

from labeler.login import LoginLimiter
from testing.ports import free_port


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_budget_backs_off_exponentially_and_a_success_clears_it():
    clock = Clock()
    limiter = LoginLimiter(free=3, base=2.0, max_delay=30.0, clock=clock)
    check = limiter.checker([("ana", "secret")])
    assert [check("ana", "wrong") for _ in range(3)] == [False] * 3
    with pytest.raises(HTTPException) as refused:
        check("ana", "secret")  # over budget: refused even with the right password, unchecked
    assert refused.value.status_code == 429 and "try again in 2 s" in refused.value.detail
    clock.now += 2.0
    assert check("ana", "wrong") is False
    assert limiter.wait("user:ana") == pytest.approx(4.0)  # doubled
    for _ in range(10):
        clock.now += 100.0
        check("ana", "wrong")
    assert limiter.wait("user:ana") == pytest.approx(30.0)  # capped
    clock.now += 30.0
    assert check("ana", "secret") is True and limiter.wait("user:ana") == 0.0
    assert check("bo", "x") is False  # an unknown user is a failure too, no error


def test_failures_are_forgotten_after_a_quiet_hour():
    clock = Clock()
    limiter = LoginLimiter(free=1, base=600.0, max_delay=1000.0, forget=3600.0, clock=clock)
    limiter.failed("ip:1.2.3.4")
    assert limiter.wait("ip:1.2.3.4") == pytest.approx(600.0)
    clock.now += 3601.0
    assert limiter.wait("ip:1.2.3.4") == 0.0


def test_fifty_wrong_passwords_over_http_are_throttled(tmp_path):
    import httpx

    from testing.fakes import make_context
    from labeler.app import launch

    ctx = make_context(tmp_path)
    demo, url = launch(ctx, port=free_port(), auth=[("ana", "secret"), ("bo", "pw")])
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            started = time.monotonic()
            codes = [client.post("/login", data={"username": "ana", "password": f"guess{i}"}).status_code
                     for i in range(50)]
            assert codes[:5] == [400] * 5 and set(codes[5:]) == {429}, codes
            answer = client.post("/login", data={"username": "ana", "password": "secret"})
            assert answer.status_code == 429 and "Too many failed logins" in answer.json()["detail"]
            # The address is over budget too: another user from it waits as well.
            other = client.post("/login", data={"username": "bo", "password": "pw"})
            assert other.status_code == 429 and other.headers["retry-after"]
            time.sleep(max(0.0, started + 1.2 - time.monotonic()) + 1.0)  # the first backoff: 1 s
            assert client.post("/login", data={"username": "ana", "password": "secret"}).status_code == 200
    finally:
        demo.close()
        ctx.close()
