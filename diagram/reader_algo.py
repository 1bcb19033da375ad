"""Read an algorithm or procedure written as numbered steps ("Step 1: Start", "4. If i <= n go to
step 5 otherwise go to step 7") or as bullets with "If"/"Else"/"Repeat" items, one node a step,
with jumps as edges (`diagram.reader.read_request` calls it after the structured-list reader).

    >>> read_numbered("Step 1: Start\\nStep 2: Read n\\nStep 3: If i <= n then goto step 4 else goto step 6\\n"
    ...               "Step 4: Set fact = fact * i\\nStep 5: Increment i and goto step 3\\nStep 6: Print fact").line()
    '# steps: Start > Read n > I <= n? > Set fact = fact * i, Print fact > Increment i; loop Increment i > I <= n?'

Each item is one step, labelled by its first sentence cut to a short phrase (articles, asides in
brackets and "// comments" dropped; a long item cut before a relative clause or a prepositional
phrase). What an item says about the flow is read from its shape, not from its words:

- "If C then X else Y" / "If C, X; otherwise Y": a decision node "C?" whose branches are X and Y
  (a "go to step N" branch points to step N; a missing branch goes on with the next item; an
  "Else" item takes the branch of the decision before it);
- "..., go to step N" / "Go to Step N." at the end of an item: the item's edge goes to step N
  instead of the next item (a jump back is a loop);
- "Repeat step 4, step 5 ...", "Repeat through step-5 while C": a loop back to the first step named,
  or from the last step named back to the item; "Repeat the steps until C" / "While C" / "For each
  ..." with sub-items under it: a loop from its last sub-item back to it; "repeat the above
  process" / "keep doing this": a loop back to the first item;
- "... will retry", "continue <verb>ing", "in a loop": a loop back (to the step before, the step
  whose word it repeats, the item);
- "Stop" / "End" / "Exit" / "Return ...": no edge onward; "end if" / "endwhile" closes a block.
- "If yes, X" / "If no, Y" items: the branches of the check before them; "(Repeat)", "continue to
  loop until C", "repeat the same steps", "generate a new one": loops back.

`with_redo_loops` gives a plan without loops the loop a redone step states ("Repeat the process of
adding chlorine", "Resubmit form", "... the order code again", "This procedure is repeated ...").

Also read: pseudo-code a statement a line (short lines without full stops, two or more of them
if/else/while/end if) and numbered titles with descriptions under them (the titles are the steps).
The graph is layered by longest path after dropping back edges (kept as loops), as
`diagram.reader_lists` layers an edge list; a decision whose other branch skips ahead keeps it as
"Else: continue" beside the branch it takes (a plan connects consecutive ranks only). A list reads
only when it has at least three items, and bullets only with an item that is a decision, a loop or a
jump, or when they are imperative sentences; numbered items listing three or more named components
are left to the component readers. Every pattern is anchored to one item and bounded: linear in the
text.
"""

from __future__ import annotations

import re

from diagram.grammar import LABEL_MAX_CHARS
from diagram.plan import MAX_LAYER_NODES, MAX_PLAN_NODES, Plan, step_label
from diagram.reader_text import fit_label, headline
from diagram.reader_clauses import NOT_VERBS, VERBS, ELSE_CONTINUE, lemma
from diagram.reader_prose import mentions
from diagram.reader_text import layered

MAX_ITEMS = 30
MAX_TEXT = 4_000  # the most text looked through for inline step markers
LABEL_CHARS = LABEL_MAX_CHARS  # the answer grammar's label limit
_KEEP = 0.6  # a cut at a phrase boundary keeps at least this share of LABEL_CHARS, else the words up to it are kept
# "Step 1:", "step 2 -", "Start 3 :", "1.", "2)", "• Step 1 :", "5.1": a number opening a line
_NUMBERED = re.compile(r"^[ \t]*(?:[-*•·][ \t]*)?(?:(?:step|stage|phase|start)s?[ \t]*)?(?:\((?=\d{1,2}\)))?"
                       r"(?P<n>\d{1,2})(?P<sub>\.\d{1,2})?"
                       r"(?:(?:[ \t]*(?:,|and|&|to)[ \t]*)+\d{1,2}(?:\.\d{1,2})?){0,3}"  # "Steps 2, 2.1, and 2.2 -"
                       r"(?:[ \t]*(?:[:.)]|->|-(?=[ \t])|–)|(?=[ \t]+[A-Za-z]))[ \t]*(?P<body>\S.*)?$", re.I)
_KEYED = re.compile(r"^[ \t]*(?:[-*•·][ \t]*)?(?:step|stage|phase|start)s?[ \t]*\d", re.I)
_BULLET = re.compile(r"^[ \t]*(?:[-*•·]|->)[ \t]+(?P<body>\S.*)$")
_LETTERED = re.compile(r"^[ \t]*(?P<n>[a-h])[ \t]*[.):]?[ \t]+(?P<body>[A-Z]\S*(?:[ \t]+\S+){2,}.*)$")
_JUMP = re.compile(r"\b(?:go[ \t]?to|go(?:es)?[ \t]+back[ \t]+to|goes[ \t]to|proceed(?:s)?[ \t]to|jump[ \t]to|return[ \t]to|"
                   r"continue[ \t](?:with|at|from))"
                   r"[ \t]+step[ \t-]*(?P<n>\d{1,2})\b", re.I)
_TAIL_JUMP = re.compile(r"(?:^|[,.;:]?[ \t]*(?:\band[ \t]+)?(?:\bthen[ \t]+)?)(?P<jump>(?:go[ \t]?to|go[ \t]+back[ \t]+to|"
                        r"proceed[ \t]to|jump[ \t]to|"
                        r"return[ \t]to|continue[ \t](?:with|at|from))[ \t]+step[ \t-]*(?P<n>\d{1,2}))[ \t]*[.;]?[ \t]*$",
                        re.I)
_IF = re.compile(r"^(?:else[ \t]*,?[ \t]*)?if\b[ \t]*(?P<cond>.{1,80}?)[ \t]*(?:\bthen\b[ \t]*,?|,|:|"
                 r"(?=[ \t](?:go[ \t]?to|return|print|display|stop|exit|swap|set)\b))[ \t]*(?P<rest>.*)$", re.I)
_IF_BARE = re.compile(r"^(?:else[ \t]*,?[ \t]*)?if\b[ \t]*(?P<cond>.{1,80}?)[ \t]*(?:then)?[ \t]*[,:]?$", re.I)
_ELSE = re.compile(r"^(?:else|otherwise)\b[ \t]*,?[ \t]*(?P<rest>.*)$", re.I)
# an answer to a check ("If yes", "If valid", "If not") and the other answer after it ("; if no, ...")
_YESNO = re.compile(r"(?i)(?:yes|no|so|not|true|false|valid|invalid|correct|incorrect|ok|okay|successful|unsuccessful|"
                    r"approved|rejected|accepted|denied|passed|failed|found|not[ \t]+found|available|not[ \t]+available|"
                    r"matched|not[ \t]+matched|it[ \t]+is|it[ \t]+is[ \t]+not|they[ \t]+do|they[ \t]+do[ \t]+not|not[ \t]+so)")
_IF_OTHER = re.compile(r"[ \t]*[;,.][ \t]*(?:and[ \t]+|or[ \t]+)?if[ \t]+(?:no|not|in\w+|un\w+|false|fail\w*|reject\w*|den\w+)\b"
                       r"[ \t]*[,:]?[ \t]*", re.I)
_ELSE_SPLIT = re.compile(r"[ \t]*[,;.]?[ \t]*\b(?:else|otherwise)\b[ \t]*,?[ \t]*", re.I)
_LOOP_HEAD = re.compile(r"^(?:repeat|while|for[ \t]+(?:each|every|all|i\b|j\b|k\b)|loop|iterate|do[ \t]+the[ \t]+following|"
                        r"keep[ \t]+doing)\b", re.I)
