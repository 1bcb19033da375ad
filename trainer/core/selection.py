"""Active candidate selection: sample M > K candidates, show the K a judgment learns most from.

A screen teaches a taste only when its candidates differ in that taste: four top-to-bottom drawings
in grey say nothing about "left to right, blue". So the K shown are chosen among the M sampled to be
(1) valid first, (2) spread out in style (direction, palette, shapes, line styles, layout density),
and, once the model has been preference-trained, (3) pairs whose log-probabilities are close, i.e.
where the model's own preference is least certain (ORPO/SimPO's implicit reward is the mean
per-token log-probability).

    shown = select_candidates([c.parse for c in cands], k=4)             # style only
    shown = select_candidates(parses, k=4, margins=mean_logprobs)       # + uncertainty

Pure: `diagram` only. Every subset of K is scored (M <= 12 keeps that under C(12, 6) = 924).
"""

from __future__ import annotations

import colorsys
import math
from itertools import combinations
from typing import Sequence

from diagram import Diagram, ParseResult
from diagram.metrics import is_blue_palette
from diagram.model import CANVAS_HEIGHT, CANVAS_WIDTH, LINE_SHAPES, SHAPES

MAX_M = 12
UNCERTAINTY_WEIGHT = 1.0  # against mean style distance, both in [0, 1]


def style_features(diagram: Diagram) -> tuple[float, ...]:
    """A style vector in [0, 1]-ish coordinates: direction (2), palette (4), shapes (3), lines (3),
    density (1). Structure (how many nodes, which edges) is left out: the request fixes it."""
    nodes = diagram.nodes
    if not nodes:
        return (0.0,) * 13
    by_id = diagram.by_id()
    vectors = [(by_id[t].x - by_id[s].x, by_id[t].y - by_id[s].y) for s, t in diagram.edges() if s != t]
    dx = sum(v[0] for v in vectors) / max(1, len(vectors))
    dy = sum(v[1] for v in vectors) / max(1, len(vectors))
    norm = math.hypot(dx, dy) or 1.0
    direction = (0.5 + 0.5 * dx / norm, 0.5 + 0.5 * dy / norm) if vectors else (0.5, 0.5)
    hsv = [colorsys.rgb_to_hsv(*(c / 255 for c in n.fill)) for n in nodes]
    hue_x = sum(math.cos(2 * math.pi * h) * s for h, s, _ in hsv) / len(hsv)
    hue_y = sum(math.sin(2 * math.pi * h) * s for h, s, _ in hsv) / len(hsv)
    palette = (0.5 + 0.5 * hue_x, 0.5 + 0.5 * hue_y, sum(v for _, _, v in hsv) / len(hsv), is_blue_palette(diagram))
    shapes = tuple(sum(n.shape == s for n in nodes) / len(nodes) for s in SHAPES)
    lines = tuple(sum(n.line_shape == s for n in nodes) / len(nodes) for s in LINE_SHAPES)
    area = sum(n.width * n.height for n in nodes) / (CANVAS_WIDTH * CANVAS_HEIGHT)
    return direction + palette + shapes + lines + (min(1.0, area),)


# Feature groups and their weights in style_distance: a direction lies on a circle of radius 0.5
# (left-to-right vs top-down is 0.71 apart) while a one-hot group (shapes, lines) changes by 1.41,
# so direction, the style users care most about, is scaled by 2 to count as much as a shape change.
GROUPS = ((slice(0, 2), 2.0), (slice(2, 6), 1.0), (slice(6, 9), 1.0), (slice(9, 12), 1.0),
          (slice(12, 13), 1.0))


def style_distance(a: Sequence[float], b: Sequence[float]) -> float:
    """How far apart two styles are, in [0, 1): 1 - exp(-d) of the weighted Euclidean distance d
    over sqrt(2) (one full group apart: d ~ 1, 0.63; two groups: ~0.76). Saturating softly, not at
    a hard cap, so drawings that differ in more groups still count for more: with a cap at 1, half
    of tiny-sft's candidate pairs tie at the cap and any K of them look equally informative."""
    squared = sum(weight ** 2 * sum((x - y) ** 2 for x, y in zip(a[part], b[part])) for part, weight in GROUPS)
    return 1.0 - math.exp(-math.sqrt(squared) / math.sqrt(2))


def select_candidates(parses: Sequence[ParseResult], k: int, margins: Sequence[float | None] | None = None,
                      uncertainty_weight: float = UNCERTAINTY_WEIGHT) -> list[int]:
    """Positions (ascending) of the `k` candidates to show out of the M given.

    Valid candidates first (an invalid one only fills places valid ones cannot); among the subsets of
    the valid ones, the highest mean pairwise style distance plus, when `margins` (one mean per-token
    log-probability per candidate, under the model being trained) are given, `uncertainty_weight`
    times the mean closeness of the pairs' log-probabilities (1 = equal, 0 = the widest gap among the
    M). Ties go to earlier positions, so the choice is deterministic.
    """
    m = len(parses)
    if k >= m:
        return list(range(m))
    if m > MAX_M:
        raise ValueError(f"at most {MAX_M} candidates to select from, got {m}")
    valid = [i for i, p in enumerate(parses) if p.ok and p.diagram.nodes]
    if len(valid) <= k:
        rest = [i for i in range(m) if i not in valid]
        return sorted(valid + rest[: k - len(valid)])
    feats = {i: style_features(parses[i].diagram) for i in valid}
    use_margins = margins is not None and all(margins[i] is not None for i in valid)
    if use_margins:
        values = [float(margins[i]) for i in valid]
        spread = (max(values) - min(values)) or 1.0
    best: tuple[float, tuple[int, ...]] | None = None
    for subset in combinations(valid, k):
        pairs = list(combinations(subset, 2))
        score = sum(style_distance(feats[a], feats[b]) for a, b in pairs) / len(pairs)
        if use_margins:
            score += uncertainty_weight * sum(1 - abs(float(margins[a]) - float(margins[b])) / spread
                                              for a, b in pairs) / len(pairs)
        if best is None or score > best[0] + 1e-12:
            best = (score, subset)
    return list(best[1])
