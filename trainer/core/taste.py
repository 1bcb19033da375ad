"""A taste the person can see: a Bradley-Terry model over style features, fit to their judgments.

Each labeled screen ranks K drawings. The drawings' style (`trainer.core.selection.style_features`:
direction, palette, shapes, line styles, density; 13 numbers) is all this model looks at: a
drawing's appeal is u(x) = w . f(x), and the person prefers a over b with probability
sigmoid(u(a) - u(b)) (Bradley-Terry), i.e. a logistic regression without intercept on the feature
differences of the (chosen, rejected) pairs a judgment implies (`derive_pairs`, scheme "all",
weights summing to 1 per screen, so one screen counts once). Fit by Newton's method (numpy) with an
L2 penalty (a N(0, 1/L2) prior); the uncertainty is the inverse Hessian (the Laplace
approximation). A person names a preference per style *group* (direction, palette, shapes, lines,
density), and correlated features (a blue palette moves the hue features too) would split one
preference's evidence, so each group is tested as a whole (Wald chi-square on its weights, turned
into a two-sided normal z: strong >= 3, medium >= 2, weak >= 1) and described by its feature that
moves the choices most (weight x mean difference over the pairs).

    taste = fit_taste(store.read().judgments)
    taste.summary()   # "you prefer left-to-right (strong, 12 of 14 screens where it differed), ..."
    taste.heldout     # the same fit without the held-out judgments (`is_heldout`), scored on them
    taste.matches(style_features(diagram))   # on the preferred side of every clear preference
    taste_verdict(taste, old_styles, new_styles, old_name="tiny-sft", new_name="orpo-1").text  # taste_verdict.py

Pairs with an invalid drawing say nothing about style (validity comes first for everyone) and are
left out. "Screens where it differed": screens with a (chosen, rejected) pair whose feature differs
by at least MIN_DIFFERENCE; it "agrees" when the screen's pairs lean the learned way.

A drawing *matches* the taste when it is on the preferred side of each clear (strong or medium,
at most MAX_MATCH_PREFERENCES) preference (with none clear yet but some leaning, a tentative taste:
when the whole model ranks it above the median drawing the person was shown, said so in the verdict): left-to-right means `flow_direction`'s left-to-right (the
direction feature above 0.854), a share feature (blue palette, a shape, a line style) above one
half, a continuous one (hue, brightness, density) above the median of the drawings the person was
shown. `trainer.core.taste_verdict` compares two models on it; the statistics are
`trainer.core.taste_stats`'s.

Pure: numpy, `diagram`, `trainer.core.judgments`, `trainer.core.selection`; no torch (the labeler imports it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import median
from typing import Any

import numpy as np

from diagram import parse
from trainer.core.judgments import Judgment, derive_pairs, is_heldout
from trainer.core.selection import style_features
from trainer.core.taste_stats import chi2_sf, pct, two_sided_z, wald, wilson

L2 = 0.25  # prior precision of every weight (features are in [0, 1]): a N(0, 2^2) prior
MIN_DIFFERENCE = 0.2  # a feature "differed" on a screen when a pair differs by this much
STRENGTHS = ((3.0, "strong"), (2.0, "medium"), (1.0, "weak"))
CLEAR = ("strong", "medium")
MAX_MATCH_PREFERENCES = 3
TARGET_Z = 3.0  # "keep labeling about N more screens": until the strongest preference reaches this
# direction feature above this = the mean edge points mostly that way (dx > |dy|: cos 45 deg)
DIRECTION_CUT = 0.5 + 0.5 * math.sqrt(0.5)


@dataclass(frozen=True)
class Feature:
    key: str
    more: str  # the words for a positive weight ("you prefer ...")
    less: str  # and for a negative one
    cut: float | None  # the matching side's boundary; None: the median of the shown drawings


# In the order of trainer.core.selection.style_features.
FEATURES = (
    Feature("left_to_right", "left-to-right", "not left-to-right", DIRECTION_CUT),
    Feature("top_to_bottom", "top-to-bottom", "not top-to-bottom", DIRECTION_CUT),
    Feature("hue_red", "red/orange fills", "green/cyan fills", None),
    Feature("hue_yellow", "yellow/green fills", "blue/purple fills", None),
    Feature("brightness", "light fills", "dark fills", None),
    Feature("blue", "blue", "not blue", 0.5),
    Feature("rectangle", "rectangles", "no rectangles", 0.5),
    Feature("round_rectangle", "round rectangles", "no round rectangles", 0.5),
    Feature("circle", "circles", "no circles", 0.5),
    Feature("solid_arrow", "arrows", "no arrows", 0.5),
    Feature("solid_line", "plain lines", "no plain lines", 0.5),
    Feature("dashed_line", "dashed lines", "no dashed lines", 0.5),
    Feature("density", "large boxes", "small boxes", None),
)
N_FEATURES = len(FEATURES)
FEATURE_KEYS = tuple(f.key for f in FEATURES)

Styles = Sequence[Sequence[float] | None]  # one style vector per candidate; None: invalid


def text_style(text: str) -> tuple[float, ...] | None:
    """The style vector of an answer text; None when it does not parse cleanly or has no node."""
    result = parse(text)
    if not result.ok or not result.diagram.nodes:
        return None
    return style_features(result.diagram)


# ---------------------------------------------------------------- pairs


@dataclass(frozen=True)
class StylePair:
    judgment_id: str
    chosen: tuple[float, ...]
    rejected: tuple[float, ...]
    weight: float  # the screen's style pairs sum to its ranking's groups - 1
    heldout: bool

    @property
    def diff(self) -> np.ndarray:
        return np.asarray(self.chosen) - np.asarray(self.rejected)


def style_pairs(judgments: Iterable[Judgment], style_of: Mapping[str, tuple[float, ...] | None] | None = None
                ) -> list[StylePair]:
    """Every (chosen, rejected) pair of every judgment (scheme "all") whose two drawings are valid,
    weights summing per screen to the number of rank groups among them minus one. `style_of`: a cache {text: style or None} (filled as it goes
    when it is a dict)."""
    cache: dict = style_of if isinstance(style_of, dict) else dict(style_of or {})
    out: list[StylePair] = []
    for j in judgments:
        kept = []
        order = j.order()
        for pair in derive_pairs(j, "all"):
            styles = []
            for text in (pair.chosen, pair.rejected):
                if text not in cache:
                    cache[text] = text_style(text)
                styles.append(cache[text])
            if styles[0] is not None and styles[1] is not None:
                kept.append((tuple(styles[0]), tuple(styles[1]), order[pair.chosen_pos], order[pair.rejected_pos]))
        if not kept:
            continue
        # a ranking into G groups says about G - 1 comparisons' worth (Plackett-Luce), however many
        # pairs it implies: the screen's pairs share that weight
        groups = {rank for text_pair in kept for rank in text_pair[2:]}
        total = max(1, len(groups) - 1)
        held = is_heldout(j.judgment_id)
        out.extend(StylePair(j.judgment_id, a, b, total / len(kept), held) for a, b, *_ in kept)
    return out


def shown_styles(judgments: Iterable[Judgment], style_of: Mapping[str, tuple[float, ...] | None] | None = None
                 ) -> list[tuple[float, ...]]:
    """The style vectors of the valid drawings shown on the screens (each text once)."""
    cache: dict = style_of if isinstance(style_of, dict) else dict(style_of or {})
    seen: dict[str, None] = {}
    for j in judgments:
        seen.update(dict.fromkeys(j.candidates))
    out = []
    for text in seen:
        if text not in cache:
            cache[text] = text_style(text)
        if cache[text] is not None:
            out.append(tuple(cache[text]))
    return out


# ---------------------------------------------------------------- the fit


def fit_weights(diffs: np.ndarray, weights: np.ndarray, l2: float = L2) -> tuple[np.ndarray, np.ndarray]:
    """Maximum a posteriori Bradley-Terry weights and their covariance (inverse Hessian).

    Minimises -sum_i weight_i log sigmoid(w . diff_i) + l2/2 |w|^2 by Newton's method (convex, so
    it converges from 0; the L2 term keeps the Hessian invertible even when a feature never
    varies or the one-hot groups make the differences collinear)."""
    d = diffs.shape[1] if diffs.ndim == 2 else N_FEATURES
    w = np.zeros(d)
    eye = np.eye(d)
    if len(diffs) == 0:
        return w, eye / l2
    for _ in range(100):
        margin = diffs @ w
        p = 0.5 * (1.0 + np.tanh(0.5 * margin))  # sigmoid, no overflow
        grad = -(diffs * (weights * (1.0 - p))[:, None]).sum(axis=0) + l2 * w
        hess = (diffs * (weights * p * (1.0 - p))[:, None]).T @ diffs + l2 * eye
        step = np.linalg.solve(hess, grad)
        w = w - step
        if float(np.max(np.abs(step))) < 1e-9:
            break
    margin = diffs @ w
    p = 0.5 * (1.0 + np.tanh(0.5 * margin))
    hess = (diffs * (weights * p * (1.0 - p))[:, None]).T @ diffs + l2 * eye
    return w, np.linalg.inv(hess)


def strength_of(z: float) -> str | None:
    for bound, name in STRENGTHS:
        if abs(z) >= bound:
            return name
    return None


@dataclass(frozen=True)
class Preference:
    """One learned preference: a style group (direction, palette, shapes, lines, density), the
    feature of it that moves the choices most, its sign, and the group's evidence."""

    group: str
    key: str  # the feature
    words: str
    weight: float
    se: float
    z: float  # the group's Wald test as a normal z (two-sided): 3 = strong, 2 = medium, 1 = weak
    p_value: float
    strength: str | None
    agree: int  # screens where the feature differed and the choice leaned the learned way
    differed: int  # screens where it differed

    def phrase(self) -> str:
        return f"{self.words} ({self.strength}, {self.agree} of {self.differed} screens where it differed)"


