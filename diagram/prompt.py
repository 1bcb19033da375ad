"""The prompt template of the original project, in both of its wordings, so datasets stay interchangeable.

`build_prompt(request)` is the one place that wraps a user's request; the trainer adds the chat
wrapper (`### Question: ... ### Answer: `) on top of it.

The original project words the format paragraph two ways: its README says
`connection line shape (solid arrow, solid line or dashed line),\nbackground color, ...`
(`PROMPT_SUFFIX`), while its training data and code say
`connection line shape (solid or dashed), background color,\nconnection line color, ...`
(`ORIGINAL_DATA_SUFFIX`). Both are recognised everywhere a prompt is read (`extract_request`,
`canonical_prompt`), with any whitespace and line breaks. `build_prompt` writes the README
wording only: it names all three line shapes the format has, every committed data file and
checkpoint were made with it, and the tiny tokenizer holds it as one added token
(trainer/generation/tokenizer.py). A prompt in the other wording is re-wrapped with `canonical_prompt` before
it is tokenised (trainer/core/template.py `model_input`), so the model always sees the wording it was
trained on.
"""

from __future__ import annotations

import re

PROMPT_PREFIX = "Represent below as a Python list.\n\n"

PROMPT_SUFFIX = """in the following format.

At this time, each node is represented in the format of Python list "[node No.,
X position (px), Y position (px), shape (rectangle, round rectangle or circle),
width (px), height (px), connection line shape (solid arrow, solid line or dashed line),
background color, connection line color, list of node No. s of other nodes pointed to by the connection line]".

At this time, the color is represented in the format of tuple (R, G, B), between 0 and 255, and
X position range is 0-1000 and Y position range is 0-600.

It is important to draw a representation of high readability."""

# The original project's training data and code (`create_prompt`) word the line-shape sentence
# differently from its README; everything else is the same.
ORIGINAL_DATA_SUFFIX = PROMPT_SUFFIX.replace(
    "connection line shape (solid arrow, solid line or dashed line),\nbackground color, connection line color,",
    "connection line shape (solid or dashed), background color,\nconnection line color,",
)
PROMPT_SUFFIXES = (PROMPT_SUFFIX, ORIGINAL_DATA_SUFFIX)


def _loose(text: str) -> str:
    """A regex for `text` that matches any run of whitespace where it has whitespace."""
    return r"\s+".join(re.escape(word) for word in text.split())


_PREFIX_RE = re.compile(r"\A\s*" + _loose(PROMPT_PREFIX) + r"\s*")
_SUFFIX_RES = tuple(re.compile(r"\s*" + _loose(s) + r"\s*\Z") for s in PROMPT_SUFFIXES)


def build_prompt(request: str) -> str:
    """Wrap a free-form request ("DL model with 4 input nodes ...") in the fixed prefix/suffix."""
    request = request.strip()
    if not request:
        raise ValueError("the request is empty")
    return f"{PROMPT_PREFIX}{request}\n{PROMPT_SUFFIX}"


def split_prompt(prompt: str) -> tuple[str, bool]:
    """(request, wrapped): the prompt without a recognised prefix and suffix (either wording, any
    whitespace); `wrapped` is True when at least one of them was there."""
    text, wrapped = prompt, False
    prefix = _PREFIX_RE.match(text)
    if prefix:
        text, wrapped = text[prefix.end():], True
    for suffix_re in _SUFFIX_RES:
        suffix = suffix_re.search(text)
        if suffix:
            text, wrapped = text[: suffix.start()], True
            break
    return text.strip(), wrapped


def extract_request(prompt: str) -> str:
    """Inverse of `build_prompt` (either wording): the user's request, or the text stripped if not wrapped."""
    return split_prompt(prompt)[0]


def canonical_prompt(prompt: str) -> str:
    """A wrapped prompt in either wording re-wrapped by `build_prompt`; other text unchanged."""
    request, wrapped = split_prompt(prompt)
    return build_prompt(request) if wrapped and request else prompt
