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
- dense nets (MLP, NN, perceptron, fully connected, feed-forward, autoencoder, ...): size chains
  (`4-8-8-3`, `8 -> 4 -> 2`, `[5, 9, 5]`, `layer sizes 5, 9, 5`), sizes by role (`3 inputs`,
  `input size 4`, `in=6`, `hidden layers of 6 and 7`, `three hidden layers with 6 nodes each`,
  `2 hidden layers (5 and 3 nodes)`, `hidden 1 (6)`, `10-class output`, `a single output`),
  numbers as words, `nn.Linear(3, 7)` chains;
- pipelines and flowcharts: arrow chains with parallel groups (`a -> (b, c) -> d`, `b + c`,
  `[b | c]`), bullet and numbered lists, "first ..., then ..., finally ...", "A feeds B and C,
  which ...", "from A to B via C", the original project's "process that consists of first, X
  that, with A and B as input, and C as output, and then D", and one loop back ("X loops back to Y",
  "and back to Y", "(loop)").
- networks pasted as code and CNNs told in words (`diagram.reader_code`): dense sizes at their true
  width, CNNs as a chain of labelled blocks;
- pipelines and processes told in sentences (`diagram.reader_prose`): the components they name,
  decisions ("If ..., X. Otherwise, Y.") and loops back ("... again").
A CNN that names no layers ("LeNet-5") is left to the model.

Linear time by construction (issue 19): `_clean` makes every run of blanks one space and every
number of 7+ digits TOO_BIG, every repeat of a pattern over free text is bounded, the loop-back
clause is looked for in the last 200 characters, and text over MAX_REQUEST_CHARS reads as nothing;
`benchmarks.bench_reliability` prints the worst case over an adversarial corpus at the limit.
"""

from __future__ import annotations

import difflib
import re

from diagram.plan import (MAX_LAYER_NODES, MAX_LAYER_SIZE, MAX_LAYERS, MAX_PLAN_NODES, Plan, PlanLineError,
                          clean_label, fits, read_plan_line)
from diagram.reader_code import UNSTATED, read_cnn_words, read_code
from diagram.reader_prose import read_prose

# The longest request read (the labeler's limit on a typed request): longer text reads as nothing.
MAX_REQUEST_CHARS = 2_000
_BLANKS = re.compile(r"[^\S\n]+")
_LONG_NUMBER = re.compile(r"\d{7,}")
TOO_BIG = "9999999"  # what any number of 7+ digits reads as: more than any size or count allowed


def _clean(request: str) -> str | None:
    """The request with every run of blanks one space and no empty lines, or None when it is over
    MAX_REQUEST_CHARS, and every number of 7+ digits as TOO_BIG: the patterns below then see at
    most one whitespace character and 7 digits in a row, which (with their bounded repeats) keeps
    reading linear in the request's length."""
    if not isinstance(request, str) or len(request.strip()) > MAX_REQUEST_CHARS:
        return None
    request = _LONG_NUMBER.sub(TOO_BIG, request)
    lines = (_BLANKS.sub(" ", line).strip() for line in request.splitlines())
    return "\n".join(line for line in lines if line)

_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "twenty": 20, "single": 1,
}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b")
_CNN = re.compile(r"\b(conv(?:olution\w*|\d|\s*\d|2d)?|(?:max|avg|average)?\s*pool(?:ing|\d)?|kernels?|stride|"
                  r"\d+\s*[x×]\s*\d+)\b", re.I)
_DENSE = re.compile(r"\b(net|network|architecture|mlp|perceptron|neural|nn|dnn|ann|dense|fully[- ]?connected|fc|feed[- ]?forward|"
                    r"autoencoder|deep learning model|dl model|hidden|sequential|linear|network layers|"
                    r"layer sizes|neurons?|layers|units|dimensions?|dims?|widths?|nodes?)\b", re.I)

# ---- dense nets -------------------------------------------------------------------------------

