"""Candidates from an OpenAI-compatible inference server (`/v1/completions`): vLLM, SGLang, TGI, llama.cpp.

    source = HttpCandidateSource("http://127.0.0.1:8000/v1", model="orpo-1")
    cands = source.generate(build_prompt("DL model with 3 inputs, 2 outputs"), k=4, seed=0)

    diagramlab app  --generator-url http://127.0.0.1:8000/v1 [--generator-model NAME]
    diagramlab eval --generator-url http://127.0.0.1:8000/v1 --generator-model orpo-1
    diagramlab bootstrap --generator-url ... [--generator-model NAME]

A `CandidateSource` (trainer/core/candidates.py) like the in-process `Generator`: the labeler, eval and
bootstrap get either from `trainer.generation.sources.open_source` (the flags: `add_source_arguments`). One request asks for all k candidates (`n=k`, with `temperature`, `top_p`,
`seed`, `max_tokens`); a server that returns fewer choices than asked (llama.cpp's servers ignore
`n`) is asked again, with seed+1, seed+2, ..., until there are k. The prompt is the same text the
in-process generator tokenizes (`template.model_input`); the server adds BOS and stops on the
model's EOS (`finish_reason` "stop"; "length" = cut at `max_tokens`).

Model name: `--generator-model` if given, else the checkpoint's directory name, so a vLLM server
started with `--enable-lora --lora-modules orpo-1=checkpoints/orpo-1 ...` serves each checkpoint
as its own LoRA adapter (vLLM can also load adapters at runtime, see the README).

Reading requests, as `trainer.generation.generate.Generator(read=True)`: when `diagram.reader.read_request`
finds the structure a request states (layer sizes, named steps), its plan line is appended to the
prompt sent (the model goes on after it), the grammar narrows to exactly that structure
(`diagram.plan.structure_regex`) and every returned text starts with the plan line. Unlike the
in-process Generator, an explicit `max_new_tokens` counts only the tokens the server writes (the
plan line's tokens are the server's to count), and a planned request keeps the default cap.

Grammar-constrained decoding (the answer format, diagram.grammar.ANSWER_REGEX, or a plan's
structure) where the server has it; `grammar_style` picks the request field, "auto" asks `/models`
who serves:
- vLLM >= 0.12 (`owned_by: vllm`): `"structured_outputs": {"regex": ANSWER_REGEX}`
  (`guided_regex` for older vLLM: grammar_style="guided_regex");
- SGLang (`owned_by: sglang`): `"regex": ANSWER_REGEX`;
- llama.cpp's llama-server (`llamacpp`) and llama-cpp-python (`me`): `"grammar"`, the GBNF
  translation (trainer/generation/gbnf.py);
- anything else (TGI, unknown): no constraint.

With llama-cpp-python and a local checkpoint, tokens over 32 bytes are banned (`logit_bias`):
its detokenizer drops their text (see trainer/generation/gguf_export.py).

Provenance: `.provenance` (e.g. "llama.cpp tiny-sft @ http://127.0.0.1:8000/v1") is what the
labeler writes into the pairs CSV's `model` column beside the checkpoint name.
Standard library only (urllib): no new dependency for the client.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from diagram import extract_request, parse
from diagram.grammar import ANSWER_REGEX
from diagram.plan import Plan, structure_regex
from diagram.reader import read_request
from trainer.core.candidates import Candidate
from trainer.generation.gbnf import regex_to_gbnf
from trainer.core.template import model_input

DEFAULT_MAX_TOKENS = 1024  # as trainer.generation.generate.MAX_NEW_TOKENS
GRAMMAR_STYLES = ("auto", "structured_outputs", "guided_regex", "regex", "gbnf", "none")
_OWNER_STYLE = {"vllm": "structured_outputs", "sglang": "regex", "llamacpp": "gbnf", "me": "gbnf"}
_OWNER_NAME = {"vllm": "vLLM", "sglang": "SGLang", "llamacpp": "llama.cpp", "me": "llama-cpp-python"}
# llama.cpp's servers sample with top_k 40, min_p 0.05 (and llama-cpp-python repeat_penalty 1.1) by
# default; the in-process Generator and vLLM use plain temperature + top-p.
_PLAIN_SAMPLING = {"llamacpp": {"top_k": 0, "min_p": 0.0, "repeat_penalty": 1.0},
                   "me": {"top_k": 0, "min_p": 0.0, "repeat_penalty": 1.0}}


class ServerError(RuntimeError):
    """The inference server could not be reached or answered with an error."""


class HttpCandidateSource:
    """Samples candidates from an OpenAI-compatible `/v1/completions` endpoint (thread-safe)."""

    def __init__(self, url: str, model: str | None = None, checkpoint: str | Path | None = None,
                 grammar: bool = True, read: bool = True, grammar_style: str = "auto",
                 timeout: float = 300.0, api_key: str | None = None, extra: dict[str, Any] | None = None,
                 reader: Callable[[str], Plan | None] | None = None):
        """`url`: the API base (".../v1"); `model`: the served model or LoRA adapter name (default:
        the checkpoint's dir name, else the server's first model); `grammar`, `read`: defaults as
        the Generator's; `extra`: more request fields (e.g. `logit_bias`), sent with every request;
        `reader`: what reads a request (default: the rules, `diagram.reader.read_request`)."""
        if grammar_style not in GRAMMAR_STYLES:
            raise ValueError(f"grammar_style must be one of {GRAMMAR_STYLES}, not {grammar_style!r}")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.api_key = api_key
        self.grammar = grammar
        self.read = read
        self.reader = reader or read_request
        self.checkpoint = str(checkpoint) if checkpoint else self.url
        served = self.models()
        owners = {m.get("id"): m.get("owned_by", "") for m in served}
        self.model = model or (Path(str(checkpoint)).name if checkpoint else "") or next(iter(owners), "")
        if not self.model:
            raise ServerError(f"{self.url}/models lists no model; pass --generator-model")
        if owners and self.model not in owners:
            raise ServerError(f"{self.url} does not serve {self.model!r} (it serves "
                              f"{', '.join(map(str, owners))}); pass --generator-model NAME")
        owner = owners.get(self.model, next(iter(owners.values()), ""))
        self.server = _OWNER_NAME.get(owner, owner or "server")
        self.grammar_style = _OWNER_STYLE.get(owner, "none") if grammar_style == "auto" else grammar_style
        self.extra = {**_PLAIN_SAMPLING.get(owner, {}), **_long_token_ban(owner, checkpoint), **(extra or {})}
        self.provenance = f"{self.server} {self.model} @ {self.url}"

    # ---- HTTP ---------------------------------------------------------------------------------

    def _request(self, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method="GET" if body is None else "POST")
        request.add_header("Content-Type", "application/json")
        if self.api_key:
            request.add_header("Authorization", f"Bearer {self.api_key}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:500]
            raise ServerError(f"{self.url}{path}: HTTP {exc.code}: {detail}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise ServerError(f"{self.url}{path}: {exc}") from None
        except json.JSONDecodeError as exc:
            raise ServerError(f"{self.url}{path}: not JSON ({exc})") from None

    def models(self) -> list[dict]:
        """The server's `/models` list (`[{"id": ..., "owned_by": ...}, ...]`)."""
        data = self._request("/models").get("data")
        return [m for m in data if isinstance(m, dict)] if isinstance(data, list) else []

    # ---- CandidateSource ----------------------------------------------------------------------

    def plan(self, prompt: str, read: bool | None = None) -> Plan | None:
        """The structure `prompt`'s request states, when this source reads requests (`read`:
        None = the source's default), else None."""
        return self.reader(extract_request(prompt)) if (self.read if read is None else read) else None

    def request_body(self, prompt: str, n: int, temperature: float, top_p: float,
                     max_new_tokens: int | None, seed: int | None, grammar: bool,
                     plan: Plan | None = None) -> dict[str, Any]:
        """The /completions request for n candidates (public for tests and debugging); with a
        `plan`, the prompt ends with its plan line and the grammar draws exactly its structure."""
        text = model_input(prompt) + (plan.line() if plan else "")
        body: dict[str, Any] = {"model": self.model, "prompt": text, "n": n,
                                "temperature": max(0.0, temperature), "top_p": top_p if temperature > 0 else 1.0,
                                "max_tokens": max_new_tokens or DEFAULT_MAX_TOKENS}
        if seed is not None:
            body["seed"] = seed
        body.update(self.extra)
        if grammar:
            body.update(grammar_fields(self.grammar_style, plan))
        return body

    def generate(self, prompt: str, k: int = 4, temperature: float = 0.8, top_p: float = 0.95,
                 max_new_tokens: int | None = None, seed: int | None = None,
                 grammar: bool | None = None, read: bool | None = None) -> list[Candidate]:
        """k candidates for `prompt` (a `build_prompt`-ed prompt, either wording); `grammar` and
        `read` as `Generator.generate`'s (None: the source's default)."""
        if k < 1:
            raise ValueError("k must be at least 1")
        use_grammar = self.grammar if grammar is None else grammar
        plan = self.plan(prompt, read)
        started = time.perf_counter()
        choices: list[tuple[dict, int]] = []  # (choice, completion tokens)
        want = k if temperature > 0 else 1  # greedy samples are identical: ask once, repeat
        attempt = 0
        while len(choices) < want:
            n = want - len(choices)
            request_seed = None if seed is None else seed + attempt
            body = self.request_body(prompt, n, temperature, top_p, max_new_tokens, request_seed, use_grammar,
                                     plan)
            answer = self._request("/completions", body)
            got = [c for c in answer.get("choices") or [] if isinstance(c, dict)]
            if not got:
                raise ServerError(f"{self.url}/completions returned no choices: {str(answer)[:300]}")
            tokens = int((answer.get("usage") or {}).get("completion_tokens") or 0)
            share = tokens // len(got)  # usage is per request; n choices share it
            choices += [(c, share) for c in got[:n]]
            attempt += 1
        seconds = time.perf_counter() - started
        if temperature <= 0:
            choices = choices * k
        prefix = plan.line() if plan else ""
        return [self._candidate(i, choice, tokens, seconds, prefix) for i, (choice, tokens) in enumerate(choices)]

    @staticmethod
    def _candidate(index: int, choice: dict, tokens: int, seconds: float, prefix: str = "") -> Candidate:
        text = (prefix + str(choice.get("text") or "")).strip()
        stopped = choice.get("finish_reason") == "stop"
        return Candidate(index, text, parse(text), stopped, tokens, seconds)


def _long_token_ban(owner: str, checkpoint: str | Path | None) -> dict[str, Any]:
    """llama-cpp-python 0.3.x drops the text of tokens over 32 bytes (trainer/generation/gguf_export.py):
    with the checkpoint's tokenizer at hand, ban them (`logit_bias`) so no answer loses text."""
    if owner != "me" or not checkpoint or not (Path(str(checkpoint)) / "tokenizer.json").is_file():
        return {}
    from trainer.generation.gguf_export import long_tokens

    banned = {str(i): -100.0 for i in long_tokens(checkpoint)}
    return {"logit_bias": banned} if banned else {}


def grammar_fields(style: str, plan: Plan | None = None) -> dict[str, Any]:
    """The request fields that constrain a completion, per server kind: to the answer format, or
    with a `plan` (whose line ends the prompt) to exactly its structure."""
    regex = structure_regex(plan) if plan else ANSWER_REGEX
    if style == "structured_outputs":
        return {"structured_outputs": {"regex": regex}}
    if style == "guided_regex":
        return {"guided_regex": regex}
    if style == "regex":
        return {"regex": regex}
    if style == "gbnf":
        return {"grammar": regex_to_gbnf(regex)}
    return {}
