"""Reading requests with a served model: any OpenAI-compatible `/v1/chat/completions` server.

    reader = ServedReader("http://127.0.0.1:8000/v1", model="qwen", timeout=5)
    reading = reader.read("LeNet: conv 5x5 6, pool, conv 5x5 16, pool, fc 120, fc 84, fc 10")
    reading.plan, reading.by, reading.why    # Plan | None, who read it, why the server's plan was not used
    plan = reader(request)                   # the plan only: a drop-in for diagram.reader.read_request

    diagramlab app  --reader-url http://127.0.0.1:8000/v1 [--reader-model NAME] [--reader-timeout S]
    diagramlab eval --reader-url ...   (and bootstrap; benchmarks/bench_outside.py --reader-url ...)

The request goes to the server as one chat (a system prompt that explains the plan kinds with three
made-up examples, then the request) with the answer constrained to `diagram.plan_json.PLAN_SCHEMA`
(structured output), asked per server kind from `/models` (`owned_by`) as
`trainer.generation.http_source` does:
- llama-cpp-python (`me`): `response_format={"type": "json_object", "schema": ...}` (the one form its
  server honours: `llama_cpp.llama_chat_format._grammar_for_response_format`);
- vLLM, SGLang, llama.cpp's llama-server, OpenAI and anything else:
  `response_format={"type": "json_schema", "json_schema": {"name": ..., "schema": ..., "strict": true}}`.
The answer becomes a Plan by `diagram.plan_json.plan_from_text` (labels cleaned to the grammar,
sizes and plan checked with the limits read plans have, `plan.fits`).

The rules (`diagram.reader.read_request`, or the `fallback` given) read the request instead when the
server cannot be reached, answers an HTTP error, does not answer within `timeout` seconds (one
deadline for the whole read, /models included: a slow server never stalls a caller longer), answers
text that is not JSON of the schema, a plan that does not fit, or "nothing"; the `Reading` says
which reader read it and why the served one was not used. Readings are kept per reader (a bounded
LRU keyed by the request, under a lock) so the labeler's plan box and the generation that follows
ask once; a reading that fell back because the server was unreachable or slow is asked again after
`retry_s` seconds.

Standard library only (http.client): the labeler imports it, and it imports no torch.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from diagram.plan import Plan
from diagram.plan_json import PLAN_SCHEMA, SCHEMA_NAME, PlanJsonError, plan_from_text, plan_to_json
from diagram.reader import read_request
from diagram.reader_text import MAX_CODE_CHARS

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_TOKENS = 1024
CACHE_SIZE = 256
RETRY_S = 60.0
MAX_ANSWER_BYTES = 1_000_000
RULES = "the rules"
_OWNER_NAME = {"vllm": "vLLM", "sglang": "SGLang", "llamacpp": "llama.cpp", "me": "llama-cpp-python"}

SYSTEM_PROMPT = """You read a request for a technical diagram and answer with the structure it states, as JSON.
kind is one of:
- "dense": a fully connected neural net. layers: every layer's size, input first, output last, each at its true size (784, not 12).
- "chain": a chain of labelled layers such as a CNN. blocks: the layers in order, each short, e.g. "Input 32x32x3", "Conv 3x3, 64", "MaxPool 2x2", "Flatten", "Dense 128", "Output 10".
- "steps": a pipeline, process or algorithm. steps: the named steps in flow order, each a few words naming the component or action (not a whole sentence). edges: from one step to the next; branches are several edges from one step, joins several edges into one; a decision is a step ending with "?" whose edges are labelled "yes" and "no"; a loop is an edge back to an earlier step. With no edges the steps are read as one chain in order.
- "nothing": the request states no such structure.
Fill only the fields of the kind; leave the others empty lists. Invent nothing the request does not say."""


def _example(request: str, line: str) -> tuple[str, str]:
    from diagram.plan import read_plan_line

    return request, json.dumps(plan_to_json(read_plan_line(line)))


def examples() -> tuple[tuple[str, str], ...]:
    """(request, answer) pairs shown to the served model: made up for the prompt, none from a benchmark."""
    return (
        _example("A perceptron for digits: 400 pixel inputs, one hidden layer of 25 units, 10 classes out.",
                 "# layers 400-25-10"),
        _example("small convnet: 64x64 grayscale in, two conv layers (5x5, 8 then 16 filters) each followed "
                 "by 2x2 max pooling, then a 32-unit dense layer and 3 outputs",
                 "# layers Input 64x64 > Conv 5x5, 8 > MaxPool 2x2 > Conv 5x5, 16 > MaxPool 2x2 > Dense 32 > Output 3"),
        (("Tickets arrive by email and are triaged. Urgent? If yes they are paged to on-call, otherwise they "
          "go to the queue. Both end in Resolve; if the customer reopens, back to triage."),
         json.dumps({"kind": "steps", "layers": [], "blocks": [],
                     "steps": ["Email ticket", "Triage", "Urgent?", "Page on-call", "Queue", "Resolve"],
                     "edges": [{"from": "Email ticket", "to": "Triage", "label": ""},
                               {"from": "Triage", "to": "Urgent?", "label": ""},
                               {"from": "Urgent?", "to": "Page on-call", "label": "yes"},
                               {"from": "Urgent?", "to": "Queue", "label": "no"},
                               {"from": "Page on-call", "to": "Resolve", "label": ""},
                               {"from": "Queue", "to": "Resolve", "label": ""},
                               {"from": "Resolve", "to": "Triage", "label": ""}]})),
    )


def response_format(style: str) -> dict[str, Any]:
    """The request field that constrains the answer to PLAN_SCHEMA: "json_object" (llama-cpp-python's
    form) or "json_schema" (OpenAI's, vLLM's, SGLang's, llama-server's)."""
    if style == "json_object":
        return {"type": "json_object", "schema": PLAN_SCHEMA}
    return {"type": "json_schema", "json_schema": {"name": SCHEMA_NAME, "schema": PLAN_SCHEMA, "strict": True}}


@dataclass(frozen=True)
class Reading:
    """A request's plan (None: nothing read), who read it ("tiny-sft at http://...", or RULES) and,
    when the rules read it, why the served model's reading was not used ("" when it was)."""

    plan: Plan | None
    by: str
    why: str = ""
    seconds: float = 0.0

    @property
    def served(self) -> bool:
        return self.by != RULES

    def note(self) -> str:
        """A few words for the person: "read by tiny-sft at http://...", "read by the rules: the served
        reader timed out after 5 s"."""
        return f"read by {self.by}" + (f": {self.why}" if self.why else "")


