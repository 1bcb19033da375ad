"""Read the structure a request states: layer sizes of a dense net, named steps of a pipeline.

    >>> read_request("MLP with 3 inputs, hidden layers of 5 and 4, and 2 outputs").line()
    '# layers 3-5-4-2'
    >>> read_request("loader -> (BM25, FAISS) -> reranker -> LLM").line()
    '# steps: Loader > BM25, FAISS > Reranker > LLM'
    >>> read_request("a nice diagram") is None
    True

A small model learns the drawing format and a user's style from a few thousand examples, but
reading "three hidden layers with 6 nodes each" or "4 obs -> 10 -> 10 -> 2 actions" out of free
English takes far more data than a CPU can train on (the 2.35M-parameter default model wrote the
requested layer sizes in its plan line for 3% of hand-written dense-net requests). This module
reads what a request states explicitly with plain rules; `trainer.generation.generate` writes the result as
the answer's plan line and constrains the drawing to that structure (`diagram.plan`), and the
model draws it: positions, sizes, shapes, colours, line style. A request it cannot read (or reads
as something too big to draw) returns None, and the model writes its own plan.

Pure functions, no state. What it reads:
- dense nets (MLP, NN, perceptron, fully connected, feed-forward, autoencoder, ...;
  `diagram.reader_dense`): size chains
  (`4-8-8-3`, `8 -> 4 -> 2`, `[5, 9, 5]`, `layer sizes 5, 9, 5`), sizes by role (`3 inputs`,
  `input size 4`, `in=6`, `hidden layers of 6 and 7`, `three hidden layers with 6 nodes each`,
  `2 hidden layers (5 and 3 nodes)`, `hidden 1 (6)`, `10-class output`, `a single output`),
  numbers as words, `nn.Linear(3, 7)` chains;
- pipelines and flowcharts (`diagram.reader_steps`): arrow chains with parallel groups (`a -> (b, c) -> d`, `b + c`,
  `[b | c]`), bullet and numbered lists, "first ..., then ..., finally ...", "A feeds B and C,
  which ...", "from A to B via C", the original project's "process that consists of first, X
  that, with A and B as input, and C as output, and then D", and one loop back ("X loops back to Y",
  "and back to Y", "(loop)").
- networks pasted as code and CNNs told in words (`diagram.reader_code`): dense sizes at their true
  width, CNNs as a chain of labelled blocks;
- networks written as layer-constructor calls in other languages and libraries (`diagram.reader_calls`:
  Lua torch, Swift, JS, C#, Clojure, dlib, R, MXNet, Chainer, Gluon, tflearn, ...), where the code reader
  reads nothing or leaves sizes out;
- pipelines told as a chain of clauses (`diagram.reader_flow`): "reads text, then sends the result to
  a model and a chart, then sends each to its own DB, and finally renders them as a picture", one
  rank per clause (branches, parallel lanes, joins), only when every clause reads; an arrow chain's
  "one X each" as lanes;
- a flow text with a heading over its steps ("#### Approach", "Algorithm:"): the text under it first;
- pipelines and processes told in sentences (`diagram.reader_prose`): the components they name
  (also names set in bold), decisions ("If ..., X. Otherwise, Y.") and loops back ("... again");
- algorithms and procedures as numbered steps, If/Else bullets or pseudo-code lines
  (`diagram.reader_algo`): one node a step, "go to step N" as an edge (a loop when it goes back),
  "Repeat ... while C" / "While C" as a decision with a loop back;
- pseudo-code blocks (IF/ELSE/END IF, WHILE, FOR, REPEAT/UNTIL, braces, keywords in other languages),
  flowchart outlines ("Valid? (Diamond)" + "- Yes -> X") and procedures written in other languages
  (`diagram.reader_lang`);
- flows laid out as arrows on lines of their own, ├ └ trees, a mermaid sequenceDiagram, "1 a 2 b 3 c" in one
  line, noun lines after an intro, headings over paragraphs, "STEP N:" with YES/NO outcomes
  (`diagram.reader_layouts.with_layout`); a dense net only from text that names a net (`speaks_of_net`).
A CNN that names no layers ("LeNet-5") is left to the model.

Linear time by construction (issue 19): `diagram.reader_text.clean` makes every run of blanks one space and every
number of 7+ digits TOO_BIG, every repeat of a pattern over free text is bounded, the loop-back
clause is looked for in the last 200 characters, and text over MAX_REQUEST_CHARS reads as nothing (pasted code
and layer tables: only the code reader, up to MAX_CODE_CHARS);
`benchmarks.bench_reliability` prints the worst case over an adversarial corpus at the limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from diagram.plan import (CHAIN, MAX_LAYER_NODES, MAX_LAYER_SIZE, MAX_LAYERS, MAX_PLAN_NODES, Plan, PlanLineError, fits,
                          read_plan_line)
from diagram.reader_algo import (read_numbered, read_title_lines, with_alternatives, with_conditions, with_options,
                                 with_redo_loops)
from diagram.reader_clauses import folded_lists, read_clauses
from diagram.reader_calls import with_calls
from diagram.reader_code import UNSTATED, read_cnn_words, read_code
from diagram.reader_lists import read_lists, with_inline_checks, with_outcomes
from diagram.reader_dense import drawn_net, normalise, read_dense, read_dense_or_refused
from diagram.reader_flow import read_flow, with_lanes
from diagram.reader_lang import (is_other_language, kept_words, more_structure, read_diagram_source, read_other_language,
                                  read_outline, read_pseudocode)
from diagram.reader_layouts import speaks_of_net, with_layout
from diagram.reader_prose import read_prose, with_checks, with_feedback, with_side_paths
from diagram.reader_steps import ORIGINAL, chain_line, names_components, read_chain, read_steps, unmark, unwrap
from diagram.reader_text import MAX_CODE_CHARS, MAX_REQUEST_CHARS, clean


_CNN = re.compile(r"\b(conv(?:olution\w*|\d|\s*\d|2d)?|(?:max|avg|average)?\s*pool(?:ing|\d)?|kernels?|stride|"
                  r"\d+\s*[x×]\s*\d+|(?:conv|pool)\d{1,2}[x×]\d{1,2})\b", re.I)
_DENSE = re.compile(r"\b(net|network|architecture|mlp|perceptron|neural|nn|dnn|ann|dense|fully[- ]?connected|fc|feed[- ]?forward|"
                    r"autoencoder|deep learning model|dl model|hidden|sequential|linear|network layers|"
                    r"layer sizes|neurons?|layers|units|dimensions?|dims?|widths?|nodes?)\b", re.I)


# ---- both -------------------------------------------------------------------------------------

_STAGE_TABLE = re.compile(r"(?im)^[ \t]*\|[ \t]*(?:#[ \t]*\|[ \t]*)?(?:stage|step|phase)s?[ \t]*\|")


def _only_image_sizes(request: str) -> bool:
    """The text's only CNN word is a size ("1280x720", "/images/300x300/") and it names no net or its parts."""
    return all(re.fullmatch(r"\d+\s*[x×]\s*\d+", m.group()) for m in _CNN.finditer(request)) and not speaks_of_net(request)


