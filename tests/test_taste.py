"""The taste model (trainer/taste.py) against simulated users of known taste.

The users are bench_uptake's profiles (left-to-right, blue, round rectangles), judging screens the
way bench_taste's simulated person does (full ranking by the profile's score, 15% of screens
backwards). The drawings come from a seeded style source: random small structures drawn in a
random direction, palette, shape and line style, with adjustable odds for the style each profile
likes, so an "old" and a "new" model can be faked without training.

Run: .venv/bin/python -m pytest tests/test_taste.py -q
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from benchmarks.bench_taste import errs, judge
from benchmarks.bench_uptake import PROFILES
from diagram import parse
from trainer.judgments import judgment_from_pick, is_heldout
from trainer.selection import style_features
from trainer.taste import (FEATURE_KEYS, N_FEATURES, Taste, count_matches, fit_taste, fit_weights, newcombe,
                           taste_verdict, text_style, wilson)

PROFILE = {p.name: p for p in PROFILES if p.target}
SCREENS = 60  # bench_taste's second milestone (issue 20: +50 points after 60 screens)
PALETTES = {"blue": (70, 110, 220), "grey": (200, 200, 200), "green": (120, 200, 120),
            "orange": (240, 170, 90), "red": (230, 110, 110)}
DIRECTIONS = ("left_to_right", "top_to_bottom", "right_to_left", "bottom_to_top")
SHAPE_NAMES = ("rectangle", "round rectangle", "circle")
LINES = ("solid arrow", "solid line", "dashed line")
# the style each profile likes, as (attribute, value)
LIKES = {"left_to_right": ("direction", "left_to_right"), "blue": ("palette", "blue"),
         "rounded": ("shape", "round rectangle")}


def drawing(rng: random.Random, direction: str, palette: str, shape: str, line: str) -> str:
    """A chain of 3-5 nodes (sometimes with a branch) laid out along `direction`."""
    n = rng.randrange(3, 6)
    step_main, step_side = 160, 110
    lines = []
    for i in range(n):
        main, side = 120 + i * step_main, 300 + (step_side if i % 2 and rng.random() < 0.3 else 0)
        x, y = {"left_to_right": (main, side), "right_to_left": (1000 - main, side),
                "top_to_bottom": (side + 200, main * 0.6), "bottom_to_top": (side + 200, 600 - main * 0.6)}[direction]
        fill = tuple(max(0, min(255, c + rng.randrange(-15, 16))) for c in PALETTES[palette])
        targets = f"[{i + 1}]" if i + 1 < n else "[]"
        lines.append(f"[{i}, {x:.0f}, {y:.0f}, '{shape}', 70, 40, '{line}', {fill}, (30, 30, 60), {targets}]")
    return "\n".join(lines)


@dataclass(frozen=True)
class StyleSource:
    """A fake model: each candidate's style drawn at random; `liked` odds for one attribute."""

    name: str
    attribute: str = ""
    value: str = ""
    odds: float = 0.0  # probability of the liked value; the rest spread evenly over the others

    def choose(self, rng: random.Random, attribute: str, values: tuple[str, ...]) -> str:
        if attribute == self.attribute:
            if rng.random() < self.odds:
                return self.value
            return rng.choice([v for v in values if v != self.value])
        return rng.choice(values)

    def generate(self, prompt: str, k: int, seed: int) -> list[SimpleNamespace]:
        rng = random.Random(f"{self.name}|{prompt}|{seed}")
        out = []
        for i in range(k):
            text = drawing(rng, self.choose(rng, "direction", DIRECTIONS),
                           self.choose(rng, "palette", tuple(PALETTES)), self.choose(rng, "shape", SHAPE_NAMES),
                           self.choose(rng, "line", LINES))
            out.append(SimpleNamespace(index=i, text=text, parse=parse(text)))
        return out


def uniform(name: str = "old") -> StyleSource:
    return StyleSource(name)


def simulated_judgments(profile: str, screens: int, source: StyleSource, error_rate: float = 0.15, seed: int = 0):
    out = []
    for s in range(screens):
        prompt = f"request {s}"
        cands = source.generate(prompt, 4, seed)
        j = judge(PROFILE[profile], prompt, cands, full=True, wrong=errs(seed, profile, s, error_rate),
                  annotator="sim")
        if j is not None:
            out.append(j)
    return out


def sampled_styles(source: StyleSource, prompts: int = 30, k: int = 4, seed: int = 7):
    return [text_style(c.text) for p in range(prompts) for c in source.generate(f"held-out {p}", k, seed)]


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


def test_few_screens_say_no_clear_taste_yet():
    taste = fit_taste(simulated_judgments("blue", 6, uniform()))
    assert not taste.clear
    assert taste.summary().startswith("No clear taste yet after ")
    assert "more screens should tell" in taste.summary()
    verdict = taste_verdict(taste, sampled_styles(uniform("old")), sampled_styles(uniform("new")))
    assert verdict.direction == "unknown" and verdict.recommendation.startswith("keep labeling about ")
    empty = fit_taste([])
    assert empty.screens == 0 and empty.summary().startswith("No taste yet")


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
