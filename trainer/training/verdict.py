"""The training verdict: the previous and the new checkpoint measured the same way, on the same data.

After an ORPO run, `diagramlab orpo` holds out some of the user's own pairs (whole prompts, never
trained on; `heldout_size`) and asks both models the question the user answered: does the model
give the *chosen* diagram a higher likelihood than the rejected one? (mean log-probability per
answer token, EOS included, as ORPO's odds ratio uses): the share of held-out pairs where it does
("orpo-2 prefers your chosen diagram in 81% of held-out pairs; tiny-sft: 52%"). Beside it,
sampling quality (validity, EOS stops, original-project score) and each candidate's style vector
on the same held-out pool prompts for both; a parent that is itself an ORPO checkpoint has its own
numbers cached in its manifest (`verdict.new.sampling`), reused when the evaluation settings match.
The Train tab leads with the taste verdict built from those styles (`trainer.core.taste_verdict.manifest_verdict`:
the share of each model's candidates drawn the person's way), the pair share second.

Losses are not compared: the parent may be an SFT model, whose loss is not ORPO's.

    size = heldout_size(len(rows))
    share = preference_accuracy(model, tokenizer, heldout_rows)   # rows: prompt, chosen, rejected
"""

from __future__ import annotations

import math
from typing import Any

import torch

HELDOUT_FRACTION = 0.10
MIN_HELDOUT_PAIRS = 20


def heldout_size(n_pairs: int) -> int:
    """Pairs held out for the verdict: 10%, raised to 20 while that leaves 3/4 for training
    (so from 80 pairs on at least 20 are held out); at least 1 and never all of them."""
    if n_pairs < 2:
        return 0
    want = max(math.ceil(HELDOUT_FRACTION * n_pairs), min(MIN_HELDOUT_PAIRS, n_pairs // 4))
    return max(1, min(want, n_pairs - 1))


def answer_logprob(model: Any, tokenizer: Any, prompt: str, answer: str) -> float:
    """Mean log-probability per token of `answer` + EOS after `prompt` (already wrapped with
    template.model_input), tokenized the way ORPO training does: prompt with BOS, answer apart."""
    prompt_ids = list(tokenizer(prompt)["input_ids"])
    answer_ids = list(tokenizer(answer, add_special_tokens=False)["input_ids"]) + [tokenizer.eos_token_id]
    device = next(model.parameters()).device
    ids = torch.tensor([prompt_ids + answer_ids], device=device)
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0, len(prompt_ids) - 1 : -1].float()  # (A, V)
    logp = torch.log_softmax(logits, dim=-1)
    target = torch.tensor(answer_ids, device=device)
    return float(logp.gather(1, target[:, None]).mean())


def preference_accuracy(model: Any, tokenizer: Any, rows: list[dict[str, str]]) -> float | None:
    """Share of rows whose chosen answer gets the higher mean log-probability (None: no rows)."""
    if not rows:
        return None
    was_training = model.training
    model.eval()
    try:
        wins = sum(
            answer_logprob(model, tokenizer, r["prompt"], r["chosen"])
            > answer_logprob(model, tokenizer, r["prompt"], r["rejected"])
            for r in rows
        )
    finally:
        model.train(was_training)
    return wins / len(rows)


SAMPLING_KEYS = ("validity", "eos_stop_rate", "seed_score", "n_prompts", "k", "styles")


def sampling_summary(report: dict[str, Any]) -> dict[str, Any]:
    """The few numbers of a trainer.generation.evaluate report the verdict shows."""
    return {key: report.get(key) for key in SAMPLING_KEYS}


def cached_sampling(parent_manifest: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any] | None:
    """The parent's own sampling numbers from its manifest, if measured with the same settings."""
    verdict = parent_manifest.get("verdict") or {}
    sampling = (verdict.get("new") or {}).get("sampling")
    # without "styles" (an older manifest) the taste verdict could not compare: sample again
    if verdict.get("eval") == settings and sampling and sampling.get("styles") is not None:
        return sampling
    return None
