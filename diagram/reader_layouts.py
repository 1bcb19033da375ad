"""Flows laid out in ways the other readers do not read (issue 21, release 4): `read_layout`.

- arrows on lines of their own between the steps ("Source\\n ↓\\nBronze\\n ↓\\n...", "|" then "v",
  "⬇", "=>", a trailing " |"), a last line of parts side by side ("BI Reports | ML Models") as a
  fan-out, steps hung off a line with "+---> Step 1: Textract -- Extract text" and an
  alternative "| OR route failures to X" as a branch; a chain line ("A → B → C") with an arrow
  under it to one more component ("↓\\n[Dead Letter Queue]");
- a mermaid `sequenceDiagram`: the participants by their long names (`participant DF as Dataflow
  Beam`), an edge a message between two of them;
- an inline numbered list in one line ("1 receiving and registration 2 allocation of the room 3 ...",
  "(1) ... (2) ...", "1) ... 2) ...");
- a list of noun phrases one a line after an intro line ("Tracking an order should follow\\norder
  verification\\norder entry\\n...");
- headings over paragraphs ("Registration\\nRegistration comes first, entering ...\\nTriage\\n..."):
  the headings are the steps;
- "STEP 1: Open the Task" headings with "- YES: APPROVE ..." / "- NO: SEND BACK ..." under a question:
  a decision with its two outcomes ("send back", "return" loops back to the first step).

`speaks_of_net` says whether a text names a neural net at all: a dense plan read from text that
names none ("Split documents into chunks (500-1000 tokens each)") is a misfire on a flow.

Pure functions over `diagram.reader_text.clean`ed text; every pattern works on one line (or on a
bounded repeat), so reading stays linear in the request's length.
"""

from __future__ import annotations

import re

from diagram.plan import LABEL_MAX_CHARS, MAX_LAYER_NODES, MAX_PLAN_NODES, Plan, fits, step_label
from diagram.reader_dense import in_english  # other languages' layer words in English

# ---- a net at all? ------------------------------------------------------------------------------

_NET_WORDS = re.compile(r"\b(?:net|nets|network|networks|mlp|perceptrons?|neural|nn|dnn|ann|dense|fully[- ]?connected|fc|"
                        r"feed[- ]?forward|autoencoders?|hidden|layers?|neurons?|units?|inputs?|outputs?|nodes?|"
                        r"linear|sequential|relu|sigmoid|softmax|tanh|activations?|weights?|keras|pytorch|torch|"
                        r"deep learning model|dl model|models? \d{1,7}(?:[ \t]?[-x][ \t]?\d{1,7}){2,24}|classifier|regressor|features?|dimensions?|dims?|widths?|h\d{1,2}|capas?|neuronas?|couches?|neurones?)\b", re.I)


def speaks_of_net(text: str) -> bool:
    """True when the text names a net or its parts (layers, neurons, units, inputs, hidden, ...), in English
    or in the other languages `reader_dense` reads ("входной слой с 784 узлами")."""
    return bool(_NET_WORDS.search(text) or _NET_WORDS.search(in_english(text.lower())))


# ---- labels -------------------------------------------------------------------------------------

_ASIDE = re.compile(r"\s*\([^()\n]{0,80}\)")
_SHORT_ASIDE = re.compile(r"^\(([A-Z][\w./-]{0,24}(?: [\w./-]{1,24})?)\)$")  # "(SQS)", "(Raw Videos)"
_CUT_AT = re.compile(r"\s*[,;:]\s+|\s+(?:based on|using|with|which|that|so that|in order to|for|via|by|including|such as)\s+",
                     re.I)


