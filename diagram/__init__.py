"""diagramlab's diagram core: the text format, parsing, writing, rendering and scores.

Pure functions over frozen dataclasses; no torch, no gradio, no file writes.

    >>> from diagram import parse, render
    >>> result = parse("[0, 100, 100, 'circle', 40, 40, 'solid arrow', (255,255,255), (0,0,0), []]")
    >>> len(result.diagram.nodes), result.problems
    (1, ())
"""

from diagram.metrics import (
    Readability,
    flow_direction,
    is_blue_palette,
    original_score,
    readability,
)
from diagram.model import CANVAS_HEIGHT, CANVAS_WIDTH, LINE_SHAPES, SHAPES, Diagram, Node
from diagram.parse import MAX_INPUT_CHARS, MAX_NODES, ParseResult, Problem, parse
from diagram.prompt import PROMPT_PREFIX, PROMPT_SUFFIX, build_prompt, canonical_prompt, extract_request
from diagram.render import RenderError, render, to_dot
from diagram.write import dump_node, dumps

__all__ = [
    "CANVAS_HEIGHT",
    "CANVAS_WIDTH",
    "LINE_SHAPES",
    "SHAPES",
    "Diagram",
    "Node",
    "MAX_INPUT_CHARS",
    "MAX_NODES",
    "ParseResult",
    "Problem",
    "parse",
    "PROMPT_PREFIX",
    "PROMPT_SUFFIX",
    "RenderError",
    "render",
    "to_dot",
    "Readability",
    "flow_direction",
    "is_blue_palette",
    "original_score",
    "readability",
    "build_prompt",
    "canonical_prompt",
    "extract_request",
    "dump_node",
    "dumps",
]
