"""Read the layers of a network pasted as code or as a layer table: PyTorch, Keras (Python and R),
TF.js and TF1 `tf.layers.*`, Julia Flux `Chain(...)`, DL4J `XLayer.Builder()` chains, ConvNetJS
`{type: ...}` literals, scikit-learn, `model.summary()` and torchinfo output.

    >>> read_code("nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))").line()
    '# layers 784-128-10'
    >>> read_code("model.add(Conv2D(32, (3, 3), input_shape=(28, 28, 1)))\\n"
    ...           "model.add(MaxPooling2D((2, 2)))\\nmodel.add(Flatten())\\nmodel.add(Dense(10))").line()
    '# layers Input 28x28x1 > Conv 3x3, 32 > MaxPool 2x2 > Flatten > Dense 10'

A layer call is found by its name and read up to its closing bracket (at most MAX_CALL_CHARS, no
backtracking pattern over the arguments): linear in the text's length. Sizes are whole numbers or
products and powers of them ("28 * 28", "28^2"), or names the same text binds to one number
(`hidden = 128`, `N, D_in, H = 64, 1000, 100`, `Net(n_hidden=10)`: `assignments`); a size the code
does not state (`Dense(num_classes)` with no such binding, `nn.LazyLinear(64)`'s input) is drawn as
UNSTATED nodes, and the plan says so where it is shown.
Pure functions, no state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType

from diagram.plan import MAX_LAYER_SIZE, MAX_LAYERS, MAX_PLAN_NODES, Plan

UNSTATED = 3  # nodes drawn for a layer whose size the code leaves to a variable
MAX_CALL_CHARS = 400

_CALL = re.compile(
    r"(?<![\w])(?:(?:torch\.)?nn\.|(?:tf\.)?(?:keras\.)?layers\.|keras\.)?"
    r"(?P<name>Lazy(?:Conv[123]d|Linear)|Conv[123][dD]|Convolution2D|SeparableConv2D|[A-Z]\w{0,20}Conv[123]D|"
    r"(?<=nn\.)(?:Conv|max_pool|avg_pool)|"
    r"(?:Global|Adaptive)(?:Max|Avg|Average)Pool(?:ing)?[123][dD]|"
    r"(?:convolution[123]d|(?:max|average|globalMax|globalAverage)Pooling[123]d|fullyConnected|imageInput|featureInput)Layer|"
    r"(?:Conv[123]D|Dense|MaxPool[123]D|Pool)Layer|"
    r"MaxPool(?:ing)?[123][dD]|AvgPool[123][dD]|AveragePooling[123]D|Pool[123]D|Flatten|SimpleDense|Dense|Linear|"
    r"layer_conv_2d|layer_max_pooling_2d|layer_average_pooling_2d|layer_flatten|layer_dense|"
    r"fully_connected|input_data|conv_2d|max_pool_2d|avg_pool_2d|"
    r"(?<=layers\.)(?:conv[123]d|max_?[pP]ooling[123]d|average_?[pP]ooling[123]d|avg_?[pP]ool[123]d|flatten|dense)|"
    r"(?:Conv|MaxPool|MeanPool)(?=[ \t]?\([ \t]?\()|Reshape|FullyConnectedLayer|SoftmaxLayer|ConvPoolLayer|"
    r"Input|InputLayer)(?:::new)?[ \t]?\(")  # (Rust: Dense::new(784, 128))
_JS_NAMES = MappingProxyType({"conv1d": "Conv1D", "conv2d": "Conv2D", "conv3d": "Conv3D", "flatten": "Flatten", "dense": "Dense",
             "fullyconnected": "Dense", "inputdata": "Input"})  # (tflearn: fully_connected(net, 32), input_data(shape=...))
# old Keras cuts the type column: "max_pooling2d_1 (MaxPooling2 (None, 12, 12, 64)"
_SUMMARY = re.compile(r"\((?P<name>Conv[123]D|MaxPooling[123]D?|AveragePooli\w{0,6}|Glob\w{0,20}|Flatten|Dense)\)?"
                      r"[ \t│|]*\((?:None|\?)(?P<dims>(?:,[ \t]*\d{1,7}){1,4})\)")
# torchinfo rows: "├─Conv2d: 1-1      [1, 6, 28, 28]      156"
_TORCHINFO = re.compile(r"(?P<name>Conv[123]d|MaxPool[123]d|AvgPool[123]d|Flatten|Linear):[ \t]*\d{1,3}-\d{1,3}"
                        r"[ \t]+\[(?P<dims>\d{1,7}(?:,[ \t]*\d{1,7}){1,4})\]"
                        r"(?:[ \t]+\[(?P<out>\d{1,7}(?:,[ \t]*\d{1,7}){1,4})\])?")
# pytorch-summary rows: "Conv2d-1         [-1, 64, 224, 224]           1,792"
_TORCHSUMMARY = re.compile(r"(?P<name>Conv[123]d|MaxPool[123]d|AvgPool[123]d|Adaptive\w{0,12}Pool[123]d|Flatten|Linear)-\d{1,3}"
                           r"[ \t]+\[(?:-1|\d{1,5}),[ \t]*(?P<dims>\d{1,7}(?:,[ \t]*\d{1,7}){0,3})\]")  # (the batch: -1 or a number)
# weight matrices and example inputs made by array constructors: "tf.random_normal([784, 300])",
# "Tensor::zeros((100, 784), ...)", "'fc1.weight' (120, 400)", "x = jnp.empty((4, 28, 28, 1))"
_ARRAY = re.compile(r"(?P<ctor>\b(?:zeros|ones|empty|randn?|random_normal|truncated_normal|normal|uniform|"
                    r"glorot_\w{1,10}|xavier_\w{1,10})|\bweights?\b['\"]?)[ \t]*[(:=]?[ \t]*\(?[ \t]*[\[(][ \t]*"
                    r"(?P<dims>\d{1,7}(?:[ \t]*,[ \t]*\d{1,7}){0,3})[ \t]*,?[ \t]*[\])]")
_HIDDEN_SIZES = re.compile(r"hidden_layer_sizes[ \t]*=[ \t]*(?:[\[(]([\d, \t]{1,120})[\])]|(\d{1,7})[ \t]*(?=[,)\n]|$))")
_INT = re.compile(r"\d{1,7}")
_NEWFF = re.compile(r"\bnewff[ \t]*\([^,()\[\]\n]{1,60},[ \t]*\[([\d, \t]{1,80})\]")
_MATLAB_NET = re.compile(r"\b(?:feedforwardnet|fitnet|patternnet|cascadeforwardnet)[ \t]*\([ \t]*\[?([\d, \t]{1,80})\]?")
_BUILT = re.compile(r"\.build\([ \t]*(?:input_shape[ \t]*=[ \t]*)?[(\[][ \t]*None[ \t]*,[ \t]*(\d{1,7})[ \t]*,?[ \t]*[)\]]")


# hidden sizes given as a setting or an argument, the input and output left to the data:
# R `neuralnet(y ~ a + b, hidden = c(5, 3))`, brain.js `{ hiddenLayers: [2, 2] }`, `rwnn(n_hidden = n_hidden)`,
# `MLPClassifier(hidden_layer_sizes=SIZES)`, MATLAB `fitnet(hiddenLayerSize)`
_HIDDEN_ARG = re.compile(r"(?i)(?<![\w.])(?:hidden(?:_?layers?)?(?:_?(?:sizes?|units|nodes|neurons|dims?))?|n_?hidden|"
                         r"num_?hidden(?:_?(?:units|nodes|neurons))?|(?:feedforwardnet|fitnet|patternnet|cascadeforwardnet)"
                         r"(?=[ \t]*\())['\"]?[ \t]*(?P<sep>=(?![=>])|:|<-|\()[ \t]*(?P<val>\d{1,2}[ \t]*\*[ \t]*\[[ \t]*\d{1,7}[ \t]*\]|c\([^()\n]{1,80}\)|\[[^\[\]\n]{1,80}\]|"
                         r"\([^()\n]{1,80}\)|\d{1,7}(?![\w.])(?![ \t]*(?:[*\[]|[a-z]|,[ \t]*\d))|[A-Za-z_][\w.]{0,40}(?![\w.])(?![ \t]*[*(\[]))")
# R nnet / RSNNS mlp: the hidden sizes are `size`
_R_SIZE = re.compile(r"\b(?:nnet|mlp|avNNet)[ \t]*\([^()\n]{0,300}?\bsize[ \t]*=[ \t]*(c\([^()\n]{1,80}\)|\d{1,7}\b)")
# Encog: new BasicLayer(activation, bias, neurons)
_ENCOG = re.compile(r"\bBasicLayer[ \t]*\((?:[^()\n]{0,80}|[^()\n]{0,40}\([^()\n]{0,40}\)[^()\n]{0,40}),[ \t]*(\d{1,7})[ \t]*\)")
_VECTOR_ASSIGN = re.compile(r"(?<![\w.])([A-Za-z_]\w{0,40})[ \t]*(?:=(?![=>])|<-)[ \t]*(?:c\(|\[|\()[ \t]*"
                            r"(\d{1,7}(?:[ \t]*[, \t][ \t]*\d{1,7}){0,24})[ \t]*,?[ \t]*[\])]")
# training data written as records: "{ input: [0, 1], output: [1] }"
_DATA_IO = re.compile(r"(?i)(?<![\w.])['\"]?(?P<role>inputs?|outputs?)['\"]?[ \t]*:[ \t]*\[(?P<items>[^\[\]\n]{1,200})\]")
# an R formula: "XOR ~ Var1 + Var2" (outputs on the left, inputs on the right; "." = every column)
_TERM = r"[A-Za-z_.][\w.]{0,40}"
_FORMULA = re.compile(rf"(?<![\w.])({_TERM}(?:[ \t]*\+[ \t]*{_TERM}){{0,9}})[ \t]*~[ \t]*({_TERM}(?:[ \t]*\+[ \t]*{_TERM}){{0,40}})")
# names that say the size of a role: N_input, num_inputs, NI, n_hidden_1, hidden_size, NO, n_classes
_SIZE_WORD = r"(?:_?(?:layer)?_?(?:size|dim|nodes?|neurons?|units?|count|features?|width))?"
_ROLE_NAMES = (("input", re.compile(rf"(?:n|num|number|d|len)?_?(?:of_?)?(?:inputs?|in|i|inp){_SIZE_WORD}")),
               ("hidden", re.compile(rf"(?:n|num|number|d)?_?(?:of_?)?(?:hidden|h|hid){_SIZE_WORD}_?(?P<k>\d)?{_SIZE_WORD}")),
               ("output", re.compile(rf"(?:n|num|number|d|len)?_?(?:of_?)?(?:outputs?|out|o|classes|labels){_SIZE_WORD}")))
_BARE_NAMES = frozenset("i in inp h hid o out d n".split())


def _int_list(value: str, env: dict[str, int], vectors: dict[str, list[int]]) -> list[int]:
    """'c(5, 3)', '[2, 2]', '(10,)', '[10 5]', '7', a name bound to a number or a list -> the sizes; [] when unknown."""
    value = value.strip()
    repeat = re.fullmatch(r"(\d{1,2})[ \t]*\*[ \t]*\[[ \t]*(\d{1,7})[ \t]*\]", value)
    if repeat:  # 3*[256]
        return [int(repeat.group(2))] * int(repeat.group(1)) if 0 < int(repeat.group(1)) <= MAX_LAYERS else []
    if value[:1] in "[(" or value[:2].lower() == "c(":
        parts = [p for p in re.split(r"[ \t]*[, \t][ \t]*", value.lstrip("cC").strip("[]() \t")) if p]
        sizes = [_number(p, env) for p in parts]
        return [s for s in sizes if s is not None] if parts and all(s is not None for s in sizes) else []
    if value in vectors:
        return vectors[value]
    size = _number(value, env)
    return [size] if size is not None and size > 0 else []


def _role_sizes(text: str) -> tuple[int | None, list[int], int | None]:
    """(input, hidden sizes in order, output) that names bound to numbers state ("NI=2; NH=3; NO=2")."""
    found: dict[str, list[tuple[int, int, int]]] = {"input": [], "hidden": [], "output": []}
    for pos, m in enumerate(_ASSIGN.finditer(text)):
        name = m.group(1).lower()
        if name in _BARE_NAMES or re.match(r"[ \t]*[A-Za-z]", text[m.end(): m.end() + 20]):
            continue  # "Hidden = 1 layer, 9 units": a count of something, in prose
        for role, pattern in _ROLE_NAMES:
            full = pattern.fullmatch(name)
            if full:
                k = full.groupdict().get("k")
                found[role].append((int(k) if k else 0, pos, int(m.group(2))))
                break
    hidden = [size for _, _, size in sorted(found["hidden"])]
    first = [next((size for _, _, size in found[role]), None) for role in ("input", "output")]
    return first[0], hidden, first[1]


def _data_sizes(text: str) -> tuple[int | None, int | None]:
    """(inputs, outputs) of the training data a text writes as records or an R formula names."""
    sizes: dict[str, int] = {}
    for m in _DATA_IO.finditer(text):
        role = "input" if m.group("role").lower().startswith("in") else "output"
        sizes.setdefault(role, len([p for p in m.group("items").split(",") if p.strip()]))
        if len(sizes) == 2:
            break
    formula = _FORMULA.search(text)
    if formula:
        right = [t for t in re.split(r"[ \t]*\+[ \t]*", formula.group(2).strip()) if t]
        sizes.setdefault("output", len(formula.group(1).split("+")))
        if right != ["."]:
            sizes.setdefault("input", len(right))
    return sizes.get("input"), sizes.get("output")


def _hidden_net(text: str, env: dict[str, int]) -> list[int | None]:
    """A dense net whose hidden sizes a setting, an argument or names state ("hidden = c(5, 3)",
    "hiddenLayers: [2, 2]", "fitnet(hiddenLayerSize)", "N_hidden = 4"), its input and output from names
    ("N_input = 3"), training records ("input: [0, 1]") or a formula ("y ~ a + b"), else None
    (drawn as UNSTATED nodes). [] when no hidden size is stated."""
    vectors: dict[str, list[int]] = {}
    for m in _VECTOR_ASSIGN.finditer(text):
        vectors.setdefault(m.group(1), [int(n) for n in _INT.findall(m.group(2))])
    hidden: list[int] = []
    r_size = _R_SIZE.search(text)
    if r_size:
        hidden = _int_list(r_size.group(1), env, vectors)
    for m in _HIDDEN_ARG.finditer(text) if not hidden else ():
        if m.group("sep") == ":" and m.group("val")[:1] not in "[(":
            continue  # "hidden: 10" is a line of prose (the dense reader's); "hiddenLayers: [3]" is code
        hidden = _int_list(m.group("val"), env, vectors)
        if hidden:
            break
    named_in, named_hidden, named_out = _role_sizes(text)
    if not hidden:
        if not named_hidden or (named_in is None and named_out is None):
            return []
        hidden = named_hidden
    data_in, data_out = _data_sizes(text)
    first = named_in if named_in is not None else data_in
    last = named_out if named_out is not None else data_out
    return [first, *hidden, last]


@dataclass(frozen=True)
class Layer:
    kind: str                  # conv | pool | flatten | dense | input
    size: int | None = None    # filters or units
    kernel: str = ""           # "3x3"
    pool: str = ""             # "Max" | "Avg"
    input_size: int | None = None  # what the layer says it takes (in_features, input_shape)
    shape: tuple[int, ...] = ()    # an input shape as written (28, 28, 1)


def _split_top(body: str) -> list[str]:
    """The top-level comma-separated parts of an argument list (brackets nested), at most MAX_CALL_CHARS read."""
    depth, part, parts = 0, [], []
    for ch in body[:MAX_CALL_CHARS]:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(part))
            part = []
        else:
            part.append(ch)
    parts.append("".join(part))
    return [p.strip() for p in parts]


_CAMEL_KEY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _args(text: str, start: int) -> tuple[list[str], dict[str, str]]:
    """Positional and keyword arguments of the call whose '(' ends at `start` (top-level commas).
    A lone object literal ("{units: 250, inputShape: [8]}", TF.js / ConvNetJS) gives its keys as
    keywords, in snake case (inputShape -> input_shape)."""
    parts = _split_top(text[start:])
    if len(parts) == 1 and parts[0].startswith("{"):
        inner = parts[0][1:]
        keywords = {}
        for raw in _split_top(inner):
            key = re.match(r"['\"]?([A-Za-z_]\w{0,30})['\"]?[ \t]*:[ \t]*", raw)
            if key:
                keywords[_CAMEL_KEY.sub("_", key.group(1)).lower()] = raw[key.end():].strip().strip("'\"")
        return [], keywords
    positional, keywords = [], {}
    for raw in parts:
        key = re.match(r"([A-Za-z_]\w{0,30})[ \t]*=(?![=>])[ \t]*", raw)
        if key:
            keywords[key.group(1)] = raw[key.end():]
        elif raw:
            positional.append(raw)
    return positional, keywords


# a name bound to a whole number in the same text: "hidden = 128", "final int numInputs = 4;",
# "Net(n_feature=2, n_hidden=10)", "N, D_in, H, D_out = 64, 1000, 100, 10"
_ASSIGN = re.compile(r"(?<![\w.])(?:self\.)?([A-Za-z_]\w{0,40})[ \t]*(?:=(?![=>])|<-)[ \t]*(\d{1,7})(?![\w.(\[])(?![ \t]*,[ \t]*\d)")
_TUPLE_ASSIGN = re.compile(r"(?m)^[ \t]*([A-Za-z_]\w{0,40}(?:[ \t]*,[ \t]*[A-Za-z_]\w{0,40}){1,9})[ \t]*=[ \t]*\(?[ \t]*"
                           r"(\d{1,7}(?:[ \t]*,[ \t]*\d{1,7}){1,9})[ \t]*\)?[ \t]*(?:#[^\n]*)?$")


def assignments(text: str) -> dict[str, int]:
    """The names a text binds to one whole number each (a name bound to two different numbers is left out)."""
    seen: dict[str, set[int]] = {}
    for m in _ASSIGN.finditer(text):
        seen.setdefault(m.group(1), set()).add(int(m.group(2)))
    for m in _TUPLE_ASSIGN.finditer(text):
        names = [n.strip() for n in m.group(1).split(",")]
        values = _INT.findall(m.group(2))
        if len(names) == len(values):
            for name, value in zip(names, values):
                seen.setdefault(name, set()).add(int(value))
    return {name: next(iter(values)) for name, values in seen.items() if len(values) == 1}


_FACTOR = re.compile(r"(\d{1,7}|[A-Za-z_][\w.]{0,40})(?:[ \t]*(?:\^|\*\*)[ \t]*(\d))?")
_PRODUCT = re.compile(r"(?:\d{1,7}|[A-Za-z_][\w.]{0,40})(?:[ \t]*(?:\^|\*\*)[ \t]*\d)?"
                      r"(?:[ \t]*\*[ \t]*(?:\d{1,7}|[A-Za-z_][\w.]{0,40})(?:[ \t]*(?:\^|\*\*)[ \t]*\d)?){0,3}")


def _number(value: str | None, env: dict[str, int] | None = None) -> int | None:
    """'128', '28*28', '28^2', '7 * 7 * 64', '256 units', a name `env` binds ('D_in', 'self.hidden')
    -> the number; an unknown name or anything else -> None."""
    if value is None:
        return None
    value = value.strip()
    if _PRODUCT.fullmatch(value):
        result = 1
        for factor, power in _FACTOR.findall(value):
            name = factor[5:] if factor.startswith("self.") else factor
            base = int(factor) if factor.isdigit() else (env or {}).get(name, (env or {}).get(name.rsplit(".", 1)[-1]))
            # (CNN.CLASSES, config.HIDDEN: a constant the text binds by its own name)
            if base is None:
                return None
            result *= base ** int(power or 1)
            if result > MAX_LAYER_SIZE:
                return None
        return result
    lead = re.match(r"(\d{1,7})[ \t]+(?:units?|neurons?|nodes?|filters?)\b", value)
    return int(lead.group(1)) if lead else None


def _shape(value: str | None, env: dict[str, int] | None = None) -> tuple[int, ...]:
    """'(28, 28, 1)', '[8]', 'c(3, 3)', '(28 * 28,)', '3' -> the numbers; () when any part is an unknown name."""
    if value is None:
        return ()
    inner = re.sub(r"^c?[\[(]|[\])]$", "", value.strip())
    inner = re.sub(r"^[ \t]*(?:None|-1)[ \t]*,", "", inner)  # (None, 1, 28, 28): the batch dimension
    parts = [p for p in (x.strip() for x in (inner.split(",") if "," in inner else inner.split())) if p]
    sizes = [_number(p, env) for p in parts]
    return tuple(sizes) if sizes and all(s is not None for s in sizes) else ()  # type: ignore[misc]


def _kernel(value: str | None, env: dict[str, int] | None = None) -> str:
    dims = _shape(value, env)
    if len(dims) == 1:
        return f"{dims[0]}x{dims[0]}"
    return "x".join(map(str, dims)) if dims else ""


def _product(shape: tuple[int, ...]) -> int | None:
    size = 1
    for s in shape:
        size *= s
    return size if shape and size <= MAX_LAYER_SIZE else None


def _arrow(value: str | None, env: dict[str, int]) -> tuple[int | None, int | None] | None:
    """Flux's 'in => out' ('28^2 => 32', '1=>6') -> (in, out); None when the value is no pair."""
    if value is None or "=>" not in value:
        return None
    a, b = value.split("=>", 1)
    return _number(a, env), _number(b, env)