def request_kind(request: str) -> str:
    """'cnn', 'dense' or 'flow': what the request most likely asks for.

    Convolutions, pooling, kernels or image sizes ("32x32") make a CNN unless the request is one of
    the original project's processes; a network word with numbers that read as layer sizes makes a
    dense net; anything else is a flow of named steps (which may name a "ResNet" or a "CNN" step).
    """
    request = clean(request) or ""
    if _CNN.search(request) and not ORIGINAL.match(unwrap(request)):
        return "cnn"
    if _STAGE_TABLE.search(request):  # "| Stage | What happens |": a table of a pipeline's stages, not of layers
        return "flow"
    text = normalise(request)
    chain_only = re.fullmatch(r"[\d\s,\[\]()\-–—>→=/x]+", unwrap(request))
    if (_DENSE.search(text) and speaks_of_net(request) or chain_only) and re.search(r"\d", text) \
            and read_dense_or_refused(request) is not None:  # (speaks_of_net: "(500-1000 tokens each)" is no net)
        return "dense"  # a refused count too: nothing is read, rather than a flow of its clauses
    return "flow"


def _steps_or_prose(request: str) -> Plan | None:
    """The steps as listed (arrows, lists, "then"), unless they read as clause fragments ("Mobile
    apps are collected by Kafka") where the components the sentences name read better."""
    request = unmark(request)  # "- 📄 Loads a PDF file": the emoji marks the bullet
    listed = with_outcomes(read_lists(request), request)  # "... If tests pass, X; if they fail, Y."
    if listed is not None:
        return listed
    numbered = read_numbered(request)  # "Step 4: If i <= n go to step 5 else go to step 7", "- Else ..."
    if numbered is not None:
        return numbered
    chained = read_flow(request)  # "reads X, then sends the result to A and B, ...": only when every clause reads
    if chained is not None:
        return chained
    steps = read_steps(request)
    steps = with_lanes(steps) if steps is not None else None  # "b + c -> one model each"
    if steps is not None and all(len(re.sub(r"\s*\([^()]*\)", "", label).split()) <= 3 and ". " not in label
                                 for label in steps.labels):  # (a label that runs over a sentence is no short step)
        return steps
    prose = read_prose(request)
    if steps is not None and names_components(steps, prose, request):  # "- Logs storage (Elasticsearch)"
        return steps
    if steps is None or ("\n" in request and not steps.loops and any(len(label.split()) > 5 for label in steps.labels)):
        # "a pipeline (checkout → build → deploy), then ...", "Overview ...\n[App] → Kafka → ClickHouse\n...":
        # the chain written inside a sentence or on a line of its own, unless the components the sentences name say more
        chain = read_chain(request)
        line = chain_line(request).lower() if chain is not None else ""
        if chain is not None and (prose is None or chain.n_nodes > prose.n_nodes or
                                  all(label.lower() in line for label in prose.labels)):
            return chain  # (prose that only reads the chain's own line, "a --[ASR]--> b", reads it worse)
    arrows = re.search(r"-+>|→|⟶|=+>", request) is not None  # steps read off arrows win a tie with the prose
    if steps is None or (prose is not None and (prose.n_nodes > steps.n_nodes or prose.n_nodes == steps.n_nodes and not arrows)):
        clauses = read_clauses(request) if prose is not None and steps is None else None
        if clauses is not None and clauses.n_nodes >= max(4, (2 if any(label.endswith("?") for label in prose.labels)
                                                              else 3) * prose.n_nodes):
            return clauses  # a process told in sentences: its activities, not the few names it mentions
        return prose or steps or read_clauses(request)
    if any(". " in label for label in steps.labels):  # steps that run over sentences: read their clauses
        clauses = read_clauses(request)
        if clauses is not None and clauses.n_nodes >= steps.n_nodes:
            return clauses
    return steps