_ABOVE = re.compile(r"\b(?:above|previous|these|this|same)[ \t]+(?:process|steps?|procedure)\b|\bkeep[ \t]+doing\b", re.I)
# a loop told at the end of a list: "continue to loop until ...", "keep repeating", "loop until ..."
_LOOP_ON = re.compile(r"^(?:continue|keep)[ \t]+(?:to[ \t]+)?(?:loop|repeat|iterat)\w*\b|^(?:loop|repeat)[ \t]+(?:until|till)\b", re.I)
# an item that only says to repeat: "(Repeat)", "Repeat.", "Repeat as needed"
_BARE_REPEAT = re.compile(r"^\(?[ \t]*(?:repeat|iterate|loop|again)(?:[ \t]+(?:as[ \t]+(?:needed|necessary|required)|if[ \t]+needed))?"
                          r"[ \t]*\)?[ \t.!]*$", re.I)
# "repeat the process till ...", "repeat these steps" inside an item's text (not at its head): back to the step before
_REPEAT_PROCESS = re.compile(r"\brepeat(?:s|ing)?[ \t]+(?:the[ \t]+|this[ \t]+|these[ \t]+)?(?:whole[ \t]+|same[ \t]+)?"
                             r"(?:process|steps?|procedure|check|test)\b", re.I)
# "drop the key and generate a new one", "pick another card": the verb of an earlier step, done again
_REDO_NEW = re.compile(r"\b(?P<verb>[a-z]{3,})[ \t]+(?:a[ \t]+new|another|anew|(?:it|them)[ \t]+again)\b", re.I)
# "this process" names the loop only with a word that repeats ("In this process the card is stamped" is no loop)
_REPEAT_WORD = re.compile(r"\b(?:repeat\w*|again|back|continue\w*|redo|loop\w*|iterat\w*|until|till|while|times)\b", re.I)
_STEP_REFS = re.compile(r"\bsteps?[ \t-]*(\d{1,2})(?:[ \t]*(?:,|and|to|-|through)[ \t]*(?:step[ \t-]*)?(\d{1,2}))*", re.I)
_THROUGH = re.compile(r"\b(?:through|thru|till|until|upto|up[ \t]to)[ \t]+step[ \t-]*(\d{1,2})\b", re.I)
_LOOP_COND = re.compile(r"\b(?:while|until|till|as[ \t]+long[ \t]+as)\b[ \t]+(?P<cond>\S.{1,80})$", re.I)
_BLOCK_END = re.compile(r"^(?:end[ \t]*(?:of[ \t]+)?(?:if|for|while|loop|do)|endif|endwhile|endfor|fi|done|next)\b[ \t.;]*$",
                        re.I)
_REPEAT_REF = re.compile(r"\brepeat(?:s|ing)?[ \t]+(?:from[ \t]+)?(?:the[ \t]+)?steps?[ \t-]*(\d{1,2})\b", re.I)
_IN_LOOP = re.compile(r"\b(?:in[ \t]+a[ \t]+loop|run[ \t]+a[ \t]+loop)\b", re.I)
_CONTINUE = re.compile(r"^continue[ \t]+(?:with[ \t]+)?(?:the[ \t]+)?(\w{4,})", re.I)
_RETRY = re.compile(r"\b(?:retr(?:y|ies|ied)|again|once[ \t]+more)\b", re.I)
_END = re.compile(r"^(?:stop|end|exit|halt|terminate|finish)\b", re.I)
_RETURN = re.compile(r"^return\b", re.I)
_COMMENT = re.compile(r"[ \t]*//.*$")
_ASIDE = re.compile(r"[ \t]*\((?![^()]*[\"“”])(?:[^()]*[ \t][^()]*[ \t][^()]*)\)")  # "(lower index = 0, higher = middle - 1)"
_MARKUP = re.compile(r"\*\*|__|`")
_EMPHASIS = re.compile(r"\*(\S(?:[^*\n]{0,60}?\S)?)\*")  # "*n*" -> "n"; "fact * i" stays
_ARTICLE = re.compile(r"(?i)\b(?:the|a|an)[ \t]+(?=[a-z]{2})(?!(?:not|is|are|and|or)\b)")  # "a not equals 0" keeps "a"
# where a long item may be cut: before a relative clause, a purpose, a prepositional phrase or a comma
_CUT = re.compile(r"(?i)[ \t]*(?:,|;|[ \t](?:which|that|so[ \t]that|in[ \t]order[ \t]to|to[ \t]make|using|by|for|with|from|"
                  r"within|on|in|until|till|while|where|as|into|at|and|if|when)\b)")
# an item that names its step and then describes it: "Stamp Book: The book ...", "Check for Overdue: In this ..."
# (a name of one to six words, no sentence inside it, a capitalised or long description after it)
_NAMED_STEP = re.compile(r"^(?P<name>[A-Za-z][^\s:.;!?,]*(?:[ \t]+[^\s:.;!?,]+){0,5})[ \t]*:[ \t]+(?=[A-Z][a-z]*[ \t]+[a-z]+[ \t]+\S|[a-z]+(?:[ \t]+\S+){4})")
# an item done only under a condition: "Re-shipped if non-dated materials.", "Conduct X: If the parts ..., X is done."
# ("Check if ...", "determine if ...": a question the step asks, no condition on the step)
_CONDITIONAL = re.compile(r"(?:(?:^|[.:;][ \t]+)|"
                          r"(?<!check)(?<!checks)(?<!verify)(?<!verifies)(?<!determine)(?<!determines)(?<!ask)(?<!asks)"
                          r"(?<!see)(?<!test)(?<!know)(?<!out)(?<!confirm)(?<!decide)(?<!validate)(?<!whether)(?<!even)(?<!as)"
                          r"[ \t]+)(?:only[ \t]+)?if[ \t]+(?!so\b|any\b|needed\b|necessary\b|required\b|possible\b|"
                          r"applicable\b|appropriate\b|desired\b)(?P<cond>[^,.;:]{2,80}?)[ \t]*(?:[,.;:]|then\b|$)", re.I)
# "Is the bath full? If it is, go to step 7, otherwise ...": a question, then its answers
_ASKED = re.compile(r"^(?P<q>[A-Z][^?\n]{2,100})\?[ \t]+if[ \t]+(?P<cond>[^,:;]{1,30}?)[ \t]*(?:,|then\b|:)[ \t]*"
                    r"(?P<rest>\S.*)$", re.I)
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)\]\"”'])\.[ \t]+(?=[A-Z])")


def _above(text: str) -> bool:
    """Whether an item goes back over the steps before it ("repeat the above process", "do these steps again")."""
    m = _ABOVE.search(text)
    return bool(m) and (m.group(0).lower().startswith(("above", "previous", "keep")) or bool(_REPEAT_WORD.search(text)))


_IT_SHOULD = re.compile(r"^(?:it|the[ \t]+(?:program|system|machine|app|application|tool|script|bot))[ \t]+"
                        r"(?:should|must|shall|will|has[ \t]+to|needs[ \t]+to)(?:[ \t]+(?:also|only|then|first))?"
                        r"[ \t]+(?=[a-z])",
                        re.I)


def short_step(text: str) -> str:
    """An item's label: its first sentence, asides and articles out, cut to LABEL_CHARS at a phrase
    boundary ('Take the number from the keyboard of which ...' -> 'Take number from keyboard')."""
    text = _COMMENT.sub("", _EMPHASIS.sub(r"\1", _MARKUP.sub("", text))).strip()
    text = _IT_SHOULD.sub("", text)  # "It should read the answer": a requirement, the step is what it does
    text = re.sub(r"^\(?\d{1,2}[.)]{1,2}[ \t]+(?=\S)", "", text)  # "- 1). Fill the container": the number is no step
    text = _SENTENCE_END.split(text, maxsplit=1)[0]
    text = _ASIDE.sub("", text).strip().rstrip(".;:,").strip()
    text = _ARTICLE.sub("", text)
    # "Then, ...", "finally compute ...": a connector, not a step's word ("First Review" keeps it)
    text = re.sub(r"^(?i:then|now|next|and|initially|lastly|finally|first(?:ly)?)(?:[ \t]*,[ \t]*|[ \t]+(?=[a-z]))", "",
                  text)
    text = headline(text, LABEL_CHARS)  # "ROTA managers will also be notified" -> "ROTA managers also notified"
    if len(text) <= LABEL_CHARS:
        return text[:1].upper() + text[1:]
    cut = ""
    for m in _CUT.finditer(text):
        if m.start() > LABEL_CHARS:
            break
        if len(text[: m.start()].split()) >= 2:
            cut = text[: m.start()]
    whole = fit_label(text, LABEL_CHARS)
    if len(cut) < _KEEP * LABEL_CHARS and len(whole.split()) > len(cut.split()) + 1:
        cut = whole  # "User logs in to library system to check": a cut at "in" would leave "User logs"
    cut = cut.strip().rstrip(".;:,")
    named = [m for m in mentions(text[len(cut):]) if m.lower() not in cut.lower()]
    if named and len(named[0]) <= LABEL_CHARS // 2:
        # "X will send the message to the SNS Topic": the component the cut would lose stays
        room = LABEL_CHARS - len(named[0]) - 4
        head = cut if len(cut) <= room else cut[: room + 1].rsplit(" ", 1)[0]
        head = re.sub(r"(?i)(?:[ \t,;:&]+(?:to|into|onto|in|at|for|and|&|or|with|the|a|an))+[ \t]*$", "", " " + head).strip()
        cut = f"{head.rstrip(' ,;:')} to {named[0]}" if head.strip() else named[0]
    return cut[:1].upper() + cut[1:]


