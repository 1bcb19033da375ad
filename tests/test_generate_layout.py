"""Coordinates by construction: the model samples the style line, the layout engine writes the
nodes, so every candidate is tidy and has exactly the plan's structure (trainer.generation.generate)."""

from __future__ import annotations

import pytest

from diagram import build_prompt, parse
from diagram.metrics import tidy
from diagram.plan import Plan
from diagram.style import STYLE_PREFIX, parse_style_line
from trainer.generation.generate import Generator, add_generate_arguments


@pytest.fixture(scope="module")
def generator(micro_sft_checkpoint):
    return Generator(micro_sft_checkpoint)


def _style(text: str):
    return parse_style_line(text.splitlines()[1])


def test_a_read_request_gives_k_tidy_candidates_of_exactly_that_structure(generator):
    cands = generator.generate(build_prompt("MLP with 2 inputs, a hidden layer of 3, and 1 output"),
                               k=4, seed=0, temperature=1.5)
    assert [c.index for c in cands] == [0, 1, 2, 3]
    for cand in cands:
        lines = cand.text.splitlines()
        assert lines[0] == "# layers 2-3-1" and lines[1].startswith(STYLE_PREFIX), cand.text
        assert _style(cand.text) is not None
        assert cand.parse.ok and cand.stopped_on_eos and cand.n_tokens > 0
        d = cand.parse.diagram
        assert [n.label for n in d.nodes] == ["Input"] * 2 + ["Hidden 1"] * 3 + ["Output"]
        assert len(d.edges()) == 2 * 3 + 3 * 1
        assert tidy(d).ok, (tidy(d), cand.text)
    # the micro model never saw a style line: sampled at temperature 1.5 its four differ
    assert len({_style(c.text) for c in cands}) >= 2


def test_an_explicit_plan_with_a_loop_is_drawn_instead_of_the_request(generator):
    plan = Plan.steps([["Loader"], ["Retriever", "Ranker"], ["LLM"], ["Judge"]], loops=((4, 0),))
    cands = generator.generate(build_prompt("MLP with 2 inputs and 1 output"), k=3, seed=1, plan=plan)
    for cand in cands:
        assert cand.text.splitlines()[0] == plan.line()
        d = cand.parse.diagram
        assert [n.label for n in d.nodes] == list(plan.labels)
        assert [n.targets for n in d.nodes] == [n.targets for n in plan.nodes()]
        assert (4, 0) in d.edges() and tidy(d).ok


def test_same_seed_same_candidates(generator):
    prompt = build_prompt("loader -> (BM25, FAISS) -> LLM")
    first = [c.text for c in generator.generate(prompt, k=3, seed=5, temperature=1.2)]
    assert first == [c.text for c in generator.generate(prompt, k=3, seed=5, temperature=1.2)]


def test_greedy_gives_one_style_k_times(generator):
    cands = generator.generate(build_prompt("MLP with 3 inputs and 2 outputs"), k=2, temperature=0)
    assert cands[0].text == cands[1].text and tidy(cands[0].parse.diagram).ok


def test_free_layout_samples_node_lines_as_before(generator):
    prompt = build_prompt("MLP with 2 inputs, a hidden layer of 3, and 1 output")
    cands = generator.generate(prompt, k=2, seed=0, free_layout=True)
    for cand in cands:
        assert not cand.text.splitlines()[1].startswith("#")  # no style line: nodes sampled
        assert cand.text.startswith("# layers 2-3-1\n") and cand.parse.ok


def test_an_unread_request_the_model_cannot_plan_falls_back_to_free_nodes(generator):
    """The micro model's own plan line is no plan: its nodes are sampled, after its head lines."""
    cands = generator.generate(build_prompt("a drawing of something"), k=2, seed=3, read=False)
    assert len(cands) == 2
    for cand in cands:
        head = cand.text.splitlines()[:2]
        assert head[0].startswith("#") and head[1].startswith(STYLE_PREFIX), cand.text
        assert parse(cand.text).diagram is not None


def test_free_layout_flag(tmp_path):
    import argparse

    parser = argparse.ArgumentParser()
    add_generate_arguments(parser)
    args = parser.parse_args(["--prompt", "x", "--out-dir", str(tmp_path), "--free-layout"])
    assert args.free_layout is True
    assert parser.parse_args(["--prompt", "x", "--out-dir", str(tmp_path)]).free_layout is False


def test_a_request_longer_than_the_context_is_laid_out_from_its_plan(micro_sft_checkpoint):
    """The default (laid-out) path: a pasted network longer than the model's context is drawn from the
    plan read from the whole text; the model's prompt holds the request cut to fit."""
    from diagram import build_prompt
    from trainer.core.template import encode_prompt
    from trainer.generation.generate import Generator

    generator = Generator(micro_sft_checkpoint)
    layers = ", ".join(f"nn.Linear({a}, {b}), nn.ReLU()" for a, b in ((4, 6), (6, 5), (5, 3)))
    prompt = build_prompt(f"model = nn.Sequential({layers})\n# " + "a comment line that says little " * 200)
    assert len(encode_prompt(generator.tokenizer, prompt)) > generator.max_positions
    cands = generator.generate(prompt, k=2, seed=0)
    assert [len(c.parse.diagram.nodes) for c in cands if c.parse.ok] == [4 + 6 + 5 + 3] * 2