_ARROW = r"(?:-+>|→|⟶|=+>|>)"
_LIST = r"\d+(?:\s*(?:,|and|&|/|then)\s*(?:and\s+|&\s*|then\s+)?\d+){0,24}"
_UNIT = r"(?:\s*(?:nodes?|neurons?|units?|cells?|features?|dims?|dimensions?|elements?|values?|wide))?"
_INPUT_WORD = r"(?:inputs?|in(?=[ \t]*(?:[,;)\n]|$|\d|=))|features?|obs|observations?|input\s+(?:nodes?|neurons?|features?|units?|values?|elements?|dims?))"
_ADJ = r"(?:value|sigmoid|softmax|linear|regression|class|way|prediction|probability|output|scalar|binary)"
_OUTPUT_WORD = (r"(?:outputs?|out|classes|class|actions?|logits?|targets?|labels?|"
                r"output\s+(?:nodes?|neurons?|units?|values?|elements?|classes))")


_ROLE_WORDS = ("input", "inputs", "output", "outputs", "hidden", "layer", "layers", "neuron", "neurons",
               "nodes", "network", "features", "units")


def _fix_typos(text: str) -> str:
    """'hiden' -> 'hidden', 'imputs' -> 'inputs', 'nuerons' -> 'neurons' (words of 5+ letters)."""
    memo: dict[str, str] = {}  # each distinct word is looked up once per call

    def fix(m: re.Match) -> str:
        word = m.group()
        if len(word) < 5 or word in _ROLE_WORDS:
            return word
        if word not in memo:
            close = difflib.get_close_matches(word, _ROLE_WORDS, n=1, cutoff=0.8)
            memo[word] = close[0] if close else word
        return memo[word]
    return re.sub(r"[a-z]+", fix, text)


_SUBSCRIPT = re.compile(r"\\[()\[\]]|\$|\b[a-z]_\{?\d{1,3}\}?|\b[xyh]\d{1,3}\b(?![ \t]*[:=(])")
_NAME_DIGITS = re.compile(r"\b(fc|layer|dense|linear|conv|hidden|block)\d{1,3}\b(?![ \t]*[:=(])")


def _normalise(text: str) -> str:
    text = _fix_typos(text.lower()).replace("w/", "with ").replace("×", "x")
    text = re.sub(r"\b(?:one|1)[ \t]+(input|output)[ \t]+layer\b", r"an \1 layer", text)  # "one input layer of 10"
    text = re.sub(r"(?<![\w.])(\d{1,7})-\((\d{1,7}(?:-\d{1,7}){0,24})\)-(\d{1,7})\b", r"\1-\2-\3", text)  # 13-(10-10)-1
    text = _SUBSCRIPT.sub(" x ", text)  # \(x_1\), x_2, $x_3$, x1: inputs named, not sizes
    text = _NAME_DIGITS.sub(r"\1", text)  # "fc1", "layer2" in prose: names, not sizes
    text = re.sub(r"(?m)^\s*(?:[-*•·]|\d+[.)]|step\s+\d+:)\s+", "\n", text)  # list markers
    text = _NUMBER_WORD.sub(lambda m: str(_NUMBER_WORDS[m.group(1)]), text)
    text = re.sub(r"\b(?:a|an)\s+(?=(?:sigmoid\s+|scalar\s+|binary\s+|softmax\s+)?(?:output|input)\b(?!s)(?![ \t]+layer))", "1 ", text)
    text = re.sub(r"(?<!\d )\b(?:binary|scalar|sigmoid)\s+output\b", "1 output", text)
    return text


def _numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


def _linear_chain(text: str) -> list[int] | None:
    """nn.Linear(3, 7), Linear(7, 2) ... -> [3, 7, 2] when the shapes agree."""
    pairs = [(int(a), int(b)) for a, b in re.findall(r"linear\(\s*(\d+)\s*,\s*(\d+)", text)]
    if not pairs or any(pairs[i][1] != pairs[i + 1][0] for i in range(len(pairs) - 1)):
        return None
    return [pairs[0][0]] + [b for _, b in pairs]