def unfenced(line: str) -> str:
    """A line without a code fence around its text ("```Select a random number" -> "Select a random number");
    a fence alone or with its language tag ("```python") is no line at all."""
    line = re.sub(r"```[ \t]*$", "", line.rstrip())
    if line.lstrip().startswith("```"):
        rest = line.lstrip()[3:]
        return rest if len(rest.split()) >= 2 else ""
    return line


def is_heading(line: str) -> bool:
    """Whether a line titles the code under it rather than being a statement: a markdown heading
    ("## Pseudocode for guessing game") or a line of nothing but a tagged title ("<u>Pseudocode</u>")."""
    text = line.strip()
    return bool(re.match(r"#{1,6}[ \t]+[A-Za-z]", text) and not re.search(r"[=<>(){}\[\];]", text)
                or re.fullmatch(r"<(\w{1,10})>[^<>]{1,60}</\1>:?", text))


# "If m > n divide m by n": a test of one comparison, the action straight after it
_BARE_TEST = re.compile(r"^(?P<head>(?:else[ \t]+|otherwise[ \t]+)?if[ \t]+[\w.()\[\]]{1,20}[ \t]*"
                        r"(?:[<>=≠≤≥]=?|!=|<>)[ \t]*"
                        r"[\w.()\[\]]{1,20})[ \t]+(?P<rest>[a-z]\w*\b.*)$", re.I)
_SAME_AGAIN = re.compile(r"(?i)\b(?:apply|repeat|run|use|do)[ \t]+(?:the[ \t]+)?same[ \t]+"
                         r"(?:algorithm|method|procedure|process|steps?)\b")
_PLAIN_SENTENCE = re.compile(r"(?<=[\w)\]\"”'])\.[ \t]+(?=[A-Z])")


def _sentence_items(text: str) -> tuple[list[tuple[int | None, bool, str]], bool] | None:
    """An algorithm told in one paragraph ("If m > n divide m by n and let r be the remainder. If r = 0 then n
    is the answer; otherwise apply the same algorithm to n and r."): its sentences from the first test on,
    one item each, when two or more are tests, every one is a test or an order, and one of them loops."""
    if text.count("\n") > 2 or len(text) > 1500:
        return None
    sentences = [x.strip() for x in _PLAIN_SENTENCE.split(" ".join(text.split())) if x.strip()]
    first = next((k for k, x in enumerate(sentences) if re.match(r"(?i)if\b", x)), None)
    if first is None:
        return None
    kept = sentences[first:]
    tests = [x for x in kept if re.match(r"(?i)(?:if|otherwise|else)\b", x)]

    def order(x: str) -> bool:
        words = re.findall(r"[A-Za-z]+", x)
        return bool(words) and lemma(words[0].lower()) in VERBS and words[0].lower() not in NOT_VERBS
    if len(tests) < 2 or len(kept) > 8 or not all(x in tests or order(x) for x in kept) \
            or not any(_SAME_AGAIN.search(x) or _above(x) for x in kept):
        return None
    items = []
    for x in kept:
        bare = _BARE_TEST.match(x.rstrip("."))
        items.append((None, True, f"{bare.group('head')}, {bare.group('rest')}" if bare and not _IF.match(x) else x))
    return items, False


# Knuth's way of writing an algorithm: "E1. [Find remainder.] Divide m by n ...", "E2. [Is it zero?] If r = 0, ..."
_BRACKETED = re.compile(r"(?<![\w.])(?P<id>[A-Z]\d{1,2})\.[ \t]*\[(?P<title>[^\[\]\n]{2,60})\][ \t]*")
_TERMINATES = re.compile(r"(?i)\b(?:terminates?|stops?|halts?|ends?|exits?)\b[ \t]*[;,.]?[ \t]*(?P<result>[^;.]*)")
_STEP_ID = re.compile(r"(?i)\b(?:go(?:es)?[ \t]+(?:back[ \t]+)?to|return[ \t]+to|repeat(?:[ \t]+from)?)[ \t]+"
                      r"(?:step[ \t]+)?(?P<id>[A-Z]\d{1,2})\b")


def _bracketed_steps(text: str) -> Plan | None:
    """Steps written "E1. [Find remainder.] ..." (three or more): the bracketed titles are the steps, a title
    that asks ("[Is it zero?]") a decision whose other branch ends the algorithm, "go back to step E1" a loop."""
    found = list(_BRACKETED.finditer(text))
    if len(found) < 3 or len(found) > MAX_ITEMS:
        return None
    g = StepGraph()
    ids: dict[str, int] = {}
    bodies: list[str] = []
    for k, m in enumerate(found):
        end = found[k + 1].start() if k + 1 < len(found) else len(text)
        bodies.append(re.sub(r"[ \t*#-]+$", "", text[m.end(): end]).strip())
        ids[m.group("id").upper()] = g.node(short_step(m.group("title").strip().rstrip(".?")) +
                                            ("?" if m.group("title").strip().endswith("?") else ""))
    for k, body in enumerate(bodies):
        jump = _STEP_ID.search(body)
        if jump and jump.group("id").upper() in ids:
            g.edges.append((k, ids[jump.group("id").upper()]))
        elif k + 1 < len(bodies):
            g.edges.append((k, k + 1))
        stops = _TERMINATES.search(body) if g.labels[k].endswith("?") else None
        if stops:
            result = short_step(stops.group("result")) if stops.group("result").strip() else "End"
            g.edges.append((k, g.node(result)))
    return layered_steps(g)


def _without_afterword(lines: list[str]) -> list[str]:
    """The lines up to the last numbered step when the unmarked lines after it only talk about the
    drawing ("Now we need to draw the chart with instruction boxes."): no loop, jump or condition in them."""
    last = max((i for i, ln in enumerate(lines) if _NUMBERED.match(ln) and not _BULLET.match(ln)), default=None)
    if last is None or last + 1 >= len(lines):
        return lines
    after = "\n".join(lines[last + 1:])
    if not _DRAWING.search(after) or _REPEAT_WORD.search(after) or _STEP_REFS.search(after) \
            or re.search(r"(?i)\bif\b", after) or re.search(r"(?m)^[ \t]+\S|^[ \t]*[-*•·>]", after):
        return lines
    return lines[: last + 1]


_DRAWING = re.compile(r"(?i)\b(?:draw\w*|(?:flow[ \t]?)?charts?|diagrams?|boxes|shapes?)\b")