MAX_KERNEL = 11  # the largest kernel side a convolution's bare numbers are read as


def conv_roles(values: list[int | None], previous: int | None = None) -> tuple[int | None, str]:
    """(filters, kernel "KxK") from a convolution's positional numbers when no keyword names them
    (None: an argument the text leaves to a name or to None). A kernel written as two equal small
    numbers side by side (kh, kw) fixes the roles around it: filters after a leading pair
    ((5, 5, 6), [2, 2, 64]), else just before it ((32, 3, 3), (1, 16, 3, 3)). Without a pair, three
    or more numbers are (in, out, kernel) (PyTorch, Chainer, Lua) when the first is None, the second is
    no kernel (over MAX_KERNEL) or a first convolution's first is an image's channels (1-4); else
    (filters, kernel, stride) ((32, 3, 1), (8, 3, 1)); two are (filters, kernel). First of all, a
    first number equal to `previous` (the filters of the text's convolution before) is its input:
    (32, 8, 3) and (8, 1, 1, 1) continuing convolutions of 32 and 8 are (in, out, kernel)."""
    n = len(values)
    if n == 0:
        return None, ""
    known = [v for v in values if v is not None]
    if n >= 3 and previous is not None and values[0] == previous and values[2] is not None and \
            values[2] <= MAX_KERNEL and not (n == 3 and values[1] == values[2]):  # ((32, 3, 3) again: filters, kh, kw)
        width = values[3] if n >= 4 and values[3] is not None and values[3] <= MAX_KERNEL else values[2]
        return values[1], f"{values[2]}x{width}"  # (in, out, kh[, kw]) continuing the conv before
    for i in range(n - 1):
        a = values[i]
        if a is None or a != values[i + 1] or a > MAX_KERNEL or all(v == a for v in known):
            continue
        after = values[i + 2] if i + 2 < n else None
        if i == 0 and after is not None and after > a:
            return after, f"{a}x{a}"
        if i >= 1:
            return values[i - 1], f"{a}x{a}"
        break
    def kernel(v: int | None) -> str:
        return f"{v}x{v}" if v is not None and v <= MAX_KERNEL else ""
    first, second = values[0], values[1] if n >= 2 else None
    if n >= 3 and (first is None or second is None or second > MAX_KERNEL or previous is None and first <= 4):
        return values[1], kernel(values[2])  # (None, 16, 5), (32, 64, 5), a first conv's (1, 6, 5): in, out, kernel
    return values[0], kernel(values[1]) if n >= 2 else ""


def _layer_object(name: str, positional: list[str], keywords: dict[str, str], env: dict[str, int]) -> Layer | None:
    """A layer built by an `XLayer(...)` constructor: MATLAB's (`convolution2dLayer(3, 8)`: kernel,
    filters; `fullyConnectedLayer(10)`; `imageInputLayer([28 28 1])`) or Lasagne's, whose first
    argument is the incoming layer (`DenseLayer(l_hid, 500)`, `Conv2DLayer(l_in, 32, 5)`)."""
    pos = positional + [None] * 3  # type: ignore[list-item]
    low = name.lower()
    if name[0].isupper() and pos[0] is not None and re.fullmatch(r"[A-Za-z_][\w.]{0,40}", pos[0]) and pos[0] not in env:
        pos = pos[1:]  # Lasagne: the incoming layer first
        if "conv" in low:
            return Layer("conv", _number(keywords.get("num_filters") or pos[0], env),
                         _kernel(keywords.get("filter_size") or pos[1], env))
        if "pool" in low:
            return Layer("pool", kernel=_kernel(keywords.get("pool_size") or pos[0], env) or "2x2", pool="Max")
        return Layer("dense", _number(keywords.get("num_units") or pos[0], env))
    if "input" in low:
        shape = _shape(pos[0], env)
        return Layer("input", input_size=_product(shape), shape=shape if len(shape) > 1 else ()) if shape else None
    if "convolution" in low:
        return Layer("conv", _number(pos[1], env), _kernel(pos[0], env))
    if "pooling" in low:
        glob = low.startswith("global")
        return Layer("pool", kernel="" if glob else _kernel(pos[0], env) or "2x2", pool="Avg" if "average" in low else "Max")
    return Layer("dense", _number(pos[0], env))


