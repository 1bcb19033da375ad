"""Read a pipeline told as a chain of clauses, one rank per clause (`diagram.reader.read_request` calls it).

    >>> read_flow("A pipeline which reads text, then stores it in a DB, then sends the result to a "
    ...           "process step and a chart, then applies a function to them").line()
    '# steps: Text > DB > Process, Chart > Function'
    >>> read_flow("The system reads a picture, sends the result to a model and a chart, "
    ...           "sends each to its own DB, and finally renders them as a picture").line()
    '# steps: Picture > Model, Chart >> DB, DB > Picture'

The text after a short lead-in ("A pipeline which", "Flowchart:", "Workflow diagram where the
system") is split into ordered clauses at ", then", ", and finally", "then", "," and "and" where a
verb follows. The first clause reads the sources ("reads text and a picture", "reads data from a
DB"); every later clause is one rank:

- "sends/passes the result to A and B": a branch, one node per object;
- "sends each to its own X": as many X nodes as the rank before, one lane each (`Plan.lanes`);
- any other verb clause ("applies a function to them", "passes it to a model", "stores it in a
  DB", "renders them as a picture", "merges them"): one node named by its object ("Function",
  "Model", "DB", "Picture"; the verb itself, "Merge", when it names none).

Every clause after the first must hand on what came before ("it", "them", "the result", "each"):
a list of imperatives ("load dataset, preprocess, train model") is a list of steps, which
`diagram.reader_steps` reads with their verbs.

A rank of one node after several joins them (every node points to it). The reading is given only
when every clause reads so (None otherwise: the other readers then try), so it never swallows text
it does not explain. Linear time: string splits and bounded, anchored patterns on each clause.
"""

from __future__ import annotations

import re

from diagram.plan import MAX_LAYER_NODES, MAX_PLAN_NODES, Plan
from diagram.reader_clauses import VERBS, lemma
from diagram.reader_steps import unwrap
from diagram.reader_text import clean

_MORE_VERBS = frozenset("render turn feed plot combine hand encode decode summarize summarise split "
                        "tokenize tokenise normalize normalise resize crop augment visualize visualise".split())
_SOURCE_VERBS = frozenset("read load take get receive ingest fetch collect pull import accept start".split())
_SEND_VERBS = frozenset("send pass forward feed route hand push stream distribute split".split())
_PRONOUN = frozenset("it them this that these those everything all each both results result output outputs "
                     "data".split())
# a later clause hands on what came before: "stores it", "applies a function to them", "sends each to ..."
_ANAPHOR = frozenset("it them result results output outputs each everything both this these those".split())
_DETERMINER = frozenset("a an the its their some each every this that these those".split())
_PREPOSITION = frozenset("to into in as from with on onto by using through via for over".split())
_GENERIC = frozenset("step stage node block component module".split())
# the lead-in before the first clause: "A pipeline which", "Flowchart:", "Workflow diagram where the system"
_LEAD = re.compile(r"^(?:[^:,]{0,60}:\s*){0,2}(?:[^:,]{0,60}?\b(?:which|that|where(?: the system| we| it| you)?|"
                   r"in which(?: the system| we)?)\s+|(?:the (?:system|pipeline|workflow|process|service)|we|it)\s+)?",
                   re.I)
_SPLIT = re.compile(r"\s*(?:,\s*(?:and\s+)?(?:then\s+|finally\s+|lastly\s+)?|\s(?:and\s+)?then\s+|"
                    r"\s(?:and\s+)?finally\s+|\s+and\s+)", re.I)
_MAX_OBJECT_WORDS = 4
_POLITE = re.compile(r"\b(?:thanks?|thx|please|pls|cheers)\b|[!?]", re.I)


def _verb(word: str) -> str | None:
    """The base form of `word` when it is a verb in the base or third-person form ('applies' -> 'apply')."""
    w = word.lower()
    if not w.isalpha() or w.endswith(("ed", "ing")):
        return None
    base = lemma(w)
    return base if base in VERBS or base in _MORE_VERBS else None


def _label(words: list[str]) -> str | None:
    """A node's label from its object's words: 'a process step' -> 'Process', 'numeric data' -> 'Numeric data'."""
    while words and words[0].lower() in _DETERMINER:
        words = words[1:]
    if len(words) > 1 and words[-1].lower() in _GENERIC:
        words = words[:-1]
    if not words or len(words) > _MAX_OBJECT_WORDS:
        return None
    text = " ".join(words)
    return text[0].upper() + text[1:]


def _objects(words: list[str], places: bool = False) -> list[str] | None:
    """The labels of a list of objects ('a process step', 'a chart' / 'a model and a DB'), None if one
    reads as none; with `places` an object read from somewhere is named by its place ('data from a DB')."""
    items: list[list[str]] = [[]]
    for w in words:
        if w.lower() in ("and", "or", ","):
            items.append([])
        else:
            items[-1].append(w)
    if places:
        items = [item[[w.lower() for w in item].index("from") + 1:] if "from" in (w.lower() for w in item)
                 else item for item in items]
    labels = [_label(item) for item in items]
    return labels if labels and all(labels) else None  # type: ignore[return-value]


