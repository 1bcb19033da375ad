"""Which tokens of an answer the model chose: the style line of a laid-out answer. Torch-free.

    engine = LayoutEngine()
    span = style_span(answer, engine)        # (start, end) chars of its style line, or None
    mask = in_span(offsets, span)            # per token (tokenizer offsets): inside the span?

With the layout engine (issue 20, the app's default) a candidate is a plan line, a style line the
model sampled, and node lines the engine computed for that plan and style; decoding forces every
token but the style line's. A preference between two such candidates is a preference between two
style lines: the node lines follow from them, and their likelihood under the model (the tiny
model predicts the engine's coordinates at about -1 nat a token, ~85% of an answer's tokens) is
noise to the comparison. The preference trainers (ORPO's odds ratio, `trainer.training.orpo`)
and the rounds' held-out check (`trainer.generation.scoring.preference_accuracy`) therefore
compare two laid-out answers on their style lines' tokens only; the NLL term still learns the
whole chosen answer. An answer is laid out when its node lines are exactly what `engine` writes
for its plan line and style line; anything else (free coordinates, the seed's answers without a
style line, an answer the engine of another version laid out differently) counts whole, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from diagram.plan import parse_plan_line
from diagram.style import parse_style_line


def style_span(answer: str, engine: Any) -> tuple[int, int] | None:
    """(start, end) character offsets of `answer`'s style line when the answer is laid out by
    `engine` (a `diagram.engine.LayoutEngine`): plan line, style line, then the engine's node lines
    for them, exactly. None otherwise (or when the engine fails on it)."""
    text = answer.strip()
    lines = text.split("\n")
    if len(lines) < 3:
        return None
    plan, style = parse_plan_line(lines[0]), parse_style_line(lines[1])
    if plan is None or style is None:
        return None
    try:
        laid_out = engine.answer(plan, style)
    except (ValueError, RuntimeError, OSError):
        return None
    if laid_out.strip() != text:
        return None
    lead = answer.index(text)  # offsets in the answer as given (leading whitespace kept)
    start = lead + len(lines[0]) + 1
    return start, start + len(lines[1])


def in_span(offsets: Sequence[tuple[int, int]], span: tuple[int, int] | None) -> list[bool]:
    """Per token (character offsets as a fast tokenizer returns them): whether it lies in `span`
    (a token that starts in it). Every token when `span` is None."""
    if span is None:
        return [True] * len(offsets)
    start, end = span
    return [start <= a < end and b > a for a, b in offsets]


def pair_spans(chosen: str, rejected: str, engine: Any) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """The spans to compare a pair on: both style lines when both answers are laid out, else
    (None, None): both answers whole (a mean over a style line beside a mean over a whole answer
    would compare different things)."""
    a, b = style_span(chosen, engine), style_span(rejected, engine)
    return (a, b) if a is not None and b is not None else (None, None)


def token_mask(tokenizer: Any, answer: str, span: tuple[int, int] | None) -> list[bool]:
    """`in_span` over `answer`'s tokens as the trainers encode it (no special tokens; the EOS the
    trainers append is not included)."""
    if span is None:
        return [True] * len(tokenizer(answer, add_special_tokens=False)["input_ids"])
    encoded = tokenizer(answer, add_special_tokens=False, return_offsets_mapping=True)
    return in_span(encoded["offset_mapping"], span)