def _layer(name: str, positional: list[str], keywords: dict[str, str], env: dict[str, int] | None = None,
           flux: bool = False, previous: int | None = None) -> Layer | None:
    env = env or {}
    if name.endswith("Layer") and name not in ("FullyConnectedLayer", "SoftmaxLayer", "ConvPoolLayer", "InputLayer"):
        return _layer_object(name, positional, keywords, env)
    if name.startswith(("Global", "Adaptive")):  # GlobalAveragePooling2D(), AdaptiveAvgPool2d(1): no kernel
        return Layer("pool", pool="Max" if "Max" in name else "Avg")
    if name[:1].islower() and not name.startswith("layer_"):  # tf.layers.dense, tf.layers.max_pooling2d
        low = name.lower().replace("_", "")
        name = _JS_NAMES.get(low) or ("AveragePooling2D" if low.startswith(("averagepool", "avgpool")) else "MaxPooling2D")
        if positional and not keywords.get("units") and not keywords.get("filters") and \
                re.fullmatch(r"[A-Za-z_][\w.]{0,40}", positional[0]) and positional[0] not in env:
            positional = positional[1:]  # TF1: tf.layers.conv2d(inputs, 32, 5): the input tensor first
    if name in ("FullyConnectedLayer", "SoftmaxLayer"):  # Theano-style (n_in=784, n_out=100)
        return Layer("dense", _number(keywords.get("n_out"), env), input_size=_number(keywords.get("n_in"), env))
    if name == "ConvPoolLayer":  # filter_shape=(filters, channels, h, w), poolsize=(2, 2)
        dims = _shape(keywords.get("filter_shape"), env)
        return Layer("conv", dims[0] if dims else None, "x".join(map(str, dims[2:])) if len(dims) == 4 else "",
                     pool=_kernel(keywords.get("poolsize"), env) or "2x2")
    if name == "Reshape":  # Reshape(target_shape=(28 * 28,)): a flat size is the next layer's input
        target = _shape(keywords.get("target_shape") or (positional[0] if positional else None), env)
        return Layer("reshape", input_size=_product(target) if len(target) == 1 else None)
    torch = name[-1] == "d" and not name.startswith("layer_") or name in ("Linear", "LazyLinear")
    lazy = name.startswith("Lazy")
    shape = _shape(keywords.get("input_shape") or keywords.get("shape") or
                   (positional[0] if name in ("Input", "InputLayer") and positional else None), env)
    if keywords.get("input_dim"):
        shape = _shape(keywords["input_dim"], env)
    input_size = _product(shape) if shape else None
    pos = positional + [None] * 3  # type: ignore[list-item]
    if name in ("Input", "InputLayer"):
        return Layer("input", input_size=input_size, shape=shape) if shape else None
    if name == "Conv" and flux:  # Flux: Conv((5, 5), 1=>6, relu)
        pair = _arrow(pos[1], env)
        return Layer("conv", pair[1] if pair else None, _kernel(pos[0], env))
    if "onv" in name or name == "layer_conv_2d":
        if torch and not lazy:
            size = _number(keywords.get("out_channels") or keywords.get("num_filters") or pos[1], env)
            kernel = keywords.get("kernel_size") or keywords.get("filter_size") or pos[2]
            input_size = None
        else:
            named = keywords.get("filters") or keywords.get("out_channels") or keywords.get("channels") or keywords.get("features")
            numbers = [None if re.fullmatch(r"None|null|nil", p.strip()) else _number(p, env) for p in positional]
            if not named and not keywords.get("kernel_size") and len(positional) >= 3 and \
                    all(v is not None or not re.search(r"[(\[]", p) for v, p in zip(numbers, positional)):
                size, text_kernel = conv_roles(numbers, previous)  # Convolution2D(1, 32, 4): in, out, kernel; (32, 3, 3): filters, kh, kw
                return Layer("conv", size, text_kernel, input_size=input_size, shape=shape)
            size, kernel = _number(named or pos[0], env), keywords.get("kernel_size") or pos[1]
        return Layer("conv", size, _kernel(kernel, env), input_size=input_size, shape=shape)
    if "ool" in name:
        kernel = _kernel(keywords.get("pool_size") or keywords.get("kernel_size") or keywords.get("window_shape")
                         or pos[0], env) or "2x2"
        avg = "Av" in name or "av" in name or "Mean" in name or "av" in keywords.get("pool_type", "").lower()
        return Layer("pool", kernel=kernel, pool="Avg" if avg else "Max")
    if "latten" in name:
        return Layer("flatten", input_size=input_size, shape=shape)
    if torch and not lazy and (pos[1] is not None or keywords.get("out_features")):  # Linear(in, out)
        return Layer("dense", _number(keywords.get("out_features") or pos[1], env),
                     input_size=_number(keywords.get("in_features") or pos[0], env))
    if torch and not lazy:  # hk.Linear(64): the output size only
        return Layer("dense", _number(keywords.get("output_size") or pos[0], env))
    if pos[1] is not None and _number(pos[1], env) is not None and _number(pos[0], env) is not None and \
            not keywords.get("units"):  # MindSpore nn.Dense(16 * 4 * 4, 120): in, out
        return Layer("dense", _number(pos[1], env), input_size=_number(pos[0], env))
    pair = _arrow(pos[0], env)
    if pair is not None:  # Flux: Dense(784 => 32, relu)
        return Layer("dense", pair[1], input_size=pair[0])
    if flux and pos[1] is not None and re.fullmatch(r"\d{1,7}|[A-Za-z_]\w{0,40}", pos[1]) and \
            (pos[1].isdigit() or pos[1] in env or pos[1].isupper()):  # Flux: Dense(2, 16, σ) is in, out
        return Layer("dense", _number(pos[1], env), input_size=_number(pos[0], env))
    return Layer("dense", _number(keywords.get("units") or keywords.get("features") or pos[0], env),
                 input_size=input_size, shape=shape)


# a layer bound to a name forward() runs it by: "self.conv1 = ...", Chainer's "super().__init__(c1=L.Convolution2D(...))"
_SELF_ASSIGN = re.compile(r"(?:self\.|(?<=[(,])[ \t\n]*|^[ \t]*)(\w{1,40})[ \t]*=[ \t]*(?:[A-Za-z_]\w{0,20}\.){0,3}$", re.M)
_FORWARD = re.compile(r"\bdef[ \t]+(?:forward|call|construct|__call__)[ \t]*\(|\bTensor[ \t]+forward[ \t]*\(")
_STATEMENT = re.compile(r"\n|;|\breturn\b|\b[A-Za-z_]\w{0,30}[ \t]*=(?!=)")
_SELF_CALL = re.compile(r"self\.(\w{1,40})[ \t]?\(|\b(?P<arrow>\w{1,40})->forward[ \t]?\(|\b(?:torch\.)?flatten\(|\.flatten\(|"
                        r"(?:\bF\.|\btorch::|\btorch\.)(?P<pool>max|avg|average)_pool(?:ing)?_?[12]d[ \t]?\(")
# libtorch: "conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 10, 5)))"
_REGISTER = re.compile(r"\b(\w{1,40})[ \t]*=[ \t]*register_module[ \t]*\([ \t]*\"\w{1,40}\"[ \t]*,[ \t]*(?:torch::nn::)?$")
_OPTIONS = re.compile(r"(?:torch::nn::)?\w{0,20}Options[ \t]*\(")
# a container the forward runs by name: "self.features = nn.Sequential(...)"
_CONTAINER = re.compile(r"self\.(\w{1,40})[ \t]*=[ \t]*(?:torch\.nn\.|nn\.|tf\.keras\.|keras\.)?Sequential[ \t]?\(")
_PADDLE = re.compile(r"\b(?:paddle|fluid)\b")


def _span_end(text: str, start: int, limit: int = MAX_CALL_CHARS * 10) -> int:
    """Where the bracket opened just before `start` closes (at most `limit` characters on)."""
    depth = 1
    for i in range(start, min(len(text), start + limit)):
        if text[i] in "([{":
            depth += 1
        elif text[i] in ")]}":
            depth -= 1
            if depth == 0:
                return i
    return min(len(text), start + limit)


def _forward_order(text: str, named: dict[str, Layer], env: dict[str, int] | None = None,
                   groups: dict[str, list[Layer]] | None = None) -> list[Layer]:
    """The layers of a PyTorch/Keras subclass in the order its forward()/call() runs them: statement by
    statement, nested calls innermost first ("self.pool(F.relu(self.conv1(x)))": conv1, then pool);
    functional pools ("F.max_pool2d(x, 2)") count as layers."""
    start = _FORWARD.search(text)
    groups = groups or {}
    if not start or not (named or groups):
        return []
    body = re.sub(r"#[^\n]*", "", text[start.end(): start.end() + MAX_CALL_CHARS * 10])  # comments out
    order: list[Layer] = []
    for statement in _STATEMENT.split(body):
        calls: list[list[Layer]] = []
        for m in _SELF_CALL.finditer(statement):
            name = m.group(1) or m.group("arrow")
            if m.group("pool"):
                positional, keywords = _args(statement, m.end())
                kernel = _kernel(keywords.get("kernel_size") or (positional[1] if len(positional) > 1 else None), env)
                calls.append([Layer("pool", kernel=kernel or "2x2", pool="Avg" if m.group("pool") != "max" else "Max")])
            elif name is None:
                calls.append([Layer("flatten")])
            elif name in named:
                calls.append([named[name]])
            elif name in groups:
                calls.append(groups[name])
        order.extend(layer for call in reversed(calls) for layer in call)
        if len(order) > MAX_PLAN_NODES:
            break
    return order


# DL4J builders: ".layer(new ConvolutionLayer.Builder(5, 5).nIn(1).nOut(20)...build())"
_BUILDER = re.compile(r"\b(?P<kind>Convolution|Subsampling|Dense|Output)Layer\.Builder[ \t]?\(")
_BUILDER_ARG = re.compile(r"\.(nIn|nOut|kernelSize)[ \t]?\(([^()\n]{1,40})\)")


def _builders(text: str, env: dict[str, int]) -> list[Layer]:
    """The layers of DL4J `XLayer.Builder()` chains, each read up to the next builder (bounded)."""
    found = list(_BUILDER.finditer(text))
    layers = []
    for i, m in enumerate(found[: MAX_PLAN_NODES + 1]):
        end = min(found[i + 1].start() if i + 1 < len(found) else len(text), m.end() + MAX_CALL_CHARS * 2)
        args = {k: v for k, v in _BUILDER_ARG.findall(text[m.end(): end])}
        kind = m.group("kind")
        if kind == "Convolution":
            head = _split_top(text[m.end():])
            kernel = _kernel(args.get("kernelSize") or ("(" + ", ".join(head) + ")" if head and head[0] else None), env)
            layers.append(Layer("conv", _number(args.get("nOut"), env), kernel))
        elif kind == "Subsampling":
            kernel = _kernel("(" + args["kernelSize"] + ")", env) if "kernelSize" in args else ""
            layers.append(Layer("pool", kernel=kernel or "2x2",
                                pool="Avg" if re.match(r"[ \t]*PoolingType\.AVG", text[m.end():]) else "Max"))
        else:
            layers.append(Layer("dense", _number(args.get("nOut"), env), input_size=_number(args.get("nIn"), env)))
    return layers


# ConvNetJS: layer_defs.push({type:'conv', sx:5, filters:16}), {type:'fc', num_neurons:20}
_TYPED_LAYER = re.compile(r"\{[ \t]*type[ \t]*:[ \t]*['\"](?P<type>input|conv|pool|fc|softmax|svm|regression)['\"][ \t]*,")


def _typed_layers(text: str, env: dict[str, int]) -> list[Layer]:
    """The layers of ConvNetJS-style object literals, each with its `type` first."""
    layers = []
    for m in _TYPED_LAYER.finditer(text):
        if len(layers) > MAX_PLAN_NODES:
            break
        _, keys = _args(text, m.start())
        kind = m.group("type")
        if kind == "input":
            shape = tuple(s for s in (_number(keys.get(k), env) for k in ("out_sx", "out_sy", "out_depth")) if s)
            layers.append(Layer("input", input_size=_product(shape), shape=shape if shape[:1] != (1,) else ()))
        elif kind == "conv":
            layers.append(Layer("conv", _number(keys.get("filters"), env), _kernel(keys.get("sx"), env)))
        elif kind == "pool":
            layers.append(Layer("pool", kernel=_kernel(keys.get("sx"), env) or "2x2", pool="Max"))
        else:
            layers.append(Layer("dense", _number(keys.get("num_neurons") or keys.get("num_classes"), env)))
    return layers


# hyperparameters numbered by layer: "filter_size1 = 5", "num_filters1 = 16", "filter_size2 = 5", "fc_size = 128"
_INDEXED = re.compile(r"(?i)(?<![\w.])(?P<key>(?:filter|kernel)_?size|num_?filters|n_?filters|fc_?size|fc_?units|dense_?units|"
                      r"num_?hidden|hidden_?units)_?(?P<i>\d)?[ \t]*=[ \t]*(?P<v>\d{1,5})\b")


def _indexed_layers(text: str) -> list[Layer]:
    """Convolutions (kernel and filters by layer number) and dense layers from numbered hyperparameters;
    empty unless at least one convolution has both and two layers in all are told."""
    convs: dict[int, dict[str, int]] = {}
    dense: list[int] = []
    for m in _INDEXED.finditer(text):
        key, value = m.group("key").lower().replace("_", ""), int(m.group("v"))
        if key.endswith("size") and key.startswith(("filter", "kernel")):
            convs.setdefault(int(m.group("i") or 0), {})["k"] = value
        elif "filters" in key:
            convs.setdefault(int(m.group("i") or 0), {})["n"] = value
        else:
            dense.append(value)
    if not any(len(c) == 2 for c in convs.values()) or len(convs) + len(dense) < 2:
        return []
    return [Layer("conv", c.get("n"), f"{c['k']}x{c['k']}" if "k" in c else "") for _, c in sorted(convs.items())] + \
        [Layer("dense", size) for size in dense]