def _items(text: str) -> tuple[list[tuple[int | None, bool, str]], bool] | None:
    """(items as (step number or None, whether a top-level item, text), whether the list is numbered) or None."""
    lines = [ln.rstrip() for ln in map(unfenced, text.splitlines()) if ln.strip()]
    items: list[tuple[int | None, bool, str]] = []
    numbered = sum(bool(_NUMBERED.match(ln)) and not _BULLET.match(ln) or bool(_KEYED.match(ln)) for ln in lines)
    if numbered >= 3:
        lines = _without_afterword(lines)
    bulleted = sum(bool(_BULLET.match(ln)) and not _KEYED.match(ln) for ln in lines)
    lettered = sum(bool(_LETTERED.match(ln)) for ln in lines)
    use_numbers = numbered >= 3
    use_letters = not use_numbers and lettered >= 3
    if not use_numbers and not use_letters and bulleted < 3:
        # pseudo-code a statement a line: short lines without a full stop, two or more of them "if"/"else"/
        # "while"/"end if" (sentences a line, "If the stock is low, he orders more.", are prose)
        short = sum(len(ln.split()) <= 16 for ln in lines)
        flow = sum(bool(_IF.match(ln.strip()) or _IF_BARE.match(ln.strip()) or _ELSE.match(ln.strip()) or
                        _BLOCK_END.match(ln.strip()) or _LOOP_HEAD.match(ln.strip())) for ln in lines)
        unended = sum(not ln.rstrip().endswith(".") for ln in lines)  # statements, not sentences
        if len(lines) < 4 or flow < 2 or short * 4 < len(lines) * 3 or unended * 4 < len(lines) * 3:
            return None
        items = [(None, True, ln.strip()) for ln in lines[:MAX_ITEMS + 1] if not is_heading(ln)]  # (no title)
        return (items, False) if 3 <= len(items) <= MAX_ITEMS else None
    started = False
    numbers = [m for m in map(_NUMBERED.match, lines) if m and m.group("body")] if use_numbers else []
    # "1.1: ...", "1.2: ...", "2.1: ...": sections numbered in two levels, every one a step
    decimal = bool(numbers) and all(m.group("sub") is not None for m in numbers)
    for ln in lines:
        num = _NUMBERED.match(ln) if use_numbers else None
        if num and (num.group("sub") is None or not items or decimal) and num.group("body"):
            items.append((int(num.group("n")), True, num.group("body")))
            started = True
            continue
        if num and num.group("body"):  # "5.1 If ...": a sub-item of step 5
            items.append((None, False, num.group("body")))
            continue
        if use_letters:
            let = _LETTERED.match(ln)
            if let:
                items.append((ord(let.group("n").lower()) - ord("a") + 1, True, let.group("body")))
                started = True
            continue
        bullet = _BULLET.match(ln)
        if not use_numbers and bullet:
            items.append((None, True, bullet.group("body")))
            started = True
            continue
        if not started:
            continue  # a title or a problem statement before the list
        marked = bool(re.match(r"^[ \t]*(?:[-*•·>]|(?:[a-z]|[ivx]{1,4})[.)][ \t])", ln))  # "-> print a", "a. Extract ..."
        body = re.sub(r"^(?:[a-z]|[ivx]{1,4})[.)][ \t]+", "", ln.strip().lstrip("-*•·>").strip())
        prev = items[-1][2] if items else ""
        if body and body[0].islower() and not marked and not re.search(r"[.;:!?]$", prev):
            items[-1] = (items[-1][0], items[-1][1], prev + " " + body)  # a wrapped line
        elif body:
            items.append((None, False, body))
        if len(items) > MAX_ITEMS:
            return None
    if len(items) < 3 or len(items) > MAX_ITEMS:
        return None
    tops = [t for n, top, t in items if top]
    if len(tops) >= 3 and len(tops) < len(items) and all(_TITLE.match(t) for t in tops):
        # "1. Arrival & Registration" with what happens there written under it: the titles are the
        # steps, the lines under them describe them (a decision or a jump among them still counts)
        kept: list[tuple[int | None, bool, str]] = []
        body_of_flow = False  # under "Repeat below steps n times" / "If ...": the lines are its body
        for x in items:
            if x[1]:
                body_of_flow = bool(_LOOP_HEAD.match(x[2]) or _IF_BARE.match(x[2]) or _IF.match(x[2]))
            if x[1] or body_of_flow or _IF.match(x[2]) or _ELSE.match(x[2]) or _JUMP.search(x[2]) \
                    or _NAMED_SUB.match(_MARKUP.sub("", x[2])) or mentions(x[2]):  # "Build: ...", "... to GitHub"
                kept.append(x)
        items = kept
    return items, use_numbers or use_letters


# a step's title: up to five words, capitalised, no sentence punctuation ("Initial Nursing Assessment")
_TITLE = re.compile(r"^(?:\*\*)?[A-Z][^\s.:;!?]*(?:[ \t]+[^\s.:;!?]+){0,4}(?:\*\*)?[ \t]*:?$")


_NAMED_SUB = re.compile(r"^[A-Z][\w&/ -]{0,30}:[ \t]")


class StepGraph:
    def __init__(self) -> None:
        self.labels: list[str] = []
        self.edges: list[tuple[int, int]] = []

    def node(self, label: str) -> int:
        self.labels.append(label)
        return len(self.labels) - 1


def _continue_back(g: StepGraph, node: int) -> None:
    """"Continue iterating" after "Start iterating with ...": back to the step its word names."""
    more = _CONTINUE.match(g.labels[node])
    if more:
        stem = more.group(1).lower()[:5]
        for earlier in range(node):
            if any(w.lower().startswith(stem) for w in re.findall(r"\w+", g.labels[earlier])):
                g.edges.append((node, earlier))
                return


def word_stem(word: str) -> str:
    """A crude stem to compare verbs ("adding" ~ "Add", "generate" ~ "Generates")."""
    word = word.lower()
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    word = word[:-1] if word.endswith("e") and len(word) > 3 else word
    return word[:-1] if len(word) > 3 and word[-1] == word[-2] else word  # "add" / "adding" -> "ad"/"add"


def _redo_back(g: StepGraph, node: int, text: str) -> None:
    """"... and generate a new one", "pick another card": back to the earlier step whose verb it repeats."""
    m = _REDO_NEW.search(text)
    if not m:
        return
    verb = word_stem(m.group("verb"))
    for earlier in range(node):
        words = re.findall(r"[A-Za-z]+", g.labels[earlier])
        if words and word_stem(words[0]) == verb and not g.labels[earlier].endswith("?"):
            g.edges.append((node, earlier))
            return


def _keep_back(g: StepGraph, node: int, text: str) -> None:
    """"(It should) keep asking until ...", "keep stirring until ...": back to the earlier step whose verb it
    keeps doing."""
    m = re.match(r"(?i)^(?:it[ \t]+should[ \t]+|you[ \t]+)?keep[ \t]+(?:on[ \t]+)?(?P<verb>[a-z]{2,}ing)\b", text.strip())
    if not m:
        return
    verb = word_stem(m.group("verb"))
    for earlier in range(node - 1, -1, -1):
        words = re.findall(r"[A-Za-z]+", g.labels[earlier])
        if words and word_stem(words[0]) == verb:
            g.edges.append((node, earlier))
            return


_SUBJECTS = frozenset("the a an it this that these those we you he she they i there his her their its our your "
                      "if when while once after before each every all".split())
_AND_VERB = re.compile(r"^(?P<a>\S.{5,}?)[ \t]*,?[ \t]+and[ \t]+(?:then[ \t]+)?(?P<b>(?P<verb>[a-z]{2,})\b.{5,})$")


def _two_actions(text: str) -> tuple[str, str] | None:
    """An order that does two things ("Divide m by n and assign the value of the remainder to r") and is too long
    for one label: its two labels, when both halves open with a verb; else None."""
    text = _COMMENT.sub("", _MARKUP.sub("", text)).strip().rstrip(".").strip()
    text = _IT_SHOULD.sub("", text)
    if len(_ARTICLE.sub("", text)) <= LABEL_CHARS or _SENTENCE_END.search(text) or len(text) > 160:
        return None
    m = _AND_VERB.match(text)
    if not m:
        return None
    first = re.findall(r"[A-Za-z]+", m.group("a"))
    if not first or first[0].lower() in _SUBJECTS or first[0].lower() in NOT_VERBS or "," in m.group("a") \
            or lemma(m.group("verb")) not in VERBS or m.group("verb") in NOT_VERBS:
        return None  # ("Define entities, features, and labels": a list, not two orders)
    a, b = short_step(m.group("a")), short_step(m.group("b"))
    return (a, b) if len(a.split()) >= 2 and len(b.split()) >= 2 else None


