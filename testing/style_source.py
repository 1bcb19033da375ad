"""A seeded fake model whose candidates differ in style in known ways, and bench_taste's simulated
person judging them: the ground truth for trainer.core.taste (tests/test_taste.py,
benchmarks/bench_taste_verdict.py). No torch, no weights.

    judgments = simulated_judgments("blue", 60, uniform())               # a blue-loving user
    styles = sampled_styles(StyleSource("new", "palette", "blue", 0.8))  # a model that moved to blue
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from types import SimpleNamespace

from diagram import parse
from testing.users import PROFILES, errs, judge
from trainer.core.taste import text_style

PROFILE = {p.name: p for p in PROFILES if p.target}
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