# a heading over the steps themselves: "#### Approach", "Algorithm:", "**Steps**"
_STEPS_HEADING = re.compile(r"(?im)^[ \t]*(?:#{1,6}[ \t]*)?(?:\*\*|__)?(?:the[ \t]+)?(?:approach|algorithm|steps|procedure|"
                            r"method|pseudo-?code|how it works)(?:\*\*|__)?[ \t]*:?[ \t]*(?:\*\*|__)?[ \t]*$")


def steps_section(request: str) -> str | None:
    """The text under the last heading that introduces the steps ("#### Approach", "Algorithm:") when
    something comes before it (a problem statement) and at least two lines come after; else None."""
    last = None
    for last in _STEPS_HEADING.finditer(request):
        pass
    if last is None or not request[: last.start()].strip():
        return None
    rest = request[last.end():].strip()
    return rest if rest.count("\n") >= 1 else None


def _stated(plan: Plan) -> int:
    """How many numbers a plan's line states (kernels, filters, units): the more, the more it read."""
    return len(re.findall(r"\d+", plan.line()))


def _without_object_lists(plan: Plan | None, request: str) -> Plan | None:
    """A plan read off a bulleted list of things that completes one sentence of a process told in sentences
    (`reader_clauses.folded_lists`: "During triage a nurse will ask you the following:\n- The reason for your
    visit\n- ...") -> the sentences read with that list folded into its sentence, when that reads more steps
    and the plan's labels are the list's items (at least half of them open with an item's first word)."""
    folded = folded_lists(request)
    if folded is None or plan is not None and plan.kind != "steps":
        return plan
    text, items = folded
    firsts = {w.lower() for item in items for w in re.findall(r"[A-Za-z][\w'’-]*", item)[:2]}
    labels = plan.labels if plan is not None else ()
    if labels and sum(label.split()[0].lower() in firsts for label in labels if label.split()) * 2 < len(labels):
        return plan
    other = read_clauses(text)
    return other if other is not None and fits(other) and other.n_nodes > len(labels) else plan