def _label(text: str) -> str:
    """A step's words as a label of at most LABEL_MAX_CHARS: markup and list marks off, a long aside
    off (a short name in brackets, "(SQS)", "(Raw)", stays), cut at a comma or a weak word when too long."""
    text = re.sub(r"\*\*|__|`|^[#>\s]+", "", text).strip()
    text = re.sub(r"^[^\w(\[\"']+", "", text)  # an emoji or a mark before the words
    text = text.strip().rstrip(".:;,!").strip()
    if len(text) > LABEL_MAX_CHARS:
        text = " ".join(part for part in re.split(r"(\s*\([^()\n]{0,80}\))", text)
                        if not part.strip().startswith("(") or _SHORT_ASIDE.match(part.strip())).strip()
        text = " ".join(text.split())
    if len(text) > LABEL_MAX_CHARS:  # "Pass retrieved chunks as context to the LLM": the articles go first
        text = " ".join(w for w in text.split() if w.lower() not in ("the", "a", "an"))
    if len(text) > LABEL_MAX_CHARS:
        head = _CUT_AT.split(text, maxsplit=1)[0]
        if len(head.split()) >= 2 or len(head) >= 4:
            text = head
    if len(text) > LABEL_MAX_CHARS:
        text = text[: LABEL_MAX_CHARS + 1].rsplit(" ", 1)[0]
    return text.strip().rstrip(".:;,-–— ").strip()


def _plan(ranks: list[list[str]], loops: tuple[tuple[int, int], ...] = ()) -> Plan | None:
    ranks = [[step_label(x[:1].upper() + x[1:]) for x in r if x] for r in ranks]
    ranks = [r for r in ranks if r]
    labels = [x.lower() for r in ranks for x in r]
    if len(labels) < 3 or len(labels) > MAX_PLAN_NODES or max(len(r) for r in ranks) > MAX_LAYER_NODES:
        return None
    if len(set(labels)) != len(labels):
        return None
    return Plan.steps(ranks, loops)


# ---- arrows on lines of their own -------------------------------------------------------------------

_ARROW_LINE = re.compile(r"^(?:[↓⬇⇓▼⇩]\ufe0f?|\||v|V|=>|⇒|\|\s*v|\|\s*V|\|\s*[↓▼])$|"
                         r"^[|↓]\s*\([^()\n]{1,40}\)$|"  # "|  (binlog)": an edge's words
                         r"^\^?\s?\|(?:-{2,}\s?[\w ]{1,40}\s?-{2,})?$|^\^\s?\|?$")  # "^ |", "|---- HTTP response ----": a return line
_BOX = re.compile(r"^\+[-=]{2,}\+|^\|[^|\n]{0,200}\|[^|\n]{0,200}\|")  # a box or a table: not this layout
_TRAILING_BAR = re.compile(r"\s+[|↓⬇▼]$")
_DOWN_STEP = re.compile(r"^[↓⬇⇓▼⇩]\ufe0f?\s+(?P<step>\w.{0,80})$")  # "↓ upload to S3"
_HANGER = re.compile(r"^[|]?\s*\+-{1,8}>\s*")  # "+---> Step 1: ..."
_STEP_MARK = re.compile(r"^(?:step|stage|phase)\s*\d{1,2}\s*[:.)\-–—]\s*", re.I)
_ALTERNATIVE = re.compile(r"^\|?\s*(?:OR|or|else|Else|otherwise|Otherwise)\b[,:]?\s+(?P<alt>.+)$")
_CHAIN_ARROW = re.compile(r"\s*(?:-+>|→|⟶|=>)\s*")
_FAN = re.compile(r"\s+\|\s+")
_DESC_SEP = re.compile(r"\s+(?:--|—|–)\s+")


def _step_text(line: str) -> str:
    line = re.sub(r"^(?:[-*•]|\d{1,2}[.)])\s+", "", _HANGER.sub("", line))
    line = re.sub(r"\s*\((?![A-Z0-9])[^()\n]{0,80}\)", "", line)  # "(files, APIs)": a description, not a name
    line = _STEP_MARK.sub("", line).strip().strip("[]").strip()
    # "Textract -- Extract text, tables, ...": the name and the first words of what it does
    return _label(line)


def _alt_label(text: str) -> str:
    """"route failures to human review queue (SQS)" -> "human review queue (SQS)" when too long."""
    label = _label(text)
    if len(text.strip().rstrip(".")) > LABEL_MAX_CHARS and re.search(r"\bto\s+\S", text):
        label = _label(re.sub(r"^(?:the|a|an)\s+", "", re.split(r"\bto\s+", text)[-1], flags=re.I))
    return label