@dataclass(frozen=True)
class HeldOut:
    """The fit on the other judgments, scored on the held-out judgments' style pairs."""

    correct: int
    pairs: int  # pairs whose style differs (the model has an opinion)
    screens: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.pairs if self.pairs else None

    def interval(self) -> tuple[float, float]:
        return wilson(self.correct, self.pairs)


@dataclass(frozen=True)
class Taste:
    weights: tuple[float, ...]
    se: tuple[float, ...]
    screens: int  # screens with at least one style pair
    pairs: int
    preferences: tuple[Preference, ...]  # one per style group, strongest first
    cuts: tuple[float, ...]  # the matching side's boundary per feature
    heldout: HeldOut | None = None
    utility_cut: float = 0.0  # the median utility of the drawings shown (a tentative taste's cut)

    @property
    def clear(self) -> tuple[Preference, ...]:
        """The preferences `matches` checks: strong or medium, at most MAX_MATCH_PREFERENCES."""
        return tuple(p for p in self.preferences if p.strength in CLEAR)[:MAX_MATCH_PREFERENCES]

    def utility(self, style: Sequence[float]) -> float:
        return float(np.dot(self.weights, style))

    def prefers(self, a: Sequence[float], b: Sequence[float]) -> bool | None:
        """Whether a is more to the person's taste than b; None when the model cannot tell."""
        margin = self.utility(a) - self.utility(b)
        return None if abs(margin) < 1e-9 else margin > 0

    @property
    def tentative(self) -> bool:
        """No clear preference yet, but some lean (weak): `matches` then uses the whole model."""
        return not self.clear and any(p.strength == "weak" for p in self.preferences)

    def matches(self, style: Sequence[float] | None) -> bool:
        """On the preferred side of every clear preference; with a tentative taste, ranked above the
        median drawing the person was shown by the whole model (False: invalid or no taste)."""
        if style is None or len(style) != N_FEATURES:
            return False
        if self.tentative:
            return self.utility(style) > self.utility_cut
        if not self.clear:
            return False
        index = {key: i for i, key in enumerate(FEATURE_KEYS)}
        for p in self.clear:
            i = index[p.key]
            above = style[i] > self.cuts[i]
            if above != (p.weight > 0):
                return False
        return True

    def match_words(self) -> str:
        if self.tentative:
            leaning = [p.words for p in self.preferences if p.strength == "weak"][:MAX_MATCH_PREFERENCES]
            return (f"ranked above your median shown drawing by the taste so far, leaning to {_join(leaning)}; "
                    "not clear yet")
        return " and ".join(p.words for p in self.clear)

    def screens_to_clear(self) -> int:
        """About how many more screens until the strongest preference is strong (z >= 3),
        assuming z grows with the square root of the screens; rounded up to 5, at least 5."""
        top = max((abs(p.z) for p in self.preferences), default=0.0)
        n = max(1, self.screens)
        if top >= TARGET_Z:
            return 0
        need = n * (TARGET_Z / max(top, 0.5)) ** 2 - n
        return int(max(5, min(500, 5 * math.ceil(need / 5))))

    def summary(self) -> str:
        """The taste in words, with the evidence counts."""
        if not self.screens:
            return "No taste yet: no labeled screen compares two valid drawings."
        said = [p for p in self.preferences if p.strength in CLEAR]
        leaning = [p for p in self.preferences if p.strength == "weak"][:3]
        if not said:
            text = (f"No clear taste yet after {self.screens} screens"
                    + (f"; leaning to {_join([p.words for p in leaning])}" if leaning else "")
                    + f". About {self.screens_to_clear()} more screens should tell.")
        else:
            text = f"You prefer {_join([p.phrase() for p in said])}"
            if leaning:
                text += f"; maybe {_join([p.words for p in leaning])} (weak)"
            text += f". From {self.screens} screens ({self.pairs} pairs of valid drawings)."
        if self.heldout is not None and self.heldout.pairs:
            lo, hi = self.heldout.interval()
            text += (f" On {self.heldout.screens} held-out screens it predicts your choice in "
                     f"{self.heldout.correct} of {self.heldout.pairs} pairs ({pct(self.heldout.accuracy)}, "
                     f"95% CI {pct(lo)}-{pct(hi)}; 50% is a coin).")
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"screens": self.screens, "pairs": self.pairs,
                "weights": dict(zip(FEATURE_KEYS, self.weights)), "se": dict(zip(FEATURE_KEYS, self.se)),
                "preferences": [{"feature": p.key, "words": p.words, "strength": p.strength, "z": p.z,
                                 "agree": p.agree, "differed": p.differed} for p in self.preferences],
                "heldout": None if self.heldout is None else
                {"correct": self.heldout.correct, "pairs": self.heldout.pairs, "screens": self.heldout.screens},
                "summary": self.summary()}