def _size_chain(text: str) -> list[int] | None:
    """A chain that states every layer: 4-8-8-3, 8 -> 4 -> 2, [5, 9, 5], 'layer sizes 5, 9, 5'."""
    for pattern in (r"\[\s*(\d+(?:\s*,\s*\d+){1,24})\s*\]",
                    r"\b(?:mlp|net|network|perceptron|model|nn|dnn|ann)[ \t]+(\d+(?:[ \t]*,[ \t]*\d+){1,24})",
                    r"(?<![\w.])(\d+(?:\s*[-–—/x]\s*\d+){2,24})(?![\w.])",
                    r"(?<![\w.:])(\d+(?:[ \t]*:[ \t]*\d+){2,24})(?![\w.:])",  # "described as 3:4:2"
                    r"(?<![\w.])(\d+(?:\s*[-–—]\s*\d+){1,24})(?!\s*(?:layer|class|dim))(?![\w.])",
                    r"(?:layer\s+(?:sizes|widths)|sizes|widths|layers|architecture|dims|dimensions|(?:units|nodes|neurons)\s+per\s+layer)"
                    r"\s*(?:of|are|have|has|go|:|=|—|–|-)?\s*[\[(]?\s*"
                    r"(\d+(?:\s*(?:,|and|-|/)\s*(?:and\s+)?\d+){1,24})"):
        match = re.search(pattern, text)
        if match:
            return _numbers(match.group(1))
    # arrows between items that each hold one number: "4 obs -> 10 -> 10 -> 2 actions"
    parts = re.split(_ARROW, text)
    if len(parts) >= 2:
        counts = [_numbers(p) for p in parts]
        if all(len(c) >= 1 for c in counts):
            tail = [c[-1] if i == 0 else c[0] for i, c in enumerate(counts)]
            if all(len(c) == 1 for c in counts[1:-1]):
                return tail
    return None


