"""Read the named steps of a pipeline or flowchart request (`diagram.reader.read_request` calls it).

    >>> read_steps("loader -> (BM25, FAISS) -> reranker -> LLM").line()
    '# steps: Loader > BM25, FAISS > Reranker > LLM'

Arrow chains with parallel groups (`a -> (b, c) -> d`, `b + c`, `[b | c]`), bullet and numbered
lists, "first ..., then ..., finally ...", "A feeds B and C, which ...", "from A to B via C", the
original project's "process that consists of first, X that, with A and B as input, and C as output,
and then D", and one loop back ("X loops back to Y", "and back to Y", "(loop)"). Linear time: the
request is cleaned first (`diagram.reader_text.clean`), every repeat over free text is bounded and
the loop-back clause is looked for in the last 200 characters.
"""

from __future__ import annotations

import re

from diagram.plan import MAX_PLAN_NODES, Plan, clean_label, compact_label
from diagram.reader_text import clean


# ---- pipelines and flowcharts ----------------------------------------------------------------

_LOOP_PATTERNS = tuple(re.compile(p, re.I) for p in (
    r"[,;]?\s*(?:and\s+)?(?:then\s+)?(?P<src>[^,;.\n]{1,48}?)\s+(?:loops?|feeds?|goes|cycles?|returns?|sends\s+\w+)\s+back\s+(?:in)?to\s+(?P<dst>[^,;.\n()]{1,48}?)\s*(?:\(loop\))?\s*[.]?\s*$",
    r"[,;]?\s*(?:with\s+)?a\s+loop\s+from\s+(?P<src>[^,;.\n]{1,48}?)\s+(?:back\s+)?to\s+(?P<dst>[^,;.\n()]{1,48}?)\s*[.]?\s*$",
    r"[,;]?\s*(?:\()?(?:and\s+)?(?:then\s+)?back\s+to\s+(?P<dst>[^,;.\n()]{1,48}?)\)?\s*(?:\(loop\))?\s*[.]?\s*$",
    r"[,;]\s*(?P<src>[^,;.\n]{1,48}?)\s*(?:-+>|→|=>)\s*(?P<dst>[^,;.\n()]{1,48}?)\s*\(loop\)\s*[.]?\s*$",
))
_SEP = re.compile(r"\s*(?:-+>|→|⟶|=+>|\s>\s)\s*")
_ARROWS = re.compile(r"\s*(?:-+>|→|⟶|=+>)\s*")  # with these in the text, " > " is a comparison


def _separator(text: str) -> re.Pattern:
    """The step separator of a text: arrows, and " > " only where no arrow is written
    ("read value -> check if value > threshold -> alert": the check is one step)."""
    return _ARROWS if _ARROWS.search(text) else _SEP
_FEED_VERBS = (r"(?:feeds? into|feeds?|goes to|go to|sends? (?:data|it|them|its output|results?) to|"
               r"flows? into|(?:is|are) passed to|outputs? to|connects? to|passes (?:it|them|data) to|"
               r"(?:is|are) sent to|writes? to|goes into|go into|leads? to)")
_HEAD = re.compile(r"^\s*(?:(?:please|pls|could you|can you|would you)\s+)?(?:draw|sketch|make|show|create|diagram)?"
                   r"[^:\n]{0,60}:\s*(?=\S)", re.I)
_SPLIT_GROUP = re.compile(r"\s*(?:,\s*(?:and\s+)?|\s+and\s+|\s*\+\s*|\s*\|\s*|\s*&\s*)\s*")
_FILLER = re.compile(r"^(?:the|a|an|then|and|finally|first|next|to|into|both|it|which|in parallel)\s+|"
                     r"\s*\((?:in parallel|parallel|loop|again)\)\s*$|\s+(?:in parallel|again)$", re.I)