def _action(text: str) -> tuple[str, int | None, bool]:
    """(label, step it jumps to or None, whether it ends the flow) of an item's action part."""
    text = text.strip().strip(",;.").strip()
    jump = _TAIL_JUMP.search(text)
    target = int(jump.group("n")) if jump else None
    if jump:
        text = text[: jump.start()].strip().strip(",;.").strip()
    repeat = _REPEAT_REF.search(text)
    if repeat and repeat.start() > 0:  # "Increment c and repeat step 3, 4, 5 ...": the loop is an edge
        text = re.sub(r"[ \t,;]*(?:\band[ \t]+)?$", "", text[: repeat.start()])
    ends = bool(_END.match(text)) or bool(_RETURN.match(text)) or bool(re.search(r"\band[ \t]+stop\b", text, re.I))
    text = re.sub(r"[ \t]*(?:,|;|\band\b)[ \t]*stop[ \t]*$", "", text, flags=re.I)
    label = short_step(text) if text else ""
    return label, target, ends


def _imperative_sentences(texts: list[str]) -> bool:
    """Whether two thirds of the items are sentences of 5+ words opening with a verb ("Store the count
    of each element at its index"): steps of a procedure, each one node."""
    def verb_first(text: str) -> bool:
        text = _MARKUP.sub("", text).strip()
        words = re.findall(r"[A-Za-z]+", _IT_SHOULD.sub("", text))
        if _IT_SHOULD.match(text):  # "It should claim victory ...": a verb follows the modal
            return len(words) >= 2
        return len(words) >= 5 and lemma(words[0].lower()) in VERBS and words[0].lower() not in NOT_VERBS
    return sum(verb_first(t) for t in texts) * 3 >= len(texts) * 2


# a step marker inside a line: "Step 1: Start Step 2: Declare ...", "StartStep 2: ...", "`` Step 3: Read x``"
_INLINE_STEP = re.compile(r"(?<![A-Z])(?:Step|STEP)[ \t]*(?P<n>\d{1,2})[ \t]*(?:[:.)]|->|-[ \t])")


def inline_steps(text: str) -> str:
    """`text` with each "Step N:" marker that stands inside a line moved to a line of its own, when three or
    more such markers number the steps in order (1, 2, 3 ... as written): "Step 1: Start Step 2: Read n
    Step 3: Stop" and "StartStep 2: ..." are steps, not one line ("as in step 2" is no marker); backquotes
    around the lines ("`` Step 3: Read x``") go. Else `text` as it is."""
    marks = list(_INLINE_STEP.finditer(text[:MAX_TEXT]))
    numbers = [int(m.group("n")) for m in marks]
    if len(marks) < 3 or numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return text
    pieces, last = [], 0
    for m in marks:
        pieces.append(text[last: m.start()].rstrip(" \t`"))
        last = m.start()
    pieces.append(text[last:])
    lines = "\n".join(p for p in pieces if p.strip()).splitlines()
    return "\n".join(ln for ln in (x.strip().strip("`").strip() for x in lines) if ln)