def _roles(text: str) -> tuple[list[int], list[int], list[int]]:
    """(inputs, hidden sizes in order, outputs) named by role words."""
    found: list[tuple[int, str, list[int]]] = []  # (position, role, sizes)
    taken: list[tuple[int, int]] = []

    def add(match: re.Match, role: str, sizes: list[int], end: int | None = None) -> None:
        span = (match.start(), match.end() if end is None else end)
        if any(a < span[1] and span[0] < b for a, b in taken):
            return
        taken.append(span)
        found.append((span[0], role, sizes))

    role_after = re.compile(rf"{_UNIT}[ \t]*[- ]?(?:{_INPUT_WORD}|{_OUTPUT_WORD}|sigmoid|softmax)\b")

    def sizes_in(m: re.Match, group: int) -> tuple[list[int], int]:
        """The numbers of a list group up to the first one that names an input or output, and
        where the last one taken ends."""
        sizes, end = [], m.start(group)
        for num in re.finditer(r"\d+", m.group(group)):
            if role_after.match(text, m.start(group) + num.end()):
                break
            sizes.append(int(num.group()))
            end = m.start(group) + num.end()
        return sizes, end

    # "7 nodes in the output layer", "2 and 7 nodes in each of the 2 hidden layers"
    for m in re.finditer(rf"({_LIST}){_UNIT}[ \t]+in[ \t]+(?:each[ \t]+of[ \t]+)?(?:the|its)[ \t]+(?:\d+[ \t]+)?"
                         rf"(input|hidden|output)[ \t]+layers?", text):
        add(m, m.group(2), _numbers(m.group(1)))
    between = (r"[ \t]*(?:each[ \t]+)?(?:x|of size|of sizes|with sizes|of width|with width|width|size|each with|"
               r"each of|with|of|having|sized|=|:|\(|are|,)?[ \t]*\[?[ \t]*")
    # "3 hidden layers with 6 nodes each", "2 hidden layers (5 and 3 nodes)", "2 hidden layers of 5, 6"
    for m in re.finditer(rf"(\d+)\s+hidden\s+layers?{between}({_LIST})", text):
        count, (sizes, end) = int(m.group(1)), sizes_in(m, 2)
        if len(sizes) == 1 and count > 1:
            if count > MAX_LAYERS:  # never build a list from a huge count: the request reads as nothing
                add(m, "refused", [], end)
                continue
            sizes = sizes * count
        if sizes:
            add(m, "hidden", sizes, end)
    for m in re.finditer(r"\b(?:hidden\w*|h)\s*[=:]\s*[\[(]\s*(\d+(?:\s*,\s*\d+){0,24})\s*,?\s*[\])]", text):
        add(m, "hidden", _numbers(m.group(1)))  # hidden_layer_sizes=(10, 5), h=[5,5], hidden_sizes=[4]
    for m in re.finditer(r"\blayer[ \t]*\d+[ \t]*\((input|output|hidden)\)[ \t]*[:=][ \t]*(\d+)", text):
        add(m, m.group(1), [int(m.group(2))])  # "Layer 1 (input): 2 nodes"
    for m in re.finditer(r"\banother(?:[ \t]+(?:one|hidden layer|layer))?[ \t]+(?:with|of)[ \t]+(\d+)", text):
        add(m, "hidden", [int(m.group(1))])  # "a hidden layer with 7 neurons, another one with 4"
    for m in re.finditer(r"(\d+)[ \t]+(?:units?|neurons?|nodes?)[ \t]+wide\b", text):
        add(m, "hidden", [int(m.group(1))])  # "a 1-hidden-layer net, 11 units wide"
    for m in re.finditer(r"\bhidden\W+(\d+)[ \t]+layers?\W+(\d+)", text):  # "hidden = 2 layers, 9 units"
        count = int(m.group(1))
        add(m, "hidden", [int(m.group(2))] * count) if count <= MAX_LAYERS else add(m, "refused", [])
    for m in re.finditer(r"\b(?:fc|dense|linear|h|layer)[ _]?\d+[ \t]*[:=][ \t]*(\d+)", text):  # "fc1: 12"
        add(m, "hidden", [int(m.group(1))])
    for m in re.finditer(r"hidden(?:\s+layer)?\s+\d+\s*(?:\(|:|=|with|of|has)\s*(\d+)", text):  # "hidden 1 (6)"
        add(m, "hidden", [int(m.group(1))])
    for m in re.finditer(rf"({_LIST}){_UNIT}[ \t]+hidden\b(?!\s+layer)", text):  # "5 hidden", "7 and 5 hidden nodes"
        add(m, "hidden", _numbers(m.group(1)))
    # "hidden layers of 6 and 7", "hidden: 10", "hidden sizes 4 and 4", "a hidden layer of 5"
    for m in re.finditer(rf"hidden(?:[ \t]+(?:layers?|sizes?|widths?|units?|neurons?|nodes?|dims?))?{between}({_LIST})",
                         text):
        sizes, end = sizes_in(m, 1)
        if sizes:
            add(m, "hidden", sizes, end)
    for m in re.finditer(rf"(?<!input )(?<!output )(?<!hidden )\b(?:(?:then|and|with)[ \t]+)?(?:\d+[ \t]+)?"
                         rf"(?:hidden[ \t]+)?layers?[ \t]+(?:of|with)[ \t]+({_LIST})",
                         text):  # "input layer of 8, then layers of 4 and 2, ..."
        sizes, end = sizes_in(m, 1)
        if sizes:
            add(m, "hidden", sizes, end)
    other_word = r"(?!and\b|or\b|hidden\b|in\b|out\b)[a-z]+[ \t]+"  # "4 state inputs", "2 action outputs"
    for m in re.finditer(rf"(\d+)[ \t]*[- ]?(?:d(?:im(?:ensional)?)?[ \t]+)?(?:{_ADJ}[ \t]+|{other_word})?{_INPUT_WORD}\b",
                         text):
        add(m, "input", [int(m.group(1))])
    for m in re.finditer(r"\binputs?[ \t]+(?:is|are)[ \t]+(\d+)[- ]?d", text):  # "input is 10-dimensional"
        add(m, "input", [int(m.group(1))])
    for m in re.finditer(r"\b(?:inputs?|state)(?:[ \t]+layer)?(?:[ \t_-]+(?:size|dim(?:ension)?|width|of size|vector))?"
                         r"[ \t]*(?:of size|of|with|has|having|is|=|:|\(|,|\|)?[ \t]*(?:(?:a|an)[ \t]+)?(\d+)", text):
        add(m, "input", [int(m.group(1))])
    for m in re.finditer(r"\b(?:inputs?|outputs?)\b[^.;\n]{0,40}?\((\d+)[ \t]*(?:nodes?|neurons?|units?|features?)?\)",
                         text):  # "Inputs: x1, x2, x3 (3 nodes)"
        add(m, "input" if m.group().startswith("in") else "output", [int(m.group(1))])
    for m in re.finditer(r"\b(?:vector|embedding)[ \t]+of[ \t]+(?:size|dim(?:ension)?)[ \t]+(\d+)", text):
        add(m, "input", [int(m.group(1))])
    for m in re.finditer(r"\b(?:in|takes(?:[ \t]+in)?|taking|state of|in_features|input_dim|input_size|n_inputs|num_inputs|"
                         r"in_dim|d_in)\s*[=:]?\s*(\d+)", text):
        add(m, "input", [int(m.group(1))])
    for m in re.finditer(rf"(\d+)[ \t]*[- ]?(?:(?:{_ADJ}[ \t]+|{other_word})(?:{_ADJ}[ \t]+|{other_word})?)?{_OUTPUT_WORD}\b",
                         text):
        add(m, "output", [int(m.group(1))])
    for m in re.finditer(r"\b(?:outputs?|out)(?:[ \t]+layer)?(?:[ \t_-]+(?:size|dim(?:ension)?|width|of size))?[ \t]*"
                         r"(?:of size|of|with|has|having|is|=|:|\(|,|\|)?[ \t]*(?:(?:a|an)[ \t]+)?(\d+)", text):
        add(m, "output", [int(m.group(1))])
    for m in re.finditer(r"\b(?:out_features|output_dim|output_size|n_outputs|num_outputs|num_classes|n_classes|"
                         r"out_dim|d_out|num[-_ ]classes|n[-_ ]classes)\s*[=:]?\s*(\d+)", text):
        add(m, "output", [int(m.group(1))])
    for m in re.finditer(r"(\d+)[- ]way\b", text):  # "a 10-way softmax"
        add(m, "output", [int(m.group(1))])
    for m in re.finditer(r"\b(?:softmax|classify|classifies)\s+(?:over|into)\s+(\d+)|"
                         r"\b(?:predicts?|predicting|produces?|producing|returns?|returning|emits?|gives?)"
                         r"[ \t]+(\d+)", text):
        add(m, "output", [int(m.group(1) or m.group(2))])
    found.sort()
    return found, taken