def read_request(request: str) -> Plan | None:
    """The Plan a request states (a dense net's layers or a pipeline's steps), or None.

    None also for CNNs it cannot read, for structures too big to draw (`plan.fits`; a deep net with
    wide layers is drawn as short schematics first) and for text over MAX_REQUEST_CHARS.
    """
    text, request = request, clean(request)
    if not request:  # too long for the rules on free text: pasted code and tables are read up to MAX_CODE_CHARS
        long = clean(text, MAX_CODE_CHARS)
        try:
            code = read_code(long) if long else None
        except ValueError:
            code = None
        code = with_calls(code, text) if long else code  # layer calls in other languages and libraries
        return code if code is not None and fits(code) else None
    try:
        code = read_code(request, prose=read_dense_or_refused(request) or None)
    except ValueError:  # a structure no plan may state
        code = None
    calls = with_calls(code, text)  # layer calls in other languages and libraries (`diagram.reader_calls`)
    if code is None and calls is not None and calls.kind == CHAIN:
        words = read_cnn_words(request)  # "conv(5x5, 20) -> maxpool(3x3) -> fc(100)": a chain in words, call-shaped
        if words is not None and _stated(words) >= _stated(calls):
            calls = words
    code = calls
    if code is not None:
        return code if fits(code) else None
    kind = request_kind(request)
    if kind == "cnn":
        cnn = read_cnn_words(request)
        sizes = read_dense(request) if cnn is None and re.search(r"\d[ \t]?[x×][ \t]?\d", request) else None
        if cnn is None and not sizes and not _DENSE.search(normalise(request)) and not re.search(r"(?i)\blayer", request) \
                and (read_numbered(request) is not None or read_lists(request) is not None):
            kind = "flow"  # no blocks but numbered steps or a list: "pool" or "kernel" was a word of a procedure
        elif cnn is None and not sizes and _only_image_sizes(request):
            kind = "flow"  # "a thumbnail (1280x720)" in a serverless flow: a picture's size makes no CNN
        elif not sizes or re.search(r"(?<![\d.])" + "x".join(map(str, sizes)) + r"(?![\d.])", normalise(request)):
            return cnn if cnn is not None and fits(cnn) else None  # (a shape "32x32x3" is no chain of layers)
        else:
            kind = "dense"  # no blocks: "28x28" was an image size of a dense net ("28x28\n1000 neurons\n...")
    plan: Plan | None = None
    if kind == "dense":
        sizes = read_dense(request)
        ok = sizes and 2 <= len(sizes) <= MAX_LAYERS and all(1 <= s <= MAX_LAYER_SIZE for s in sizes)
        plan = Plan.dense(sizes) if ok else None
    else:
        section = steps_section(request)  # "Problem statement ... #### Approach\n- step\n- step": the steps only
        code = read_diagram_source(request)  # a flowchart in Mermaid, Graphviz DOT or PlantUML, node for node
        code = code or read_pseudocode(request) or read_outline(request)  # "IF x THEN ... END IF", "Valid? (Diamond)\n- Yes -> .."
        plan = code if code is not None and fits(code) else None
        plan = plan or (_steps_or_prose(section) if section is not None else None)
        plan = plan if plan is not None and fits(plan) else _steps_or_prose(request)
        titled = read_title_lines(request) if code is None else None  # "Request Initiation\n\nReview ...": title lines
        if titled is not None and (plan is None or not fits(plan) or
                                   titled.n_nodes > plan.n_nodes or titled.n_nodes == plan.n_nodes and not plan.loops):
            plan = titled
        plan = with_layout(plan, request, text)  # arrows on lines of their own, "1 a 2 b 3 c", "STEP 1:", sequenceDiagram, ...
        plan = _without_object_lists(plan, request)  # "a nurse will ask you the following:\n- The reason ...": one step
        if is_other_language(request):  # "Wenn ..., prüft ...", "- Если число больше нуля, то:": the steps it splits into
            other = read_other_language(request)
            if other is not None and fits(other) and (plan is None or not fits(plan) or not more_structure(plan, other)
                                                      and (more_structure(other, plan) or plan.n_nodes < 3 or
                                                           kept_words(plan, request) < min(0.8, kept_words(other, request)))):
                plan = other
        plan = with_inline_checks(plan)  # "Canary shows regression? Rollback": a check and its outcome in one step
        plan = with_alternatives(plan)  # "In Review > Approved > Rejected": the two outcomes side by side
        plan = with_conditions(plan, request)  # "- Re-shipped if non-dated materials.": a decision before the step
        plan = with_checks(plan, request)  # "If the gate fails, the pipeline aborts": a decision in a pipeline's chain
        plan = with_side_paths(plan, request)  # "... > OpenSearch > S3" when "failed data is backed up using an S3 bucket"
        plan = with_feedback(plan, request)  # "... > Monitoring > Retraining": the loop back to training
        plan = with_options(plan, request)  # "... any of the following:\n- Rework\n- Scrap": the options side by side
        plan = with_redo_loops(plan, request)  # "Add chlorine > ... > Repeat the process of adding chlorine": a loop back
        net = drawn_net(plan.ranks, len(plan.loops), request) if plan is not None and plan.kind == "steps" else None
        plan = Plan.dense(net) if net else plan  # "I1 --> H1\nI1 --> H2 ...": a net drawn as a graph of its neurons
    return plan if plan is not None and fits(plan) else None