def read_numbered(text: str) -> Plan | None:
    """The plan of an algorithm or procedure written as numbered steps or as bullets with decisions
    and loops (see the module doc), or None."""
    bracketed = _bracketed_steps(text or "")
    if bracketed is not None:
        return bracketed
    text = inline_steps(text or "")
    read = _items(text) or _sentence_items(text)
    if read is None:
        return None
    items, numbered = read
    shaped = sum(bool(_IF.match(t) or _IF_BARE.match(t) or _ELSE.match(t) or _LOOP_HEAD.match(t) or _JUMP.search(t)
                      or _above(t)) for _, _, t in items)
    if not shaped and not numbered and not _imperative_sentences([t for _, _, t in items]):
        return None  # plain bullets of names or short phrases: the list readers read them
    if not shaped and any(len(mentions(t)) >= 3 for _, _, t in items):
        return None  # "1. The template deploys an S3 bucket, an SQS queue and a Lambda": components, read as such
    if any(len(t) > 400 for _, _, t in items):
        return None
    g = StepGraph()
    first_of_item: list[int | None] = []  # the node an edge into item k lands on
    exits: list[list[tuple[int, int | None, str]]] = []  # per item: (node, jump step or None, 'next'/'end'/'jump')
    by_number: dict[int, int] = {}
    if not numbered and any(_JUMP.search(t) for _, _, t in items):
        by_number = {k + 1: k for k in range(len(items))}  # "- If i < n then go to step 5": bullets count as steps
    loops_wanted: list[tuple[str, int, int]] = []  # (kind, item, step number)
    names = [m.group(1).lower() for m in (re.match(r"\(?([A-Za-z][\w -]{0,30}?)\)?[ \t]*:[ \t]", _MARKUP.sub("", t))
                                          for _, _, t in items) if m]
    # a name before ":" on two items names an actor ("Reviewer: Request changes." ... "Reviewer: Approve."): so do all
    actors = set(names) if len(set(names)) < len(names) else set()
    else_links: list[int] = []  # items that are a bare "Else"
    answers: set[int] = set()  # "If yes, ..." items: branches of the check before them
    answered: dict[int, int] = {}  # per check: how many answers hang off it
    jump_only: dict[int, int] = {}  # items that only jump: item -> the step they go to
    for k, (number, top, body) in enumerate(items):
        if number is not None and number not in by_number:
            by_number[number] = k
        body = _COMMENT.sub("", body).strip()
        asked = _ASKED.match(body)
        if asked and _YESNO.fullmatch(asked.group("cond").strip("() ,.")):
            # "Is it too hot? If it is, go to step 3, otherwise go to step 4": the question is the decision
            body = f"If {asked.group('q')}, {asked.group('rest')}"
        exits.append([])
        cond = _IF.match(body)
        bare = _IF_BARE.match(body) if not cond else None
        other = _ELSE.match(body)
        if cond or bare:
            match = cond or bare
            # "7. Check if the amount <= balance" + "- If yes, pay; if no, show error": the answers are branches of
            # the check before them, not a decision "Yes?" of their own
            host_k = next((j for j in range(k - 1, -1, -1) if first_of_item[j] is not None and j not in answers), None) \
                if _YESNO.fullmatch(match.group("cond").strip("() ,.")) else None
            rest = cond.group("rest") if cond else ""
            if host_k is not None:
                dec = first_of_item[host_k]
                if not g.labels[dec].endswith("?"):
                    g.labels[dec] = g.labels[dec].rstrip(".")[: LABEL_CHARS - 1].rstrip() + "?"
                first_of_item.append(None)
                answers.add(k)
                parts = _IF_OTHER.split(rest, maxsplit=1) if rest else [""]
                parts = parts if len(parts) > 1 else (_ELSE_SPLIT.split(rest, maxsplit=1) if rest else [""])
                answered[dec] = answered.get(dec, 0) + min(len(parts), 2)
            else:
                question = short_step(match.group("cond").strip("() ")).rstrip("?")
                dec = g.node(question + "?")
                first_of_item.append(dec)
                parts = _ELSE_SPLIT.split(rest, maxsplit=1) if rest else [""]
            for part in (parts[0], parts[1] if len(parts) > 1 else None):
                if part is None and host_k is not None:
                    continue  # the check's other answer: the item after it (or the other "If no" item)
                if part is None:
                    # "Step 4: If C," with sub-items under it: the other branch skips them
                    exits[k].append((dec, None, "skip" if not rest and number is not None else "next"))
                    continue
                label, target, ends = _action(part)
                if label:
                    node = g.node(label)
                    g.edges.append((dec, node))
                    _continue_back(g, node)
                    _redo_back(g, node, part)
                    if _RETRY.search(part):
                        g.edges.append((node, dec))  # "If it fails, the workflow retries": back to the test
                    elif _SAME_AGAIN.search(part) and node > 0:
                        g.edges.append((node, 0))  # "otherwise apply the same algorithm to n and r": from the top
                    exits[k].append((node, target, "jump" if target else ("end" if ends else "next")))
                elif target:
                    exits[k].append((dec, target, "jump"))
                else:
                    exits[k].append((dec, None, "next"))
            continue
        if _BLOCK_END.match(body):  # "end of if", "endwhile": the block ends, no step
            first_of_item.append(None)
            continue
        if other and not other.group("rest").strip():
            else_links.append(k)
            first_of_item.append(None)
            continue
        if other:
            body = other.group("rest")
            else_links.append(k)
        label, target, ends = _action(body)
        named_step = _NAMED_STEP.match(_MARKUP.sub("", body)) if top and target is None else None
        if named_step and named_step.group("name").lower() in actors:
            named_step = None  # "Reviewer: Request changes." ... "Reviewer: Approve.": who acts, not the step's name
        if named_step and label:  # "1.2: Stamp Book: The book is stamped by ...": the step's name, not its description
            label = _action(named_step.group("name"))[0] or label
        if not label:
            first_of_item.append(None)  # "Go to Step 1.": a jump of the item before
            if target is not None:
                jump_only[k] = target  # "(6) Go back to step 4.": a jump to step 6 lands on step 4
            if target is not None and k and exits[k - 1]:
                exits[k - 1] = [(n, target if kind == "next" else t, "jump" if kind == "next" else kind)
                                for n, t, kind in exits[k - 1]]
            continue
        if _BARE_REPEAT.match(_MARKUP.sub("", body).strip()) and k:
            first_of_item.append(None)  # "3. (Repeat)": the steps before it again, from the first
            loops_wanted.append(("bare", k, 0))
            continue
        head = _LOOP_HEAD.match(body) or _above(body) or _IN_LOOP.search(body) or _LOOP_ON.match(body)
        until = _LOOP_COND.search(body) if head and not _STEP_REFS.search(body[_THROUGH.search(body).end():]
                                                                          if _THROUGH.search(body) else body) else None
        if until is None and head and _THROUGH.search(body):
            until = _LOOP_COND.search(body[_THROUGH.search(body).end():])
        if until:  # "Repeat through step 5 while a != 0", "While count <= N": a decision
            cond = re.sub(r"(?i)[ \t]*(?:\bdo\b|:)[ \t]*$", "", until.group("cond").strip().rstrip(",.;")).strip()
            label = short_step(cond[1:-1] if cond.startswith("(") and cond.endswith(")") else cond).rstrip("?") + "?"
        when = _CONDITIONAL.search(body) if not head and not other and not until else None
        if when and when.group("cond"):
            # "Re-shipped if non-dated materials.", "Conduct X: If the parts ..., ...": a step done only if C is
            # a decision whose other branch goes past it
            cut = body[: when.start()].strip()
            if cut and when.group(0)[:1] in " \t" and not named_step:  # "X if C" (not "Title: If C, ..."): the step without C
                label = _action(cut)[0] or label
            dec = g.node(short_step(when.group("cond")).rstrip("?") + "?")
            first_of_item.append(dec)
            node = g.node(label)
            g.edges.append((dec, node))
            exits[k].append((dec, None, "next"))
        else:
            both = _two_actions(body) if target is None and not ends and not head and not until \
                and not named_step and not other else None
            if both:  # "Divide m by n and assign the value of the remainder to r": two steps, each its own words
                first = g.node(both[0])
                node = g.node(both[1])
                g.edges.append((first, node))
                first_of_item.append(first)
            else:
                node = g.node(label)
                first_of_item.append(node)
        if head:
            refs = [int(x) for x in re.findall(r"\d{1,2}", " ".join(m.group(0) for m in _STEP_REFS.finditer(body)))]
            through = _THROUGH.search(body)
            if through and int(through.group(1)) > (number or 0):
                loops_wanted.append(("from_step", k, int(through.group(1))))  # "repeat through step 5"
                if until:
                    exits[k].append((node, int(through.group(1)), "after"))
            elif refs:
                loops_wanted.append(("to_step", k, refs[0]))  # "repeat step 4, step 5 till ..."
            elif (_above(body) or _LOOP_ON.match(body) and k + 1 == len(items)) and \
                    not re.search(r"\b(?:following|below)\b", body, re.I):
                loops_wanted.append(("above", k, 0))  # "repeat the above process n times"
            else:
                loops_wanted.append(("block", k, 0))  # "while C," with its sub-items under it
                if until:
                    exits[k].append((node, None, "skip"))
        elif _REPEAT_REF.search(body):  # "Increment c and repeat step 3, 4, 5": back to step 3
            loops_wanted.append(("to_step", k, int(_REPEAT_REF.search(body).group(1))))
        elif _RETRY.search(body) and len(g.labels) >= 2:
            g.edges.append((node, node - 1))  # "... will retry up to 5 times": back to the step before
        elif _REPEAT_PROCESS.search(body) and k and first_of_item[k - 1] is not None:
            g.edges.append((node, first_of_item[k - 1]))  # "... Repeat the process till C.": back to the step before
        _continue_back(g, node)
        _redo_back(g, node, body)
        _keep_back(g, node, body)
        exits[k].append((node, target, "jump" if target else ("end" if ends else "next")))
    if len(g.labels) < 3 or len(g.labels) > MAX_PLAN_NODES:
        return None

    def landing(k: int) -> int | None:
        while k < len(items):
            if first_of_item[k] is not None:
                return first_of_item[k]
            k += 1
        return None

    def block_end(k: int) -> int:
        """The item after the block under item k: the sub-items under a numbered item, or in pseudo-code
        and bullets the items up to its matching "end if"/"endwhile" (none: an empty block)."""
        j = k + 1
        if items[k][0] is not None:
            while j < len(items) and items[j][0] is None:
                j += 1
            return j
        depth = 1
        while j < len(items):
            line = items[j][2].strip()
            if _BLOCK_END.match(line):
                depth -= 1
                if depth == 0:
                    return j
            elif _IF_BARE.match(line) or (_LOOP_HEAD.match(line) and not _ABOVE.search(line)):
                depth += 1
            j += 1
        # no end: "Repeat the following n times" runs to the end of the list, anything else is empty
        return len(items) if re.search(r"\b(?:following|below|in[ \t]+a[ \t]+loop|run[ \t]+a[ \t]+loop)\b", items[k][2], re.I) \
            else k + 1

    def after_else_block(k: int) -> int:
        """The item after the else-branch that starts at item k (its one item)."""
        return k + 2 if k + 1 < len(items) and first_of_item[k] is None else k + 1

    for k in range(len(items)):
        nxt = landing(k + 1)
        if k + 1 < len(items) and (k + 1) in else_links:
            # the if-branch ends where the else-branch ends
            nxt = landing(after_else_block(k + 1))
        for node, target, kind in exits[k]:
            if kind == "end" or kind == "next" and answered.get(node, 0) >= 2:
                continue  # (a check answered both ways goes on through its answers only)
            if kind == "jump" and target is not None and target in by_number:
                goes, hops = by_number[target], 0
                while goes in jump_only and jump_only[goes] in by_number and hops < 5:
                    goes, hops = by_number[jump_only[goes]], hops + 1
                dest = landing(goes)
            elif kind == "skip":  # past the block under item k
                dest = landing(block_end(k))
            elif kind == "after" and target in by_number:  # past step `target`
                dest = landing(by_number[target] + 1)
            else:
                dest = nxt
            if dest is not None and dest != node:
                g.edges.append((node, dest))
    # an "Else" item: the branch of the decision before it that went on with the next item
    for k in else_links:
        dec_k = next((j for j in range(k - 1, -1, -1) if first_of_item[j] is not None and
                      g.labels[first_of_item[j]].endswith("?")), None)
        start = first_of_item[k] if first_of_item[k] is not None else landing(k + 1)
        if dec_k is not None and start is not None:
            dec = first_of_item[dec_k]
            g.edges = [e for e in g.edges if not (e[0] == dec and e[1] == landing(k + 1) and start != e[1])]
            g.edges.append((dec, start))
    for kind, k, ref in loops_wanted:
        here = first_of_item[k]
        if here is None and kind != "bare":
            continue
        if kind == "to_step" and ref in by_number and by_number[ref] <= k:
            dest = landing(by_number[ref])
            if dest is not None:
                g.edges.append((here, dest))
        elif kind == "from_step" and ref in by_number and by_number[ref] > k:
            last = by_number[ref]
            for node, _, how in exits[last]:
                if how != "end":
                    g.edges.append((node, here))
        elif kind == "above":
            first = landing(0)
            if first is not None and first != here:
                g.edges.append((here, first))
        elif kind == "bare":  # "(Repeat)": from the step before it back to the first
            last_node = next((first_of_item[x] for x in range(k - 1, -1, -1) if first_of_item[x] is not None), None)
            first = landing(0)
            if last_node is not None and first is not None and first != last_node:
                g.edges.append((last_node, first))
        elif kind == "block":
            j = block_end(k)
            last_node = next((first_of_item[x] for x in range(j - 1, k, -1) if first_of_item[x] is not None), None)
            if last_node is not None:
                g.edges.append((last_node, here))
    into = {b for _, b in g.edges}
    for node in range(1, len(g.labels)):
        if node not in into:
            g.edges.append((node - 1, node))  # a step nothing leads to follows the one written before it
    return layered_steps(g)


