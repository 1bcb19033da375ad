"""Merge concurrent `generate` calls of several labeling sessions into one batched `model.generate`.

    source = BatchingSource(Generator("checkpoints/tiny-sft"))       # a CandidateSource
    cands = source.generate(prompt, k=4, seed=0)                     # same call as Generator's

    diagramlab app --batch-generate --generate-concurrency 20

One worker thread owns the model. A call queues a request and waits; the worker takes the first
waiting request, gathers the others that arrive within `window_s` (and fit `max_rows` sampled
rows), and runs them as one left-padded batch: every prompt's k rows decode together, so 20
sessions pay roughly one decode loop instead of queueing 20 of them (the tiny model's decode step
is framework overhead, nearly flat in the batch size on a CPU: see benchmarks/bench_labeler.py
--next-sessions). Requests that cannot share a batch (different k, grammar, temperature, top_p or
token cap) go in the next round.

Sampling is done per row with the row's own torch.Generator (seeded from the request's seed and
the row number) by `RowSampler`, the last logits processor: it applies temperature and top-p,
draws the token and leaves only that token's logit finite, so the model's greedy pick is the
sample. A request's candidates therefore depend on its prompt and seed, not on which other
requests shared its batch (up to float rounding of padded attention). They differ from the
unbatched `Generator.generate` with the same seed, which draws from torch's global stream.

Wraps a `trainer.generation.generate.Generator` (its model, tokenizer, grammar and candidate decoding);
`Generator.generate` itself is untouched. A request whose structure the Generator reads
(`read=True` and `diagram.reader.read_request` finds layer sizes or steps) needs the forced plan
line and narrowed grammar of `Generator.generate`, so it goes there, unbatched.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import torch
from transformers import LogitsProcessor, LogitsProcessorList

from trainer.core.candidates import Candidate
from trainer.core.template import encode_prompt

DEFAULT_WINDOW_S = 0.05
DEFAULT_MAX_ROWS = 96


@dataclass
class _Request:
    prompt: str
    k: int
    temperature: float
    top_p: float
    max_new_tokens: int | None
    seed: int | None
    grammar: bool
    future: Future = field(default_factory=Future)

    def key(self) -> tuple:
        """Requests with equal keys can share one model.generate call."""
        return (self.k, self.temperature, self.top_p if self.temperature > 0 else None,
                self.grammar, self.max_new_tokens)


class RowSampler(LogitsProcessor):
    """Temperature + top-p sampling per row with the row's own RNG; returns logits where only
    the drawn token is finite (so greedy decoding takes it). Greedy rows (temperature 0) pass."""

    def __init__(self, generators: list[torch.Generator], temperature: float, top_p: float):
        self.generators, self.temperature, self.top_p = generators, temperature, top_p

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self.temperature <= 0:
            return scores
        probs = torch.softmax(scores.float() / self.temperature, dim=-1)  # (B, V)
        if self.top_p < 1.0:
            ordered, order = probs.sort(dim=-1, descending=True)
            before = ordered.cumsum(dim=-1) - ordered  # mass of the tokens ranked above
            ordered = ordered.masked_fill(before >= self.top_p, 0.0)  # the top token always stays
            probs = torch.zeros_like(probs).scatter(-1, order, ordered)
        picked = torch.stack([torch.multinomial(row, 1, generator=gen)
                              for row, gen in zip(probs, self.generators)])  # (B, 1)
        out = torch.full_like(scores, float("-inf"))
        return out.scatter(-1, picked, 0.0)


def row_generators(seed: int | None, k: int) -> list[torch.Generator]:
    """k RNGs for one request's rows: seeded from (seed, row), or from the OS when seed is None."""
    gens = []
    for row in range(k):
        gen = torch.Generator()
        if seed is None:
            gen.seed()
        else:
            gen.manual_seed(seed * 1_000_003 + row)
        gens.append(gen)
    return gens


