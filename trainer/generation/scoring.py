"""How likely a model finds given answers: summed log-probabilities, and preference accuracy on pairs.

    scores = answer_logprobs(model, tokenizer, build_prompt(request), [text_a, text_b])
    # [(sum of log-probs over text_a's tokens + EOS, token count), ...]
    report = preference_accuracy(model, tokenizer, pairs)   # pairs: {"prompt", "chosen", "rejected"}
    # {"accuracy": 0.8, "mean_margin": 0.12, "n": 10}

Tokenized exactly as the trainers and the generator do: the prompt through
`template.encode_prompt` (the stored, `build_prompt`-wrapped prompt in either wording, chat
wrapper and BOS added), each answer apart, without special tokens, with the tokenizer's EOS id
appended (`preference_parts.tokenize_separately`, `template.encode_example`). Answers are scored
in batches (right-padded; a causal model's real positions never see the padding).

A pair counts as right when the chosen answer's *mean* per-token log-probability is higher than
the rejected one's: the length-normalised implicit reward of SimPO (Meng et al. 2024,
arXiv:2405.14734) and ORPO's log-odds, so a longer answer is not penalised for its length.
`mean_margin` averages (mean log-prob chosen - mean log-prob rejected) over the pairs. Rounds
(`trainer.loop.rounds`) compare a start and a new checkpoint with it on the user's held-out pairs;
`Generator.score` is the same for a loaded generator (active candidate selection).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import torch

from diagram.engine import LayoutEngine
from trainer.core.choices import pair_spans, token_mask
from trainer.core.template import encode_prompt


def answer_ids(tokenizer: Any, answer: str) -> list[int]:
    """An answer's token ids as training sees them: no special tokens, then EOS."""
    if tokenizer.eos_token_id is None:
        raise ValueError("the tokenizer has no eos_token_id; answers are scored with their EOS")
    return list(tokenizer(answer, add_special_tokens=False)["input_ids"]) + [tokenizer.eos_token_id]


def answer_logprobs(model: Any, tokenizer: Any, prompt: str, answers: Sequence[str],
                    batch_size: int = 8, spans: Sequence[tuple[int, int] | None] | None = None
                    ) -> list[tuple[float, int]]:
    """(sum of log-probabilities of the answer's tokens and EOS given `prompt`, token count) for
    each answer, in order. `prompt` is a stored prompt (`diagram.build_prompt`'s wrapping).
    `spans`: per answer, a character span (`trainer.core.choices.style_span`) to sum over instead
    of the whole answer (its tokens only, no EOS); None for an answer: the whole answer."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if not answers:
        return []
    if spans is not None and len(spans) != len(answers):
        raise ValueError("spans must give one span (or None) per answer")
    prompt_ids = encode_prompt(tokenizer, prompt)
    encoded = [answer_ids(tokenizer, answer) for answer in answers]
    masks = [None if spans is None or spans[i] is None else token_mask(tokenizer, answer, spans[i]) + [False]
             for i, answer in enumerate(answers)]
    context = getattr(model.config, "max_position_embeddings", None)
    if context and len(prompt_ids) + max(len(ids) for ids in encoded) > context:
        raise ValueError(f"prompt + answer exceed the model's context of {context} tokens")
    device = next(model.parameters()).device
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    was_training = model.training
    model.eval()
    out: list[tuple[float, int]] = []
    try:
        with torch.inference_mode():
            for start in range(0, len(encoded), batch_size):
                out.extend(_score_batch(model, prompt_ids, encoded[start:start + batch_size], pad, device,
                                        masks[start:start + batch_size]))
    finally:
        model.train(was_training)
    return out


def _score_batch(model: Any, prompt_ids: list[int], batch: list[list[int]], pad: int,
                 device: Any, masks: list[list[bool] | None]) -> list[tuple[float, int]]:
    width = len(prompt_ids) + max(len(ids) for ids in batch)
    ids = torch.full((len(batch), width), pad, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, answer in enumerate(batch):
        seq = prompt_ids + answer
        ids[row, : len(seq)] = torch.tensor(seq)
        mask[row, : len(seq)] = 1
    logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits.float()  # (B, T, V)
    start = len(prompt_ids)
    # Position t predicts token t + 1: the answer's tokens are predicted from start - 1 on.
    logp = torch.log_softmax(logits[:, start - 1 : width - 1], dim=-1)  # (B, A, V)
    targets = ids[:, start:].to(device)  # (B, A)
    picked = logp.gather(2, targets[..., None])[..., 0]  # (B, A)
    scores = []
    for row, answer in enumerate(batch):
        if masks[row] is None or len(masks[row]) != len(answer) or not any(masks[row]):
            scores.append((float(picked[row, : len(answer)].sum()), len(answer)))
            continue
        keep = torch.tensor(masks[row], device=picked.device)
        scores.append((float(picked[row, : len(answer)][keep].sum()), int(keep.sum())))
    return scores


def mean_logprob(score: tuple[float, int]) -> float:
    """Mean per-token log-probability of an `answer_logprobs` result."""
    total, count = score
    return total / count


def preference_accuracy(model: Any, tokenizer: Any, pairs: Iterable[Mapping[str, str]],
                        batch_size: int = 8) -> dict[str, Any]:
    """{"accuracy", "mean_margin", "n"} over `pairs` ({"prompt", "chosen", "rejected"}, prompts
    as stored): a pair is right when the chosen answer's mean per-token log-probability beats the
    rejected one's; margin = the difference of the two means (`margins`: one per pair, in order, so
    two models can be compared pair by pair). accuracy and mean_margin are None for no pairs.
    Two laid-out answers are compared on their style lines' tokens (`trainer.core.choices`: the
    only tokens decoding let the model choose), as ORPO trains them."""
    engine = LayoutEngine()
    right, margins = 0, []
    for pair in pairs:
        chosen, rejected = answer_logprobs(model, tokenizer, pair["prompt"], [pair["chosen"], pair["rejected"]],
                                           batch_size=batch_size,
                                           spans=pair_spans(pair["chosen"], pair["rejected"], engine))
        margin = mean_logprob(chosen) - mean_logprob(rejected)
        margins.append(margin)
        right += margin > 0
    if not margins:
        return {"accuracy": None, "mean_margin": None, "n": 0, "margins": []}
    return {"accuracy": right / len(margins), "mean_margin": sum(margins) / len(margins), "n": len(margins),
            "margins": margins}