# Caffe prototxt: layer { name: "ip1" type: "InnerProduct" inner_product_param { num_output: 7 } }
# layers declared as (name, type) pairs, each set up by keywords prefixed with its name (nolearn's NeuralNet:
# layers=[('conv1', layers.Conv2DLayer), ...], conv1_num_filters=32, conv1_filter_size=(3, 3), hidden4_num_units=500)
_NAMED_TYPE = re.compile(r"[(\[][ \t]*['\"](\w{1,30})['\"][ \t]*,[ \t]*(?:\w{1,20}\.){0,3}(\w{1,40})[ \t]*[)\]]")
_NAMED_SETTING = re.compile(r"(?<![\w.])(\w{1,30}?)_(num_filters|filters|num_output|num_units|units|filter_size|kernel_size|"
                            r"pool_size|ds)[ \t]*=[ \t]*(\([^()\n]{1,40}\)|\[[^\[\]\n]{1,40}\]|[\w.*]{1,40})")


def _named_layer_list(text: str, env: dict[str, int]) -> list[Layer]:
    """The layers of a list of (name, layer type) pairs set up by `<name>_<setting>=` keywords, in the
    list's order; empty unless at least two layers are typed and some setting names one of them."""
    declared = []
    for m in _NAMED_TYPE.finditer(text):
        low = m.group(2).lower()
        kind = "conv" if "conv" in low else "pool" if "pool" in low else "flatten" if "flatten" in low else \
            "input" if "input" in low else "dense" if re.search(r"dense|linear|fullyconnected|output", low) else ""
        if kind:
            declared.append((m.group(1), kind))
        if len(declared) > MAX_PLAN_NODES:
            break
    settings: dict[str, dict[str, str]] = {}
    for m in _NAMED_SETTING.finditer(text):
        settings.setdefault(m.group(1), {})[m.group(2)] = m.group(3)
    if sum(kind != "input" for _, kind in declared) < 2 or not any(name in settings for name, _ in declared):
        return []
    layers = []
    for name, kind in declared:
        got = settings.get(name, {})
        count = _number(got.get("num_filters") or got.get("filters") or got.get("num_output") or got.get("num_units")
                        or got.get("units"), env)
        kernel = _kernel(got.get("filter_size") or got.get("kernel_size") or got.get("pool_size") or got.get("ds"), env)
        if kind == "conv":
            layers.append(Layer("conv", count, kernel))
        elif kind == "pool":
            layers.append(Layer("pool", kernel=kernel, pool="Max"))
        elif kind in ("dense", "flatten"):
            layers.append(Layer(kind, count if kind == "dense" else None))
    return layers


_CAFFE_LAYER = re.compile(r"\blayers?[ \t]*\{")
_CAFFE_TYPE = re.compile(r"\btype[ \t]*:[ \t]*\"?(\w{1,40})")
_CAFFE_FIELD = re.compile(r"\b(num_output|kernel_size|kernel_h|kernel_w|pool|global_pooling|dim|input_dim)[ \t]*:[ \t]*\"?(\w{1,40})")


def _caffe_layers(text: str) -> list[Layer]:
    """The layers of a Caffe prototxt, each `layer { ... }` block's own type first (fillers' types come later)."""
    starts = [m.end() for m in _CAFFE_LAYER.finditer(text)][: MAX_PLAN_NODES * 3]
    layers: list[Layer] = []
    head = text[: starts[0]] if starts else ""
    dims = [int(v) for k, v in _CAFFE_FIELD.findall(head) if k in ("input_dim", "dim") and v.isdigit()]
    if len(dims) >= 2:  # input: "data" input_dim: 1 input_dim: 1 input_dim: 28 input_dim: 28
        layers.append(Layer("input", input_size=_product(tuple(dims[1:])), shape=tuple(dims[2:]) + tuple(dims[1:2])))
    for i, start in enumerate(starts):
        chunk = text[start: starts[i + 1] if i + 1 < len(starts) else start + MAX_CALL_CHARS * 5][: MAX_CALL_CHARS * 5]
        kind = _CAFFE_TYPE.search(chunk)
        if kind is None:
            continue
        kind_name = kind.group(1).lower().replace("_", "")
        fields: dict[str, str] = {}
        for key, value in _CAFFE_FIELD.findall(chunk):
            fields.setdefault(key, value)
        size = int(fields["num_output"]) if fields.get("num_output", "").isdigit() else None
        kernel = fields.get("kernel_size") or fields.get("kernel_h")
        k = f"{kernel}x{fields.get('kernel_w', kernel)}" if kernel and kernel.isdigit() else ""
        if kind_name == "convolution":
            layers.append(Layer("conv", size, k))
        elif kind_name == "pooling":
            glob = fields.get("global_pooling", "").lower() == "true"
            layers.append(Layer("pool", kernel="" if glob else k, pool="Avg" if fields.get("pool", "").upper().startswith("AVE") else "Max"))
        elif kind_name == "innerproduct":
            layers.append(Layer("dense", size))
        elif kind_name == "flatten":
            layers.append(Layer("flatten"))
    return layers if sum(layer.kind != "input" for layer in layers) >= 2 else []


# layers as objects keyed by their type (TF.js-style configs): "{ conv2d: { kernelSize: 5, filters: 8 } }"
_KEYED_LAYER = re.compile(r"\{[ \t]*['\"]?(?P<type>conv[12]d|maxPooling[12]d|averagePooling[12]d|flatten|dense)['\"]?[ \t]*:[ \t]*(?=\{)")


def _keyed_layers(text: str, env: dict[str, int]) -> list[Layer]:
    """The layers of object literals keyed by a layer type, each read from its own object."""
    layers: list[Layer] = []
    for m in _KEYED_LAYER.finditer(text):
        if len(layers) > MAX_PLAN_NODES:
            break
        layer = _layer(m.group("type"), *_args(text, m.end()), env=env)
        if layer is not None:
            layers.append(layer)
    return layers if len(layers) >= 2 else []


_COMMENT = re.compile(r"(?m)(?:^|(?<=[ \t]))(?:#|(?<![:/])//)[^\n]*")
_FORWARD_FLATTEN = re.compile(r"\b(?:torch\.)?flatten\(|\.(?:view|reshape)\([^()\n]{0,40}(?:\([^()\n]{0,20}\))?[ \t]*,[ \t]*-1[ \t]*\)")


def flatten_in_forward(text: str, layers: list[Layer]) -> list[Layer]:
    """A flatten that only forward() does ("x = torch.flatten(x, 1)", "x.view(x.size(0), -1)") between the
    last convolution or pooling and the dense layers after it, when the layers have none."""
    start = _FORWARD.search(text)
    if not start or any(layer.kind == "flatten" for layer in layers) or \
            not _FORWARD_FLATTEN.search(text, start.end(), start.end() + MAX_CALL_CHARS * 10):
        return layers
    last = max((i for i, layer in enumerate(layers) if layer.kind in ("conv", "pool")), default=None)
    if last is None or last + 1 >= len(layers) or layers[last + 1].kind != "dense":
        return layers
    return layers[: last + 1] + [Layer("flatten")] + layers[last + 1:]


_FLUX_FLATTEN = re.compile(r"\bFlux\.flatten\b(?![ \t]*\()")


def code_layers(text: str) -> list[Layer]:
    """The layers a text's calls (or `model.summary()` rows) build, in order of appearance (a
    subclass with a forward()/call(): in the order that runs them). Sizes written as names the text
    binds to numbers ("hidden = 128", "N, D_in, H = 64, 1000, 100") are read as those numbers.
    Comments are left out ("# tf.keras.layers.Dense(128)  # TODO", "in_channels=1,  # input height"),
    unless that leaves no layer at all: code flattened onto one line ("# Define model model =
    keras.Sequential([...])") is all inside its first comment."""
    stripped = _COMMENT.sub("", text)
    layers = _code_layers(stripped)
    return layers if layers or stripped == text else _code_layers(text)


def _code_layers(text: str) -> list[Layer]:
    env = assignments(text)
    flux = "Chain(" in text
    if flux:
        text = _FLUX_FLATTEN.sub("Flatten()", text)
    layers = []
    named: dict[str, Layer] = {}
    starts: list[int] = []
    paddle = bool(_PADDLE.search(text))
    for m in _CALL.finditer(text):
        if len(layers) > MAX_PLAN_NODES:
            break  # more layers than any plan draws: reading on costs time and changes nothing
        name = m.group("name")
        positional, keywords = _args(text, m.end())
        if name == "Conv2D" and (paddle or m.group().startswith("nn.")) and \
                (len(positional) >= 3 or {"in_channels", "out_channels", "num_channels"} & set(keywords)):
            name = "Conv2d"  # Paddle's Conv2D(in_channels, out_channels, kernel_size) reads as PyTorch's (Gluon's nn.Conv2D(20, 5) does not)
        options = _OPTIONS.match(positional[0]) if positional else None
        if options:  # libtorch: Conv2d(Conv2dOptions(1, 10, 5).stride(1))
            positional, keywords = _args(positional[0], options.end())
        previous = next((layer.size for layer in reversed(layers) if layer.kind == "conv"), None)
        layer = _layer(name, positional, keywords, env=env, flux=flux, previous=previous)
        if layer is not None and layer.size is None and m.group().endswith(("::new(", "::new (")):
            continue  # Rust: Linear::new(weight, Some(bias)) builds from tensors the text makes elsewhere
        if layer is not None:
            if layer.kind == "conv" and layer.pool:  # ConvPoolLayer: a convolution and its pooling
                layers += [Layer("conv", layer.size, layer.kernel), Layer("pool", kernel=layer.pool, pool="Max")]
                continue
            layers.append(layer)
            starts.append(m.start())
            before = text[max(0, m.start() - 100): m.start()]
            owner = _SELF_ASSIGN.search(before[-60:]) or _REGISTER.search(before)
            if owner:
                named[owner.group(1)] = layer
    groups: dict[str, list[Layer]] = {}
    for m in _CONTAINER.finditer(text):
        end = _span_end(text, m.end())
        groups[m.group(1)] = [layer for layer, at in zip(layers, starts) if m.end() <= at < end]
    if not layers:
        layers = _builders(text, env) or _typed_layers(text, env) or _keyed_layers(text, env) or _caffe_layers(text) or \
            _named_layer_list(text, env) or \
            _weight_chain(text) or _indexed_layers(text)
    ran = _forward_order(text, named, env, groups)
    if len(ran) >= 2 and any(layer.kind in ("conv", "pool") for layer in ran):
        return [layer for layer in layers if layer.kind == "input"] + flatten_in_forward(text, ran)
    if layers:
        table = _line_table_layers(text) if len(layers) >= 2 else []
        kinds = iter(layer.kind for layer in table)
        if len(table) > len(layers) and all(layer.kind in kinds for layer in layers):
            return table  # "Conv2D (32 filters) ... 3x3 patches" rows read as calls: the table's rows say more
        return flatten_in_forward(text, layers)
    out = []
    for m in _TORCHINFO.finditer(text):
        dims = [int(d) for d in _INT.findall(m.group("out") or m.group("dims"))]  # the output shape when both are shown
        out.append(_summary_layer(m.group("name"), dims[1] if len(dims) > 1 else None, dims[-1], "Avg"))
    if out:
        return out
    for m in _TORCHSUMMARY.finditer(text):
        dims = [int(d) for d in _INT.findall(m.group("dims"))]
        out.append(_summary_layer(m.group("name"), dims[0], dims[0], "Av"))
    if out:
        return out
    for m in _SUMMARY.finditer(text):
        dims = [int(d) for d in _INT.findall(m.group("dims"))]
        out.append(_summary_layer(m.group("name"), dims[-1], dims[-1], "Average"))
    return out or _table_layers(text) or _line_table_layers(text)


def _arrays(text: str) -> list[tuple[int, ...]]:
    """The shapes of the arrays a text makes (weights, inputs), in order; at most MAX_PLAN_NODES."""
    return [tuple(int(d) for d in _INT.findall(m.group("dims"))) for m in _ARRAY.finditer(text)][:MAX_PLAN_NODES]


def _weight_chain(text: str) -> list[Layer]:
    """The layers a text's weight matrices make when they chain ("W1 = zeros([784, 300])", "W2 =
    zeros([300, 10])": in, out; Candle/PyTorch weights (out, in): "(100, 784)", "(10, 100)");
    4-d weights (out, in, kh, kw) are convolutions ("'conv1.weight' (6, 1, 5, 5)"). Empty unless
    at least two matrices chain, every one of them."""
    shapes = [s for s in _arrays(text) if len(s) in (2, 4)]
    convs = [Layer("conv", s[0], f"{s[2]}x{s[3]}") for s in shapes if len(s) == 4]
    mats = [s for s in shapes if len(s) == 2]
    if len(mats) < 2 or (convs and shapes.index(mats[0]) < len(convs)):
        return convs + [Layer("dense", m[0]) for m in mats] if convs else []
    if all(a[1] == b[0] for a, b in zip(mats, mats[1:])):  # (in, out)
        sizes = [mats[0][0]] + [m[1] for m in mats]
    elif all(a[0] == b[1] for a, b in zip(mats, mats[1:])):  # (out, in)
        sizes = [mats[0][1]] + [m[0] for m in mats]
    else:
        return []
    return convs + [Layer("dense", size, input_size=sizes[0] if i == 0 else None) for i, size in enumerate(sizes[1:])]