def _split_group(part: str) -> list[str]:
    part = part.strip().strip(".;:")
    inner = re.fullmatch(r"[(\[{]\s*([^()\[\]{}]+?)\s*[)\]}]", part)
    if inner:
        part = inner.group(1)
    asides: list[str] = []  # "Lambda (fails 3 times)", "API (Inference+Overlay)": one step, its aside kept whole

    def hide(m: re.Match) -> str:
        asides.append(m.group())
        return f"\x00{len(asides) - 1}\x00"

    part = re.sub(r"\s*\([^()]*\)", hide, part)
    names = [tidy_step(re.sub(r"\x00(\d+)\x00", lambda m: asides[int(m.group(1))], n)) for n in _SPLIT_GROUP.split(part)]
    return [n for n in names if n]


# a short aside that says which one or what it does ("Event (push)", "S3 (Raw Videos)", "Lambda (fails 3
# times)") is part of the step's name; a long one, or one that says how the steps run ("(in parallel)"), is not
_ASIDE = re.compile(r"\s*\((?P<a>[^()]*)\)")
_ASIDE_NOISE = re.compile(r"^(?:in\s+parallel|parallel|loop|again|optional|e\.?g\.?\b.*|i\.?e\.?\b.*|see\b.*|"
                          r"\d{1,2}|[a-z])$", re.I)


def _aside(text: str) -> str:
    """The aside kept with a name: ' (push)' for '(push)', '' for a long or a run-order one."""
    text = " ".join(text.split())
    return f" ({text})" if text and len(text) <= 24 and len(text.split()) <= 4 and not _ASIDE_NOISE.match(text) else ""


def tidy_step(name: str) -> str:
    name = name.strip()
    last = None
    for last in _ASIDE.finditer(name):
        pass
    kept = _aside(last.group("a")) if last is not None and not name[last.end():].strip(" .;:,") else ""
    name = _ASIDE.sub("", name)  # "(in parallel)", a long description
    name = name.strip().strip(".;:,()[]{}\"'`").strip()
    for _ in range(3):
        name = _FILLER.sub("", name).strip()
    if kept and len(name + kept) > 40:  # "Gathering metrics from the hosts (Telegraf)": the articles go first
        short = re.sub(r"(?i)\s+(?:the|a|an)(?=\s)", "", name)
        name = short if len(short + kept) <= 40 else name
    return name + kept if name and len(name + kept) <= 40 else name


def _label(name: str) -> str:
    return clean_label(compact_label(name[:1].upper() + name[1:])) if name else name  # function words go before a cut


ORIGINAL = re.compile(r"\s*(?:an?\s+)?process\s+(?:that\s+)?consists?\s+of\b", re.I)
_POLITE_HEAD = re.compile(
    r"^\s*(?:(?:hi|hey|hello)\b[,!.]?\s*)?(?:(?:please|pls|plz|kindly)\s+)?"
    r"(?:(?:could|can|would|will)\s+(?:you|u)\s+(?:please\s+|pls\s+)?)?"
    r"(?:i\s+(?:need|want|would like|'d like)\s+(?:a|an|the)\s+(?:diagram|chart|drawing|picture|sketch)\s+(?:of|for)\s+"
    r"(?:(?:a|an|the)\s+)?)?"
    r"(?:(?:draw|sketch|make|create|build|show|visuali[sz]e|render|diagram|plot)\s+"
    r"(?:me\s+)?(?:(?:a|an|the)\s+)?(?:(?:diagram|chart|picture|flowchart|drawing|sketch|flow)\s+(?:of|for)\s+"
    r"(?:(?:a|an|the)\s+)?)?)?", re.I)
_POLITE_SENTENCE = re.compile(r"^\s*(?:(?:could|can|would)\s+you\s+(?:please\s+)?(?:draw|diagram|sketch|visuali[sz]e|make)"
                              r"\s+(?:this|the following|it)|please\s+diagram\s+the\s+following|"
                              r"draw\s+this(?:\s+flow)?|here\s+is\s+(?:my|the)\s+\w+)\s*[?.:!]\s*", re.I)
