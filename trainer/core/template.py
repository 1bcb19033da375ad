"""The chat wrapper and EOS handling shared by SFT, ORPO and generation.

The original project fed the model `### Question: {prompt}\\n ### Answer: ` (with `prompt` from
`diagram.build_prompt(request)`) and never appended an EOS token, so its model never stopped.
Here every training answer ends with the tokenizer's real EOS (`<|EOT|>` for
deepseek-coder-instruct and for the tiny preset) and generation stops on it.

`encode_example` tokenizes the prompt and the answer separately and concatenates the ids, so the
prompt tokens seen in training are exactly the tokens `Generator` feeds at inference (tokenizing
prompt+answer as one string would merge the trailing space of `### Answer: ` into the answer's
first token).

    >>> model_input("Represent ...")
    '### Question: Represent ...\\n ### Answer: '
"""

from __future__ import annotations

from typing import Any

from diagram.prompt import canonical_prompt

EOS_TOKEN = "<|EOT|>"
IGNORE_INDEX = -100  # label value the loss skips (PyTorch cross-entropy's ignore_index)


def model_input(prompt: str) -> str:
    """The original project's chat wrapper around an already `build_prompt`-ed prompt.

    A prompt in the original data's wording (or with other line breaks) is re-wrapped in the
    canonical one first (`diagram.canonical_prompt`): the tiny tokenizer holds the canonical
    suffix as one token, and SFT, ORPO and generation all tokenise through here.
    """
    return f"### Question: {canonical_prompt(prompt)}\n ### Answer: "


def with_eos(answer: str, tokenizer: Any) -> str:
    """`answer` followed by the tokenizer's EOS token text (not added twice)."""
    eos = tokenizer.eos_token
    if not eos:
        raise ValueError("the tokenizer has no eos_token; SFT would never teach the model to stop")
    return answer if answer.endswith(eos) else answer + eos


def encode_prompt(tokenizer: Any, prompt: str) -> list[int]:
    """Token ids of the wrapped prompt, with the tokenizer's BOS if it adds one."""
    return list(tokenizer(model_input(prompt))["input_ids"])


def encode_example(tokenizer: Any, prompt: str, answer: str) -> dict[str, list[int]]:
    """`input_ids` = prompt ids + answer ids + EOS; `labels` = -100 on the prompt, ids on the answer.

    The last label is always the EOS id, which is what teaches the model to stop.
    """
    eos_id = tokenizer.eos_token_id
    if eos_id is None:
        raise ValueError("the tokenizer has no eos_token_id; SFT would never teach the model to stop")
    prompt_ids = encode_prompt(tokenizer, prompt)
    answer_ids = list(tokenizer(answer, add_special_tokens=False)["input_ids"]) + [eos_id]
    return {
        "input_ids": prompt_ids + answer_ids,
        "labels": [IGNORE_INDEX] * len(prompt_ids) + answer_ids,
    }


def check_labels_end_with_eos(labels: list[int], eos_id: int) -> None:
    """Raise ValueError unless the example's last label is EOS (guards every SFT example)."""
    if not labels or labels[-1] != eos_id:
        raise ValueError(f"training example's last label token is {labels[-1:] or 'missing'}, not EOS {eos_id}")


def clean_answer(text: str, eos_token: str | None = None) -> str:
    """Generated text without a trailing EOS string and surrounding whitespace."""
    if eos_token and eos_token in text:
        text = text.split(eos_token, 1)[0]
    return text.strip()
