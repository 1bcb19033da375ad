"""The taste model (trainer/core/taste.py) against simulated users of known taste.

The users are bench_uptake's profiles (left-to-right, blue, round rectangles), judging screens the
way bench_taste's simulated person does (full ranking by the profile's score, 15% of screens
backwards). The drawings come from a seeded style source (testing/style_source.py): random small
structures drawn in a random direction, palette, shape and line style, with adjustable odds for the
style each profile likes, so an "old" and a "new" model can be faked without training.

Run: .venv/bin/python -m pytest tests/test_taste.py -q
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from diagram import parse
from testing.style_source import (DIRECTIONS, LIKES, StyleSource, drawing, sampled_styles, simulated_judgments,
                                uniform)
from trainer.core.judgments import judgment_from_pick
from trainer.core.selection import style_features
from trainer.core.taste import N_FEATURES, fit_taste, fit_weights, text_style
from trainer.core.taste_stats import newcombe, wilson
from trainer.core.taste_verdict import taste_verdict

SCREENS = 60  # bench_taste's second milestone (issue 20: +50 points after 60 screens)


def test_drawings_have_the_style_asked_for():
    from diagram import flow_direction
    from diagram.metrics import is_blue_palette

    rng = random.Random(0)
    for direction in DIRECTIONS:
        d = parse(drawing(rng, direction, "blue", "circle", "dashed line"))
        assert d.ok
        assert (flow_direction(d.diagram) == "left_to_right") == (direction == "left_to_right")
        assert is_blue_palette(d.diagram) == 1.0
    assert is_blue_palette(parse(drawing(rng, "left_to_right", "grey", "circle", "solid line")).diagram) == 0.0


GROUP = {"left_to_right": "direction", "blue": "palette", "rounded": "shapes"}
FEATURE = {"left_to_right": "left_to_right", "blue": "blue", "rounded": "round_rectangle"}
WORDS = {"left_to_right": "left-to-right", "blue": "blue", "rounded": "round rectangles"}


@pytest.mark.parametrize("profile", sorted(LIKES))
def test_fitting_recovers_each_simulated_users_taste(profile):
    taste = fit_taste(simulated_judgments(profile, SCREENS, uniform()))
    pref = taste.preferences[0]  # the strongest
    assert (pref.group, pref.key) == (GROUP[profile], FEATURE[profile]), taste.summary()
    assert pref.weight > 0 and pref.strength in ("strong", "medium"), taste.summary()
    assert taste.clear == (pref,)  # nothing else is claimed: the other styles were random
    assert pref.agree > 0.7 * pref.differed and pref.differed >= 0.5 * taste.screens
    assert taste.summary().startswith(f"You prefer {WORDS[profile]} ({pref.strength}, {pref.agree} of "
                                      f"{pref.differed} screens where it differed)")
    assert taste.heldout is not None and taste.heldout.pairs >= 10
    assert taste.heldout.accuracy > 0.65, taste.summary()


def test_a_weak_taste_is_tentative_and_no_taste_asks_for_screens():
    taste = fit_taste(simulated_judgments("blue", 25, uniform()))
    assert not taste.clear and taste.tentative
    assert taste.summary().startswith("No clear taste yet after ") and "leaning to " in taste.summary()
    # only a spurious lean (arrows) is weak here, but the whole model, which a tentative taste
    # matches by, has learned blue too: the verdict still points the right way
    assert taste.weights[5] > 1.0
    assert "more screens should tell" in taste.summary()
    toward = taste_verdict(taste, sampled_styles(uniform("old")),
                           sampled_styles(StyleSource("t", *LIKES["blue"], 0.8)), new_name="orpo-1")
    assert toward.direction == "better" and "by the taste so far, leaning to " in toward.text
    assert "activate `orpo-1`" in toward.text and "your taste is not clear yet, so label about" in toward.text
    empty = fit_taste([])
    assert empty.screens == 0 and empty.summary().startswith("No taste yet") and not empty.tentative
    verdict = taste_verdict(empty, sampled_styles(uniform("old")), sampled_styles(uniform("new")))
    assert verdict.direction == "unknown" and verdict.recommendation.startswith("keep labeling about ")


@pytest.mark.parametrize("profile", sorted(LIKES))
def test_verdict_points_the_right_way_for_each_simulated_user(profile):
    taste = fit_taste(simulated_judgments(profile, SCREENS, uniform()))
    attribute, value = LIKES[profile]
    old = sampled_styles(uniform("old"))
    toward = sampled_styles(StyleSource("toward", attribute, value, 0.8))
    away = sampled_styles(StyleSource("away", attribute, value, 0.0))
    same = sampled_styles(uniform("same"), seed=8)
    better = taste_verdict(taste, old, toward, old_name="tiny-sft", new_name="orpo-1", pair_old=0.3,
                           pair_new=0.25, pairs_n=20)
    assert better.direction == "better", better.text
    assert better.recommendation == "activate `orpo-1`"
    assert "Second measure, 20 held-out pairs" in better.text and "25%" in better.text
    worse = taste_verdict(taste, old, away, old_name="tiny-sft", new_name="orpo-1")
    assert worse.direction == "worse" and worse.recommendation == "keep `tiny-sft`", worse.text
    unchanged = taste_verdict(taste, old, same, old_name="tiny-sft", new_name="orpo-1")
    assert unchanged.direction == "unchanged", unchanged.text
    assert "did not move the taste" in unchanged.recommendation


# ---------------------------------------------------------------- pure pieces


def test_wilson_and_newcombe():
    lo, hi = wilson(52, 100)
    assert lo == pytest.approx(0.4231, abs=1e-3) and hi == pytest.approx(0.6153, abs=1e-3)
    assert wilson(0, 0) == (0.0, 1.0) and wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == pytest.approx(1.0)
    lo, hi = newcombe((52, 100), (15, 100))
    assert 0.24 < lo < 0.37 < hi < 0.49
    lo, hi = newcombe((10, 40), (10, 40))
    assert lo < 0 < hi and lo == pytest.approx(-hi)


def test_fit_weights_recovers_a_known_bradley_terry_model():
    import numpy as np

    rng = np.random.default_rng(0)
    truth = np.zeros(N_FEATURES)
    truth[0], truth[5] = 3.0, -2.0
    diffs = rng.uniform(-1, 1, size=(4000, N_FEATURES))
    # the chosen one of each pair is drawn from the model: flip rows the model says were rejected
    won = rng.random(4000) < 1 / (1 + np.exp(-(diffs @ truth)))
    diffs[~won] *= -1
    w, cov = fit_weights(diffs, np.ones(4000), l2=0.25)
    se = np.sqrt(np.diag(cov))
    assert np.all(np.abs(w - truth) < 4 * se)
    assert abs(w[0] - 3) < 0.4 and abs(w[5] + 2) < 0.4


def test_invalid_drawings_and_both_bad_screens_are_left_out():
    good = drawing(random.Random(1), "left_to_right", "blue", "circle", "solid arrow")
    other = drawing(random.Random(2), "top_to_bottom", "grey", "circle", "solid arrow")
    broken = "[0, 100, 100, 'circle'"
    assert text_style(broken) is None and text_style(good) == style_features(parse(good).diagram)
    judgments = [judgment_from_pick("p1", [good, broken, other], chosen=0, rejected=1),
                 judgment_from_pick("p2", [good, other], chosen=0, rejected=1, both_bad=True)]
    taste = fit_taste(judgments)
    assert taste.pairs == 1 and taste.screens == 1  # good > other; the broken one and both-bad screen say nothing


def test_evaluate_reports_each_candidates_style(tmp_path):
    from trainer.core.candidates import Candidate
    from trainer.generation.evaluate import evaluate, markdown
    from trainer.training.verdict import cached_sampling, sampling_summary

    good = drawing(random.Random(1), "left_to_right", "blue", "circle", "solid arrow")
    texts = [good, "[0, 1, 'circle'"]

    class Scripted:
        def generate(self, prompt, k=4, seed=None, **_):
            return [Candidate(i, t, parse(t), True, 5, 0.1) for i, t in enumerate(texts[:k])]

    report = evaluate(Scripted(), [{"prompt": "p", "reference": None, "category": "other"}], k=2, progress=False)
    assert report["styles"][1] is None
    assert report["styles"][0] == pytest.approx(style_features(parse(good).diagram), abs=1e-3)
    assert "| styles |" not in markdown(report, "t")  # per-candidate lists stay in the JSON
    summary = sampling_summary(report)
    assert summary["styles"] == report["styles"]
    settings = {"prompts": "x", "n": 1, "k": 2, "seed": 0}
    assert cached_sampling({"verdict": {"eval": settings, "new": {"sampling": summary}}}, settings) == summary
    older = {k: v for k, v in summary.items() if k != "styles"}  # a manifest from before the taste
    assert cached_sampling({"verdict": {"eval": settings, "new": {"sampling": older}}}, settings) is None


# ---------------------------------------------------------------- the labeler's view


@pytest.fixture
def ctx(tmp_path):
    from testing.fakes import make_context

    return make_context(tmp_path)


def _label(ctx, profile: str, screens: int, annotator: str = "sim") -> None:
    for j in simulated_judgments(profile, screens, uniform()):
        ctx.judgments.add(replace(j, annotator=annotator, judgment_id=j.judgment_id + annotator))


def _trained(ctx, name: str, old_styles, new_styles, pairs=(0.3, 0.25), **training_args):
    from testing.fakes import fake_checkpoint

    parent = ctx.models.active()
    verdict = {"heldout_pairs": 20, "previous_checkpoint": str(parent),
               "eval": {"prompts": "x", "n": 30, "k": 4, "seed": 0},
               "previous": {"prefers_chosen": pairs[0], "sampling": {"n_prompts": 30, "k": 4, "styles": old_styles}},
               "new": {"prefers_chosen": pairs[1], "sampling": {"n_prompts": 30, "k": 4, "styles": new_styles}}}
    return fake_checkpoint(Path(ctx.checkpoints_dir) / name, kind="orpo", parent_checkpoint=str(parent),
                           verdict=verdict, training_args=training_args)


def test_stats_and_train_show_the_taste_and_the_verdict_on_it(ctx):
    from labeler.stats_tab import taste_outputs
    from labeler.taste_view import TasteCache, taste_verdict_markdown

    cache = TasteCache()
    assert "No taste yet" in taste_outputs(ctx, cache)
    _label(ctx, "left_to_right", SCREENS)
    shown = taste_outputs(ctx, cache)
    assert "You prefer left-to-right (" in shown and "| direction | left-to-right |" in shown
    assert cache.taste(ctx) is cache.taste(ctx)  # not refit while the judgments file is unchanged
    old = [list(s) if s else None for s in sampled_styles(uniform("old"))]
    toward = [list(s) if s else None for s in sampled_styles(StyleSource("t", *LIKES["left_to_right"], 0.8))]
    better = taste_verdict_markdown(ctx, _trained(ctx, "orpo-1", old, toward), cache)
    assert "Drawn your way (left-to-right): `orpo-1`" in better and "`tiny-sft`" in better
    assert "on 30 held-out prompts, 4 each" in better
    assert "Second measure, 20 held-out pairs" in better and "Recommendation: activate `orpo-1`" in better
    worse = taste_verdict_markdown(ctx, _trained(ctx, "orpo-2", toward, old), cache)
    assert "Recommendation: keep `tiny-sft`" in worse
    no_styles = taste_verdict_markdown(ctx, _trained(ctx, "orpo-3", None, None), cache)
    assert "cannot be compared" in no_styles
    # a run on one annotator's labels is judged on that annotator's taste
    _label(ctx, "blue", SCREENS, annotator="bo")
    both = taste_outputs(ctx, cache)
    assert "Taste learned from bo's judgments" in both and "You prefer blue (" in both
    blue = [list(s) if s else None for s in sampled_styles(StyleSource("b", *LIKES["blue"], 0.8))]
    mine = taste_verdict_markdown(ctx, _trained(ctx, "orpo-4", old, blue, annotator="bo"), cache)
    assert "taste of bo's judgments" in mine and "Drawn your way (blue)" in mine and "activate `orpo-4`" in mine


def test_train_tab_shows_the_taste_verdict_first_and_a_one_step_loss(ctx):
    import dataclasses

    from labeler.runner import JobStatus
    from labeler.train_tab import _result_md, job_view, plot_value

    _label(ctx, "left_to_right", SCREENS)
    old = [list(s) if s else None for s in sampled_styles(uniform("old"))]
    toward = [list(s) if s else None for s in sampled_styles(StyleSource("t", *LIKES["left_to_right"], 0.8))]
    out = _trained(ctx, "orpo-1", old, toward)
    done = JobStatus(state="done", job_id="j1", step=1, total=1, losses=((1, 0.6931),), out=str(out))
    text, ready = _result_md(ctx, done)
    assert ready and text.index("On your taste") < text.index("Recommendation") < text.index("Details:")
    one = plot_value(done)
    assert len(one.value["data"]) == 1 and one.title == "Training loss: one step logged (step 1): loss 0.6931"
    assert plot_value(dataclasses.replace(done, losses=())).title == "Training loss: no step was logged"
    assert plot_value(JobStatus(state="running")) is None  # before the first step: as before
    two = plot_value(dataclasses.replace(done, losses=((1, 0.7), (2, 0.6))))
    assert two.title == "Training loss" and len(two.value["data"]) == 2
    view = job_view(ctx, "")
    assert "You prefer left-to-right" in view[-2]
