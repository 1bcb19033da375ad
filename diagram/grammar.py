"""The answer format as a regular expression: what grammar-constrained decoding lets the model write.

One node per line, exactly as `diagram.write.dumps` writes it (canonical spacing, integers):

    [0, 62, 300, 'round rectangle', 40, 40, 'solid arrow', (224, 224, 240), (64, 64, 128), [1]]
    [1, 500, 300, 'circle', 40, 40, 'solid line', (0, 0, 255), (0, 0, 0), [], 'Hidden 1']

- id 0-999, x 0-1000, y 0-600, width 1-1000, height 1-600, RGB 0-255, all integers without
  leading zeros (the writer prints integral numbers that way and every training answer has them);
- shape and line shape from `diagram.model.SHAPES` / `LINE_SHAPES`, single-quoted;
- a target list of ids; an optional 11th field: a quoted label of 1-LABEL_MAX_CHARS (60) characters, none of them a
  quote, a backslash or a control character (so it never needs the writer's escapes);
- optionally one leading plan line `# ...` (up to PLAN_MAX_CHARS characters after `# `), which
  `diagram.parse` skips as prose, and after it optionally a style line (`diagram.style.STYLE_REGEX`);
- lines separated by one newline, at most one trailing newline; EOS only after a complete line.

The language is regular, so it is written once here as a regex (Python `re`, Rust `regex` and
xgrammar's regex dialect all read it) and the decoder library compiles it against a tokenizer
(`trainer.generation.grammar`). Semantics (a target id no node has, duplicate ids, overlaps) stay the
parser's job: they are reported as parse problems, not prevented.

    >>> import re; bool(re.fullmatch(ANSWER_REGEX, "[0, 1, 2, 'circle', 3, 4, 'solid line', (1, 2, 3), (4, 5, 6), []]"))
    True
"""

from __future__ import annotations

from diagram.model import LINE_SHAPES, SHAPES
from diagram.style import STYLE_REGEX

LABEL_MAX_CHARS = 60  # the renderer draws a label over 40 characters on 2-3 lines (render.wrap_label)
PLAN_MAX_CHARS = 198  # after the "# ": a plan line is at most 200 characters


def _alternatives(names) -> str:
    return "(" + "|".join(sorted(names, key=len, reverse=True)) + ")"


ID = "(0|[1-9][0-9]{0,2})"
X = "(0|[1-9][0-9]{0,2}|1000)"
Y = "(0|[1-9][0-9]?|[1-5][0-9]{2}|600)"
WIDTH = "([1-9][0-9]{0,2}|1000)"
HEIGHT = "([1-9][0-9]?|[1-5][0-9]{2}|600)"
CHANNEL = "(0|[1-9][0-9]?|1[0-9]{2}|2[0-4][0-9]|25[0-5])"
RGB = rf"\({CHANNEL}, {CHANNEL}, {CHANNEL}\)"
SHAPE = "'" + _alternatives(SHAPES) + "'"
LINE_SHAPE = "'" + _alternatives(LINE_SHAPES) + "'"
TARGETS = rf"\[({ID}(, {ID})*)?\]"
LABEL = rf"'[^'\\\x00-\x1f\x7f]{{1,{LABEL_MAX_CHARS}}}'"
NODE_LINE = (rf"\[{ID}, {X}, {Y}, {SHAPE}, {WIDTH}, {HEIGHT}, {LINE_SHAPE}, {RGB}, {RGB}, "
             rf"{TARGETS}(, {LABEL})?\]")
PLAN_LINE = rf"# [^\x00-\x1f\x7f]{{0,{PLAN_MAX_CHARS}}}"
ANSWER_REGEX = rf"({PLAN_LINE}\n)?({STYLE_REGEX}\n)?{NODE_LINE}(\n{NODE_LINE})*\n?"
