"""The request text as the reader's rules see it (`diagram.reader`, `reader_dense`, `reader_steps`):
`clean(request)` makes every run of blanks one space, drops empty lines and reads every number of
7+ digits as TOO_BIG, or gives None for text over MAX_REQUEST_CHARS. That is what keeps reading
linear in the request's length (issue 19).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping, Sequence

# The longest request read (the labeler's limit on a typed request): longer text reads as nothing.
MAX_REQUEST_CHARS = 2_000
# Pasted code and summary tables (a VGG in Keras, a torchsummary table) run longer: the code reader
# (`diagram.reader_code`, linear by construction) alone reads text up to this long.
MAX_CODE_CHARS = 8_000
_BLANKS = re.compile(r"[^\S\n]+")
_LONG_NUMBER = re.compile(r"\d{7,}")
TOO_BIG = "9999999"  # what any number of 7+ digits reads as: more than any size or count allowed


def clean(request: str, limit: int = MAX_REQUEST_CHARS) -> str | None:
    """The request with every run of blanks one space and no empty lines, or None when it is over
    MAX_REQUEST_CHARS, and every number of 7+ digits as TOO_BIG: the reader's patterns then see at
    most one whitespace character and 7 digits in a row, which (with their bounded repeats) keeps
    reading linear in the request's length."""
    if not isinstance(request, str) or len(request.strip()) > limit:
        return None
    request = _LONG_NUMBER.sub(TOO_BIG, request)
    lines = (_BLANKS.sub(" ", line).strip() for line in request.splitlines())
    return "\n".join(line for line in lines if line)


def back_edges(order: Iterable[Hashable], out: Mapping | Sequence) -> set[tuple]:
    """The edges closing a cycle in a depth-first walk from each node of `order` in turn (iterative,
    so deep chains do not hit the recursion limit): the loops of a flow. `out[node]` lists the nodes
    an edge from `node` leads to, in the order they were written."""
    state: dict = {}  # 1: on the walk's path, 2: done
    back: set[tuple] = set()
    for root in order:
        if root in state:
            continue
        stack = [(root, 0)]
        state[root] = 1
        while stack:
            node, k = stack.pop()
            if k < len(out[node]):
                stack.append((node, k + 1))
                nxt = out[node][k]
                if state.get(nxt) == 1:
                    back.add((node, nxt))
                elif nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, 0))
            else:
                state[node] = 2
    return back