class BatchingSource:
    """A CandidateSource that batches concurrent calls onto one wrapped Generator (thread-safe)."""

    def __init__(self, generator: Any, window_s: float = DEFAULT_WINDOW_S, max_rows: int = DEFAULT_MAX_ROWS):
        self.generator = generator
        self.checkpoint = generator.checkpoint
        self.grammar = generator.grammar
        self.read = getattr(generator, "read", False)
        self.window_s, self.max_rows = window_s, max_rows
        self.batches: list[int] = []  # requests per model call, for benchmarks and tests
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        self._worker = threading.Thread(target=self._serve, name="batching-source", daemon=True)
        self._worker.start()

    def generate(self, prompt: str, k: int = 4, temperature: float = 0.8, top_p: float = 0.95,
                 max_new_tokens: int | None = None, seed: int | None = None,
                 grammar: bool | None = None) -> list[Candidate]:
        """Same contract as Generator.generate; blocks until this request's batch is done."""
        if k < 1:
            raise ValueError("k must be at least 1")
        if self._planned(prompt):  # the reader forces a plan: Generator.generate's own path
            return self.generator.generate(prompt, k=k, temperature=temperature, top_p=top_p,
                                           max_new_tokens=max_new_tokens, seed=seed, grammar=grammar)
        request = _Request(prompt, k, temperature, top_p, max_new_tokens, seed,
                           self.grammar if grammar is None else grammar)
        self._queue.put(request)
        return request.future.result()

    def _planned(self, prompt: str) -> bool:
        """Whether the wrapped Generator reads a structure from this request (trainer.generation.generate's
        `read`): such requests get a forced plan line and a narrowed grammar, which only
        Generator.generate does, so they are not batched; nor are laid-out requests (the engine
        writes their node lines after a short sampled style line)."""
        if getattr(self.generator, "grammar", False) and not getattr(self.generator, "free_layout", True):
            return True  # coordinates by construction: a short style sample, not batched
        if not getattr(self.generator, "read", False):
            return False
        from diagram import extract_request
        from diagram.reader import read_request

        return getattr(self.generator, "reader", read_request)(extract_request(prompt)) is not None

    def close(self) -> None:
        """Stop the worker after the queued requests (later calls would wait forever)."""
        self._queue.put(None)
        self._worker.join(timeout=60)

    # ---- the worker ---------------------------------------------------------------------------

    def _serve(self) -> None:
        waiting: list[_Request] = []
        while True:
            if not waiting:
                first = self._queue.get()
                if first is None:
                    return
                waiting.append(first)
            deadline = time.monotonic() + self.window_s
            stop = False
            while (left := deadline - time.monotonic()) > 0:
                try:
                    item = self._queue.get(timeout=left)
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                waiting.append(item)
            batch, waiting = self._take(waiting)
            self._run(batch)
            if stop:
                for request in waiting:
                    self._run([request])
                return

    def _take(self, waiting: list[_Request]) -> tuple[list[_Request], list[_Request]]:
        """The first request and the later ones it can share a call with, up to max_rows rows."""
        key, rows = waiting[0].key(), 0
        batch, rest = [], []
        for request in waiting:
            if request.key() == key and (not batch or rows + request.k <= self.max_rows):
                batch.append(request)
                rows += request.k
            else:
                rest.append(request)
        return batch, rest

    def _run(self, batch: list[_Request]) -> None:
        try:
            results = self._generate(batch)
        except BaseException as exc:  # every waiting caller gets the error, the worker goes on
            for request in batch:
                request.future.set_exception(exc)
            return
        self.batches.append(len(batch))
        for request, result in zip(batch, results):
            request.future.set_result(result)

    def _generate(self, batch: list[_Request]) -> list[list[Candidate]]:
        """One left-padded model.generate for all requests of `batch` (equal keys)."""
        from trainer.generation.generate import _num_threads

        gen, first = self.generator, batch[0]
        ids = [encode_prompt(gen.tokenizer, r.prompt) for r in batch]
        width = max(len(p) for p in ids)
        cap = gen.token_cap(width, first.max_new_tokens)
        k_rows = first.k if first.temperature > 0 else 1
        # k rows per prompt, left-padded to one width: (sum of k, width)
        rows_ids = [p for p in ids for _ in range(k_rows)]
        input_ids = torch.tensor([[gen.pad_id] * (width - len(p)) + p for p in rows_ids], device=gen.device)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in rows_ids], device=gen.device)
        processors = LogitsProcessorList()
        if first.grammar:
            processors.append(gen.answer_grammar().processor())
        rngs = [g for r in batch for g in row_generators(r.seed, k_rows)]
        processors.append(RowSampler(rngs, first.temperature, first.top_p))
        with gen._lock, torch.inference_mode(), _num_threads(gen.threads):  # the Generator's own lock
            started = time.perf_counter()
            output = gen.model.generate(
                input_ids=input_ids, attention_mask=mask, max_new_tokens=cap,
                do_sample=False, eos_token_id=gen.eos_id,
                pad_token_id=gen.pad_id, use_cache=True, logits_processor=processors)
            seconds = time.perf_counter() - started
        rows = output[:, width:].tolist()
        results = []
        for i, _request in enumerate(batch):
            mine = rows[i * k_rows:(i + 1) * k_rows]
            if k_rows == 1:
                mine = mine * first.k
            results.append([gen._candidate(j, [], row, seconds) for j, row in enumerate(mine)])
        return results
