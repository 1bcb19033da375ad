"""The style line (diagram/style.py): format/parse round trip, its regex, random styles."""

from __future__ import annotations

import itertools
import random
import re

import pytest

from diagram import parse
from diagram.grammar import ANSWER_REGEX
from diagram.style import (DIRECTIONS, GAPS, PALETTE_NAMES, SHAPE_CHOICES, SIZES, STYLE_REGEX, Style,
                           find_style, format_style, parse_style_line, random_style, style_distance)
from diagram.model import LINE_SHAPES

ALL = [Style(d, g, s, sh, p, ln) for d, g, s, sh, p, ln in
       itertools.product(DIRECTIONS, GAPS, SIZES, SHAPE_CHOICES, PALETTE_NAMES, LINE_SHAPES)]


def test_every_style_round_trips_and_matches_the_regex():
    assert len(ALL) == 4 * 4 * 3 * 4 * 5 * 3
    for style in ALL:
        line = format_style(style)
        assert parse_style_line(line) == style
        assert re.fullmatch(STYLE_REGEX, line), line


def test_the_documented_example():
    line = "# style: left_to_right, gap 1.2, size medium, round rectangle, blue, dashed line"
    style = parse_style_line(line)
    assert style == Style("left_to_right", 1.2, "medium", "round rectangle", "blue", "dashed line")
    assert format_style(style) == line


@pytest.mark.parametrize("line", [
    "# style: sideways, gap 1.2, size medium, circle, blue, dashed line",
    "# style: left_to_right, gap 1.3, size medium, circle, blue, dashed line",
    "# style: left_to_right, gap x, size medium, circle, blue, dashed line",
    "# style: left_to_right, gap 1.2, size huge, circle, blue, dashed line",
    "# style: left_to_right, gap 1.2, size medium, circle, blue",
    "# layers 3-5-2",
    "",
])
def test_lines_that_are_not_styles(line):
    assert parse_style_line(line) is None
    assert not re.fullmatch(STYLE_REGEX, line)


def test_the_parser_skips_the_style_line_and_the_answer_grammar_allows_plan_then_style():
    text = ("# layers 1-1\n# style: top_to_bottom, gap 0.8, size small, circle, green, solid line\n"
            "[0, 100, 100, 'circle', 40, 40, 'solid line', (1, 2, 3), (4, 5, 6), [1]]\n"
            "[1, 100, 300, 'circle', 40, 40, 'solid line', (1, 2, 3), (4, 5, 6), []]")
    result = parse(text)
    assert result.ok and len(result.diagram.nodes) == 2
    assert find_style(text) == Style("top_to_bottom", 0.8, "small", "circle", "green", "solid line")
    assert find_style("[0, 1, 2, 'circle', 3, 4, 'solid line', (1, 2, 3), (4, 5, 6), []]") is None
    assert re.fullmatch(ANSWER_REGEX, text)  # --free-layout: the model may write both head lines


def test_invalid_field_values_are_refused():
    with pytest.raises(ValueError, match="gap"):
        Style(gap=2.0)
    with pytest.raises(ValueError, match="palette"):
        Style(palette="neon")


def test_random_style_varies_every_field_and_is_seeded():
    styles = [random_style(random.Random(i)) for i in range(400)]
    for field in ("direction", "gap", "size", "shapes", "palette", "line"):
        assert len({getattr(s, field) for s in styles}) == len(
            {"direction": DIRECTIONS, "gap": GAPS, "size": SIZES, "shapes": SHAPE_CHOICES,
             "palette": PALETTE_NAMES, "line": LINE_SHAPES}[field]), field
    assert styles == [random_style(random.Random(i)) for i in range(400)]


def test_random_style_draws_from_the_rng_like_the_layouts_one():
    """Five draws, as diagram.layouts.random_style: the synthetic requests did not change."""
    from diagram.layouts import random_style as old_random_style

    a, b = random.Random(3), random.Random(3)
    random_style(a)
    old_random_style(b)
    assert a.random() == b.random()


def test_style_distance():
    a = Style()
    assert style_distance(a, a) == 0
    assert style_distance(a, Style(direction="top_to_bottom", palette="gray")) == 2
