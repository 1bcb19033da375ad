"""Grammar-constrained sampling that writes the grammar's forced tokens in one model call.

When a request's plan fixes the drawing's structure (`diagram.plan.structure_regex`), about half
of every answer is forced: ids, target lists, labels, the punctuation between fields. Sampling
them one decoding step each (what `model.generate` with a logits processor does) costs a full
forward pass per token. Here, after each sampled token, llguidance's `compute_ff_tokens` gives the
tokens the grammar forces next; they are appended and fed to the model together with the sampled
token in the next call (rows of the batch padded to the longest chunk and masked), so a step
costs one forward pass however many tokens it writes.

    rows = sample_fast_forward(model, prompt_ids, k=4, grammar=grammar.narrowed(regex), cap=600,
                               temperature=0.8, top_p=0.95, eos_id=tok.eos_token_id, pad_id=tok.pad_token_id)

Sampling matches `model.generate`'s (temperature, then nucleus top-p over the allowed tokens, from
torch's global RNG, which `trainer.generation.generate` seeds per call); the forced tokens are llguidance's
tokenization of the forced text, which the grammar mask would also insist on.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch

from trainer.generation.grammar import AnswerGrammar, mask_scores


def pick_tokens(scores: torch.Tensor, temperature: float, top_p: float) -> torch.Tensor:
    """One token per row from masked logits: argmax at temperature 0, else temperature + top-p."""
    if temperature <= 0:
        return scores.argmax(dim=-1)
    probs = torch.softmax(scores / temperature, dim=-1)
    if top_p < 1.0:
        ordered, order = probs.sort(dim=-1, descending=True)
        drop = ordered.cumsum(dim=-1) - ordered > top_p  # keeps the first token always
        ordered = ordered.masked_fill(drop, 0.0)
        probs = torch.zeros_like(probs).scatter(1, order, ordered)
    return torch.multinomial(probs, 1).squeeze(1)


def sample_fast_forward(model: Any, prompt_ids: list[int], k: int, grammar: AnswerGrammar, *, cap: int,
                        temperature: float, top_p: float, eos_id: int, pad_id: int) -> list[list[int]]:
    """k rows of new token ids (each ends with EOS if it stopped, else is `cap` tokens long)."""
    device = next(model.parameters()).device
    matchers = [grammar.matcher() for _ in range(k)]
    rows: list[list[int]] = [[] for _ in range(k)]
    for row, matcher in zip(rows, matchers):  # forced before anything is sampled
        forced = matcher.compute_ff_tokens()[:cap]
        if forced:
            matcher.consume_tokens(forced)
            row.extend(forced)
    ids = torch.tensor([prompt_ids + row for row in rows], device=device)
    attention = torch.ones_like(ids)
    cache_arg = _cache_argument(model)
    out = model(input_ids=ids, attention_mask=attention, use_cache=True)
    cache, logits = _cache_of(out), out.logits[:, -1, :]
    done = [len(row) >= cap for row in rows]
    while not all(done):
        tokens = pick_tokens(mask_scores(grammar, matchers, logits.float()), temperature, top_p).tolist()
        chunks: list[list[int]] = []
        for r, token in enumerate(tokens):
            if done[r]:
                chunks.append([])
                continue
            chunk = [token]
            if token == eos_id:
                done[r] = True
            else:
                matchers[r].consume_token(token)
                forced = matchers[r].compute_ff_tokens() if not matchers[r].is_stopped() else []
                if forced:
                    matchers[r].consume_tokens(forced)
                    chunk += forced
            chunk = chunk[: cap - len(rows[r])]
            rows[r] += chunk
            done[r] = done[r] or len(rows[r]) >= cap
            chunks.append(chunk)
        if all(done):
            break
        width = max(len(c) for c in chunks)
        step = torch.tensor([c + [pad_id] * (width - len(c)) for c in chunks], device=device)
        real = torch.tensor([[1] * len(c) + [0] * (width - len(c)) for c in chunks], device=device)
        attention = torch.cat([attention, real], dim=1)
        positions = (attention.cumsum(dim=1) - 1).clamp(min=0)[:, -width:]
        out = model(input_ids=step, attention_mask=attention, position_ids=positions, use_cache=True,
                    **{cache_arg: cache})
        cache = _cache_of(out)
        last = torch.tensor([max(len(c), 1) - 1 for c in chunks], device=device)
        logits = out.logits[torch.arange(k, device=device), last]
    return rows


def _cache_argument(model: Any) -> str:
    """transformers >= 5.24 names the KV cache `cache` (before: `past_key_values`, now deprecated)."""
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def _cache_of(output: Any) -> Any:
    cache = getattr(output, "cache", None)
    return cache if cache is not None else output.past_key_values