def layered_steps(g: StepGraph, loop_tests: bool = False) -> Plan | None:
    """Nodes layered by longest path over the forward edges; edges closing a cycle are loops. `loop_tests`: a
    decision whose other way is a loop back (a flowchart's edges, known exactly) gets no "Else: continue"."""
    n = len(g.labels)
    out: list[list[int]] = [[] for _ in range(n)]
    for a, b in dict.fromkeys(g.edges):
        out[a].append(b)
    ranks, level, back = layered(range(n), out)
    labels = list(g.labels)
    looping = {a for a, _ in back} if loop_tests else set()
    for node in range(n):
        if node in looping:
            continue
        # a decision whose other branch skips ahead (or ends) draws that branch as "Else: continue"
        # beside the one it takes, so the drawing still branches there
        r = level[node]
        if labels[node].endswith("?") and (r + 1 >= len(ranks) or len(ranks[r + 1]) < 2) and \
                ELSE_CONTINUE not in labels and len(labels) < MAX_PLAN_NODES:
            labels.append(ELSE_CONTINUE)
            if r + 1 >= len(ranks):
                ranks.append([])
            ranks[r + 1].append(len(labels) - 1)
    if max(len(r) for r in ranks) > MAX_LAYER_NODES:
        return None
    labels = [step_label(label) for label in labels]
    if len(set(labels)) != len(labels):  # the same label twice: number them apart
        seen: dict[str, int] = {}
        for i, label in enumerate(labels):
            seen[label] = seen.get(label, 0) + 1
            if seen[label] > 1:
                labels[i] = step_label(f"{label[: LABEL_CHARS - 4]} ({seen[label]})")
    order = [node for rank in ranks for node in rank]
    new_id = {node: i for i, node in enumerate(order)}
    loops = tuple(sorted({(new_id[a], new_id[b]) for a, b in back}))
    return Plan.steps([[labels[node] for node in rank] for rank in ranks], loops)


# ---- steps set as title lines ------------------------------------------------------------------

_TITLE_WORD = r"(?:[A-Z][\w&/'’-]*|and|or|of|for|the|to|in|on|with|by|&)"
# "Request Initiation", "Review and Approval", "Create Change Record1" (a footnote mark): two to six words,
# each capitalised or a joining word, nothing after them
_TITLE_LINE = re.compile(rf"^{_TITLE_WORD}(?:[ \t]+{_TITLE_WORD}){{1,5}}$")
_LONE_BULLET = re.compile(r"^[-*•·][ \t]*$")