def _example_input(text: str) -> int | None:
    """The feature size of the first example batch a text makes ("jnp.ones((32, 10))": 10,
    "jnp.empty((4, 28, 28, 1))": 784), or None."""
    for m in _ARRAY.finditer(text):
        if m.group("ctor").startswith("weight"):
            continue
        dims = [int(d) for d in _INT.findall(m.group("dims"))]
        return _product(tuple(dims[1:])) if len(dims) >= 2 else None
    return None


_TABLE_TYPES = (("conv", re.compile(r"conv", re.I)), ("pool", re.compile(r"pool|subsampl", re.I)),
                ("flatten", re.compile(r"flatten", re.I)),
                ("dense", re.compile(r"\b(?:dense|fully[ -]?connected|fc\d{0,2}|linear|output|softmax)\b", re.I)),
                ("input", re.compile(r"\binput\b", re.I)))
_TABLE_SIZE = re.compile(r"(?<![\w.])(\d{1,7})(?![\w.]|[ \t]*[x×X][ \t]*\d)")
_TABLE_KERNEL = re.compile(r"(\d{1,3})[ \t]*[x×X][ \t]*(\d{1,3})")


def _table_layers(text: str) -> list[Layer]:
    """The layers of a table with a row per layer and cells split by '|' (markdown, wiki): the type
    from the cell naming one ("Convolution", "Max pooling", "Fully Connected"), filters from a
    "Maps"/"Filters"/"Channels" column, kernels from a "Kernel" column, units from a "Neurons"/"Units"/
    "Size" column. A table written from the output down to the input is read bottom-up. A table of
    no convolution or pooling whose first row is no input starts with an unstated input."""
    lines = [line for line in text.split("\n")[: MAX_PLAN_NODES * 3] if line.count("|") >= 2]
    # a sentence run into the table's first line ("... dataset.| Layer | Neurons |") is no cell
    lines = [line[line.index("|"):] if len(line[: line.index("|")].strip()) > 30 else line for line in lines]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
    rows = [row for row in rows if not all(re.fullmatch(r"[-:=+ \t]*", cell) for cell in row)]
    if len(rows) < 3:
        return []
    header = [cell.lower() for cell in rows[0]]
    if not any(re.search(r"\blayers?\b|\btype\b", name) for name in header):
        return []  # a table of something else ("Stage | Input | Output")

    def column(pattern: str) -> int | None:
        return next((i for i, name in enumerate(header) if re.search(pattern, name)), None)
    maps, kernel_col = column(r"maps|filters|channels|depth"), column(r"kernel|filter size|window")
    units = column(r"neurons|units|nodes|size|width")
    layers: list[Layer] = []
    for row in rows[1:]:
        typed = next(((kind, i) for i, cell in enumerate(row) for kind, pattern in _TABLE_TYPES
                      if pattern.search(cell)), None)
        if typed is None:
            if units is None or units >= len(row) or not _TABLE_SIZE.search(row[units]):
                continue
            typed = ("dense", -1)
        kind = typed[0]

        def cell(i: int | None) -> str:
            return row[i] if i is not None and i < len(row) and i != typed[1] else ""
        kernel = _TABLE_KERNEL.search(cell(kernel_col))
        k = f"{kernel.group(1)}x{kernel.group(2)}" if kernel else ""
        if kind == "conv":
            size = _TABLE_SIZE.findall(cell(maps))
            layers.append(Layer("conv", int(size[-1]) if size else None, k))
        elif kind == "pool":
            layers.append(Layer("pool", kernel=k, pool="Avg" if re.search(r"av", row[typed[1]], re.I) else "Max"))
        elif kind == "flatten":
            layers.append(Layer("flatten"))
        elif kind == "input":
            dims = _TABLE_KERNEL.search(" ".join(row))
            size = _TABLE_SIZE.findall(cell(units))
            shape = (int(dims.group(1)), int(dims.group(2))) if dims else ((int(size[-1]),) if size else ())
            layers.append(Layer("input", input_size=_product(shape), shape=shape if len(shape) > 1 else ()))
        else:
            size = _TABLE_SIZE.findall(cell(units if units is not None else maps))  # a "Filters" column holds units too
            layers.append(Layer("dense", int(size[-1]) if size else None))
    if len(layers) >= 2 and layers[-1].kind == "input" or (layers and layers[0].kind == "dense" and
                                                          any(layer.kind in ("conv", "pool") for layer in layers)):
        layers = layers[::-1]  # written from the output down
    if layers and not any(layer.kind in ("conv", "pool", "input") for layer in layers):
        layers = [Layer("input")] + layers  # no input row: its size is unstated
    return layers if sum(layer.kind != "input" for layer in layers) >= 2 else []


# a layer table written without cell borders: a header naming its columns, then a row per layer that starts
# with the layer's type ("Conv2D (32 filters) Learn edges in 3x3 patches [26, 26, 32]", darknet's
# "0 conv 16 3 x 3/ 1 224 x 224 x 3 -> 224 x 224 x 16")
_TABLE_HEADER = re.compile(r"(?im)^[ \t]*(?:layer|type|name)\b[^\n]{0,200}$")
_COLUMN_WORD = re.compile(r"(?i)\b(?:layer|type|filters?|size|output|input|shape|params?|purpose|kernel|units|stride)\b")
_ROW = re.compile(r"(?im)^[ \t]*(?:\d{1,3}[ \t]+)?(?P<type>conv\w{0,12}|max\w{0,12}|avg\w{0,12}|average\w{0,12}|\w{0,8}pool\w{0,8}|"
                  r"flatten\w{0,4}|dense|fc\d{0,2}|linear|fully[ -]?connected)\b(?P<rest>[^\n]{0,300})$")
_ROW_KERNEL = re.compile(r"(?<![\d.x×])(\d{1,2})[ \t]*[x×][ \t]*(\d{1,2})(?![ \t]*[x×]|[\d.])")
_ROW_COUNT = re.compile(r"(?i)\(?[ \t]*(\d{1,5})[ \t]*(?:filters?|kernels?|channels?|units|neurons|nodes)\b")


def _line_table_layers(text: str) -> list[Layer]:
    """The layers of a borderless layer table (`_ROW`): rows in order after a header line that names
    at least two columns; a row's filters or units from "(32 filters)"/"(128 units)" or, where the
    header has a filters column, the number right after the type; its kernel the first kernel-sized
    "3 x 3" (not a volume "4 x 4 x1000"). Empty unless three rows read and one is a conv or a pool."""
    header = next((m for m in _TABLE_HEADER.finditer(text[: MAX_CALL_CHARS * 5])
                   if len(set(w.lower() for w in _COLUMN_WORD.findall(m.group()))) >= 2), None)
    if header is None:
        return []
    filters_column = re.search(r"(?i)\bfilters\b", header.group()) is not None
    layers = []
    for m in _ROW.finditer(text, header.end()):
        kind = m.group("type").lower()
        rest = m.group("rest")
        count = _ROW_COUNT.search(rest)
        lead = re.match(r"[ \t]+(\d{1,5})\b(?![ \t]*[x×])", rest) if filters_column or kind in ("dense", "linear") else None
        number = int((count or lead).group(1)) if count or lead else None
        kernel = _ROW_KERNEL.search(rest)
        k = f"{kernel.group(1)}x{kernel.group(2)}" if kernel and max(map(int, kernel.groups())) <= MAX_KERNEL else ""
        if kind.startswith("conv"):
            layers.append(Layer("conv", number, k))
        elif re.match(r"max|avg|average|\w*pool", kind):
            layers.append(Layer("pool", kernel=k, pool="Avg" if kind.startswith(("av", "global_av")) else "Max"))
        elif kind.startswith("flatten"):
            layers.append(Layer("flatten"))
        else:
            layers.append(Layer("dense", number))
        if len(layers) > MAX_PLAN_NODES:
            break
    return layers if len(layers) >= 3 and any(layer.kind in ("conv", "pool") for layer in layers) else []


def _summary_layer(name: str, channels: int | None, units: int, avg_prefix: str) -> Layer:
    """One row of a torchinfo or Keras summary table as a layer: a conv's channels, a pool (average
    when the name starts with `avg_prefix`), a flatten, else a dense layer of `units`."""
    if name.startswith("Conv"):
        return Layer("conv", channels)
    if name.startswith("Adaptive"):
        return Layer("pool", pool="Avg" if "Avg" in name else "Max")
    if "Pool" in name or name.startswith("Glob"):
        return Layer("pool", pool="Avg" if name.startswith(avg_prefix) or "Av" in name else "Max")
    if name == "Flatten":
        return Layer("flatten")
    return Layer("dense", units)


def layer_label(layer: Layer) -> str:
    if layer.kind == "conv":
        return "Conv" + (f" {layer.kernel}" if layer.kernel else "") + (f", {layer.size}" if layer.size else "")
    if layer.kind == "pool":
        return f"{layer.pool}Pool" + (f" {layer.kernel}" if layer.kernel else "")
    if layer.kind == "flatten":
        return "Flatten"
    return "Dense" + (f" {layer.size}" if layer.size else "")


def read_code(text: str, prose: tuple[int, ...] | None = None, unstated: list[int] | None = None) -> Plan | None:
    """The plan of a network written as code: a chain of labelled blocks when it has convolutions or
    pooling, else a dense net's layer sizes (input first); None when the text builds no network.

    `prose`: the sizes the request's words state, if any ("on iris (4 features, 3 classes)"): they
    fill the sizes the code leaves to variables when they agree with every size it does state.
    `unstated`, when given, gets the positions of the layers drawn as UNSTATED nodes."""
    layers = code_layers(text)
    if any(layer.kind in ("conv", "pool") for layer in layers):
        shape = next((layer.shape for layer in layers if layer.shape), ())
        labels = ([f"Input {'x'.join(map(str, shape))}"] if shape else []) + \
            [layer_label(layer) for layer in layers if layer.kind not in ("input", "reshape")]
        return Plan.chain(labels) if 2 <= len(labels) <= MAX_PLAN_NODES else None
    sizes: list[int | None] = []
    dense = [layer for layer in layers if layer.kind == "dense"]
    if dense:
        before = layers[: layers.index(dense[0])]  # Linear(D, 500), Linear(500, 300): the first input is D's
        first_in = dense[0].input_size or next((layer.input_size for layer in before if layer.input_size), None)
        built = _BUILT.search(text) if first_in is None else None
        if built:  # model.build(input_shape=(None, 4))
            first_in = int(built.group(1))
        elif first_in is None:  # x = jnp.ones((32, 10)); model(x)
            first_in = _example_input(text)
        if len(dense) == 1 and first_in is None and not prose:
            return None  # one Dense(10) says too little to draw
        sizes = [first_in] + [layer.size for layer in dense]
    else:
        hidden = _HIDDEN_SIZES.search(text)  # scikit-learn: hidden_layer_sizes=(10, 5)
        newff = _NEWFF.search(text)  # MATLAB: newff(P, [6, 4, 3]) (hidden and output sizes)
        net = _MATLAB_NET.search(text)  # MATLAB: feedforwardnet([10 5]) (hidden sizes)
        encog = [int(n) for n in _ENCOG.findall(text)]
        if newff:
            sizes = [None, *(int(n) for n in _INT.findall(newff.group(1)))]
        elif len(encog) >= 2:  # Encog: one BasicLayer per layer, input first
            sizes = list(encog)
        else:  # hidden sizes as a setting (R, brain.js, MATLAB, sklearn) or role names ("NI=2; NH=3; NO=2")
            sizes = _hidden_net(_COMMENT.sub("", text), assignments(_COMMENT.sub("", text)))
        if not sizes and hidden:
            sizes = [None, *(int(n) for n in _INT.findall(hidden.group(1) or hidden.group(2))), None]
        elif not sizes and net:
            sizes = [None, *(int(n) for n in _INT.findall(net.group(1))), None]
    if len(sizes) < 2 or len(sizes) > MAX_LAYERS:
        return None
    if prose and len(prose) == len(sizes) and all(s is None or s == p for s, p in zip(sizes, prose)):
        return Plan.dense(prose)
    if prose and len(prose) > len(sizes) and all(s is not None and s == p for s, p in zip(sizes, prose)):
        return Plan.dense(prose)  # "nn.Linear(784, 128) ... the output size of fc2 is 64 ... produces 10 outputs": the words go on
    if unstated is not None:
        unstated.extend(i for i, s in enumerate(sizes) if s is None)
    return Plan.dense(tuple(s or UNSTATED for s in sizes))


# ---- LaTeX math in prose: "\\(6\\enspace5 \\times 5\\) filters", "$784$ inputs", "$(784 \\rightarrow 300)$" ------------