def read_arrow_lines(text: str) -> Plan | None:
    """Steps one under another with arrow lines between them (see the module docstring)."""
    raw = [ln.strip() for ln in text.splitlines() if re.search(r"\w|[↓⬇⇓▼⇩|]", ln) and not ln.strip().startswith("```")]
    if any(_BOX.match(ln) for ln in raw):
        return None
    lines: list[str] = []
    for k, ln in enumerate(raw):  # "Receive the order |": the arrow at the end of a step's line
        down = _DOWN_STEP.match(ln)
        if down and k + 1 < len(raw) and (_ARROW_LINE.match(raw[k + 1]) or _DOWN_STEP.match(raw[k + 1])):
            lines.extend(["↓", down.group("step")])  # "↓ upload to S3" over another arrow: a step, not an edge's words
        elif _TRAILING_BAR.search(ln) and not _ARROW_LINE.match(ln) and ln.count("|") <= 1:
            lines.extend([_TRAILING_BAR.sub("", ln), "|"])
        else:
            lines.append(ln)
    n_arrows = sum(bool(_ARROW_LINE.match(ln)) for ln in lines)
    n_hung = sum(bool(_HANGER.match(ln)) for ln in lines)
    chains = sum(len(_CHAIN_ARROW.split(ln)) >= 3 for ln in lines if not _HANGER.match(ln))
    if n_arrows < 2 and not (n_arrows == 1 and chains):  # "A → B → C" and "↓" under it to one more
        return None
    # blocks of content lines between arrow lines; the block before the first arrow: its last line
    blocks: list[list[str]] = []
    current: list[str] = []
    for ln in lines:
        if _ARROW_LINE.match(ln):
            if current:
                blocks.append(current)
            current = []
        else:
            current.append(ln)
    if current:
        blocks.append(current)
    if len(blocks) < 2:
        return None
    if not _ARROW_LINE.match(lines[0]):
        blocks[0] = blocks[0][-1:]
    ranks: list[list[str]] = []
    for b, block in enumerate(blocks):
        for ln in block:
            if b == 0 and (ln.endswith(":") or len(ln.split()) >= 8 and not _CHAIN_ARROW.search(ln)):
                continue  # an intro line before the first arrow
            alt = _ALTERNATIVE.match(ln)
            if alt and len(ranks) >= 2:  # "| OR route failures to X": the step before has two outcomes
                ranks[-1].append(_alt_label(alt.group("alt")))
                continue
            if n_hung == 0 and ln is not block[0]:
                break  # a step's description under its name
            if _CHAIN_ARROW.search(ln) and not _HANGER.match(ln):
                parts = [_label(p.strip("[] ")) for p in _CHAIN_ARROW.split(ln) if p.strip("[] ")]
                if len(parts) >= 2 and all(parts) and all(len(p.split()) <= 5 for p in parts):
                    if ranks and len(ranks[-1]) == 1 and ranks[-1][0].lower() == parts[0].lower():
                        parts = parts[1:]
                    ranks.extend([p] for p in parts)
                    continue
            fan = [_label(p) for p in _FAN.split(ln)] if _FAN.search(ln) else []
            if len(fan) >= 2 and all(fan) and all(len(p.split()) <= 5 for p in fan):
                ranks.append(fan)
                continue
            label = _step_text(ln)
            if not label or len(_STEP_MARK.sub("", _HANGER.sub("", ln)).split()) > 12:
                return None
            ranks.append([label])
    if len(ranks) >= 2 and len(ranks[-1]) == 1 and ranks[-2:-1] and len(ranks[-2]) == 2 and n_hung:
        pass
    # an alternative appended to the last rank makes the previous step a decision: move the kept outcome
    # beside it only when the rank above has one node (it does, by construction)
    return _plan(ranks)


# ---- a tree drawn with ├ └ ----------------------------------------------------------------------------