# ---- what the person is shown ------------------------------------------------------------------

REQUEST_EXAMPLES = (
    "MLP with 3 inputs, hidden layers of 5 and 4, and 2 outputs",
    "loader -> (BM25, FAISS) -> reranker -> LLM, and LLM loops back to loader",
    "nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))",
)


def explain_request(request: str, read: Callable[[str], Plan | None] | None = None) -> tuple[Plan | None, str]:
    """(the plan read from a request or None, a plain sentence for the person); `read`: what reads it
    (default `read_request`; a served reader, `trainer.generation.http_reader.ServedReader`).

    With a plan the sentence says what was read and that the plan line (`plan.line()`, shown as
    editable text) can be changed; an edited line goes through `edit_plan`. Without one it says why
    and shows how to write a request the reader understands."""
    text = (request or "").strip()
    how = ("Write the layer sizes (e.g. '" + REQUEST_EXAMPLES[0] + "'), the steps joined by arrows (e.g. '"
           + REQUEST_EXAMPLES[1] + "') or paste the model's code.")
    if not text:
        return None, "Type a request first. " + how
    plan = (read or read_request)(text)
    if plan is None and len(text) > MAX_REQUEST_CHARS:
        return None, (f"The request is {len(text):,} characters; the reader reads at most {MAX_REQUEST_CHARS:,} "
                      f"(pasted code: {MAX_CODE_CHARS:,}).")
    if plan is not None:
        what = "layers" if plan.kind != "steps" else "steps"
        unstated: list[int] = []
        if plan.kind == "dense":
            read_code(clean(text) or clean(text, MAX_CODE_CHARS) or "", prose=read_dense_or_refused(text) or None,
                      unstated=unstated)
        note = (f" {len(unstated)} layer size(s) the code leaves to variables are drawn as {UNSTATED} nodes: "
                "edit them below." if unstated else "")
        return plan, (f"Read as {plan.describe()}. The {what} below are what gets drawn: edit the line to "
                      f"change it.{note}")
    sizes = read_dense(text)
    if sizes and len(sizes) >= 2:
        return None, (f"Read the layers {'-'.join(map(str, sizes))}, but that is too big to draw "
                      f"(at most {MAX_PLAN_NODES} drawn nodes, {MAX_LAYERS} layers). Ask for fewer layers.")
    if request_kind(text) == "dense":
        return None, ("This looks like a network, but not every layer's size could be read, so the model "
                      "would invent a structure. " + how)
    return None, "Nothing in this request could be read as layers or steps. " + how


def edit_plan(line: str) -> tuple[Plan | None, str]:
    """(the plan an edited plan line states, "") or (None, what is wrong with the edit)."""
    try:
        plan = read_plan_line(line)
    except PlanLineError as exc:
        return None, f"The plan could not be read: {exc}."
    if not fits(plan):
        return None, (f"The plan draws {plan.n_nodes} nodes; at most {MAX_PLAN_NODES} fit, at most "
                      f"{MAX_LAYER_NODES} in a rank.")
    return plan, ""