_CLAUSES = re.compile(r"[,;.:]\s|\s(?:and|while|whereas|with)\s|\n")
_ROLE = (("input", re.compile(r"\binputs?\b|\bfeatures?\b")),
         ("output", re.compile(r"\boutputs?\b|\bclasses\b")),
         ("hidden", re.compile(r"\bhidden\b|\b(?:first|second|third|fourth|next|another|last hidden)\b|"
                               r"\bbetween them\b|\bin between\b|\bmiddle\b")))
_SIZE_IN_CLAUSE = re.compile(r"(?<![\w.-])(\d{1,7})(?![\w.]|-\d)(?!\s*(?:-|\s)?(?:(?:hidden|input|output)\s+)?layers?\b)")
_LAYER_COUNT = re.compile(r"(?<![\w.])(\d{1,2})\s+(?:hidden\s+|more\s+|other\s+)?layers?\b")


def _clause_roles(text: str) -> tuple[int, ...] | None:
    """Sizes told clause by clause, in whatever order: "an output layer with 1 neuron, and two
    layers between them with 6 and 3", "3 neurons in input layer, 2 neurons in hidden layer and 1
    neuron in output layer", "the first hidden layer has 3 neurons, the second one has 2". None
    unless an input and an output size and every clause's role are clear."""
    if not re.search(r"\blayers?\b", text):
        return None
    parts: dict[str, list[int]] = {"input": [], "hidden": [], "output": []}
    text = re.sub(r"\b(first|second|third|fourth|another|next|last|this|that|the) 1\b", r"\1 one", text)
    pending: str | None = None  # a role named in a clause whose size comes in the next one
    for clause in _CLAUSES.split(text):
        roles = [role for role, pattern in _ROLE if pattern.search(clause)]
        sizes = [int(n) for n in _SIZE_IN_CLAUSE.findall(clause)]
        if len(roles) > 1:
            if sizes:
                return None  # two roles and sizes in one clause: leave it to the patterns
            continue
        role = roles[0] if roles else pending
        if not sizes:
            pending = role
            continue
        pending = role if role == "hidden" else None  # "between them with 6 and 3": a list goes on
        if role is None:
            return None
        count = _LAYER_COUNT.search(clause)
        if role == "hidden" and count and len(sizes) == 1 and int(count.group(1)) <= MAX_LAYERS:
            sizes = sizes * int(count.group(1))
        if role != "hidden" and len(sizes) != 1:
            return None
        parts[role].extend(sizes)
    if len(parts["input"]) != 1 or len(parts["output"]) != 1:
        return None
    return (parts["input"][0], *parts["hidden"], parts["output"][0])