_LATEX_HINT = re.compile(r"\\(?:[()\[\]]|times|cdot|enspace|quad|qquad|rightarrow|longrightarrow|to|text|mathrm)(?![a-zA-Z])|"
                         r"\$[^$\n]{1,60}\$")


def delatex(text: str) -> str:
    """Prose with LaTeX math written plainly: "\\(5 \\times 5\\)" -> "5x5", "\\rightarrow"/"\\to" -> "->",
    "\\text{conv}" -> "conv", spacing commands and the math delimiters (\\( \\) \\[ \\] $) -> blanks. Text
    without LaTeX is returned as it is."""
    if not _LATEX_HINT.search(text):
        return text
    text = re.sub(r"\\(?:text|mathrm|mathbf|textbf|operatorname)\{([^{}\n]{0,60})\}", r"\1", text)
    text = re.sub(r"(?<=\d)[ \t]*\\(?:times|cdot)[ \t]*(?=\d)", "x", text)
    text = re.sub(r"\\(?:times|cdot)(?![a-zA-Z])", " x ", text)
    text = re.sub(r"\\(?:long)?rightarrow(?![a-zA-Z])|\\to(?![a-zA-Z])", " -> ", text)
    text = re.sub(r"\\(?:enspace|quad|qquad)(?![a-zA-Z])|\\[,;! ]", " ", text)
    return re.sub(r"\\[()\[\]]|\$", " ", text)


# ---- CNNs told in words: "conv 3x3 (32) -> max pool 2x2 -> dense 64 -> 10 outputs" -------------

_PART_SPLIT = re.compile(r"\s*(?:-+>|[\u2190-\u21ff\u27f0-\u27ff\u2794-\u27bf\u2900-\u297f]|=+>|[,;\n]|\.(?:[ \t]+|$)|\bthen\b|\bfollowed by\b|\b(?:and[ \t]+)?(?:fed|passed|sent)[ \t]+(?:(?:in)?to|through)\b|"
                         r"(?<=[\w)\]])[ \t]+[-–—][ \t]+(?=\w)|"  # "Conv(32, 3x3) - ReLU - MaxPool(2x2)"
                         r"[ \t]*\+[ \t]*(?=(?:max|avg|average|conv|pool|dense|fully|flatten|fc\b))|"  # "conv 64 filters + max pooling"
                         r"\binto[ \t]+(?=(?:the[ \t]+|an?[ \t]+)?(?:dense|fully|fc)\b)|"  # "gets to the flatten to go into the dense layers"
                         r"(?<=[a-z.])-[ \t]+(?=[A-Za-z])|(?<=[a-z]{3})\.(?=[A-Z][a-z]{2,}[ \t])|"  # "consists of- the first", "function.Compute"
                         r"\band[ \t]+(?=(?:(?:add|adds|use|uses|apply|applies|have|has)[ \t]+)?(?:a|an|the|another|one|two|finally|then)?[ \t]*(?:final[ \t]+)?(?:\d{1,3}[x×]\d{1,3}[ \t]+)?"
                         r"(?:max|avg|average|conv\w*|dense|fully|flatten\w*|output|softmax|pool\w*|fc)\b))\s*", re.I)
_CNN_NUMBER_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
                     "eight": "8", "nine": "9", "ten": "10", "twelve": "12", "sixteen": "16", "twenty": "20",
                     "thirty-two": "32", "sixty-four": "64"}
_CNN_NUMBER = re.compile(r"\b(?:" + "|".join(sorted(_CNN_NUMBER_WORDS, key=len, reverse=True)) + r")\b(?=[ \t]+\S)",
                         re.I)
_VGG = re.compile(r"\bconv(\d)-(\d{1,4})\b", re.I)
_GROUP_REPEAT = re.compile(r"[\[(]([^\[\]()]{3,120})[\])][ \t]*(?:[*x×][ \t]*|times[ \t]*)([2-6])\b")
_CONV_LIST = re.compile(r"\b(?P<n>[2-6])[ \t]+(?:convolutional|conv(?:olution)?|conv2d)[ \t]+layers?[ \t]*(?:\(|with|of|having|,)?"
                        r"[ \t]*(?P<list>\d{1,4}(?:[ \t]*(?:,|and|,[ \t]*and)[ \t]*\d{1,4}){1,5})[ \t]+(?:filters|channels|"
                        r"feature[ \t]maps|kernels)(?:[ \t]+respectively)?(?P<rest>[^.\n]{0,160})", re.I)
_EACH = re.compile(r"\beach[ \t]+(?:\S+[ \t]+){0,6}?followed[ \t]+by[ \t]+(?:an?[ \t]+)?(?P<what>[^,.;\n]{3,40}?)(?=[,.;\n]|$|[ \t]+and\b)",
                   re.I)


def _conv_list(m: re.Match) -> str:
    """'3 conv layers with 16, 32 and 64 filters, each using a 3x3 kernel and followed by max pooling'
    -> 'conv 3x3 16 filters, max pooling, conv 3x3 32 filters, max pooling, ...'."""
    sizes = _INT.findall(m.group("list"))
    rest = m.group("rest")
    kernel = _KERNEL.search(rest) or _SIZE_FIELD.search(rest)
    each = _EACH.search(rest)
    k = f" {kernel.group(1)}x{kernel.group(2) or kernel.group(1)}" if kernel else ""
    parts = []
    for size in sizes:
        parts.append(f"conv{k} {size} filters")
        if each:
            parts.append(each.group("what"))
    tail = rest
    for found in (each, kernel):
        if found:
            tail = tail.replace(found.group(0), " ")
    return ", ".join(parts) + ", " + tail
_KERNEL = re.compile(r"(?<![\d.])(\d{1,3})[ \t]?[x×][ \t]?(\d{1,3})(?:[x×](\d{1,4}))?(?![\w.])")
_FILTERS = re.compile(r"(\d{1,5})[ \t]*(?:filters?|channels?|kernels?|feature[ \t]maps?|maps?)\b|"
                      r"(?:filters?|channels?)[ \t]*[=:]?[ \t]*(\d{1,5})\b|\([ \t]*(\d{1,5})[ \t]*\)|,[ \t]*(\d{1,5})\b|"
                      r"(\d{1,5})[ \t]+(?:convolution(?:al)?|conv)[ \t]+(?:filters?|kernels?)\b|(\d{1,5})[ \t]*@|@[ \t]*(\d{1,5})|"
                      r"(\d{1,5})[ \t]+convolutions\b(?![^.\n]{0,40}\b\d{1,5}[ \t]*(?:filters?|kernels?|channels?|feature[ \t]maps?)\b)|\bout(?:_channels)?[ \t]*=[ \t]*(\d{1,5})\b", re.I)
_UNITS = re.compile(r"(?<![\w.x×])(\d{1,7})(?![\w.x×])")
_STRIDE = re.compile(r"(?i)\bstrides?[ \t]*(?:of|=|:|is)?[ \t]*(?:s[ \t]*=[ \t]*)?\(?\d{1,2}(?:[ \t]*,[ \t]*\d{1,2})?\)?")
_REPEAT = re.compile(r"(?:[x×][ \t]*(\d)|(\d)[ \t]*[x×])$|\b(?:two|2)[ \t]+(?=conv)", re.I)


def _block(part: str) -> tuple[str, int] | None:
    """(label, times) of one part of a CNN told in words, or None when it is no block."""
    low = re.sub(r"\bconv(?:olutional)?[ -]?(?:neural[ -])?net(?:work)?s?\b|\bcnn\b|\bconvnet\b", " ",
                 part.lower()).strip()
    times = 1
    rep = re.search(r"(?:(?<![\w.])[x×][ \t]*([2-9])\b|\b(two|three|four|[2-4])[ \t]+(?:conv|pool|dense|fc|fully))",
                    _KERNEL.sub(" ", low))
    if rep:
        times = int(rep.group(1) or {"two": "2", "three": "3", "four": "4"}.get(rep.group(2), rep.group(2)))
    # a volume "28x28x6" is the shape a layer makes (its last number: the channels), never a kernel
    volume = next((m for m in _KERNEL.finditer(low) if m.group(3)), None)
    kernel = next((m for m in _KERNEL.finditer(low) if not m.group(3)), None) if volume else _KERNEL.search(low)
    k = f"{kernel.group(1)}x{kernel.group(2)}" if kernel else ""
    if _FLATTENED.search(low):
        return "Flatten", 1  # "the max pooling output flattened": no second pooling
    if re.search(r"\bconv|\bconvolution", low) or \
            (volume and kernel and re.search(r"\b(?:filters?|kernels?)\b", low) and not re.search(r"pool|subsampl", low)):
        f = _FILTERS.search(_KERNEL.sub(" ", _STRIDE.sub(" ", low)))  # ("5x5 filter with a stride of 1 resulting in 28x28x6")
        n = next((g for g in f.groups() if g), None) if f else (volume.group(3) if volume else None)
        return "Conv" + (f" {k}" if k else "") + (f", {n}" if n else ""), times
    if re.search(r"pool|subsampl", low):
        kind = "AvgPool" if re.search(r"\bav(?:g|erage)", low) else "MaxPool"
        return kind + (f" {k}" if k else ""), times
    filters = re.search(r"\b(\d{1,5})[ \t]+(?:\d{1,3}[x×]\d{1,3}[ \t]+)?(?:convolution(?:al)?[ \t]+|conv[ \t]+)?(?:filters|kernels)\b", low)
    if kernel and filters and not re.search(r"\b(?:dense|fc|fully|linear|output|input)\b", low):
        return f"Conv {k}, {filters.group(1)}", times  # "sixteen 5x5 filters"
    applied = _APPLIED_FILTERS.search(low)
    if applied and not re.search(r"\b(?:dense|fc|fully|linear|pool\w*)\b", low):
        return "Conv" + (f" {k}" if k else "") + f", {applied.group(1)}", times  # "applies 16 new filters"
    if re.search(r"\bflatten", low):
        return "Flatten", 1
    for word, label in (("batch ?norm|\\bbn\\b", "BatchNorm"), ("\\brelu\\b", "ReLU"), ("dropout", "Dropout")):
        if re.search(word, low) and len(low.split()) <= 3:
            return label, 1
    sized = _KERNEL.sub(" ", _STRIDE.sub(" ", low))  # (a stride is no size)
    if rep and rep.group(2):  # "2 fully connected layers": the count is no size
        sized = sized[: rep.start(2)] + " " + sized[rep.end(2):]
    units = [int(n) for n in _UNITS.findall(sized)]
    if re.search(r"\b(?:dense|fc\d{0,2}|fully[ -]?connected|linear|hidden)\b", low):
        return "Dense" + (f" {units[-1]}" if units else ""), times
    if re.search(r"\b(?:outputs?|classes|softmax|logits?|classif\w*)\b", low):
        return "Output" + (f" {units[-1]}" if units else ""), 1
    if re.search(r"\b(?:input|image)\b", low) or (kernel and not units and not re.search(r"kernel|filter|window", low)):
        shape = "x".join(g for g in (volume or kernel).groups() if g) if volume or kernel else ""
        return "Input" + (f" {shape}" if shape else ""), 1
    return None


# the size a dense layer maps to, told in a clause after its name: "taking the values down to 120 units", "120 down to 84 units"
_DOWN_TO_UNITS = re.compile(r"(?i)\b(?:down[ \t]+to|in(?:to)?|to|gives?|giving|producing|outputs?|outputting)[ \t]+(?:just[ \t]+|only[ \t]+)?"
                            r"(\d{1,7})[ \t]+(?:output[ \t]+)?(?:neurons?|units?|nodes?|outputs?|values?)\b")
# filters told with a verb and no "conv": "Layer C3 applies 16 new filters across all 6 input channels"
_APPLIED_FILTERS = re.compile(r"(?i)\b(?:appl(?:y|ies|ied)|uses?|used|learns?|has|have)[ \t]+(\d{1,5})[ \t]+(?:new[ \t]+|more[ \t]+|other[ \t]+)?"
                              r"(?:filters|kernels)\b")
_FLATTENED = re.compile(r"(?i)\b(?:output|result)s?[ \t]+flattened\b|\b(?:is|are|gets?|been|then)[ \t]+flattened\b")
_BLOCK_WORD = re.compile(r"conv|pool|dense|\bfc\b|fully|linear|flatten|output|softmax|input", re.I)
_FILTERS_WORD = re.compile(r"(\d{1,5})[ \t]*(?:filters?|kernels?|channels?|feature[ \t]maps?)\b|"
                           r"\b(?:number[ \t]+of[ \t]+)?(?:filters|kernels|num_filters|out_channels|channels)[ \t]*"
                           r"(?:\([^()\n]{0,6}\)[ \t]*)?[:=][ \t]*(\d{1,5})\b", re.I)  # "Number of Kernels (K): 20"
# a field of a worked-out size or parameter count: "Output Size: 222x222x20", "Number of parameters = (3*3*3+1)*20",
# "Parameter Calculation: ...", "the size of the output image": no block
_CALC_FIELD = re.compile(r"(?i)^[ \t]*(?:[-*•][ \t]*)?(?:output[ \t]+(?:size|shape|volume|dim\w*)\b|"
                         r"(?:total[ \t]+)?(?:number|no\.?|count)[ \t]+of[ \t]+(?:trainable[ \t]+|learnable[ \t]+)?param|"
                         r"(?:trainable[ \t]+|learnable[ \t]+)?param(?:eter)?s?\b|[^\n]{0,40}\b(?:size[ \t]+of[ \t]+the[ \t]+output|output[ \t]+size)\b|"
                         r"(?:(?:therefore|thus|hence|so|and)[ \t]+)?the[ \t]+[^,\n]{0,40}\blayer[ \t]+(?:(?:is|was)[ \t]*$|(?:produces|yields|gives|outputs|returns)\b))")  # "The max pooling layer is [followed by]": a layer named again