ONE_HOT_GROUPS = ((6, 7, 8), (9, 10, 11))  # shapes, line styles: shares of the nodes, summing to 1
# What a person would name as one choice; each is tested as a whole (Wald), so correlated features
# (a blue palette also moves the hue features) share their evidence instead of splitting it.
GROUPS = (("direction", (0, 1)), ("palette", (2, 3, 4, 5)), ("shapes", (6, 7, 8)), ("lines", (9, 10, 11)),
          ("density", (12,)))


def _centring() -> np.ndarray:
    """The projection that replaces each one-hot group's weights by their deviations from the group mean."""
    p = np.eye(N_FEATURES)
    for group in ONE_HOT_GROUPS:
        idx = np.array(group)
        p[np.ix_(idx, idx)] -= 1.0 / len(group)
    return p


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _arrays(pairs: Sequence[StylePair]) -> tuple[np.ndarray, np.ndarray]:
    if not pairs:
        return np.zeros((0, N_FEATURES)), np.zeros(0)
    return np.array([p.diff for p in pairs]), np.array([p.weight for p in pairs])


def _evidence(pairs: Sequence[StylePair], i: int, sign: float) -> tuple[int, int]:
    """(screens leaning the learned way, screens where feature i differed)."""
    lean: dict[str, float] = {}
    for p in pairs:
        delta = p.chosen[i] - p.rejected[i]
        if abs(delta) >= MIN_DIFFERENCE:
            lean[p.judgment_id] = lean.get(p.judgment_id, 0.0) + p.weight * math.copysign(1.0, delta)
    return sum(1 for v in lean.values() if v * sign > 0), len(lean)