_TREE_ITEM = re.compile(r"^(?P<lead>[ \t│|]{0,80})(?P<g>[├└])[─━-]{0,8}\s{0,4}(?:[►▶>→]\s{0,4})?(?P<body>\S.{0,200})$")
_DOWN = re.compile(r"^\s{0,80}(?:[↓▼⬇]\ufe0f?|v|V)(?:\s{1,4}(?P<label>[^\n]{1,30}))?$")
_BARS = re.compile(r"^[\s│|]{0,80}$")
_TREE_ASIDE = re.compile(r"^\s{0,80}[│|]\s{0,8}\S")
_TREE_ARROW = re.compile(r"\s{0,4}(?:-{1,3}>|→|⟶|─{1,3}>|─►)\s{0,4}")


def _tree_label(text: str) -> str:
    text = text.strip().strip("[]").strip()
    return _label(text) if len(text) <= LABEL_MAX_CHARS else _label(_ASIDE.sub("", text))


_CALL_WORD = re.compile(r"[a-z][a-z0-9_]{0,30}(?:\(\))?")  # one lower-case word or identifier: a call, a message


def read_tree(text: str) -> Plan | None:
    """A tree drawn with ├ and └ (and "▼" or "↓ label" down to the next line): a node a line (a chain
    "SNS Topic → Email" on one line is two), each hung from its parent; the parent is the item above it
    with less indentation, or (indentation lost) the item a "└" closes, the same as a "├" sibling's."""
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("```")]
    items = [i for i, ln in enumerate(lines) if _TREE_ITEM.match(ln)]
    if len(items) < 2:
        return None
    labels: list[str] = []
    parent: list[int | None] = []

    def chain(body: str, above: int | None) -> tuple[int, int] | None:
        raw = [p.strip() for p in _TREE_ARROW.split(body) if p.strip()]
        if len(raw) > 1 and _CALL_WORD.fullmatch(raw[0]):
            raw = raw[1:]  # "└── submit → Orders Queue", "put_record → Kinesis": the call on the edge, no node
        parts = [_tree_label(p) for p in raw]
        if not parts or not all(parts) or any(len(p.split()) > 8 for p in parts):
            return None
        first = len(labels)
        for k, part in enumerate(parts):
            labels.append(part)
            parent.append(above if k == 0 else len(labels) - 2)
        return first, len(labels) - 1

    # the root: the line above the first item, and lines joined to it by arrows down ("STM32\n↓ LoRa\nGateway")
    start = items[0] - 1
    while start >= 2 and _DOWN.match(lines[start - 1]) and not _TREE_ITEM.match(lines[start - 2]):
        start -= 2
    if start < 0 or _TREE_ITEM.match(lines[start]) or _DOWN.match(lines[start]):
        return None
    root = chain(lines[start].strip(), None)
    if root is None:
        return None
    last = anchor = root[1]  # anchor: the node the next subtree hangs from (the root, a line an arrow leads down to)
    cols = {len(_TREE_ITEM.match(lines[i]).group("lead").replace("\t", "    ")) for i in items}
    flat = len(cols) == 1
    stack: list[tuple[int, str, int, int]] = []  # (column, glyph, last node, parent) of the items since the anchor
    down = False
    for ln in lines[start + 1:]:
        item = _TREE_ITEM.match(ln)
        if item:
            col = len(item.group("lead").replace("\t", "    "))
            if down:
                above = last
            elif flat:  # indentation lost: a "└" closes its siblings, what follows hangs from it
                above = anchor if not stack else stack[-1][2] if stack[-1][1] == "└" else stack[-1][3]
            else:
                while stack and stack[-1][0] >= col:
                    stack.pop()
                above = stack[-1][2] if stack else anchor
            got = chain(item.group("body"), above)
            if got is None:
                return None
            stack.append((col, item.group("g"), got[1], above))
            last, down = got[1], False
            continue
        if _BARS.match(ln):
            continue
        if _DOWN.match(ln):
            down = True
            continue
        if _TREE_ASIDE.match(ln):
            continue  # "│ (decode → validate → write)": words on the line down
        if not down:
            break  # the text after the tree
        got = chain(ln.strip(), last)
        if got is None:
            return None
        last = anchor = got[1]
        down, stack = False, []
    depth: list[int] = []
    for p in parent:
        depth.append(0 if p is None else depth[p] + 1)
    ranks: list[list[str]] = [[] for _ in range(max(depth) + 1)]
    for label, d in zip(labels, depth):
        ranks[d].append(label)
    return _plan(ranks)