# the input a layer's section starts from ("Input Size: 111x111x20" under "Convolution Layer 2:"): no Input block
_INPUT_FIELD = re.compile(r"(?i)^[ \t]*(?:[-*•][ \t]*)?input[ \t]+(?:size|shape|volume|dim\w*)\b")
_LAYER_NUMBER = re.compile(r"\blayer[ \t]*\d{1,2}[ \t]*[:.)-]|^[ \t]*\d{1,2}[.)][ \t]", re.I | re.M)
_REPEATED_BLOCKS = re.compile(r"\b(two|three|four|2|3|4)[ \t]+(?:repeated[ \t]+|identical[ \t]+|consecutive[ \t]+)?"
                              r"(?:blocks?|sets?|groups?|stages?|times)[ \t]+(?:of|with)[ \t]+"
                              r"(?P<inner>[^,.;\n]{3,80}?)(?=[,.;\n]|[ \t]+follow|$)", re.I)
_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4}
# "two convolutional layers, each followed by a down-sampling using max-pooling"
_EACH_FOLLOWED = re.compile(r"\b(?P<n>two|three|four|[2-4])[ \t]+(?P<what>(?:conv\w*|dense|fully[ -]connected)(?:[ \t]+\w+)?)[ \t]+"
                            r"layers?[ \t]*,?[ \t]+each[ \t]+followed[ \t]+by[ \t]+(?:an?[ \t]+)?(?P<then>[^,.;\n]{3,60}?)"
                            r"(?=[ \t]*[,.;(\n]|$)", re.I)


def _each_followed(m: re.Match) -> str:
    """'two conv layers, each followed by max-pooling' -> 'conv layer, max-pooling, conv layer, max-pooling'."""
    times = _NUMBER_WORDS.get(m.group("n").lower()) or int(m.group("n"))
    return ", ".join([f"{m.group('what')} layer, {m.group('then')}"] * times)


def _expand_blocks(m: re.Match) -> str:
    """'two repeated blocks of Convolution and Max Pooling' -> 'Convolution, Max Pooling, Convolution, Max Pooling'."""
    times = _NUMBER_WORDS.get(m.group(1).lower()) or int(m.group(1))
    parts = [p for p in re.split(r"[ \t]+(?:and|\+|followed by|then)[ \t]+|[ \t]*\+[ \t]*", m.group("inner")) if p]
    return ", ".join(parts * times)


# "2 convolutional blocks with 3x3 filters, ReLU, max pooling": each block is the conv through its first pooling
_N_BLOCKS = re.compile(r"(?i)\b(?P<n>[2-5])[ \t]+(?:conv\w{0,10}|convolucionales)[ \t]+(?:blocks?|stages?|bloques)\b|"
                       r"\b(?P<m>[2-5])[ \t]+(?:blocks?|bloques|stages?)[ \t]+(?:conv\w{0,10}|convolucionales)\b")
# "2 capas convolucionales con ReLU + MaxPooling", "two conv layers with ReLU + max pooling": pooling in every layer
_LAYERS_WITH_POOL = re.compile(r"(?i)\b([2-5])[ \t]+(?:(?:capas|layers)[ \t]+(?:convolucionales|convolutional|conv)|"
                               r"(?:convolutional|conv)[ \t]+layers)[ \t]+(con|with)\b(?=[^\n.;]{0,40}?\+[ \t]*(?:max|avg|average)?[ -]?pool)")


def _grouped(labels: list[str], groups: list[tuple[int, int, bool]]) -> list[str]:
    """The labels with each "N conv blocks" group (start, times, heading) repeated: the blocks from its start
    through the first pooling (no dense or flatten between); without a pooling, the conv alone."""
    for start, times, heading in reversed(groups):
        end = None
        for j in range(start, len(labels)):
            if labels[j].startswith(("MaxPool", "AvgPool")):
                end = j + 1
                break
            if labels[j].startswith(("Dense", "Flatten", "Output")) or (j > start and labels[j].startswith("Conv") and
                                                                       not heading):
                break
        if end is None:
            end = start + 1 if start < len(labels) and labels[start].startswith("Conv") else None
        if end is not None:
            labels = labels[:start] + labels[start:end] * times + labels[end:]
    return labels


_GLUED = re.compile(r"(?i)(?<=conv|pool)(?=\d{1,2}[x×]\d{1,2}\b)|(?<=conv2d|pool2d)(?=\d{1,2}[x×]\d{1,2}\b)")
_BLOCK_NAME = r"(?:\[?(?:conv\w{0,8}|\w{0,7}pool\w{0,6}|fc|dense|flatten|linear)\]?)"
_HYPHENS = re.compile(rf"(?i)(?<![\w-]){_BLOCK_NAME}(?:-{_BLOCK_NAME}){{1,12}}(?![\w-])")


# a kernel told as a field: "filter size 7", "kernel_size=(3, 3)", "filter size is (2*2)", "window size of 3"
_SIZE_FIELD = re.compile(r"(?:\b(?:filter|kernel|window|pool(?:ing)?|receptive[ \t]+field)[ \t_-]*size[ \t]*(?:of|is|=|:)?|\b[kf][ \t]*=)[ \t]*"
                         r"[(\[]?[ \t]*(\d{1,2})(?:[ \t]*[,x×*][ \t]*(\d{1,2}))?(?!\d)", re.I)
# a part that only tells a shape the layer before produces: "Output: 6 feature maps of 28×28", "emitting images of 14x14"
_SHAPE_ONLY = re.compile(r"^[ \t]*(?:[-*•][ \t]*)?(?:output(?:[ \t]+shape)?[ \t]*[:=]|output[ \t]+is|emitting|resulting|giving|"
                         r"producing|yielding|which[ \t]+(?:gives|yields|produces|results)|this[ \t]+(?:gives|yields|produces|results))"
                         r"[^\n]{0,80}?(?:\d{1,4}[ \t]?[x×*][ \t]?\d{1,4}|feature[ \t]+maps?[ \t]+of|volume)", re.I)
# the size of a dense layer told after its name: "FC1, output neuron 64", "FC, output neuron is 10", "84 units"
_DENSE_SIZE_PART = re.compile(r"^[ \t]*(?:[-*•][ \t]*)?(?:(?:with|has|having)[ \t]+)?(?:(?:the[ \t]+)?output[ \t]+)?(?:neurons?|units?|nodes?)[ \t]*"
                              r"(?:is|are|=|:)?[ \t]*(\d{1,7})[ \t]*$|^[ \t]*(?:[-*•][ \t]*)?(?:(?:with|has|having)[ \t]+)?(\d{1,7})[ \t]+"
                              r"(?:output[ \t]+)?(?:neurons?|units?|nodes?)\b[^\n]{0,40}$", re.I)
_COUNT_ITEM = (r"(?:[1-9]|one|two|three|four|five|six|seven|eight|nine|ten)[ \t]+(?:convolution(?:al)?|conv\w{0,4}|"
               r"(?:max[ -]?|average[ -]?|avg[ -]?)?pool(?:ing)?|fc|fully[ -]connected|dense|linear)(?:[ \t]+layers?)?")
# a sentence that only counts the layers ("It has two convolution layers and one fully connected layer", "1 CONV, 2 FC")
_COUNT_SENTENCE = re.compile(rf"(?i)[^.\n]{{0,120}}?\b{_COUNT_ITEM}(?:[ \t]*(?:,|and|&|\+)[ \t]*(?:and[ \t]+)?{_COUNT_ITEM}){{1,4}}[^.\n]{{0,120}}")
# a rule for every layer of a type: "All convolutions are 3x3 with stride 1", "In max-pooling layers, filter size is (2*2)"
_GLOBAL = re.compile(r"(?im)^[ \t]*(?:[-*•][ \t]*)?(?:[^:\n]{0,30}:[ \t]*)?(?:all|in|for|every|each)[ \t]+(?:the[ \t]+|of[ \t]+the[ \t]+)?"
                     r"(?P<type>conv\w{0,10}|(?:max|avg|average)?[ -]?pool\w{0,6})(?:[ \t]+layers?)?\b(?P<rest>[^\n.]{0,120})")
_GLOBAL_FILTERS = re.compile(r"\bnum_?filters[ \t]*[=:][ \t]*(\d{1,5})\b", re.I)
_ARROW_LINE = re.compile(r"(?m)^[^\n]{0,400}$")
_CHAIN_ARROW = re.compile(r"-+>|→|⟶|=+>")
# a block defined by name on a line of its own ("- Conv1: 6 filters, 5x5 size", "FC1, 120 neurons"), then chained by name
_DEFINED = re.compile(r"(?m)^[ \t]*(?:[-*•][ \t]*)?([A-Za-z]{1,10}[ \t]?\d{1,2})[ \t]*[:,=][ \t]*([^\n]{2,160})$")


def _with_definitions(chain: str, text: str) -> str:
    """The chain line with each item the text defines by name ("[Conv1] -> [Pool1]") spelled out as its definition."""
    defined = {m.group(1).lower().replace(" ", ""): m.group(2) for m in _DEFINED.finditer(text[:MAX_CALL_CHARS * 10])}
    if len(defined) < 2:
        return chain
    items = _CHAIN_ARROW.split(chain)
    keys = [item.strip().strip("[](){}*").lower().replace(" ", "") for item in items]
    if sum(key in defined for key in keys) < 2:
        return chain
    return " -> ".join(f"{item.strip().strip('[](){}*')}, {defined[key]}" if key in defined else item
                       for item, key in zip(items, keys))
_BY = re.compile(r"(?i)\b(\d{1,2}|one|two|three|four|five|six|seven)[ \t]?-?(?:by|x)-?[ \t]?(\d{1,2}|one|two|three|four|five|six|seven)\b(?=[ \t-]+(?:max|avg|average|pool|conv|kernel|filter|window|patch))")
_PAREN_COMMA = re.compile(r"\([^()\n,]{0,20}\d[^()\n]{0,30}\)")
_IN_OUT = re.compile(r"(?i)(?<=conv)(\w{0,8}[ \t]?)\([ \t]*\d{1,5}[ \t]*(?:-+>|→)[ \t]*(\d{1,5})")  # "Conv(1→32, 3×3)": in → out channels


# one layer told in one long sentence: "the first layer is a 2D convolution layer of 10 filters of size 3x3 with stride 2"
_ONE_LAYER = re.compile(r"(?i)^[ \t]*(?:[-*•][ \t]*)?(?:the[ \t]+)?(?:first|second|third|fourth|fifth|next|last|final|\d(?:st|nd|rd|th))"
                        r"[ \t]+(?:\w+[ \t]+){0,2}?layer[ \t]+is\b")
_SAME = re.compile(r"(?i)\bsame[ \t]+(?:parameters|hyper-?parameters|settings|configuration)\b(?:[ \t]+as[ \t]+the[ \t]+(first))?|"
                   r"\bsame[ \t]+as[ \t]+the[ \t]+(?:previous|last|one[ \t]+before)\b")
# a square kernel whose "x" was lost (text taken from a PDF): "a 2 2 max pooling layer", "filters of the size 3 3 with"
_SPACED_KERNEL = re.compile(r"(?i)(?<![\d.])(\d{1,2})[ \t]+\1(?![\d.])(?=[ \t]*[,)]|[ \t]+\d{1,4}[ \t]*\)|[ \t]+(?:max|avg|average|pool\w*|conv\w*|kernel|"
                            r"filters?|window|with|stride)\b)")


# a layer's name in a part, and the phrase that starts it ("a Fully connected layer", "another pooling layer")
_LAYER_NOUN = re.compile(r"(?i)\b(?:conv\w*|\w{0,7}pool\w*|dense|fc\d{0,2}|fully[ -]?connected|linear|flatten\w*|softmax|output)\b")
_NOUN_PHRASE = re.compile(r"(?i)\b(?:an?|another|one|the|\d{1,2})[ \t]+(?:[\w-]{1,20}[ \t]+){0,3}?(?=(?:conv\w*|\w{0,7}pool\w*|dense|"
                          r"fc\d{0,2}|fully[ -]?connected|linear|flatten\w*|softmax)\b)")


def _layer_phrase(part: str) -> str:
    """A part as a block reads it: runs of blanks (left where LaTeX was) one space; a long sentence that
    names one layer ("We reduced dimensions of an image so now we can apply a fully connected layer with
    120 nodes"): the phrase from that layer's article on, when it says "layer"."""
    part = re.sub(r"[ \t]{2,}", " ", part)
    nouns = list(_LAYER_NOUN.finditer(part))
    if len(part) > 80 and len(nouns) == 1:
        phrase = None
        for found in _NOUN_PHRASE.finditer(part):
            phrase = found if found.start() <= nouns[0].start() else phrase
        if phrase is not None and len(part) - phrase.start() <= 80 and re.search(r"(?i)\blayers?\b", part[phrase.start():]):
            return part[phrase.start():]
    return part


