"""The Playground shows what it understood of a typed request and draws that (issue 21 item 3):
the plan line beside the request (`label_views.plan_box`, shared with the Label tab), an edited
line drawn through `generate(plan=)`, and nothing drawn when nothing was read."""

from __future__ import annotations

import random

import pytest

from labeler import playground as P
from labeler.label_views import plan_box
from testing.fakes import FakeGenerator, make_context

READABLE = "DL model with 3 inputs, 5 hidden nodes and 2 outputs"
UNREADABLE = "make it pretty please"


class PlanRecorder(FakeGenerator):
    """A fake source that takes `plan=` (as the in-process Generator does) and remembers it."""

    def __init__(self, checkpoint, **kwargs):
        super().__init__(checkpoint, **kwargs)
        self.plans = []

    def generate(self, prompt, k=4, plan=None, **kwargs):
        self.plans.append(plan)
        return super().generate(prompt, k=k, **kwargs)


@pytest.fixture
def ctx(tmp_path):
    ctx = make_context(tmp_path, generator_factory=PlanRecorder)
    yield ctx
    ctx.close()


def test_the_plan_box_shows_what_was_read_and_how_to_write_what_was_not():
    line, note = plan_box(READABLE)
    assert line == "# layers 3-5-2" and "Read as 3-5-2" in note and "edit the line" in note
    line, note = plan_box(UNREADABLE)
    assert line == "" and "nothing read" in note and "MLP with 3 inputs" in note
    assert plan_box("  ") == ("", "")


def test_the_line_as_read_lets_the_source_read_the_request(ctx):
    P.sample_one(ctx, "tiny-sft", READABLE, seed=0, plan_line=plan_box(READABLE)[0])
    assert ctx.models.generator().plans == [None]


def test_an_edited_plan_line_is_what_gets_drawn(ctx):
    P.sample_one(ctx, "tiny-sft", READABLE, seed=0, plan_line="# layers  3-4-4-2")
    (plan,) = ctx.models.generator().plans
    assert plan is not None and plan.describe().startswith("3-4-4-2")
    P.sample_one(ctx, "tiny-sft", UNREADABLE, seed=0, plan_line="# steps: Load > Clean > Train")
    assert ctx.models.generator().plans[-1].kind == "steps"


def test_nothing_read_draws_nothing_and_says_how(ctx):
    with pytest.raises(P.UserError, match="could be read.*MLP with 3 inputs"):
        P.sample_one(ctx, "tiny-sft", UNREADABLE, seed=0, plan_line="")
    with pytest.raises(P.UserError, match="could be read"):
        P.compare(ctx, UNREADABLE, "tiny-sft", "orpo-1", random.Random(0), plan_line="")
    assert ctx.models.generator().plans == []  # no model ran


def test_a_bad_edit_is_refused_before_the_model_runs(ctx):
    with pytest.raises(P.UserError, match="plan could not be read"):
        P.sample_one(ctx, "tiny-sft", READABLE, seed=0, plan_line="# layers three")
    assert ctx.models.generator().plans == []


def test_a_source_without_plan_says_so(tmp_path):
    ctx = make_context(tmp_path)  # the plain FakeGenerator: generate has no plan=
    try:
        with pytest.raises(P.UserError, match="cannot draw an edited plan"):
            P.sample_one(ctx, "tiny-sft", READABLE, seed=0, plan_line="# layers 3-4-2")
        sample = P.sample_one(ctx, "tiny-sft", READABLE, seed=0, plan_line="# layers 3-5-2")
        assert sample.text
    finally:
        ctx.close()
