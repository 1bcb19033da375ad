"""The grammar switch reaches the generator from every front end: CLI flags and the Playground."""

from __future__ import annotations

import argparse

import pytest

from labeler import playground as P
from testing.fakes import FakeGenerator, make_context


class RecordingGenerator(FakeGenerator):
    """A FakeGenerator that remembers the grammar argument of each call (and has no free_layout switch)."""

    def __init__(self, checkpoint, **kwargs):
        super().__init__(checkpoint, **kwargs)
        self.grammar_args = []
        self.free_layout_args = []

    def generate(self, prompt, k=4, grammar=None, **kwargs):
        self.grammar_args.append(grammar)
        return super().generate(prompt, k=k, grammar=grammar, **kwargs)


class LayoutRecordingGenerator(RecordingGenerator):
    """Takes `free_layout` as well (as the in-process Generator does) and remembers it."""

    def generate(self, prompt, k=4, free_layout=None, **kwargs):
        self.free_layout_args.append(free_layout)
        return super().generate(prompt, k=k, **kwargs)


@pytest.mark.parametrize("switch", ["grammar", "free_layout"])
@pytest.mark.parametrize("value", [True, False])
def test_playground_passes_each_checkbox_to_the_generator(tmp_path, switch, value):
    ctx = make_context(tmp_path, generator_factory=LayoutRecordingGenerator)
    try:
        P.sample_one(ctx, "tiny-sft", "DL model with 2 inputs", seed=0, **{switch: value})
        assert getattr(ctx.models.generator(), f"{switch}_args") == [value]
    finally:
        ctx.close()


@pytest.mark.parametrize("module, add", [
    ("trainer.generation.generate", "add_generate_arguments"),
    ("trainer.generation.evaluate", "add_eval_arguments"),
    ("trainer.loop.bootstrap", "add_bootstrap_arguments"),
    ("labeler.app", "add_app_arguments"),
])
def test_no_grammar_flag(module, add):
    import importlib

    parser = argparse.ArgumentParser()
    getattr(importlib.import_module(module), add)(parser)
    required = ["--out-dir", "x", "--prompt", "p"] if module == "trainer.generation.generate" else []
    assert parser.parse_args(required).grammar is True
    assert parser.parse_args(required + ["--no-grammar"]).grammar is False


def test_playground_free_layout_refused_by_a_source_without_the_switch(tmp_path):
    ctx = make_context(tmp_path, generator_factory=RecordingGenerator)  # no free_layout keyword
    try:
        with pytest.raises(P.UserError, match="free coordinates"):
            P.sample_one(ctx, "tiny-sft", "DL model with 2 inputs", seed=0, free_layout=True)
        P.sample_one(ctx, "tiny-sft", "DL model with 2 inputs", seed=0, free_layout=False)  # the default path
        assert ctx.models.generator().grammar_args == [None]
    finally:
        ctx.close()