def score_heldout(weights: np.ndarray, pairs: Sequence[StylePair]) -> HeldOut:
    correct = n = 0
    for p in pairs:
        margin = float(np.dot(weights, p.diff))
        if abs(margin) < 1e-9:
            continue
        n += 1
        correct += margin > 0
    return HeldOut(correct, n, len({p.judgment_id for p in pairs}))


def fit_taste(judgments: Iterable[Judgment], *, l2: float = L2,
              style_of: Mapping[str, tuple[float, ...] | None] | None = None) -> Taste:
    """The taste of these judgments (one person's, or everyone's), with its held-out score."""
    judgments = [j for j in judgments if not j.both_bad]
    cache: dict = style_of if isinstance(style_of, dict) else dict(style_of or {})
    pairs = style_pairs(judgments, cache)
    w, cov = fit_weights(*_arrays(pairs), l2=l2)
    # A drawing's shape shares (and line-style shares) sum to 1, so only their differences are
    # identified: report each against its group's mean (the prior already centres w there).
    centre = _centring()
    w, cov = centre @ w, centre @ cov @ centre.T
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    diffs, _ = _arrays(pairs)
    spread = np.abs(diffs).mean(axis=0) if len(diffs) else np.zeros(N_FEATURES)
    prefs = []
    for name, group in GROUPS:
        idx = np.array(group)
        chi2, df = wald(w[idx], cov[np.ix_(idx, idx)])
        p_value = chi2_sf(chi2, df)
        z = two_sided_z(p_value)
        # the group's feature that moves the choices most: weight x typical difference on a screen
        i = max(group, key=lambda k: abs(w[k]) * spread[k])
        feature = FEATURES[i]
        agree, differed = _evidence(pairs, i, 1.0 if w[i] >= 0 else -1.0)
        prefs.append(Preference(name, feature.key, feature.more if w[i] >= 0 else feature.less, float(w[i]),
                                float(se[i]), z, p_value, strength_of(z) if differed else None, agree, differed))
    prefs.sort(key=lambda p: (-p.z, p.group))
    shown = shown_styles(judgments, cache)
    cuts = tuple(f.cut if f.cut is not None else (median(s[i] for s in shown) if shown else 0.5)
                 for i, f in enumerate(FEATURES))
    train = [p for p in pairs if not p.heldout]
    held = [p for p in pairs if p.heldout]
    heldout = None
    if held:
        # the held-out judgments' pairs are scored by a fit that never saw them
        w_train, _ = fit_weights(*_arrays(train), l2=l2)
        heldout = score_heldout(w_train, held)
    utility_cut = median(float(np.dot(w, s)) for s in shown) if shown else 0.0
    return Taste(tuple(float(x) for x in w), tuple(float(x) for x in se), len({p.judgment_id for p in pairs}),
                 len(pairs), tuple(prefs), cuts, heldout, utility_cut)