class ReaderError(RuntimeError):
    """The served reader gave no plan; the message says why (shown after "read by the rules: ")."""

    def __init__(self, message: str, transient: bool = False):
        super().__init__(message)
        self.transient = transient  # unreachable or slow: worth asking again later


class ServedReader:
    """Reads requests with a served model, the rules as the fallback (thread-safe). Callable as
    `reader(request) -> Plan | None`, like `diagram.reader.read_request`."""

    def __init__(self, url: str, model: str | None = None, timeout: float = DEFAULT_TIMEOUT_S,
                 api_key: str | None = None, style: str = "auto", max_tokens: int = DEFAULT_MAX_TOKENS,
                 fallback: Callable[[str], Plan | None] = read_request, cache_size: int = CACHE_SIZE,
                 retry_s: float = RETRY_S):
        """`url`: the API base (".../v1"); `model`: the served model (default: the server's first);
        `timeout`: seconds one read may wait on the server in all; `style`: "auto" (from /models),
        "json_schema" or "json_object"; `fallback`: the rules."""
        if style not in ("auto", "json_schema", "json_object"):
            raise ValueError(f"style must be auto, json_schema or json_object, not {style!r}")
        if timeout <= 0:
            raise ValueError("the timeout must be positive")
        parts = urllib.parse.urlsplit(url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"the reader URL must be http(s)://host[:port]/path, not {url!r}")
        self.url = url.rstrip("/")
        self._parts = parts
        self.timeout = float(timeout)
        self.api_key = api_key
        self.max_tokens = max_tokens
        self.fallback = fallback
        self.cache_size = cache_size
        self.retry_s = retry_s
        self.model = model or ""
        self.server = ""
        self.style = "" if style == "auto" else style
        self._cache: OrderedDict[str, tuple[Reading, float]] = OrderedDict()  # request -> (reading, expires)
        self._lock = threading.Lock()

    def __call__(self, request: str) -> Plan | None:
        return self.read(request).plan

    @property
    def name(self) -> str:
        """Who reads: "tiny-sft at http://127.0.0.1:8000/v1" (the model once known)."""
        return f"{self.model} at {self.url}" if self.model else self.url

    def read(self, request: str) -> Reading:
        """The request's Reading: the served model's plan, else the rules' with the reason."""
        request = request if isinstance(request, str) else ""
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(request)
            if hit is not None and hit[1] > now:
                self._cache.move_to_end(request)
                return hit[0]
        started = time.monotonic()
        transient = False
        try:
            plan = self._served_plan(request, started + self.timeout)
            reading = Reading(plan, self.name, "", time.monotonic() - started)
        except ReaderError as exc:
            transient = exc.transient
            reading = Reading(self.fallback(request), RULES, str(exc), time.monotonic() - started)
        with self._lock:
            self._cache[request] = (reading, now + self.retry_s if transient else float("inf"))
            self._cache.move_to_end(request)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return reading

    def known(self, request: str) -> Reading | None:
        """The reading already made of `request` (None: not read yet, or a fallback due to be asked
        again); never asks the server (the plan box while the person types)."""
        with self._lock:
            hit = self._cache.get(request)
        return hit[0] if hit is not None and hit[1] > time.monotonic() else None

    def peek(self, request: str) -> Plan | None:
        """The plan this reader gave `request` when it read it already, else the rules' (never asks
        the server: for counts over many requests, `labeler.coverage`)."""
        with self._lock:
            hit = self._cache.get(request)
        return hit[0].plan if hit is not None else self.fallback(request)

    # ---- the server ---------------------------------------------------------------------------

    def _served_plan(self, request: str, deadline: float) -> Plan:
        if not request.strip():
            raise ReaderError("the request is empty")
        if len(request) > MAX_CODE_CHARS:
            raise ReaderError(f"the request is over {MAX_CODE_CHARS:,} characters")
        if not self.model or not self.style:
            self._discover(deadline)
        answer = self._post("/chat/completions", self.request_body(request), deadline)
        choices = answer.get("choices") if isinstance(answer, dict) else None
        message = choices[0].get("message") if isinstance(choices, list) and choices and isinstance(choices[0], dict) else None
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            raise ReaderError(f"the served model sent no answer ({str(answer)[:120]})")
        try:
            plan = plan_from_text(content)
        except PlanJsonError as exc:
            raise ReaderError(f"the served model's answer was unusable: {exc}") from None
        if plan is None:
            raise ReaderError("the served model read nothing to draw")
        return plan

    def request_body(self, request: str) -> dict[str, Any]:
        """The /chat/completions request that reads `request` (public for tests and debugging)."""
        messages = [{"role": "system", "content": SYSTEM_PROMPT}]
        for asked, answer in examples():
            messages += [{"role": "user", "content": asked}, {"role": "assistant", "content": answer}]
        messages.append({"role": "user", "content": request})
        return {"model": self.model, "messages": messages, "temperature": 0.0, "max_tokens": self.max_tokens,
                "response_format": response_format(self.style or "json_schema")}

    def _discover(self, deadline: float) -> None:
        """The model (the first served unless given) and the structured-output style, from /models."""
        listing = self._get("/models", deadline)
        data = listing.get("data") if isinstance(listing, dict) else None
        served = [m for m in data if isinstance(m, dict)] if isinstance(data, list) else []
        owners = {str(m.get("id")): str(m.get("owned_by", "")) for m in served}
        model = self.model or next(iter(owners), "")
        if not model:
            raise ReaderError(f"{self.url}/models lists no model (give --reader-model)")
        owner = owners.get(model, next(iter(owners.values()), ""))
        self.model = model
        self.server = _OWNER_NAME.get(owner, owner or "server")
        self.style = self.style or ("json_object" if owner == "me" else "json_schema")

    def _get(self, path: str, deadline: float) -> Any:
        return self._exchange("GET", path, None, deadline)

    def _post(self, path: str, body: dict, deadline: float) -> Any:
        return self._exchange("POST", path, json.dumps(body).encode(), deadline)

    def _exchange(self, method: str, path: str, data: bytes | None, deadline: float) -> Any:
        """One HTTP exchange that gives up at `deadline` (the socket's timeout is the time left, set
        again before every read, so a server that trickles its answer cannot hold a caller longer)."""
        parts = self._parts
        left = deadline - time.monotonic()
        if left <= 0:
            raise self._timed_out()
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = kind(parts.hostname, parts.port, timeout=left)
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        try:
            connection.request(method, parts.path + path, body=data, headers=headers)
            self._tighten(connection, deadline)
            response = connection.getresponse()
            chunks: list[bytes] = []
            size = 0
            while True:
                self._tighten(connection, deadline)
                chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    raise ReaderError(f"the served model's answer is over {MAX_ANSWER_BYTES:,} bytes")
            raw = b"".join(chunks)
        except (TimeoutError, socket.timeout):
            raise self._timed_out() from None
        except (ConnectionError, OSError, http.client.HTTPException) as exc:
            raise ReaderError(f"the served reader could not be reached ({self.url}: {exc})", transient=True) from None
        finally:
            connection.close()
        if response.status >= 400:
            detail = raw.decode("utf-8", "replace")[:200]
            raise ReaderError(f"the served reader answered HTTP {response.status} ({detail})",
                              transient=response.status >= 500)
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise ReaderError(f"the served reader's {path} answer is not JSON ({raw[:80]!r})") from None

    def _tighten(self, connection: http.client.HTTPConnection, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise self._timed_out()
        if connection.sock is not None:
            connection.sock.settimeout(left)

    def _timed_out(self) -> ReaderError:
        return ReaderError(f"the served reader timed out after {self.timeout:g} s", transient=True)