def _tokens(clause: str) -> list[str]:
    return [m.group(0) for m in re.finditer(r"[A-Za-z][A-Za-z0-9'/+-]*|,", clause)]


def _source(words: list[str]) -> list[str] | None:
    """The first clause's sources: 'reads text and a picture', 'reads data from a DB'."""
    return _objects(words[1:], places=True)


def _rank(words: list[str], previous: int) -> tuple[list[str], bool] | None:
    """(labels of the rank a clause states, whether it continues the previous rank's lanes) or None."""
    verb = _verb(words[0])
    rest = words[1:]
    lowered = [w.lower() for w in rest]
    if not _ANAPHOR.intersection(lowered):  # "clean HTML, split into chunks": a list of steps, not a flow of data
        return None
    if "own" in lowered and "each" in lowered:  # "sends each to its own model"
        labels = _objects(rest[lowered.index("own") + 1:])
        if labels is None or len(labels) != 1:
            return None
        return [labels[0]] * previous, previous > 1
    if verb in _SEND_VERBS:
        # "sends the result to A and B", "passes it to a model": the objects after the preposition
        for i, w in enumerate(lowered):
            if w in ("to", "into", "between", "among", "across"):
                before = [x for x in lowered[:i] if x not in _DETERMINER]
                if all(x in _PRONOUN for x in before):
                    labels = _objects(rest[i + 1:])
                    return (labels, False) if labels else None
                break
    # a verb and its object: "applies a function to them", "stores it in a DB", "renders them as a picture"
    segments: list[tuple[str, list[str]]] = [("", [])]
    for w, lw in zip(rest, lowered):
        if lw in _PREPOSITION:
            segments.append((lw, []))
        else:
            segments[-1][1].append(w)
    things = [(prep, words) for prep, words in segments
              if any(w.lower() not in _PRONOUN and w.lower() not in _DETERMINER for w in words)]
    if not things:
        return [verb.capitalize()], False
    # "stores the logs in a DB": the place; "trains a model on the data": the thing
    prep, obj = things[-1] if len(things) > 1 and things[-1][0] in ("to", "into", "in", "as") else things[0]
    labels = _objects(obj)
    return (labels, False) if labels else None


def read_flow(request: str) -> Plan | None:
    """The plan of a request told as a chain of clauses ("reads X, then sends the result to A and B,
    then merges them in C"), or None unless every clause reads as a rank (see the module doc)."""
    text = clean(request)
    if not text or "\n" in text.strip():
        return None
    text = text.strip()
    bare = unwrap(text)
    start = text.find(bare)
    # the wrapper's head only: its tail rule would take "renders them as a picture" for "draw it as a picture"
    whole = text[start:] if start >= 0 else bare
    polite = _POLITE.search(whole[len(bare):]) if whole.startswith(bare) else True
    plan = None if polite else _read_clauses(whole)
    return plan if plan is not None or whole == bare else _read_clauses(bare)


def _read_clauses(text: str) -> Plan | None:
    text = text.rstrip(".!").strip()
    text = text[_LEAD.match(text).end():]
    pieces = [p for p in _SPLIT.split(text) if p]
    clauses: list[list[str]] = []
    for piece in pieces:
        words = _tokens(piece)
        if not words or len(words) != len(piece.split()):  # numbers, arrows, brackets: not this kind
            return None
        if _verb(words[0]) is not None:
            clauses.append(words)
        elif clauses:  # "..., a model and a DB": a list the previous clause goes on with
            clauses[-1] += [","] + words
        else:
            return None
    if len(clauses) < 2 or _verb(clauses[0][0]) not in _SOURCE_VERBS:
        return None
    first = _source(clauses[0])
    if first is None:
        return None
    ranks, lanes = [first], []
    for words in clauses[1:]:
        read = _rank(words, len(ranks[-1]))
        if read is None:
            return None
        labels, lane = read
        if lane:
            lanes.append(len(ranks) - 1)
        ranks.append(labels)
    if sum(map(len, ranks)) > MAX_PLAN_NODES or max(map(len, ranks)) > MAX_LAYER_NODES:
        return None
    return Plan.steps(ranks, lanes=tuple(lanes))


_EACH = re.compile(r"(?:one|an?)\s+(.{1,40}?)\s+(?:each|apiece|per (?:branch|lane|item))", re.I)


def with_lanes(plan: Plan) -> Plan:
    """A steps plan whose rank reads "one X each" ("a -> b + c -> one model each") as that many X lanes."""
    if plan.kind != "steps":
        return plan
    ranks = [list(rank) for rank in plan.ranks]
    lanes = list(plan.lanes)
    for r in range(1, len(ranks)):
        match = _EACH.fullmatch(ranks[r][0]) if len(ranks[r]) == 1 else None
        if match and len(ranks[r - 1]) > 1:
            label = match.group(1)
            ranks[r] = [label[0].upper() + label[1:]] * len(ranks[r - 1])
            lanes.append(r - 1)
    if not lanes or sum(map(len, ranks)) > MAX_PLAN_NODES or plan.loops:
        return plan
    return Plan.steps(ranks, lanes=tuple(lanes))
