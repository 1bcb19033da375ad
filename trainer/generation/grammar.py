"""Grammar-constrained decoding: the model can only write lines of the answer format.

    grammar = AnswerGrammar(tokenizer, vocab_size=model.config.vocab_size)   # once per tokenizer
    model.generate(..., logits_processor=LogitsProcessorList([grammar.processor()]))  # per call

The grammar is `diagram.grammar.ANSWER_REGEX` (the canonical line format, an optional `# plan`
line, EOS only after a complete line). It is compiled by llguidance
(https://github.com/guidance-ai/llguidance), chosen by measurement over xgrammar, outlines-core
and transformers-cfg (docs/internals.md, "Grammar-constrained decoding"): no dependencies, the
bounded repetitions of the format (1-60 label characters, a plan line of at most 200) cost it
nothing to compile, and it builds its token tables from any fast byte-level tokenizer (our tiny
one with its added prompt tokens, or deepseek-coder's 32k vocabulary).

The mask is applied before temperature and top-p (transformers runs user logits processors
before its warpers), so sampling renormalises over the allowed tokens only.
"""

from __future__ import annotations

import copy
from typing import Any

import llguidance
import llguidance.hf
import numpy as np
import torch
from transformers import LogitsProcessor

from diagram.grammar import ANSWER_REGEX


class GrammarError(RuntimeError):
    """The grammar could not be compiled for this tokenizer."""


class AnswerGrammar:
    """`ANSWER_REGEX` compiled for one tokenizer; thread-safe, reuse it for every generate call."""

    def __init__(self, tokenizer: Any, vocab_size: int | None = None, regex: str = ANSWER_REGEX):
        """`vocab_size`: the model's logits width (may exceed the tokenizer's, e.g. padded embeddings)."""
        self.vocab_size = max(int(vocab_size or 0), len(tokenizer))
        self.eos_id = tokenizer.eos_token_id
        try:
            self._tokenizer = llguidance.hf.from_tokenizer(tokenizer, n_vocab=self.vocab_size)
        except (ValueError, RuntimeError) as exc:
            raise GrammarError(f"llguidance cannot read this tokenizer: {exc}; sample without the "
                               "grammar (--no-grammar, Generator(grammar=False))") from exc
        self._grammar = llguidance.LLMatcher.grammar_from_regex(regex)
        probe = self.matcher()
        if probe.is_error():
            raise GrammarError(f"the answer grammar does not compile: {probe.get_error()}")

    def narrowed(self, regex: str) -> AnswerGrammar:
        """The same tokenizer tables with another grammar, e.g. `diagram.plan.structure_regex(plan)`
        (compiles in ~10 ms for a 30-node plan; the tokenizer tables are shared, not rebuilt)."""
        other = copy.copy(self)
        other._grammar = llguidance.LLMatcher.grammar_from_regex(regex)
        probe = other.matcher()
        if probe.is_error():
            raise GrammarError(f"the grammar does not compile: {probe.get_error()}")
        return other

    def matcher(self) -> llguidance.LLMatcher:
        """A fresh matcher at the start of an answer (one per sequence)."""
        return llguidance.LLMatcher(self._tokenizer, self._grammar)

    def processor(self) -> GrammarLogitsProcessor:
        """A new logits processor; use one per `generate()` call (it tracks that call's sequences)."""
        return GrammarLogitsProcessor(self)

    def accepts(self, text: str, tokenizer: Any) -> bool:
        """Whether the grammar lets the model write `text` token by token and then EOS."""
        matcher = self.matcher()
        ids = list(tokenizer(text, add_special_tokens=False)["input_ids"]) + [self.eos_id]
        return all(matcher.consume_token(t) for t in ids) and not matcher.is_error()


class GrammarLogitsProcessor(LogitsProcessor):
    """Masks every token the grammar does not allow next, for each row of the batch (`mask_scores`)."""

    def __init__(self, grammar: AnswerGrammar):
        self.grammar = grammar
        self.matchers: list[llguidance.LLMatcher] = []

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        batch, width = scores.shape
        if not self.matchers:  # first step: nothing sampled yet
            self.matchers = [self.grammar.matcher() for _ in range(batch)]
        else:
            for matcher, token in zip(self.matchers, input_ids[:, -1].tolist()):
                if not matcher.is_stopped():
                    matcher.consume_token(token)
        return mask_scores(self.grammar, self.matchers, scores)


def mask_scores(grammar: AnswerGrammar, matchers: list[llguidance.LLMatcher],
                scores: torch.FloatTensor) -> torch.FloatTensor:
    """`scores` (batch, vocab) with -inf wherever row i's matcher does not allow the token.

    A row whose matcher stopped (EOS consumed, or a grammar with a last line complete) may only
    write EOS; a row whose matcher failed is left unmasked (it cannot happen with the answer
    grammars: the mask only allows tokens the matcher accepts).
    """
    batch, width = scores.shape
    words = (grammar.vocab_size + 31) // 32
    bitmask = np.full((batch, words), -1, dtype=np.int32)  # -1: every token allowed
    eos = grammar.eos_id
    for row, matcher in enumerate(matchers):
        if matcher.is_error():
            continue
        if matcher.is_stopped():
            bitmask[row] = 0
            if eos is not None and eos < words * 32:
                bitmask[row, eos // 32] = np.int32(np.uint32(1 << (eos % 32)).view(np.int32))
            continue
        # llguidance writes the row's 32-bit words in place (its fast path, GIL released)
        matcher.unsafe_compute_mask_ptr(bitmask[row].ctypes.data, words * 4)
    bits = np.unpackbits(bitmask.view(np.uint8), axis=1, bitorder="little")  # (B, 32 * words)
    allowed = np.zeros((batch, width), dtype=np.uint8)  # logits past the grammar's vocabulary: never
    n = min(width, bits.shape[1])
    allowed[:, :n] = bits[:, :n]
    blocked = torch.from_numpy(allowed).to(scores.device) == 0
    return scores.masked_fill(blocked, float("-inf"))
