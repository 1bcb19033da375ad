"""The prompt template, identical to the original project's so datasets stay interchangeable.

`build_prompt(request)` is the one place that wraps a user's request; the trainer adds the chat
wrapper (`### Question: ... ### Answer: `) on top of it.
"""

from __future__ import annotations

PROMPT_PREFIX = "Represent below as a Python list.\n\n"

PROMPT_SUFFIX = """in the following format.

At this time, each node is represented in the format of Python list "[node No.,
X position (px), Y position (px), shape (rectangle, round rectangle or circle),
width (px), height (px), connection line shape (solid arrow, solid line or dashed line),
background color, connection line color, list of node No. s of other nodes pointed to by the connection line]".

At this time, the color is represented in the format of tuple (R, G, B), between 0 and 255, and
X position range is 0-1000 and Y position range is 0-600.

It is important to draw a representation of high readability."""


def build_prompt(request: str) -> str:
    """Wrap a free-form request ("DL model with 4 input nodes ...") in the fixed prefix/suffix."""
    request = request.strip()
    if not request:
        raise ValueError("the request is empty")
    return f"{PROMPT_PREFIX}{request}\n{PROMPT_SUFFIX}"


def extract_request(prompt: str) -> str:
    """Inverse of `build_prompt`: the user's request, or the text unchanged if not wrapped."""
    text = prompt
    if text.startswith(PROMPT_PREFIX):
        text = text[len(PROMPT_PREFIX):]
    if text.endswith(PROMPT_SUFFIX):
        text = text[: -len(PROMPT_SUFFIX)]
    return text.strip()
