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


def layered(order: Sequence[Hashable], out: Mapping | Sequence) -> tuple[list[list], dict, set[tuple]]:
    """(ranks, level, back): a flow's nodes layered by the longest path over its forward edges, the
    edges closing a cycle (`back_edges`, walked from `order`) set aside as loops. `ranks[r]` holds
    the nodes of level r in `order`'s order; `level[node]` is its rank."""
    back = back_edges(order, out)
    level = {node: 0 for node in order}
    forward = [(a, b) for a in order for b in out[a] if (a, b) not in back]
    for _ in range(len(level)):  # acyclic once the back edges are out: at most one round a node
        changed = False
        for a, b in forward:
            if level[b] < level[a] + 1:
                level[b] = level[a] + 1
                changed = True
        if not changed:
            break
    ranks: list[list] = [[] for _ in range(max(level.values(), default=0) + 1)]
    for node in order:
        ranks[level[node]].append(node)
    return ranks, level, back


# ---- labels that fit a box (issue 21) -----------------------------------------------------------

# the words a headline leaves out, in the order they go when a label is over its limit: articles
# ("Replace the larger number" -> "Replace larger number"), then auxiliaries and modals before another
# word ("users will be notified" -> "users notified") and "its"; each only before a word of letters
# (not "a = b", "n is 0"), never the label's first or last word nor the verb after "there" or "that"
_HEADLINE_DROPS = (
    frozenset("the a an".split()),
    frozenset("will shall must should can could would may might is are was were be been being its".split()),
)
# "there might be multiple teams", "requests that are open": the verb is the clause's only verb, it stays
_EXISTENTIAL = re.compile(r"(?:.* )?(?:there|that|which|who)(?: (?:will|shall|must|should|can|could|would|may|might))?")
_LETTERS = re.compile(r"[^\W\d_][\w'’-]*")
# words a cut label must not end on ("Determine refund amount based on" -> "Determine refund amount based")
_DANGLING = frozenset("the a an and or but of to in on at by for with from into as than that which who whose "
                      "whether if when while because so via per is are was were be been will shall must should "
                      "can could would may might its their his her your our my this these those against about over under "
                      "through between after before without within upon across toward towards onto like using any each every some "
                      "both either neither".split())


_MODALS = frozenset("will shall must should can could would may might".split())
_DONE = re.compile(r"(?:ed|ing|en)$|^(?:be|been|being)$", re.I)  # "will be", "must have": no verb form to change
_NOT_AFTER = frozenset("not also only then just still first now have has had do does never always".split())


def _third_person(verb: str, subject: str) -> str:
    """`verb` as it reads after `subject` once the modal before it is gone: "workflow (will) retry" ->
    "retries", "function (will) send" -> "sends"; after a plural ("users") or "I/you/we/they" as it is."""
    low = subject.lower()
    if not verb.isalpha() or not verb.islower() or not low.isalpha() or (low.endswith("s") and not low.endswith("ss")) \
            or low.endswith("ed") or low in ("i", "you", "we", "they"):
        return verb
    if re.search(r"[^aeiou]y$", verb):
        return verb[:-1] + "ies"
    return verb + ("es" if re.search(r"(?:s|sh|ch|x|z|o)$", verb) else "s")


def headline(text: str, limit: int, kinds: int = len(_HEADLINE_DROPS)) -> str:
    """`text` with the words a headline leaves out (the first `kinds` of `_HEADLINE_DROPS`) taken out, a kind
    at a time, until it is within `limit` characters or nothing more can go (it may still be longer)."""
    text = " ".join(text.split())
    words = text.split(" ")
    for drops in _HEADLINE_DROPS[:kinds]:
        if len(" ".join(words)) <= limit:
            break
        kept: list[str] = []
        for k, w in enumerate(words):
            if 0 < k < len(words) - 1 and w.lower() in drops and _LETTERS.fullmatch(words[k + 1]) \
                    and not _EXISTENTIAL.fullmatch(" ".join(words[max(0, k - 2): k]).lower()):
                j = k + 2 if words[k + 1].endswith("ly") and k + 2 < len(words) else k + 1  # "will typically send"
                if w.lower() in _MODALS and not _DONE.search(words[j]) and words[j].lower() not in _NOT_AFTER:
                    words[j] = _third_person(words[j], kept[-1] if kept else "")  # "workflow will retry"
                continue
            kept.append(w)
        words = kept
    if kinds == len(_HEADLINE_DROPS) and len(" ".join(words)) > limit:
        words = ["&" if w == "and" and 0 < k < len(words) - 1 else w for k, w in enumerate(words)]
    return " ".join(words)


def fit_label(text: str, limit: int, kinds: int = len(_HEADLINE_DROPS)) -> str:
    """`text` in at most `limit` characters, the way a headline shortens: words a reader can do without
    go first (`_HEADLINE_DROPS`), then the text is cut after a whole word, without a dangling word or
    mark at its end ("Record a short medical history of the illness or injury" -> "Record short medical
    history of illness or injury"). Text within `limit` is returned as it is. `kinds`: how many kinds of
    `_HEADLINE_DROPS` may go (1 for a question: its "is" is what it asks)."""
    text = headline(text, limit, kinds)
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0] if " " in text[: limit + 1] else text[:limit]
    parts = cut.split(" ")
    while len(parts) > 1 and (parts[-1].lower().strip(",;:") in _DANGLING or not re.search(r"\w", parts[-1])):
        parts.pop()
    return " ".join(parts).rstrip(" ,;:-–—(/&")