def _unnamed_between(text: str, found: list[tuple[int, str, list[int]]], taken: list[tuple[int, int]]) -> list[int]:
    """Sizes with no role between the first input and the last output ("8 in, 4, 2, 4, 8 out")."""
    first_in = min((p for p, role, _ in found if role == "input"), default=None)
    last_out = max((p for p, role, _ in found if role == "output"), default=None)
    if first_in is None or last_out is None or last_out < first_in:
        return []
    sizes = []
    for num in re.finditer(r"\d+", text):
        if first_in < num.start() < last_out and not any(a <= num.start() < b for a, b in taken):
            sizes.append(int(num.group()))
    return sizes


def read_dense(request: str) -> tuple[int, ...] | None:
    """The layer sizes a dense-net request states (input first), or None."""
    sizes = _read_dense(request)
    return None if sizes == _REFUSED else sizes


_REFUSED = ()  # what _read_dense returns for a count too big to build anything from


def _read_dense(request: str) -> tuple[int, ...] | None:
    """read_dense, or _REFUSED when the request states a count of layers too big to build."""
    request = _clean(request)
    if not request:
        return None
    text = _normalise(request)
    chain = _linear_chain(text)
    if chain:
        return tuple(chain)
    keras = [int(n) for n in re.findall(r"\bdense\(\s*(?:units\s*=\s*)?(\d+)", text)]
    keras_in = re.search(r"input_(?:shape|dim)\s*=\s*\(?\s*(\d+)|\binput\(\s*(?:shape\s*=\s*)?\(?\s*(\d+)|"
                         r"\(\s*batch(?:_size)?\s*,\s*(\d+)\s*\)|\bin_features\s*=\s*(\d+)", text)
    if keras and keras_in:  # Dense(9, input_shape=(4,)), Dense(5), Dense(1)
        return (int(next(g for g in keras_in.groups() if g)), *keras)
    if any(int(n) > MAX_LAYERS for n in re.findall(r"(\d+)[- ](?:hidden[ -])?layers?\b", text)):
        return _REFUSED  # "99999999 hidden layers": nothing is built from a count that big
    text = re.sub(r"\b\d+[- ]layers?\b(?!\s+(?:of|with))(?<!hidden layer)(?:\s*\([^)]*\))?", " ", text)  # "3-layer net"
    found, taken = _roles(text)
    if any(role == "refused" for _, role, _ in found):
        return _REFUSED
    inputs = [s for _, role, sizes in found if role == "input" for s in sizes]
    hidden = [s for _, role, sizes in found if role == "hidden" for s in sizes]
    outputs = [s for _, role, sizes in found if role == "output" for s in sizes]
    if re.search(r"\bfed by\b|\bfeeding from\b", text) and found and found[0][1] == "output":
        hidden = hidden[::-1]  # "the output is fed by a hidden layer of 6, which is fed by one of 8"
    no_hidden = re.search(r"\bno hidden\b|without (?:a |any )?hidden|nothing in between", text)
    if inputs and outputs and (hidden or no_hidden):
        return (inputs[0], *([] if no_hidden else hidden), outputs[-1])
    chain = _size_chain(text)
    if chain and len(chain) >= 2:
        return tuple(chain)
    told = _clause_roles(text)  # roles told clause by clause, in any order
    if told:
        return told
    if inputs and outputs:
        # unnamed sizes between the input and the output: "8 in, 4, 2, 4, 8 out"; none: no hidden layer
        return (inputs[0], *_unnamed_between(text, found, taken), outputs[-1])
    return None


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
    part = inner.group(1) if inner else re.sub(r"\s*\([^()]*\)", "", part)  # "ranker (two-tower + FAISS)"
    names = [_tidy(n) for n in _SPLIT_GROUP.split(part)]
    return [n for n in names if n]