# ---- mermaid sequenceDiagram ----------------------------------------------------------------------

_PARTICIPANT = re.compile(r"\b(?:participant|actor)\s+(?P<id>[\w.-]{1,40})(?:\s+as\s+(?P<name>[^\n]{1,80}?))?"
                          r"(?=\s+(?:participant|actor)\s|\s*\n|\s*$|\s+[\w.-]{1,40}\s*-{1,2}[>)x])")
_MESSAGE = re.compile(r"(?P<a>[\w.]{1,40}(?:-[\w.]{1,40}){0,3})\s*-{1,2}(?:>>|>|\)|x)[+-]?\s*"
                      r"(?P<b>[\w.]{1,40}(?:-[\w.]{1,40}){0,3})\s*:")


def read_sequence(text: str) -> Plan | None:
    """A mermaid sequenceDiagram: participants (long names) layered by their messages."""
    if "sequenceDiagram" not in text:
        return None
    body = text[text.index("sequenceDiagram"):]
    names: dict[str, str] = {}
    for m in _PARTICIPANT.finditer(body):
        names.setdefault(m.group("id"), _label(m.group("name") or m.group("id")))
    edges: list[tuple[str, str]] = []
    for m in _MESSAGE.finditer(body):
        a, b = m.group("a"), m.group("b")
        for x in (a, b):
            names.setdefault(x, _label(x))
        if a != b and (a, b) not in edges and (b, a) not in edges:
            edges.append((a, b))
    if len(edges) < 2:
        return None
    # layers by longest path over the forward edges (an edge to an earlier layer is dropped)
    order = list(names)
    level = {x: 0 for x in order}
    for _ in range(len(order)):
        changed = False
        for a, b in edges:
            if level[b] < level[a] + 1 and level[a] + 1 < len(order):
                level[b] = level[a] + 1
                changed = True
        if not changed:
            break
    used = [x for x in order if any(x in e for e in edges)]
    ranks: list[list[str]] = [[] for _ in range(max(level[x] for x in used) + 1)]
    for x in used:
        ranks[level[x]].append(names[x])
    return _plan(ranks)


# ---- an inline numbered list -----------------------------------------------------------------------

_INLINE_MARK = re.compile(r"(?:(?<=\s)|^)(?:\((?P<p>\d{1,2})\)|(?P<n>\d{1,2})[.)]?)\s+(?=[A-Za-z])")


def read_inline_numbered(text: str) -> Plan | None:
    """"1 receiving and registration 2 allocation of the room 3 ...": the items of a numbered list
    written in one line (markers 1, 2, 3, ... in order, at least three)."""
    for line in text.splitlines():
        marks = [m for m in _INLINE_MARK.finditer(line)]
        run: list[re.Match] = []
        for m in marks:
            k = int(m.group("p") or m.group("n"))
            if k == len(run) + 1:
                run.append(m)
        if len(run) < 3:
            continue
        pieces = [line[m.end(): run[i + 1].start() if i + 1 < len(run) else len(line)] for i, m in enumerate(run)]
        items = [_label(p.strip().rstrip(",;.")) for p in pieces]
        if all(items) and all(len(x.split()) <= 8 for x in items):
            return _plan([[x] for x in items])
    return None


# ---- noun phrases one a line after an intro ----------------------------------------------------------

_INTRO = re.compile(r"(?:follow|follows|include|includes|including|are|is|as follows|consists? of|involves?|steps?|stages?|"
                    r"phases?|order|sequence|below|flow|pipeline|workflow|process|procedure|:)$", re.I)