_POLITE_AS = re.compile(r"\s+as\s+an?\s+(?:diagram|picture|chart|flowchart|drawing)$", re.I)
_POLITE_WORD = re.compile(r"(?<=\W)(?:please|pls|thanks?(?: you)?|thx|cheers)$", re.I)


def _strip_polite_tail(text: str) -> str:
    """Without a closing ", thanks!", " please", " as a diagram" (plain string steps: linear time)."""
    text = text.rstrip(" \t\n,.;!?")
    word = _POLITE_WORD.search((" " + text)[-13:])  # the word is at most 10 characters
    if word:
        text = text[: len(text) - len(word.group())].rstrip(" \t\n,.;!")
    tail = _POLITE_AS.search(text[-40:])  # the pattern is bounded to the last 40 characters
    return text[: len(text) - len(tail.group())] if tail else text


def unwrap(request: str) -> str:
    """The request without a polite or imperative wrapper ("Could you draw ...", ", thanks!")."""
    text = _POLITE_SENTENCE.sub("", request.strip(), count=1)
    text = _POLITE_HEAD.sub("", text, count=1)
    return _strip_polite_tail(text).strip() or request.strip()


def _find_loop(text: str) -> tuple[str, str | None, str | None]:
    """(text without the loop clause, loop source or None (= last step), loop destination).

    A loop clause is the request's last clause, so the patterns only see the text from the last
    separator on, at most its last 200 characters (their names are bounded to 48 characters, as
    `read_steps` labels are): linear time in the request's length.
    """
    body = text.rstrip(" \t\n.")
    # a match holds two names of <= 48 characters, a few words and single spaces (`clean`)
    start = max(0, len(body) - 200, max(body.rfind(c) for c in ",;.\n"))
    window = text[start:]
    for pattern in _LOOP_PATTERNS:
        match = pattern.search(window)
        if match:
            src = match.groupdict().get("src")
            return text[: start + match.start()], tidy_step(src) if src else None, tidy_step(match.group("dst"))
    return text, None, None


def _groups_original(text: str) -> list[list[str]] | None:
    """The original project's 'process that consists of first, X that, with A and B as input, ...'."""
    match = re.match(ORIGINAL.pattern + r"\s+(?:first,?\s*)?(.*)$", text, re.I | re.S)
    if not match:
        return None
    body = match.group(1)
    steps = re.split(r",\s*and\s+then\s+|,\s*then\s+", body)
    groups: list[list[str]] = []
    for step in steps:
        io = re.match(r"(?P<x>.{1,200}?)\s+that,?\s+with\s+(?P<ins>.{1,200}?)\s+as\s+inputs?"
                      r"(?:,?\s*and\s+(?P<outs>.{1,200}?)\s+as\s+outputs?)?\s*$", step, re.I | re.S)
        if io:
            groups.append(_split_group(io.group("ins")))
            groups.append([tidy_step(io.group("x"))])
            if io.group("outs"):
                groups.append(_split_group(io.group("outs")))
        else:
            groups.append(_split_group(step))
    return groups


_HEAD_WORDS = r"\b(?:flow\s*chart|process|pipeline|workflow|diagram|steps|lifecycle|architecture)\b"
_INPUT_OUTPUT = re.compile(r"\bwith\s+(?P<ins>.{1,200}?)\s+as\s+(?:the\s+)?inputs?"
                           r"(?:,?\s*and\s+(?P<outs>.{1,200}?)\s+as\s+(?:the\s+)?outputs?)?", re.I)


def _from_to_via(flat: str) -> tuple[str, str, str] | None:
    """'... from A to B via C, D (in that order)' -> (A, B, 'C, D'), by string search (linear)."""
    low = flat.lower()
    start = re.search(r"\bfrom ", low)
    to = low.find(" to ", start.end() + 1) if start else -1
    via = low.find(" via ", to + 5) if to >= 0 else -1
    if via < 0 or not flat[via + 5:].strip():
        return None
    rest = re.sub(r"\s*\(in that order\)\s*$", "", flat[via + 5:], flags=re.I)
    return flat[start.end(): to], flat[to + 4: via], rest