def _cnn_labels(text: str) -> list[str]:
    """The labelled blocks of a CNN told as a chain of parts, in order."""
    heading = re.match(r"[^:\n]{0,60}:\s", text)
    body = text.split(":", 1)[1] if heading and not _BLOCK_WORD.search(heading.group()) else text
    body = _CNN_NUMBER.sub(lambda m: _CNN_NUMBER_WORDS[m.group().lower()], body[:MAX_CALL_CHARS * 5])
    body = _PAREN_COMMA.sub(lambda m: m.group().replace(",", " "), body)  # "conv(3x3, 64)": one part
    body = _BY.sub(lambda m: f"{_CNN_NUMBER_WORDS.get(m.group(1).lower(), m.group(1))}x"
                             f"{_CNN_NUMBER_WORDS.get(m.group(2).lower(), m.group(2))}", body)  # "a two-by-two pool"
    body = _IN_OUT.sub(lambda m: f"{m.group(1)}({m.group(2)} filters", body)
    body = _VGG.sub(lambda m: f"conv {m.group(1)}x{m.group(1)} {m.group(2)} filters", body)
    body = _SPACED_KERNEL.sub(r"\1x\1", body)
    body = _GLUED.sub(" ", body)  # "Conv3x3", "MaxPool2x2": the kernel glued to the block's name
    body = _HYPHENS.sub(lambda m: m.group().replace("-", ", ").replace("[", "").replace("]", ""), body)  # "conv-conv-pool", "conv-conv-conv-[conv]-pool": one block per name
    body = _GROUP_REPEAT.sub(lambda m: ", ".join([m.group(1)] * int(m.group(2))), body)
    body = _CONV_LIST.sub(_conv_list, body)
    body = _EACH_FOLLOWED.sub(_each_followed, body)
    body = _REPEATED_BLOCKS.sub(_expand_blocks, body)
    body = _LAYER_NUMBER.sub(" ", body)
    body = _LAYERS_WITH_POOL.sub(lambda m: f"{m.group(1)} convolutional blocks {m.group(2)}", body)
    labels: list[str] = []
    groups: list[tuple[int, int, bool]] = []
    for part in map(_layer_phrase, _PART_SPLIT.split(body[:MAX_CALL_CHARS * 5])):
        if _SHAPE_ONLY.match(part) or _CALC_FIELD.match(part) or \
                (labels and labels[-1].startswith(("Conv", "MaxPool", "AvgPool")) and _INPUT_FIELD.match(part)):
            continue  # "Output: 6 feature maps of 28×28", "Output Size = ...", "Number of parameters: 560": no block
        grouped = _N_BLOCKS.search(part) if len(part) <= 80 else None
        if grouped:  # "Three convolutional blocks each with:" (a heading), "2 conv blocks with 3x3 filters"
            heading = bool(re.search(r"(?:each|with|of|:)[ \t]*:?[ \t]*$", part, re.I))
            groups.append((len(labels), int(grouped.group("n") or grouped.group("m")), heading))
            if heading:
                continue
            block = _block(part)
            if block:
                labels.append(block[0])
            continue
        kernel = _KERNEL.search(part.lower())
        last = re.fullmatch(r"Conv(?: (\d+x\d+))?(?:, (\d+))?", labels[-1]) if labels else None
        if last and not _BLOCK_WORD.search(part) and len(part) <= 80:
            # "CONV1, there are 4 filters, with filter size 7", "6 kernels (5×5)": the conv's missing kernel, filters
            field = _SIZE_FIELD.search(part)
            k = f"{kernel.group(1)}x{kernel.group(2)}" if kernel else \
                (f"{field.group(1)}x{field.group(2) or field.group(1)}" if field else None)
            filters = _FILTERS_WORD.search(_KERNEL.sub(" ", _SIZE_FIELD.sub(" ", part)))
            k = None if last.group(1) else k
            n = None if last.group(2) or filters is None else (filters.group(1) or filters.group(2))
            if k or n:
                k, n = k or last.group(1), n or last.group(2)
                labels[-1] = "Conv" + (f" {k}" if k else "") + (f", {n}" if n else "")
                continue
        if labels and labels[-1] in ("Conv", "MaxPool", "AvgPool") and kernel and not kernel.group(3) and \
                re.search(r"\b(?:kernel|filter|window)", part, re.I) and not _BLOCK_WORD.search(part) and \
                not re.search(r"\w[ \t]*=[ \t]*[(\[]", part):  # (not a call's "kernel=(2, 2)")
            # "conv layer, 3x3 kernel", "Pooling layer with stride of 2 ... assume a kernel of 2x2": the layer's kernel
            labels[-1] = f"{labels[-1]} {kernel.group(1)}x{kernel.group(2)}"
            continue
        dense = _DENSE_SIZE_PART.match(part) if labels and labels[-1] == "Dense" else None
        if dense:  # "FC1, output neuron 64"
            labels[-1] = f"Dense {dense.group(1) or dense.group(2)}"
            continue
        dense = _DOWN_TO_UNITS.search(part) if labels and labels[-1] == "Dense" and not _BLOCK_WORD.search(part) else None
        if dense:  # "Layer C5 is fully connected, taking the values down to 120 units"
            labels[-1] = f"Dense {dense.group(1)}"
            continue
        block = _block(part) if part and (len(part) <= 80 or (len(part) <= 130 and _ONE_LAYER.match(part)) or
                                         (len(part) <= 160 and _FLATTENED.search(part))) else None
        same = _SAME.search(part) if block and re.fullmatch(r"Conv|MaxPool|AvgPool", block[0]) else None
        if same:  # "another convolutional layer with the same parameters as the first": that layer's label
            kin = [label for label in labels if label.split()[0].rstrip(",") == block[0]]
            block = ((kin[0] if same.group(1) else kin[-1]) if kin else block[0], block[1])
        if block and labels and labels[-1] in ("MaxPool", "AvgPool") and block[0].startswith(labels[-1] + " ") \
                and block[1] == 1:
            labels[-1] = block[0]  # "Pool1, 2x2 pooling with stride 2": the pool's kernel
            continue
        if block and block[0] == "Output" and labels and re.fullmatch(r"Dense \d+", labels[-1]) and \
                re.fullmatch(r"\W*(?:with[ \t]+)?(?:a[ \t]+)?softmax(?:[ \t]+activation)?\W*", part, re.I):
            continue  # "FC2: 10 neurons, softmax": the dense layer's activation, no block of its own
        if block:
            label = block[0]
            field = _SIZE_FIELD.search(part) if label in ("Conv", "MaxPool", "AvgPool") or \
                re.fullmatch(r"Conv, \d+", label) else None
            if field:  # "conv layer with kernel size 5 and 32 filters"
                head, _, tail = label.partition(",")
                label = f"{head} {field.group(1)}x{field.group(2) or field.group(1)}" + (f",{tail}" if tail else "")
            labels.extend([label] * block[1])
    return _grouped(labels, groups) if groups else labels


def _is_cnn(labels: list[str]) -> bool:
    return len(labels) >= 2 and any(label.startswith(("Conv", "MaxPool", "AvgPool")) for label in labels)


def _global_rules(text: str) -> tuple[str, dict[str, str], str | None]:
    """(the text without its every-layer rules, kernel by block type, filters every conv has) from
    "All convolutions are 3x3", "In max-pooling layers, filter size is (2*2)", "num_filters = 64"."""
    kernels: dict[str, str] = {}

    def rule(m: re.Match) -> str:
        kernel = _KERNEL.search(m.group("rest")) or _SIZE_FIELD.search(m.group("rest"))
        if kernel is None:
            return m.group()
        kind = "Conv" if m.group("type").lower().startswith("conv") else "Pool"
        kernels.setdefault(kind, f"{kernel.group(1)}x{kernel.group(2) or kernel.group(1)}")
        return " "
    stripped = _GLOBAL.sub(rule, text[:MAX_CALL_CHARS * 5])
    filters = _GLOBAL_FILTERS.search(text)
    return stripped, kernels, filters.group(1) if filters else None


def _apply_rules(labels: list[str], kernels: dict[str, str], filters: str | None) -> list[str]:
    out = []
    for label in labels:
        conv = re.fullmatch(r"Conv(?: (\d+x\d+))?(?:, (\d+))?", label)
        if conv:
            k, n = conv.group(1) or kernels.get("Conv"), conv.group(2) or filters
            label = "Conv" + (f" {k}" if k else "") + (f", {n}" if n else "")
        elif label in ("MaxPool", "AvgPool") and "Pool" in kernels:
            label = f"{label} {kernels['Pool']}"
        out.append(label)
    return out


# a list whose every item starts with the layer's name and then explains it (CS231n style):
# "• CONV layer will compute ... if we decided to use 12 filters.", "• FC layer will compute the class scores ... [1x1x10]"
_LEAD_ITEM = re.compile(r"(?im)^[ \t]*(?:[-*•]|\d{1,2}[.)])[ \t]*(?P<name>input|conv\w{0,10}|relu|(?:max|avg|average)?[ -]?pool\w{0,6}|"
                        r"fc|fully[ -]connected|dense|flatten\w{0,2}|softmax|output)\b(?P<rest>[^\n]{0,600})")
_VOLUME = re.compile(r"\[[ \t]*\d{1,4}[ \t]*[x×][ \t]*\d{1,4}[ \t]*[x×][ \t]*(\d{1,5})[ \t]*\]")


def _lead_labels(text: str) -> list[str]:
    """The blocks of a list whose items each start with a layer's name, one block an item: filters from
    "N filters" or the volume the item makes ("[32x32x12]"), units from "N units" or a "[1x1x10]" volume."""
    items = list(_LEAD_ITEM.finditer(text[:MAX_CALL_CHARS * 10]))
    if len(items) < 3 or sorted(len(m.group("rest")) for m in items)[len(items) // 2] < 50:
        return []  # (short items, "1. Convolution using 64 filters + Max pooling", are read part by part)
    labels = []
    for m in items:
        name, rest = m.group("name").lower(), m.group("rest")
        volume = _VOLUME.search(rest)
        if name.startswith("conv"):
            n = _FILTERS_WORD.search(_KERNEL.sub(" ", rest))
            n = (n.group(1) or n.group(2)) if n else (volume.group(1) if volume else None)
            kernel = _KERNEL.search(_VOLUME.sub(" ", rest))
            labels.append("Conv" + (f" {kernel.group(1)}x{kernel.group(2)}" if kernel else "") + (f", {n}" if n else ""))
        elif "pool" in name:
            labels.append("AvgPool" if name.startswith("av") else "MaxPool")
        elif name.startswith(("fc", "fully", "dense", "softmax", "output")):
            units = re.search(r"\b(\d{1,7})[ \t]+(?:units?|neurons?|nodes?|outputs?|classes)\b", rest)
            n = units.group(1) if units else (volume.group(1) if volume else None)
            labels.append(("Dense" if name.startswith(("fc", "fully", "dense")) else "Output") + (f" {n}" if n else ""))
        elif name.startswith("flatten"):
            labels.append("Flatten")
        elif name == "input":
            shape = re.search(r"\[[ \t]*(\d{1,4}[ \t]*[x×][ \t]*\d{1,4}(?:[ \t]*[x×][ \t]*\d{1,4})?)[ \t]*\]", rest)
            dims = re.sub(r"[ \t]", "", shape.group(1)).replace("×", "x") if shape else ""
            labels.append("Input" + (f" {dims}" if dims else ""))
    return labels


def read_cnn_words(text: str) -> Plan | None:
    """A CNN told as a chain of parts ("input 28x28 -> conv 3x3, 32 -> max pool -> dense 10") as
    a chain of labelled blocks in order; None unless at least two parts are blocks, one of them a
    convolution or a pooling.

    A line that writes the whole chain with arrows ("Data -> Conv -> ReLU -> MaxPool -> ... -> Dense")
    is read alone when it holds at least three blocks; sentences that only count layers ("It has two
    convolution layers and one fully connected layer", "2 CONV, 1 FC") are left out when the rest
    reads as a CNN; every-layer rules ("All convolutions are 3x3") fill the kernels blocks leave out."""
    text, kernels, filters = _global_rules(delatex(text))
    chains = [line for line in text.split("\n")[:200] if len(_CHAIN_ARROW.findall(_IN_OUT.sub("", line))) >= 3]
    labels: list[str] = []
    if chains:
        labels = _cnn_labels(_with_definitions(max(chains, key=len), text))
        labels = labels if _is_cnn(labels) and len(labels) >= 3 else []
    if not labels:
        labels = _lead_labels(text)
        labels = labels if _is_cnn(labels) else []
    if not labels:
        rest = _COUNT_SENTENCE.sub(" ", text[:MAX_CALL_CHARS * 5])
        labels = _cnn_labels(rest) if rest != text[:MAX_CALL_CHARS * 5] else []
        labels = labels if _is_cnn(labels) else _cnn_labels(text)
    if not _is_cnn(labels):
        return None
    labels = _apply_rules(labels, kernels, filters)
    return Plan.chain(labels) if len(labels) <= MAX_PLAN_NODES else None