def read_noun_lines(text: str, top: bool = False) -> Plan | None:
    """An intro line ("... should follow", "The stages are:") and then short lines of a few words each,
    no sentence among them, to the end of the text: one step a line. `top`: the intro is one of the
    first two lines (the whole text is the list)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for i, ln in enumerate(lines[:2] if top else lines[:-3]):
        if not _INTRO.search(ln.rstrip(" :") + (":" if ln.endswith(":") else "")):
            continue
        items: list[str] = []
        end = len(lines)
        for k, item in enumerate(lines[i + 1:], i + 1):
            if re.fullmatch(r"[-*•·]", item):
                continue  # a bullet mark on a line of its own
            bare = item.rstrip(".;,")
            if item.endswith(".") and item[:1].isupper() and len(item.split()) >= 4 and len(items) >= 3:
                end = k + 1 if k + 1 == len(lines) else -1  # a sentence after the list, the text's last line
                break
            if (bare.startswith(("#", "-", "*", "•", "·", "+", "|", "├", "└", "│")) or re.match(r"\(?\d", bare) or len(bare.split()) > 10
                    or re.search(r"[.;:!?=<>{}\[\]]|\w\(", bare)):  # (code is no list: "t1 = PythonOperator(")
                end = -1
                break
            items.append(bare)
        if len(items) >= 3 and end == len(lines):
            return _plan([[_label(x)] for x in items])
    return None


# ---- headings over paragraphs -------------------------------------------------------------------------

def _heading(line: str) -> bool:
    words = line.split()
    return (1 <= len(words) <= 4 and len(line) <= 40 and line[:1].isupper() and not re.search(r"[.,;:!?]$", line)
            and not re.search(r"[,;]", line))


def read_headings(text: str) -> Plan | None:
    """Short title lines each over a paragraph ("Registration\\nRegistration comes first, entering
    patients ...\\nTriage\\nTriage follows ..."): the titles, in order."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    heads: list[str] = []
    at: list[int] = []
    for i, ln in enumerate(lines):
        if not _heading(ln) or i + 1 >= len(lines):
            continue
        nxt = lines[i + 1]
        before_ok = i == 0 or lines[i - 1].endswith((".", ":", "!", "?")) or (heads and lines[i - 1] == heads[-1])
        if len(nxt.split()) >= 6 and not _heading(nxt) and before_ok:
            heads.append(ln)
            at.append(i)
    if len(heads) < 3 or at[0] > 2:  # most of the text is the paragraphs under the headings: the first comes early
        return None
    ranks: list[list[str]] = []
    for k, head in enumerate(heads):
        paragraph = " ".join(lines[at[k] + 1: at[k + 1] if k + 1 < len(at) else len(lines)])
        choice = _WHETHER.search(paragraph)  # "... decides whether the patient needs to be admitted ... or discharged ..."
        if choice is None:
            ranks.append([_label(head)])
            continue
        ranks.append([_label(head).rstrip("?") + "?"])
        ranks.append([_label(choice.group("a")), _label(choice.group("b"))])
    return _plan(ranks)


_WHETHER = re.compile(r"\bwhether\s(?:[\w'-]{1,30}\s){0,4}?(?:needs?\sto\sbe|should\sbe|is\sto\sbe|will\sbe|must\sbe|can\sbe|"
                      r"is|are|gets?)\s(?P<a>[^.,;]{3,80}?)\sor\s(?P<b>[^.,;]{3,80})", re.I)


# ---- STEP N: headings with YES / NO outcomes ------------------------------------------------------------

_STEP_HEAD = re.compile(r"^(?:#{1,6}\s*)?(?:\*\*)?step\s*(?P<n>\d{1,2})\s*[:.)\-–—]\s*(?P<title>.+)$", re.I)
_OUTCOME = re.compile(r"^[-*•]?\s*(?P<yn>yes|no)\s*[:\-–—,]\s*(?P<what>.+)$", re.I)
_BACK = re.compile(r"\b(?:back|return|returns|returned|again|redo|resubmit)\b", re.I)


def _sentence_case(title: str) -> str:
    if title.isupper() and len(title) > 3:
        return title[:1] + title[1:].lower()
    return title


def read_step_headings(text: str) -> Plan | None:
    """"STEP 1: Open the Task" ... "STEP 4: EVERYTHING LOOK OK?" with "- YES: APPROVE - ..." and
    "- NO: SEND BACK - ..." under it: a step a heading, the question a decision, its outcomes side
    by side; an outcome that sends back or returns loops to the first step."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    ranks: list[list[str]] = []
    loops: list[tuple[str, str]] = []
    outcomes: list[str] = []
    for ln in lines:
        head = _STEP_HEAD.match(ln)
        if head:
            if outcomes:
                ranks.append(outcomes)
                outcomes = []
            title = re.sub(r"\s*\([^()\n]{0,200}\)", "", head.group("title")).strip().strip("*").strip()
            ranks.append([_label(_sentence_case(title))])
            continue
        out = _OUTCOME.match(ln)
        if out and ranks and ranks[-1][0].endswith("?") and len(outcomes) < 2:
            what = re.split(r"\s+[-–—]{1,2}\s+", out.group("what"), maxsplit=1)
            label = _label(_sentence_case(what[0].strip()))
            if label:
                outcomes.append(label)
                if out.group("yn").lower() == "no" and _BACK.search(out.group("what")):
                    loops.append((label, ""))
    if outcomes:
        ranks.append(outcomes)
    if len(ranks) < 3 or not any(len(r) == 2 for r in ranks):
        return None  # (steps without outcomes: `reader_algo.read_numbered` reads them)
    plan = _plan(ranks)
    if plan is None or not loops:
        return plan
    labels = plan.labels
    lowered = [x.lower() for x in labels]
    back = tuple((lowered.index(step_label(a[:1].upper() + a[1:]).lower()), 0) for a, _ in loops
                 if step_label(a[:1].upper() + a[1:]).lower() in lowered)
    return Plan.steps([list(r) for r in plan.ranks], back)


# ---- all of them ---------------------------------------------------------------------------------

def read_listed(text: str) -> Plan | None:
    """`read_noun_lines` whose intro is one of the first two lines: the whole text is the list."""
    return read_noun_lines(text, top=True)


READERS = (read_sequence, read_step_headings, read_tree, read_arrow_lines, read_inline_numbered, read_listed,
           read_noun_lines, read_headings)
# layouts whose plan is taken over what the other readers read: they leave no doubt what the steps are
STRONG = (read_sequence, read_step_headings, read_headings, read_tree, read_listed)


_JUNK = re.compile(r"[↓⬇▼|\[\]]|\+-|-＞|^-|^\d+[.)]? ")  # a label that kept the layout's marks


def read_layout(text: str, raw: str | None = None) -> tuple[Plan, bool] | None:
    """(the plan of the first layout the text is written in (the order of READERS), whether that
    layout is STRONG: taken over any other reading), or None. `raw`: the text before `clean`, whose
    indentation a tree keeps (`read_tree` reads it when given)."""
    for reader in READERS:
        plan = reader(raw if reader is read_tree and raw is not None else text)
        if plan is not None:
            return plan, reader in STRONG
    return None


def _fuller(layout: Plan, plan: Plan) -> bool:
    """The same steps, the layout's labels with more of their words ("Ingest (customers + orders)" for "Ingest")."""
    if layout.drawn_sizes != plan.drawn_sizes or layout.loops != plan.loops:
        return False
    pairs = list(zip((x.lower() for x in layout.labels), (x.lower() for x in plan.labels)))
    return all(b in a for a, b in pairs) and any(a != b for a, b in pairs)


def with_layout(plan: Plan | None, text: str, raw: str | None = None) -> Plan | None:
    """The layout's plan instead of `plan` (what the other readers read) when the layout is STRONG, or
    `plan` is None, does not fit, reads fewer steps, or has labels that kept the layout's marks
    ("[Web Shop", "| (binlog)", "---> Step 1"); else `plan`."""
    laid = read_layout(text, raw)
    if laid is None:
        return plan
    layout, strong = laid
    if (strong or plan is None or not fits(plan) or layout.n_nodes > plan.n_nodes or _fuller(layout, plan)
            or plan.kind == "steps" and any(_JUNK.search(label) for label in plan.labels)):
        return layout
    return plan