def read_title_lines(text: str) -> Plan | None:
    """A procedure whose steps stand as title lines of their own, with or without text between them
    ("Request Initiation\\n\\nReview and Approval\\n\\nBudget and Cost Analysis\\n...", a table's first
    column, "-\\nIncident Logging\\n-\\n..."): the title lines in order, one step each, or None.

    Four or more such lines, at least a third of the text's lines; the text's first line is its heading
    when four others remain. Lines under a bullet marker of their own count; bulleted lines do not (the
    list readers read them)."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()][: MAX_ITEMS * 4]
    if len(lines) < 4:
        return None
    titles: list[tuple[int, str]] = []
    for i, ln in enumerate(lines):
        if _TITLE_LINE.match(ln) and not _TITLE_LINE.fullmatch(ln.lower()):  # "Review and Approval", not "and or the"
            titles.append((i, re.sub(r"(?<=[a-z])\d$", "", ln)))
    if titles and titles[0][0] == 0 and len(titles) > 4:
        titles = titles[1:]  # the document's heading
    if len(titles) < 4 or len(titles) > MAX_ITEMS or len(titles) * 3 < len(lines):
        return None
    labels = list(dict.fromkeys(step_label(t) for _, t in titles))
    if len(labels) < 4 or len(labels) > MAX_PLAN_NODES:
        return None
    return Plan.steps([[label] for label in labels], ())


# ---- outcomes written one after the other ------------------------------------------------------

# the two outcomes of a decision, by the words that name them ("Approved" / "Rejected", "Manager Approves" /
# "Manager Rejects", "Pass" / "Fail")
_OUTCOMES = (
    (re.compile(r"(?i)\b(?:approv\w*|accept\w*|grant\w*)\b"), re.compile(r"(?i)\b(?:reject\w*|declin\w*|den(?:y|ies|ied)\w*)\b")),
    (re.compile(r"(?i)\b(?:pass(?:es|ed)?)\b"), re.compile(r"(?i)\b(?:fail(?:s|ed|ure)?)\b")),
    (re.compile(r"(?i)\b(?:valid)\b"), re.compile(r"(?i)\b(?:invalid|not[ \t]+valid)\b")),
    (re.compile(r"(?i)\b(?:eligible)\b"), re.compile(r"(?i)\b(?:ineligible|not[ \t]+eligible)\b")),
)


def _outcome(label: str) -> tuple[int, int] | None:
    """(which pair, which side) when a label names one outcome of a decision and not the other."""
    for k, (yes, no) in enumerate(_OUTCOMES):
        a, b = bool(yes.search(label)), bool(no.search(label))
        if a != b:
            return k, int(b)
    return None


def with_alternatives(plan: Plan | None) -> Plan | None:
    """Two steps in a row that are the two outcomes of one decision ("In Review > Approved > Rejected",
    "Manager Approves > Manager Rejects") drawn side by side, as the branches they are; else the plan."""
    if plan is None or plan.kind != "steps" or plan.lanes:
        return plan
    ranks = [list(rank) for rank in plan.ranks]
    merged = False
    r = 0
    while r + 1 < len(ranks):
        a = _outcome(ranks[r][0]) if len(ranks[r]) == 1 else None
        b = _outcome(ranks[r + 1][0]) if len(ranks[r + 1]) == 1 else None
        if a is not None and b is not None and a[0] == b[0] and a[1] != b[1] and r > 0 and \
                len(ranks[r - 1]) == 1 and len(ranks[r][0].split()) <= 6 and len(ranks[r + 1][0].split()) <= 6:
            ranks[r] = ranks[r] + ranks[r + 1]  # node ids stay: the ranks are read in the same order
            del ranks[r + 1]
            merged = True
        r += 1
    if not merged or max(map(len, ranks)) > MAX_LAYER_NODES:
        return plan
    return Plan.steps(ranks, plan.loops)


# ---- conditional items of a list another reader read --------------------------------------------

def with_conditions(plan: Plan | None, text: str) -> Plan | None:
    """A chain read from a list whose items say they are done only under a condition ("3. Approval: If the
    return is approved, ...", "- Re-shipped if non-dated materials."): a "C?" decision before each such
    step, its other branch going past it ("Else: continue"). Only for a plain chain (no branch, loop or
    lane) whose steps the items name; else the plan as it was."""
    if plan is None or plan.kind != "steps" or plan.loops or plan.lanes or any(len(rank) != 1 for rank in plan.ranks):
        return plan
    read = _items(text or "")
    if read is None:
        return plan
    labels = [rank[0] for rank in plan.ranks]
    words = [set(re.findall(r"[a-z0-9]+", label.lower())) for label in labels]
    ranks: list[list[str]] = [[label] for label in labels]
    added = 0
    for _, _, body in read[0]:
        body = _COMMENT.sub("", _MARKUP.sub("", body)).strip()
        when = _CONDITIONAL.search(body)
        if not when or _IF.match(body) or _IF_BARE.match(body) or _ELSE.match(body):
            continue  # an "If C, X" item is a decision the readers draw already (or a plain step)
        head = set(re.findall(r"[a-z0-9]+", " ".join(body.split()[:14]).lower()))  # the step's words open the item
        at = [k for k, w in enumerate(words) if w and w <= head]
        if len(at) != 1 or at[0] == 0:
            continue
        label = labels[at[0]]
        r = next(i for i, rank in enumerate(ranks) if rank == [label])
        if ELSE_CONTINUE in labels or added:
            break  # one "Else: continue" a plan: the rest stay steps
        ranks[r:r + 1] = [[short_step(when.group("cond")).rstrip("?") + "?"], [label, ELSE_CONTINUE]]
        added += 1
    if not added or sum(map(len, ranks)) > MAX_PLAN_NODES:
        return plan
    return Plan.steps(ranks)


# ---- a step that redoes an earlier one -----------------------------------------------------------

_REDO_LABEL = re.compile(r"^(?:repeat|redo|retry)(?:[ \t]+(?:the|this|whole|same|process|steps?|of|with))*[ \t]+(?P<verb>[a-z]{3,})"
                         r"|\bre-(?P<hyphen>[a-z]{3,})|^re(?P<joined>[a-z]{4,})\b|^(?P<again>[a-z]{3,})\b.{0,40}\bagain\b", re.I)


_FILLER = frozenset("the a an to of for and or is are be been by with from in on it its their they them this that then "
                    "will would should must can may has have had which who when if not".split())


def _content(text: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)  # "LookForFlights" -> "Look For Flights"
    return [word_stem(w) for w in re.findall(r"[A-Za-z]{3,}", spaced) if w.lower() not in _FILLER]


# "This process may be repeated several times", "This procedure is repeated for each item": the steps just told
_THIS_REPEATED = re.compile(r"\b(?:this|the[ \t]+(?:whole|same|above))[ \t]+(?:process|procedure|step|steps|cycle|sequence)"
                            r"[ \t]+(?:(?:is|are|may|can|will|should|must|gets?)[ \t]+)?(?:be[ \t]+)?repeated\b", re.I)


# "the system asks the customer to input the order code again": the clause done again
_AGAIN = re.compile(r"(?P<what>[^.;:,!?\n]{3,120}?)[ \t]+(?:again|once[ \t]+more|anew)\b", re.I)


def with_redo_loops(plan: Plan | None, text: str = "") -> Plan | None:
    """A plan without loops whose step redoes an earlier one ("Repeat the process of adding chlorine" after "Add
    Chlorine", "Re-submit the form" / "Resubmit form" after "Submit form", "Check the level again", "Re-evaluate
    claim" after "Assess claim", a clause of the text done "again"): that step with a loop back to the earlier
    one (the one its verb names, else the nearest one naming its object); else the plan as it was."""
    if plan is None or plan.kind != "steps" or plan.loops or plan.lanes or plan.widths:
        return plan
    labels = [label for rank in plan.ranks for label in rank]
    if len(set(labels)) != len(labels):
        return plan  # a loop between two steps of the same name would not read back from the plan line
    words = [_content(label) for label in labels]
    rank_of = [r for r, rank in enumerate(plan.ranks) for _ in rank]

    def before(i: int) -> list[int]:  # steps drawn before step i, nearest first (no decisions)
        return [j for j in range(i - 1, -1, -1) if rank_of[j] < rank_of[i] and not labels[j].endswith("?")]

    for i, label in enumerate(labels):
        m = _REDO_LABEL.search(label)
        if not m:
            continue
        if m.group("joined") and lemma(m.group("joined").lower()) not in VERBS:
            continue  # "Reranker", "Request": no verb done again
        verb = word_stem(m.group("verb") or m.group("hyphen") or m.group("joined") or m.group("again"))
        by_verb = [j for j in before(i)[::-1] if words[j] and verb in words[j][:2]]
        objects = set(words[i]) - {verb, "repeat", "redo", "retry", "again"} - {word_stem("re" + verb)}
        by_object = [j for j in before(i) if m.group("hyphen") and objects and objects <= set(words[j])]
        by_object.sort(key=lambda j: len(plan.ranks[rank_of[j]]) > 1)  # a step every path passes first, not a branch
        target = (by_verb or by_object or [None])[0]
        if target is not None:
            return Plan.steps(plan.ranks, ((i, target),))
    for m in _THIS_REPEATED.finditer(text or ""):
        before_text = text[max(0, m.start() - 400): m.start()]
        told = re.split(r"(?<=[.!?])[ \t\n]+", before_text.strip())[-2:]  # the two sentences before it
        want = set(_content(" ".join(told)))
        named = [k for k in range(len(labels)) if len(want & set(words[k])) >= 2 or
                 words[k] and set(words[k]) <= want]
        if len(named) >= 2 and rank_of[named[-1]] > rank_of[named[0]]:
            return Plan.steps(plan.ranks, ((named[-1], named[0]),))
    for m in _AGAIN.finditer((text or "")[-4000:]):
        want = set(_content(re.split(r"(?i)\b(?:otherwise|then|else|and)\b", m.group("what"))[-1]))
        if len(want) < 2:
            continue
        # the steps that name the clause: the last of them goes back to the one before it that names it best
        overlap = [len(want & set(w)) for w in words]
        named = [k for k in range(len(labels)) if overlap[k] >= 2]
        if not named:
            continue
        src = max(named, key=lambda k: (rank_of[k], overlap[k]))
        dest = sorted(before(src), key=lambda j: -overlap[j])
        if dest and overlap[dest[0]] >= 2:
            return Plan.steps(plan.ranks, ((src, dest[0]),))
    return plan


# ---- alternatives listed under "one of the following:" -------------------------------------------

# "... as any of the following:", "Choose one of:", "Select one of these options:"
_OPTIONS_HEAD = re.compile(r"(?i)(?:\b(?:one|any|either)[ \t]+of(?:[ \t]+(?:the[ \t]+)?(?:following|these|them|those)"
                           r"(?:[ \t]+\w+){0,2})?|\b(?:choose|select|pick)[ \t]+(?:one|between|from)(?:[ \t]+\w+){0,3})[ \t]*:[ \t]*$")


def with_options(plan: Plan | None, text: str) -> Plan | None:
    """A chain whose steps in a row are the options a line offers ("... as any of the following:" / "Choose one
    of:" and the options on the lines under it): those steps side by side, the branches of the step before them;
    else the plan as it was."""
    if plan is None or plan.kind != "steps" or plan.lanes or plan.widths or not text:
        return plan
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()][: MAX_ITEMS * 4]
    ranks = [list(rank) for rank in plan.ranks]
    for k, ln in enumerate(lines):
        if not _OPTIONS_HEAD.search(ln):
            continue
        options = []
        first_mark = None
        for opt in lines[k + 1: k + 1 + MAX_LAYER_NODES]:
            mark = re.match(r"^(?:[-*•·]|\d{1,2}[.)]|)", opt).group(0)[:1]  # "-", a digit or "" (no marker)
            mark = "1" if mark.isdigit() else mark
            first_mark = mark if first_mark is None else first_mark
            body = re.sub(r"^(?:[-*•·]|\d{1,2}[.)])[ \t]*", "", opt)
            if len(body.split()) > 12 or body.endswith(":") or mark != first_mark:
                break  # the options end where the list's marker changes ("- Scrap" then "3. Close ...")
            options.append(set(re.findall(r"[a-z0-9]+", re.sub(r"\([^()]*\)", "", body).lower())))
        if len(options) < 2:
            continue
        # the single-step ranks whose words are an option's, in a row
        hits = [r for r, rank in enumerate(ranks) if len(rank) == 1 and
                any(o and set(re.findall(r"[a-z0-9]+", rank[0].lower())) <= o for o in options)]
        run = [r for r in hits if r - hits[0] == hits.index(r)] if hits else []
        if len(run) < 2 or run[0] == 0 or len(run) > MAX_LAYER_NODES:
            continue
        merged = [ranks[r][0] for r in run]
        new_ranks = ranks[: run[0]] + [merged] + ranks[run[-1] + 1:]
        old_ids = [i for i, rank in enumerate(ranks) for _ in rank]
        if plan.loops:
            return plan  # (a loop's ends would move; left as read)
        return Plan.steps(new_ranks) if len(old_ids) == sum(map(len, new_ranks)) else plan
    return plan