_BULLET_IF = re.compile(r"^(?:if|in case)\s*\(?(?P<cond>[^,:()]{1,60}?)\)?\s*(?:,|:|\bthen\b|$)\s*(?:then\s+)?(?P<act>.*)$",
                        re.I)
_BULLET_ELSE = re.compile(r"^(?:else|otherwise|if not)\b\s*[,:]?\s*(?P<act>.*)$", re.I)


def _bullet_decisions(bullets: list[str]) -> list[list[str]] | None:
    """Numbered or bulleted steps with "if C, X" / "else Y" items as a decision node "C?" and a rank
    of its two branches (an item "else" alone takes the next item as its branch); None when no item
    starts with "if"."""
    if not any(_BULLET_IF.match(b.strip()) for b in bullets):
        return None
    groups: list[list[str]] = []
    branch: list[str] | None = None  # the branch rank of the last decision, while it waits for "else"
    k = 0
    while k < len(bullets):
        item = bullets[k].strip()
        cond, other = _BULLET_IF.match(item), _BULLET_ELSE.match(item)
        if cond:
            groups.append([cond.group("cond").strip() + "?"])
            act = tidy_step(cond.group("act"))
            if not act and k + 1 < len(bullets):
                k += 1
                act = tidy_step(bullets[k])
            branch = [act or "Yes"]
            groups.append(branch)
        elif other and branch is not None:
            act = tidy_step(other.group("act"))
            if not act and k + 1 < len(bullets):
                k += 1
                act = tidy_step(bullets[k])
            branch.append(act or "No")
            branch = None
        else:
            if branch is not None and len(branch) == 1:
                branch.append("Else: continue")
            branch = None
            groups.append(_split_group(item))
        k += 1
    if branch is not None and len(branch) == 1:
        branch.append("Else: continue")
    return groups


# an emoji or a symbol that marks a bullet ("- 📄 Loads a PDF file", "- ✂️ Splits it"): no part of the step
_MARKER = re.compile(r"^[^\w\s(\[\"'`*_~<>#@$%&+=|\\/.,;:!?-]{1,4}\s+")
# "Lets you ask questions — answers come from both the PDF and GPT model": the step, then a remark on it
_REMARK = re.compile(r"\s+[—–]\s+(?=\S+(?:\s+\S+){2})")


_MARKED_BULLET = re.compile(r"(?m)^([ \t]*(?:[-*•·]|\d{1,2}[.)])[ \t]+)[^\w\s(\[\"'`*_~<>#@$%&+=|\\/.,;:!?-]{1,4}[ \t]+")


def unmark(request: str) -> str:
    """A list without the emoji or symbols that mark its bullets ("- 📄 Loads a PDF file" -> "- Loads a
    PDF file"), so that every list reader reads the steps; a first bullet run onto the line that opens
    the list ("Logstash:- Receives the raw line\n- Parses ...") on a line of its own; 3+ items written in
    code comments ("# 1. trigger deploy", "// - lint") without the comment marks; a wrapped chain joined."""
    request = _MARKED_BULLET.sub(r"\1", request)
    if len(re.findall(r"(?m)^[ \t]*- \S", request)) >= 2:
        request = _GLUED_BULLET.sub(":\n- ", request, count=1)
    if len(_COMMENTED_ITEM.findall(request)) >= 3:  # "# 1. trigger deploy", "// - lint": a list in code comments
        request = _COMMENTED_ITEM.sub(r"\1", request)
    return join_wrapped_chains(request)