def _tidy(name: str) -> str:
    name = re.sub(r"\s*\([^()]*\)", "", name.strip())  # "(in parallel)", "raw events (Kafka)"
    name = name.strip().strip(".;:,()[]{}\"'`").strip()
    for _ in range(3):
        name = _FILLER.sub("", name).strip()
    return name


def _label(name: str) -> str:
    return clean_label(name[:1].upper() + name[1:]) if name else name


_ORIGINAL = re.compile(r"\s*(?:an?\s+)?process\s+(?:that\s+)?consists?\s+of\b", re.I)
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


def _unwrap(request: str) -> str:
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
    # a match holds two names of <= 48 characters, a few words and single spaces (`_clean`)
    start = max(0, len(body) - 200, max(body.rfind(c) for c in ",;.\n"))
    window = text[start:]
    for pattern in _LOOP_PATTERNS:
        match = pattern.search(window)
        if match:
            src = match.groupdict().get("src")
            return text[: start + match.start()], _tidy(src) if src else None, _tidy(match.group("dst"))
    return text, None, None


def _groups_original(text: str) -> list[list[str]] | None:
    """The original project's 'process that consists of first, X that, with A and B as input, ...'."""
    match = re.match(_ORIGINAL.pattern + r"\s+(?:first,?\s*)?(.*)$", text, re.I | re.S)
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
            groups.append([_tidy(io.group("x"))])
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


def _groups(text: str) -> list[list[str]] | None:
    original = _groups_original(text)
    if original:
        return original
    lines = [ln for ln in (x.strip() for x in text.splitlines()) if ln]
    bullets = [re.sub(r"^(?:[-*•·]|\d+[.)]|step\s+\d+\s*[:.)-])\s*", "", ln, flags=re.I)
               for ln in lines if re.match(r"^(?:[-*•·]|\d+[.)]|step\s+\d+\s*[:.)-])\s*\S", ln, re.I)]
    if len(bullets) >= 2:
        return [_split_group(b) for b in bullets]
    whole = flat = " ".join(lines)
    sep = _separator(flat)
    flat = _HEAD.sub("", flat, count=1) if sep.search(flat.split(":", 1)[-1]) or ":" in flat[:60] else flat
    if sep.search(flat):
        parts = sep.split(flat)
        parts[0] = re.split(r"\s[-–—]\s|:\s", parts[0])[-1]  # "Feature pipeline — raw events > ..."
        return [_split_group(p) for p in parts]
    via = _from_to_via(flat)
    if via:
        middle = [[_tidy(n)] for n in re.split(r",\s*(?:and\s+)?|\s+and\s+", via[2]) if _tidy(n)]
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
        middle = [[_tidy(n)] for n in re.split(r"\s*[,;]\s*(?:and\s+|then\s+)?|\s+then\s+", rest) if _tidy(n)]
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
        return [[_tidy(n)] for n in paren.group(1).split(",") if _tidy(n)]
    listed = re.split(r"\s*(?::|\?|\s[-–—]\s)\s*", whole, maxsplit=1)
    body = listed[1] if len(listed) == 2 else whole
    if body.count(",") >= 2:  # "invoice processing: scanned PDF, OCR, ...", "START, READ N, END"
        items = [_tidy(n) for n in re.split(r"\s*,\s*(?:and\s+)?", body)]
        return [[n] for n in items if n]
    pair = re.fullmatch(r"(\S+(?:\s+\S+){0,3})\s+to\s+(\S+(?:\s+\S+){0,3})", flat.strip(" ."))
    if pair:
        return [_split_group(pair.group(1)), _split_group(pair.group(2))]
    return None


def read_steps(request: str) -> Plan | None:
    """The named steps of a pipeline/flowchart request as ranks (+ one loop), or None."""
    request = _clean(request)
    if not request:
        return None
    text, src, dst = _find_loop(_unwrap(request))
    text = re.sub(r"\s*(?:-+>|→|⟶|=+>|,|;)\s*$", "", text)
    groups = _groups(text)
    if not groups or any(not g for g in groups) or not 2 <= sum(len(g) for g in groups) <= MAX_PLAN_NODES:
        return None
    if any(len(name) > 48 or len(name.split()) > 7 for g in groups for name in g):
        return None
    plan = Plan.steps([[_label(n) for n in g] for g in groups])
    if dst is None:
        return plan
    to = _step_index(plan.labels, dst)
    frm = _step_index(plan.labels, src) if src else plan.n_nodes - 1
    if to is None or frm is None or to >= frm:
        return plan
    return Plan.steps(plan.ranks, ((frm, to),))


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


