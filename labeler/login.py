"""Login rate limiting for `diagramlab app --auth`: a failure budget per user name and per client
address, with exponential backoff.

Gradio checks passwords at `POST /login` and, left alone, answers 50 wrong passwords in 0.06 s.
Here each key (a user name, a client IP) may fail `free` times; after that, the next attempt is
refused with HTTP 429 ("Too many failed logins ...; try again in N s") until `base * 2**(n - free)`
seconds (at most `max_delay`) have passed since its last failure. A success clears the user's and
the address's count; a key with no failure for `forget` seconds is forgotten. Refusals answer at
once (nothing sleeps, no worker is held).

    limiter = LoginLimiter()
    demo.launch(auth=limiter.checker(logins), app_kwargs=limiter.app_kwargs())

The user-name budget is kept in the auth function Gradio calls (it sees the name, not the
address); the address budget in a small ASGI middleware around `/login` (it sees the address and
the answer's status, not the name).
"""

from __future__ import annotations

import hmac
import json
import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

FREE_FAILURES = 5
BASE_DELAY_S = 1.0
MAX_DELAY_S = 300.0
FORGET_S = 3600.0


class LoginLimiter:
    """Failure counts per key ("user:<name>", "ip:<address>"); thread-safe, one per app."""

    def __init__(self, *, free: int = FREE_FAILURES, base: float = BASE_DELAY_S, max_delay: float = MAX_DELAY_S,
                 forget: float = FORGET_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.base, self.max_delay, self.forget, self.clock = free, base, max_delay, forget, clock
        self._failures: dict[str, tuple[int, float]] = {}  # key -> (failures, time of the last)
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """Seconds before `key` may try again (0: now)."""
        with self._lock:
            count, last = self._failures.get(key, (0, 0.0))
            now = self.clock()
            if count and now - last > self.forget:
                del self._failures[key]
                return 0.0
            if count < self.free:
                return 0.0
            delay = min(self.max_delay, self.base * 2 ** min(count - self.free, 30))
            return max(0.0, last + delay - now)

    def failed(self, key: str) -> None:
        with self._lock:
            count, _last = self._failures.get(key, (0, 0.0))
            self._failures[key] = (count + 1, self.clock())

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    @staticmethod
    def message(seconds: float) -> str:
        return f"Too many failed logins; try again in {math.ceil(seconds)} s."

    def checker(self, logins: Iterable[tuple[str, str]]) -> Callable[[str, str], bool]:
        """Gradio's `auth` callable over these (user, password) logins, with the user budget: a
        user over budget gets HTTP 429 without the password being checked."""
        from fastapi import HTTPException

        table = dict(logins)

        def check(username: str, password: str) -> bool:
            key = f"user:{username}"
            wait = self.wait(key)
            if wait > 0:
                raise HTTPException(status_code=429, detail=self.message(wait))
            expected = table.get(username)
            ok = expected is not None and hmac.compare_digest(password.encode("utf-8"), expected.encode("utf-8"))
            (self.succeeded if ok else self.failed)(key)
            return ok

        return check

    def app_kwargs(self) -> dict[str, Any]:
        """`demo.launch(app_kwargs=...)`: the address budget as a middleware of Gradio's FastAPI app."""
        from starlette.middleware import Middleware

        return {"middleware": [Middleware(LoginThrottle, limiter=self)]}


class LoginThrottle:
    """ASGI middleware: `POST .../login` from an address over budget gets 429 at once; the login
    answer's status (200 / 400) counts for or against the address."""

    def __init__(self, app: Any, limiter: LoginLimiter) -> None:
        self.app, self.limiter = app, limiter

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or scope.get("method") != "POST" or \
                not scope.get("path", "").rstrip("/").endswith("/login"):
            await self.app(scope, receive, send)
            return
        key = f"ip:{(scope.get('client') or ('?',))[0]}"
        wait = self.limiter.wait(key)
        if wait > 0:
            body = json.dumps({"detail": self.limiter.message(wait)}).encode("utf-8")
            await send({"type": "http.response.start", "status": 429,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"retry-after", str(math.ceil(wait)).encode()),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return

        async def counted(message: dict) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                if status == 200:
                    self.limiter.succeeded(key)
                elif status in (400, 401, 403):
                    self.limiter.failed(key)
            await send(message)

        await self.app(scope, receive, counted)
