"""trainer.generation.scoring: answer log-probs tokenized as training does, batched; preference accuracy."""

from __future__ import annotations

import pytest

from conftest import micro_pairs

torch = pytest.importorskip("torch")

from trainer.generation.modeling import load_model  # noqa: E402
from trainer.generation.scoring import answer_logprobs, mean_logprob, preference_accuracy  # noqa: E402
from trainer.core.template import encode_example, model_input  # noqa: E402
from trainer.training.verdict import answer_logprob  # noqa: E402


@pytest.fixture(scope="module")
def micro(micro_sft_checkpoint):
    return load_model(micro_sft_checkpoint)


def _one_by_one(model, tokenizer, prompt, answer):
    """The reference: SFT's own encoding (template.encode_example), one unpadded sequence."""
    example = encode_example(tokenizer, prompt, answer)
    ids = torch.tensor([example["input_ids"]])
    with torch.no_grad():
        logp = torch.log_softmax(model(input_ids=ids).logits[0, :-1].float(), dim=-1)
    labels = example["labels"][1:]
    picked = [float(logp[i, t]) for i, t in enumerate(labels) if t != -100]
    return sum(picked), len(picked)


def test_sums_match_the_sft_encoding_whatever_the_batch(micro):
    model, tokenizer = micro
    (prompt, short), (_, longer) = micro_pairs()[2], micro_pairs()[3]
    answers = [short, longer, short + "\n" + longer]
    want = [_one_by_one(model, tokenizer, prompt, a) for a in answers]
    for batch_size in (1, 2, 8):  # padding in a batch must not change any score
        got = answer_logprobs(model, tokenizer, prompt, answers, batch_size=batch_size)
        assert [n for _, n in got] == [n for _, n in want]
        assert [s for s, _ in got] == pytest.approx([s for s, _ in want], abs=1e-4)
    # the count is the answer's tokens plus EOS
    assert want[0][1] == len(tokenizer(short, add_special_tokens=False)["input_ids"]) + 1


def test_mean_matches_the_verdicts_scorer(micro):
    model, tokenizer = micro
    prompt, answer = micro_pairs()[0]
    (score,) = answer_logprobs(model, tokenizer, prompt, [answer])
    assert mean_logprob(score) == pytest.approx(answer_logprob(model, tokenizer, model_input(prompt), answer),
                                                abs=1e-5)


def test_memorised_answers_win_and_swapping_flips_the_margin(micro):
    model, tokenizer = micro
    pairs = micro_pairs()
    # chosen: the answer the micro SFT model learned; rejected: another prompt's answer
    rows = [{"prompt": p, "chosen": a, "rejected": pairs[(i + 1) % len(pairs)][1]} for i, (p, a) in enumerate(pairs)]
    report = preference_accuracy(model, tokenizer, rows)
    assert report["n"] == len(rows) and report["accuracy"] == 1.0 and report["mean_margin"] > 0
    swapped = [{**r, "chosen": r["rejected"], "rejected": r["chosen"]} for r in rows]
    flipped = preference_accuracy(model, tokenizer, swapped)
    assert flipped["accuracy"] == 0.0
    assert flipped["mean_margin"] == pytest.approx(-report["mean_margin"], abs=1e-5)


def test_no_pairs_and_bad_arguments(micro):
    model, tokenizer = micro
    assert preference_accuracy(model, tokenizer, []) == {"accuracy": None, "mean_margin": None, "n": 0, "margins": []}
    assert answer_logprobs(model, tokenizer, micro_pairs()[0][0], []) == []
    with pytest.raises(ValueError):
        answer_logprobs(model, tokenizer, micro_pairs()[0][0], ["x"], batch_size=0)


def test_scoring_leaves_the_model_in_training_mode_if_it_was(micro):
    model, tokenizer = micro
    model.train()
    try:
        answer_logprobs(model, tokenizer, micro_pairs()[0][0], [micro_pairs()[0][1]])
        assert model.training
    finally:
        model.eval()


def test_generator_score_is_answer_logprobs(micro_sft_checkpoint, micro):
    from trainer.generation.generate import Generator

    model, tokenizer = micro
    prompt, answer = micro_pairs()[1]
    gen = Generator(micro_sft_checkpoint, grammar=False)
    got = gen.score(prompt, [answer, "[0, 1, 1, 'circle', 1, 1, 'solid line', (0, 0, 0), (0, 0, 0), []]"])
    want = answer_logprobs(model, tokenizer, prompt, [answer, "[0, 1, 1, 'circle', 1, 1, 'solid line', "
                                                              "(0, 0, 0), (0, 0, 0), []]"])
    assert [n for _, n in got] == [n for _, n in want]
    assert [s for s, _ in got] == pytest.approx([s for s, _ in want], abs=1e-5)
    assert mean_logprob(got[0]) > mean_logprob(got[1])  # the memorised answer is the likelier one