# ---- both -------------------------------------------------------------------------------------

def request_kind(request: str) -> str:
    """'cnn', 'dense' or 'flow': what the request most likely asks for.

    Convolutions, pooling, kernels or image sizes ("32x32") make a CNN unless the request is one of
    the original project's processes; a network word with numbers that read as layer sizes makes a
    dense net; anything else is a flow of named steps (which may name a "ResNet" or a "CNN" step).
    """
    request = _clean(request) or ""
    if _CNN.search(request) and not _ORIGINAL.match(_unwrap(request)):
        return "cnn"
    text = _normalise(request)
    chain_only = re.fullmatch(r"[\d\s,\[\]()\-–—>→=/x]+", _unwrap(request))
    if (_DENSE.search(text) or chain_only) and re.search(r"\d", text) and _read_dense(request) is not None:
        return "dense"  # a refused count too: nothing is read, rather than a flow of its clauses
    return "flow"


def _steps_or_prose(request: str) -> Plan | None:
    """The steps as listed (arrows, lists, "then"), unless they read as clause fragments ("Mobile
    apps are collected by Kafka") where the components the sentences name read better."""
    steps = read_steps(request)
    if steps is not None and all(len(label.split()) <= 3 for label in steps.labels):
        return steps
    prose = read_prose(request)
    if steps is None or (prose is not None and prose.n_nodes >= steps.n_nodes):
        return prose or steps
    return steps


def read_request(request: str) -> Plan | None:
    """The Plan a request states (a dense net's layers or a pipeline's steps), or None.

    None also for CNNs (left to the model), for structures too big to draw (`plan.fits`) and for
    text over MAX_REQUEST_CHARS.
    """
    request = _clean(request)
    if not request:
        return None
    try:
        code = read_code(request, prose=_read_dense(request) or None)
    except ValueError:  # a structure no plan may state
        code = None
    if code is not None:
        return code if fits(code) else None
    kind = request_kind(request)
    if kind == "cnn":
        cnn = read_cnn_words(request)
        return cnn if cnn is not None and fits(cnn) else None
    plan: Plan | None = None
    if kind == "dense":
        sizes = read_dense(request)
        ok = sizes and 2 <= len(sizes) <= MAX_LAYERS and all(1 <= s <= MAX_LAYER_SIZE for s in sizes)
        plan = Plan.dense(sizes) if ok else None
    else:
        plan = _steps_or_prose(request)
    return plan if plan is not None and fits(plan) else None


# ---- what the person is shown ------------------------------------------------------------------

REQUEST_EXAMPLES = (
    "MLP with 3 inputs, hidden layers of 5 and 4, and 2 outputs",
    "loader -> (BM25, FAISS) -> reranker -> LLM, and LLM loops back to loader",
    "nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))",
)


def explain_request(request: str) -> tuple[Plan | None, str]:
    """(the plan read from a request or None, a plain sentence for the person).

    With a plan the sentence says what was read and that the plan line (`plan.line()`, shown as
    editable text) can be changed; an edited line goes through `edit_plan`. Without one it says why
    and shows how to write a request the reader understands."""
    text = (request or "").strip()
    how = ("Write the layer sizes (e.g. '" + REQUEST_EXAMPLES[0] + "'), the steps joined by arrows (e.g. '"
           + REQUEST_EXAMPLES[1] + "') or paste the model's code.")
    if not text:
        return None, "Type a request first. " + how
    if len(text) > MAX_REQUEST_CHARS:
        return None, f"The request is {len(text):,} characters; the reader reads at most {MAX_REQUEST_CHARS:,}."
    plan = read_request(text)
    if plan is not None:
        what = "layers" if plan.kind != "steps" else "steps"
        unstated: list[int] = []
        if plan.kind == "dense":
            read_code(_clean(text) or "", prose=_read_dense(text) or None, unstated=unstated)
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