# a list item behind one comment mark, with a closing mark too ("# 4) Sonar scan #")
_COMMENTED_ITEM = re.compile(r"(?m)^[ \t]*(?:#|//|--|;)(?![#/])[ \t]*((?:\d{1,2}[.)]|[-*•])[ \t]+[^\n]*?)[ \t]*(?:#|\*/)?[ \t]*$")


_LEADING_ARROW = re.compile(r"^[ \t]*(?:-+>|→|⟶|=+>)[ \t]*\S")
_ANY_ARROW = re.compile(r"-+>|→|⟶|=+>")


def join_wrapped_chains(text: str) -> str:
    """An arrow chain wrapped over lines ("PDF → Chunking → Index\n→ Retriever → LLM"): a line that
    opens with an arrow and goes on with another goes on the line before it when that line has two
    arrows too ("Step 4->Repeat\n-> print a" is a sub-item; line by line: linear)."""
    out: list[str] = []
    for line in text.split("\n"):
        if out and _LEADING_ARROW.match(line) and len(_ANY_ARROW.findall(line)) >= 2 and len(_ANY_ARROW.findall(out[-1])) >= 2:
            out[-1] = out[-1].rstrip() + " " + line.strip()
        else:
            out.append(line)
    return "\n".join(out)


_GLUED_BULLET = re.compile(r"(?<=\w):-[ \t]+(?=[A-Z][a-z])")


def _bullet_group(item: str) -> list[str]:
    """A bullet's steps: names side by side ("BM25 and FAISS", "Kafka, Flink"), but a phrase whose later
    parts are plain words ("Load and process data", "Train, evaluate, and save models", "Table and
    structure preservation") is one step."""
    head = _REMARK.split(item, maxsplit=1)
    item = head[0] if len(head) == 2 and len(item) > 40 and len(head[0].split()) >= 2 else item
    parts = _split_group(item)
    if len(parts) > 1 and any(w[:1].islower() for w in " ".join(parts).split()[1:]) and \
            not re.search(r"\b(?:parallel|simultaneously|concurrently|both)\b", item, re.I):  # "train and evaluate (in parallel)"
        whole = tidy_step(item.strip().strip(".;:"))
        if whole and len(whole) <= 48:
            return [whole]
    return parts


