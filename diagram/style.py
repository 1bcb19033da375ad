"""The style line: how a drawing looks, in a handful of choices the model writes after the plan line.

    # style: left_to_right, gap 1.2, size medium, round rectangle, blue, dashed line

Fields in this order, each from a small vocabulary (what people vary in a diagram):

- direction: left_to_right | top_to_bottom | right_to_left | bottom_to_top (the flow of the ranks);
- gap: 0.8 | 1.0 | 1.2 | 1.5 (spacing: compact .. airy);
- size: small | medium | large (node size);
- shapes: rectangle | round rectangle | circle | mixed (mixed: by role, circles for neurons and
  models, rectangles for data, round rectangles for processing steps);
- palette: blue | green | warm | gray | pastel (one tone per node role, `diagram.layouts`);
- line: solid arrow | solid line | dashed line (the connection line shape).

The parser (`diagram.parse`) skips `# ...` lines, so a style line costs nothing to the format; the
layout engine (`diagram.engine`) turns plan + style into every node's box. Pure and stdlib only.

    >>> s = parse_style_line("# style: top_to_bottom, gap 0.8, size small, circle, green, solid line")
    >>> s.direction, s.gap, format_style(s) == "# style: top_to_bottom, gap 0.8, size small, circle, green, solid line"
    ('top_to_bottom', 0.8, True)
"""

from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass

from diagram.model import LINE_SHAPES

DIRECTIONS = ("left_to_right", "top_to_bottom", "right_to_left", "bottom_to_top")
GAPS = (0.8, 1.0, 1.2, 1.5)
SIZES = ("small", "medium", "large")
SHAPE_CHOICES = ("rectangle", "round rectangle", "circle", "mixed")
PALETTE_NAMES = ("blue", "green", "warm", "gray", "pastel")  # diagram.layouts.PALETTES
STYLE_PREFIX = "# style: "


def _alternatives(names) -> str:
    return "(" + "|".join(re.escape(n).replace("\\ ", " ") for n in sorted(names, key=len, reverse=True)) + ")"


def _gap_text(gap: float) -> str:
    return f"{gap:.1f}"


# The style line as a regex (Python `re` and llguidance read it), without its ending newline.
STYLE_REGEX = (r"# style: " + _alternatives(DIRECTIONS) + r", gap " +
               "(" + "|".join(_gap_text(g).replace(".", r"\.") for g in GAPS) + ")" +
               r", size " + _alternatives(SIZES) + ", " + _alternatives(SHAPE_CHOICES) + ", " +
               _alternatives(PALETTE_NAMES) + ", " + _alternatives(LINE_SHAPES))
_STYLE = re.compile(r"#\s*style:\s*(.*)")


@dataclass(frozen=True)
class Style:
    """One drawing style (see the module docstring for the vocabulary)."""

    direction: str = "left_to_right"
    gap: float = 1.0
    size: str = "medium"
    shapes: str = "round rectangle"
    palette: str = "blue"
    line: str = "solid arrow"

    def __post_init__(self) -> None:
        checks = [("direction", DIRECTIONS), ("gap", GAPS), ("size", SIZES),
                  ("shapes", SHAPE_CHOICES), ("palette", PALETTE_NAMES), ("line", LINE_SHAPES)]
        for name, allowed in checks:
            if getattr(self, name) not in allowed:
                raise ValueError(f"style {name} must be one of {allowed}, got {getattr(self, name)!r}")

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def format_style(style: Style) -> str:
    """The style line: '# style: left_to_right, gap 1.0, size medium, round rectangle, blue, solid arrow'."""
    return (f"{STYLE_PREFIX}{style.direction}, gap {_gap_text(style.gap)}, size {style.size}, "
            f"{style.shapes}, {style.palette}, {style.line}")


def parse_style_line(line: str) -> Style | None:
    """The Style a style line states, or None when the line is not one (any field unknown)."""
    match = _STYLE.fullmatch(line.strip())
    if not match:
        return None
    parts = [p.strip() for p in match.group(1).split(",")]
    if len(parts) != 6 or not parts[1].startswith("gap ") or not parts[2].startswith("size "):
        return None
    try:
        gap = float(parts[1][4:])
    except ValueError:
        return None
    try:
        return Style(parts[0], gap, parts[2][5:].strip(), parts[3], parts[4], parts[5])
    except ValueError:
        return None


def find_style(text: str) -> Style | None:
    """The style of an answer: its first `# style:` line that parses (None if it has none)."""
    for line in text.splitlines():
        if line.lstrip().startswith("#") and "style:" in line:
            style = parse_style_line(line)
            if style is not None:
                return style
    return None


def random_style(rng: random.Random) -> Style:
    """A style where every field varies (solid arrows more often, as in the reference data).

    It advances `rng` exactly as `diagram.layouts.random_style` does (five draws), so the
    synthetic data's requests stay the ones they were before style lines existed; the fields those
    draws do not cover (reversed directions, the gap) come from a generator seeded by the state.
    """
    palette = rng.choice(PALETTE_NAMES)
    shapes = rng.choice(("mixed", "rectangle", "round rectangle", "circle"))
    direction = rng.choice(DIRECTIONS[:2])
    line = rng.choices(LINE_SHAPES, weights=(3, 1, 1))[0]
    size = rng.choice(SIZES)
    extra = random.Random(hash(rng.getstate()[1]))  # a tuple of ints hashes the same in every run
    if extra.random() < 0.25:
        direction = {"left_to_right": "right_to_left", "top_to_bottom": "bottom_to_top"}[direction]
    return Style(direction=direction, gap=extra.choice(GAPS), size=size, shapes=shapes,
                 palette=palette, line=line)


def style_distance(a: Style, b: Style) -> int:
    """How many of the six fields differ (0: the same style)."""
    return sum(getattr(a, f) != getattr(b, f) for f in ("direction", "gap", "size", "shapes",
                                                         "palette", "line"))
