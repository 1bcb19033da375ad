"""Preferences between laid-out answers are preferences between style lines (trainer.core.choices):
which tokens count, ORPO's odds ratio over them, the rounds' held-out margins over them."""

from __future__ import annotations

import pytest
import torch

from diagram import build_prompt
from diagram.engine import LayoutEngine
from diagram.plan import parse_plan_line
from diagram.style import Style, format_style
from trainer.core.choices import in_span, pair_spans, style_span
from trainer.core.template import model_input

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

PLAN = "# steps: Load > Clean > Train"


def _laid_out(engine: LayoutEngine, **style) -> str:
    return engine.answer(parse_plan_line(PLAN), Style(**style))


def test_the_span_of_a_laid_out_answer_is_its_style_line():
    engine = LayoutEngine()
    answer = _laid_out(engine, direction="top_to_bottom", palette="green")
    start, end = style_span(answer, engine)
    assert answer[start:end] == format_style(Style(direction="top_to_bottom", palette="green"))
    padded = "\n " + answer + "\n"  # offsets are in the answer as given
    start, end = style_span(padded, engine)
    assert padded[start:end].startswith("# style: top_to_bottom") and padded[end] == "\n"


def test_answers_the_engine_did_not_lay_out_count_whole():
    engine = LayoutEngine()
    answer = _laid_out(engine)
    moved = answer.replace("[0, 311, 300,", "[0, 312, 300,")  # one coordinate the model chose itself
    assert moved != answer and style_span(moved, engine) is None
    no_plan = answer.split("\n", 1)[1]  # style line + nodes: the plan it was laid out for is unknown
    assert style_span(no_plan, engine) is None
    no_style = "\n".join(line for line in answer.split("\n") if not line.startswith("# style"))
    assert style_span(no_style, engine) is None
    assert style_span("[0, 1, 2, 'rectangle', 9, 9, 'dashed line', (1, 1, 1), (2, 2, 2), []]", engine) is None
    # a pair is compared on style lines only when both answers are laid out
    assert pair_spans(answer, moved, engine) == (None, None)
    a, b = pair_spans(answer, _laid_out(engine, direction="top_to_bottom"), engine)
    assert a is not None and b is not None


def test_in_span_keeps_the_tokens_that_start_inside():
    assert in_span([(0, 2), (2, 5), (5, 6), (6, 9), (9, 9)], (2, 6)) == [False, True, True, False, False]
    assert in_span([(0, 2), (2, 5)], None) == [True, True]


def _pair_rows(engine: LayoutEngine) -> list[dict]:
    """Pairs with the prompt as stored (the trainers read it through template.model_input)."""
    prompt = build_prompt("A pipeline: Load, Clean, Train")
    return [{"prompt": prompt, "chosen": _laid_out(engine, direction="left_to_right"),
             "rejected": _laid_out(engine, direction="top_to_bottom")},
            {"prompt": prompt, "chosen": _laid_out(engine, palette="warm"),
             "rejected": "[0, 1, 2, 'rectangle', 9, 9, 'dashed line', (1, 1, 1), (2, 2, 2), []]"}]


def test_orpo_compares_laid_out_answers_on_their_style_lines(micro_sft_checkpoint, tmp_path):
    from datasets import Dataset

    from trainer.generation.modeling import load_model
    from trainer.generation.scoring import answer_logprobs
    from trainer.training.orpo import DiagramORPOTrainer, ORPOArgs, _orpo_config
    from trainer.training.preference_data import token_lengths
    from trainer.training.preference_parts import with_choice_spans

    engine = LayoutEngine()
    model, tokenizer = load_model(micro_sft_checkpoint, for_training=True)
    pairs = _pair_rows(engine)
    rows = with_choice_spans([{**pair, "prompt": model_input(pair["prompt"])} for pair in pairs], engine)
    assert rows[0]["choice_spans"][0] >= 0 and rows[1]["choice_spans"] == [-1, -1, -1, -1]
    config = _orpo_config(ORPOArgs(max_steps=1), tmp_path, max(token_lengths(tokenizer, rows)), lora=False)
    trainer = DiagramORPOTrainer(model=model, args=config, train_dataset=Dataset.from_list(rows),
                                 processing_class=tokenizer)
    features = trainer.train_dataset.remove_columns(["prompt", "chosen", "rejected", "choice_spans"])
    laid, whole = features[0], features[1]
    for side in ("chosen", "rejected"):
        kept = [t for t in laid[f"{side}_choice_labels"] if t != -100]
        assert tokenizer.decode(kept).replace(" ", "").startswith("#style:")
        answer = [t for t in laid[f"{side}_labels"] if t != -100]
        assert tokenizer.eos_token_id not in kept and 0 < len(kept) < len(answer)
        assert whole[f"{side}_choice_labels"] == whole[f"{side}_labels"]  # not both laid out: whole answers
    model.eval()
    with torch.no_grad():
        out = trainer.concatenated_forward(model, trainer.data_collator([laid, whole]))
    for i, row in enumerate(pairs):
        spans = pair_spans(row["chosen"], row["rejected"], engine)
        expected = [total / n for total, n in answer_logprobs(model, tokenizer, row["prompt"],
                                                              [row["chosen"], row["rejected"]], spans=spans)]
        assert out[0][i].item() == pytest.approx(expected[0], abs=1e-4)
        assert out[1][i].item() == pytest.approx(expected[1], abs=1e-4)


def test_held_out_margins_of_laid_out_pairs_are_style_line_margins(micro_sft_checkpoint):
    from trainer.generation.modeling import load_model
    from trainer.generation.scoring import answer_logprobs, preference_accuracy

    engine = LayoutEngine()
    model, tokenizer = load_model(micro_sft_checkpoint)
    pair = _pair_rows(engine)[0]
    report = preference_accuracy(model, tokenizer, [pair])
    style_only = answer_logprobs(model, tokenizer, pair["prompt"], [pair["chosen"], pair["rejected"]],
                                 spans=pair_spans(pair["chosen"], pair["rejected"], engine))
    whole = answer_logprobs(model, tokenizer, pair["prompt"], [pair["chosen"], pair["rejected"]])
    assert style_only[0][1] < whole[0][1]  # fewer tokens counted
    margin = style_only[0][0] / style_only[0][1] - style_only[1][0] / style_only[1][1]
    assert report["margins"] == [pytest.approx(margin, abs=1e-5)]