def _groups(text: str) -> list[list[str]] | None:
    original = _groups_original(text)
    if original:
        return original
    lines = [ln for ln in (x.strip() for x in text.splitlines()) if ln]
    bullets = [_MARKER.sub("", re.sub(r"^(?:[-*•·]|\d+[.)]|step\s+\d+\s*[:.)-])\s*", "", ln, flags=re.I))
               for ln in lines if re.match(r"^(?:[-*•·]|\d+[.)]|step\s+\d+\s*[:.)-])\s*\S", ln, re.I)
               and not re.match(r"^(?:\*\*|__|--)", ln)]  # "**Role:** ...", "---": emphasis or a rule, no bullet
    if len(bullets) >= 2:
        decided = _bullet_decisions(bullets)
        return decided if decided is not None else [_bullet_group(b) for b in bullets]
    whole = flat = " ".join(lines)
    sep = _separator(flat)
    flat = _HEAD.sub("", flat, count=1) if sep.search(flat.split(":", 1)[-1]) or ":" in flat[:60] else flat
    if sep.search(flat):
        parts = sep.split(flat)
        parts[0] = re.split(r"\s[-–—]\s|:\s|(?<=[a-z0-9)])\.\s+(?=[A-Z])|\b(?:sequence|order|flow) is\s+",
                            parts[0])[-1]  # "Feature pipeline — raw events > ...", "... The sequence is A > B"
        parts[-1] = re.split(r"(?<=[a-z0-9)])\.\s+(?=[A-Z])", parts[-1], maxsplit=1)[0]  # "deploy. Each stage ..."
        return [_split_group(p) for p in parts]
    via = _from_to_via(flat)
    if via:
        middle = [[tidy_step(n)] for n in re.split(r",\s*(?:and\s+)?|\s+and\s+", via[2]) if tidy_step(n)]
        return [_split_group(via[0])] + middle + [_split_group(via[1])]
    if re.search(rf"\b{_FEED_VERBS}\b", flat, re.I):
        parts = re.split(rf"\s*(?:[,;.]\s*(?:which|and that|and both|and they|these|it|that|then)?\s*|\s+which\s+)?"
                         rf"\b(?:both\s+|then\s+|all\s+)?{_FEED_VERBS}\s+", flat, flags=re.I)
        groups = []
        for i, part in enumerate(parts):
            # "Y; Y" / "Y. Y" / "Y, Y": the object of one clause is the subject of the next
            if 0 < i < len(parts) - 1:
                for sep in (r";", r"\.\s", r",\s"):
                    halves = re.split(r"\s*" + sep + r"\s*", part.strip())
                    if len(halves) == 2 and halves[0].strip().lower() == halves[1].strip().lower():
                        part = halves[0]
                        break
            groups.append(_split_group(part))
        return groups
    io = _INPUT_OUTPUT.search(whole)
    if io:  # "pipeline with A and B as input, and C as output: s1, s2, s3"
        rest = (whole[: io.start()] + " " + whole[io.end():]).strip()
        rest = rest.split(":", 1)[1] if ":" in rest else ""
        middle = [[tidy_step(n)] for n in re.split(r"\s*[,;]\s*(?:and\s+|then\s+)?|\s+then\s+", rest) if tidy_step(n)]
        outs = [_split_group(io.group("outs"))] if io.group("outs") else []
        return [_split_group(io.group("ins"))] + middle + outs
    steps = re.split(r"\s*(?:,?\s*(?:and\s+)?(?:then|finally|ending in|next)\b|\band\s+then\b|;|\.\s+then\b)\s*",
                     flat, flags=re.I)
    if len(steps) >= 3 and re.search(_HEAD_WORDS, steps[0], re.I) and ";" in flat:
        steps = steps[1:]  # "flow chart of the bug triage process; new bug; reproduce; ..."
    if len(steps) >= 3 or (len(steps) == 2 and re.search(r"\b(?:then|finally|ending in)\b", flat, re.I)):
        steps[0] = re.sub(r"^(?:.*?\bfirst(?:ly)?|start with|begin with|start by)\s*,?\s*", "", steps[0], flags=re.I)
        return [_split_group(s) for s in steps]
    paren = re.match(r"[^()]*\(([^()]+)\)\s*$", flat)
    if paren and paren.group(1).count(",") >= 1:
        return [[tidy_step(n)] for n in paren.group(1).split(",") if tidy_step(n)]
    listed = re.split(r"\s*(?::|\?|\s[-–—]\s)\s*", whole, maxsplit=1)
    body = listed[1] if len(listed) == 2 else whole
    dash = re.search(r"\s[—–]\s", whole)
    if dash and len(listed) == 2 and dash.start() == len(listed[0]):  # "... includes a, b, c and d — all automated
        before = re.split(r"(?<=[.!?])\s+", whole[: dash.start()])[-1]  # and versioned": the items stand before the dash
        if before.count(",") > body.split(".")[0].count(","):
            body = _INCLUDES_HEAD.sub("", before, count=1)
    if body.count(",") >= 2:  # "invoice processing: scanned PDF, OCR, ...", "START, READ N, END"
        items = [tidy_step(n) for n in re.split(r"\s*,\s*(?:and\s+)?(?![^()]*\))", body)]  # (not inside brackets: "a (b, c), d")
        return [[n] for n in items if n]
    pair = re.fullmatch(r"(\S+(?:\s+\S+){0,3})\s+to\s+(\S+(?:\s+\S+){0,3})", flat.strip(" ."))
    if pair:
        return [_split_group(pair.group(1)), _split_group(pair.group(2))]
    return None


_INCLUDES_HEAD = re.compile(r"^.{0,60}?\b(?:includes|including|consists\s+of|involves|comprises)\s+", re.I)


def _fits(groups: list[list[str]] | None) -> bool:
    return bool(groups) and all(groups) and 2 <= sum(len(g) for g in groups) <= MAX_PLAN_NODES and \
        not any(len(name) > 48 or len(name.split()) > 7 for g in groups for name in g)  # type: ignore[union-attr]


_CHAIN_ARROW = re.compile(r"[ \t]*(?:-{1,3}\[[^\[\]\n]{1,30}\]-{1,3}>|-+>|→|⟶|=+>)[ \t]*")  # "a --[ASR]--> b" too
_LABELLED_ARROW = re.compile(r"[ \t]*-{1,3}\[[^\[\]\n]{1,30}\]-{1,3}>[ \t]*")
_CHAIN_HEAD = re.compile(r"[(\[{]|[:;,.!?](?:\s|$)|\s[-–—]\s")
_CHAIN_TAIL = re.compile(r"[()\[\]{}]|[:;,.!?](?:\s|$)|\s[-–—]\s")
MAX_CHAIN_ITEM_WORDS = 4
_BOXED = re.compile(r"^\s*(?:\(?\[|\|)\s*[-=~*]{0,8}\s*(?P<x>[^\[\]|\n]{1,60}?)\s*[-=~*]{0,8}\s*(?:\]\)?|\|)\s*$")
_BOX_ROW = re.compile(r"(?:\[[^\[\]\n]{1,60}\][ \t]*){3,12}")
_NAME_ASIDE = re.compile(r"[^()\[\]{}]{1,40}\([^()]{1,24}\)\s*$")  # "Lambda (fails 3 times)"
_DRAWN_REST = re.compile(r"[\s\[\](){}|+*=~^`.-]+")  # what may stand around a drawn chain: boxes, rules
_ASIDE_END = re.compile(r"\s*\([^()]{1,24}\)\s*$")


def embedded_chain(text: str) -> list[list[str]] | None:
    """The arrow chain written inside a sentence or on one line of a longer text, one step a rank:
    "builds a five-stage pipeline (checkout → build → test → deploy), then ..." -> checkout, build,
    test, deploy. The words before the first arrow count from the last bracket or punctuation, those
    after the last arrow up to the next; every step is at most MAX_CHAIN_ITEM_WORDS words. The
    line with the longest such chain (3+ steps) is read; None when no line has one."""
    return _best_chain(text)[0]


def chain_line(text: str) -> str:
    """The line `embedded_chain` reads its chain from ('' when none)."""
    return _best_chain(text)[1]


def _best_chain(text: str) -> tuple[list[list[str]] | None, str]:
    best, where, _ = _chains(text)
    return best, where


def _chains(text: str) -> tuple[list[list[str]] | None, str, bool]:
    """(the longest chain, its line, whether that line is nothing but the chain: a drawn diagram)."""
    best: list[str] = []
    where = ""
    whole = False
    for line in text.splitlines():
        boxes = _BOX_ROW.fullmatch(line.strip())  # "[Upload] [Scan + store] [OCR]": boxes side by side, no arrows
        parts = _CHAIN_ARROW.split(line) if boxes is None else [f"[{b}]" for b in re.findall(r"\[([^\[\]]{1,60})\]", line)]
        if len(parts) < 3 or len(parts) <= len(best):
            continue
        parts = [_BOXED.sub(r"\g<x>", p) for p in parts]  # "[App Logs]", "[--- Kafka ---]", "| MariaDB |": a box
        head, tail = parts[0], parts[-1]
        aside = _ASIDE_END.search(head)  # "Event (push) → ...": the aside stays with the first step
        parts[0] = _CHAIN_HEAD.split(head[: aside.start()] if aside else head)[-1] + (aside.group() if aside else "")
        if not _NAME_ASIDE.match(tail):
            parts[-1] = _CHAIN_TAIL.split(tail, maxsplit=1)[0]
        items = [tidy_step(p) for p in parts]
        if all(items) and all(len(_ASIDE.sub("", x).split()) <= MAX_CHAIN_ITEM_WORDS + 2 * (boxes is not None) and len(x) <= 40
                              and (boxes is not None or not _CHAIN_TAIL.search(_ASIDE.sub("", x))) for x in items):
            best, where = items, line
            whole = not re.match(r"\s*(?:[-*•·]|\d{1,2}[.)])\s", line) and \
                not _DRAWN_REST.sub("", head[: len(head) - len(parts[0])]) and \
                not _DRAWN_REST.sub("", tail[len(parts[-1]):])
    return ([[x] for x in best], where, whole) if len(best) >= 3 else (None, "", False)


def drawn_chain(request: str) -> Plan | None:
    """A chain of 3+ steps drawn on a line of its own ("[Camera] -> [Capture] -> Queue -> API",
    "| MariaDB | ---> | Debezium | ---> ..."): the diagram the writer drew, as a plan; else None."""
    request = clean(request)
    groups, _, whole = _chains(request) if request else (None, "", False)
    return Plan.steps([[_label(n) for n in g] for g in groups]) if groups and whole and _fits(groups) else None


def read_chain(request: str) -> Plan | None:
    """The arrow chain written on one line of a text (`embedded_chain`) as a plan, or None."""
    request = clean(request)
    groups = embedded_chain(request) if request else None
    return Plan.steps([[_label(n) for n in g] for g in groups]) if groups and _fits(groups) else None


def read_steps(request: str) -> Plan | None:
    """The named steps of a pipeline/flowchart request as ranks (+ one loop), or None."""
    request = clean(request)
    if not request:
        return None
    text, src, dst = _find_loop(unwrap(request))
    text = re.sub(r"\s*(?:-+>|→|⟶|=+>|,|;)\s*$", "", text)
    text = _LABELLED_ARROW.sub(" -> ", text)  # "speech --[ASR]--> text": the arrow's label is no step
    groups = _groups(text)
    if not _fits(groups):
        return None
    plan = Plan.steps([[_label(n) for n in g] for g in groups])
    if dst is None:
        return plan
    to = _step_index(plan.labels, dst)
    frm = _step_index(plan.labels, src) if src else plan.n_nodes - 1
    if to is None or frm is None or to >= frm:
        return plan
    return Plan.steps(plan.ranks, ((frm, to),))


def names_components(steps: Plan, prose: Plan | None, request: str) -> bool:
    """Whether listed steps say what prose's components do: "- Collecting logs from other components
    (Filebeat).\n- Centralized logs storage (Elasticsearch)." names each component in an aside after
    its step, where prose reads only "Filebeat > Elasticsearch"; every component the prose reads is
    within a step's label or in an aside of the text, and there are as many steps."""
    if prose is None or steps.n_nodes < prose.n_nodes or steps.loops or len(steps.ranks) < 2:
        return False
    asides = {" ".join(m.group("a").split()).lower() for m in _ASIDE.finditer(request[:MAX_ASIDE_SCAN])}
    inside = " | ".join(steps.labels).lower()
    return all(label.lower() in inside or label.lower() in asides for label in prose.labels) and \
        sum(label.lower() in asides for label in prose.labels) * 2 >= prose.n_nodes


MAX_ASIDE_SCAN = 4000


def _step_index(labels: tuple[str, ...], name: str) -> int | None:
    """The step a loop names: the same label, else the one label containing its words
    ("back to the selector" -> "Active learning selector")."""
    want = _label(name).lower()
    exact = [i for i, label in enumerate(labels) if label.lower() == want]
    if exact:
        return exact[0]
    pattern = re.compile(r"\b" + re.escape(want) + r"\b")
    within = [i for i, label in enumerate(labels) if want and pattern.search(label.lower())]
    return within[0] if len(within) == 1 else None
