"""Read a network written as layer-constructor calls in any language or library: a call (or a
declaration) whose name names a layer kind, whatever the syntax around it.

    >>> read_calls("local net = nn.Sequential()\\nnet:add(nn.Linear(20, 10))\\nnet:add(nn.Tanh())\\n"
    ...            "net:add(nn.Linear(10, 1))").line()
    '# layers 20-10-1'
    >>> read_calls("let l1 = Dense<Float>(inputSize: 4, outputSize: 8)\\n"
    ...            "let l2 = Dense<Float>(inputSize: 8, outputSize: 3)").line()
    '# layers 4-8-3'
    >>> read_calls("var net = new Architect.Perceptron(2, 3, 1);").line()
    '# layers 2-3-1'
    >>> read_calls("conv1 = mx.symbol.Convolution(data=data, kernel=(5, 5), num_filter=20)\\n"
    ...            "pool1 = mx.symbol.Pooling(data=conv1, pool_type='max', kernel=(2, 2))\\n"
    ...            "fc1 = mx.symbol.FullyConnected(data=pool1, num_hidden=10)").line()
    '# layers Conv 5x5, 20 > MaxPool 2x2 > Dense 10'

What counts as a call: a name (qualified any way: `nn.`, `torch::nn::`, `sym/`, `L.`, `tflearn.`)
followed by `(`, a generic `<Float>(`, a C++ template `<512, ...>`, a Lisp form `(sym/dense ...)`
or a config key `conv2d: {...}`. The name's last part, lower case without `_`/`-` and without
`layer`/`options`/`spatial`/`with` around it, says the kind: dense (dense, linear, fc, fully
connected, inner product, affine), conv, pool, flatten, input, a layer of n nodes (`Layer(30)`,
`.WithLayer(3)`), or a whole network from its sizes (`Perceptron(4, 10, 3)`, `buildNetwork(2, 3,
1)`, `NeuralNetwork({hiddenLayers: [3]})`, `neuralnet(y ~ a + b, hidden = c(5, 3))`). Arguments:
positional numbers and expressions of names the text binds (`hidden = 10`, `let n: Int = 10`,
`n <- c(5, 3)`), keyword arguments in any spelling (`units=`, `out_features=`, `num_hidden=`,
`:num-hidden`, `outputSize:`, `'units' =>`), `a => b` pairs, builder chains `.nIn(784).nOut(100)`.
Dense sizes chain by in/out pairs (which must link); a chain written output first (dlib's nested
templates, the input innermost) is read backwards. The plan is built as `diagram.reader_code`
builds it (its `Layer` and labels).

Linear in the text's length: names are found by one character-class scan, each call's arguments
read up to its closing bracket (at most MAX_CALL_CHARS, no backtracking pattern), text over
MAX_CODE_CHARS reads as nothing. Pure functions, no state.
"""

from __future__ import annotations

import bisect
import re
from types import MappingProxyType

from diagram.plan import MAX_LAYER_SIZE, MAX_LAYERS, MAX_PLAN_NODES, Plan
from diagram.reader_code import UNSTATED, Layer, flatten_in_forward, layer_label, assignments, conv_roles
from diagram.reader_text import MAX_CODE_CHARS

MAX_CALL_CHARS = 600
MAX_CALLS = 120  # calls looked at (named layer calls or not)

_TOKEN = re.compile(r"(?<![\w$:/@-])[A-Za-z_$@][\w$.:/@-]{0,80}")  # (after a '.': a builder's next method)
_GENERIC = re.compile(r"<[ \t]*[A-Za-z_][\w.]{0,20}[ \t]*>")
_SEGMENTS = re.compile(r"::|[.:/@]")
_CONV = re.compile(r"(?:separable|depthwise)?conv(?:olution|olutional)?(?:[123]d)?(?:mm)?")
_POOL = re.compile(r"(?P<kind>max|avg|average|mean|globalmax|globalavg|globalaverage|adaptivemax|adaptiveavg)?"
                   r"pool(?:ing)?(?:[123]d)?|subsampling")
_DENSE = frozenset({"dense", "linear", "fullyconnected", "fullconnected", "fc", "fcnobias", "innerproduct", "affine",
          "simpledense", "hiddenlayer", "lineartransformation"})
# an activation's name: a layer of its own when it carries a size (deepx nn.Relu(200), nn.Softmax(10)), or the
# tail of a dense layer's name (DenseRelu 784 42, DenseSigmoid 288 64)
_ACTIVATION = re.compile(r"relu|leakyrelu|elu|selu|gelu|sigmoid|tanh|softmax|softplus|swish")
_INPUT = frozenset({"input", "inputdata", "placeholder", "imageinput", "featureinput", "sequenceinput"})
_NETWORK = re.compile(r"\w{0,20}perceptron|\w{0,20}network|buildnetwork|makenetwork|fanncreatestandard|"
                      r"createnetwork|newnetwork|neuralnet|mlp|nnet|newff|fitnet|feedforwardnet|patternnet|"
                      r"mlp(?:classifier|regressor)|dnn(?:classifier|regressor)")
_NONE = frozenset({"none", "null", "nil", "nothing", "undefined", "na"})
_BOOLEANS = frozenset({"true", "false"})


def _kind(name: str, lua: bool = False) -> str:
    """The kind of layer a call's name names ('' for none): dense, conv, pool, flatten, input,
    nodes (a layer of n nodes), network (a whole net from its sizes)."""
    parts = [p for p in _SEGMENTS.split(name) if p]
    if not parts:
        return ""
    last = parts[-1]
    if last.lower() in ("builder", "new", "create") and len(parts) > 1:
        last = parts[-2]
    n = re.sub(r"[_\-$]", "", last.lower())
    n = re.sub(r"(?<=\w)(?:options|spec)$", "", n)
    if _NETWORK.fullmatch(n):
        return "network"
    for prefix in ("layer", "with", "spatial", "volumetric", "temporal", "new", "add", "nn"):
        if n.startswith(prefix) and len(n) > len(prefix):
            n = n[len(prefix):]
    layer = n.endswith("layer") and len(n) > 5
    if layer:
        n = n[:-5]
    if n in _DENSE or layer and n in ("output", "hidden"):  # DL4J OutputLayer, HiddenLayer
        return "dense"
    if any(n.startswith(d) and _ACTIVATION.fullmatch(n[len(d):]) for d in ("dense", "linear", "fullyconnected", "fc")):
        return "dense"  # DenseRelu 784 42, LinearSigmoid(...): a dense layer named with its activation
    if _ACTIVATION.fullmatch(n):
        return "activation"
    if _CONV.fullmatch(n):
        return "conv"
    if _POOL.fullmatch(n):
        return "pool"
    if n == "flatten" or lua and n in ("view", "reshape") and len(parts) > 1 and parts[-2] == "nn":
        return "flatten"
    if n in _INPUT:
        return "input"
    if n == "layer" or layer and n == "basic":  # Layer(30), .WithLayer(3), Encog BasicLayer
        return "nodes"
    if _NETWORK.fullmatch(n):
        return "network"
    return ""


# ---- arguments ---------------------------------------------------------------------------------

_CLOSE = MappingProxyType({"(": ")", "[": "]", "{": "}", "<": ">"})


def _split(text: str, start: int, closer: str, sep: str = ",", angle: bool = False) -> tuple[list[str], int]:
    """(the top-level parts of the bracket that opens just before `start`, the index after its
    closer): strings skipped, brackets nested, at most MAX_CALL_CHARS read. sep ' ' splits on blanks."""
    depth, part, parts, quote, i = 0, [], [], "", start
    end = min(len(text), start + MAX_CALL_CHARS)
    opens, closes = ("([{<", ")]}>") if angle else ("([{", ")]}")
    while i < end:
        ch = text[i]
        i += 1
        if quote:
            part.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
            part.append(ch)
            continue
        if angle and ch == ">" and i >= 2 and text[i - 2] in "=-":
            part.append(ch)  # "=>", "->" in a template argument
            continue
        if ch in opens:
            depth += 1
        elif ch in closes:
            if depth == 0:
                if ch == closer or not angle:
                    parts.append("".join(part))
                    return [p.strip() for p in parts if p.strip()], i
            else:
                depth -= 1
        if depth == 0 and (ch == sep or sep == " " and ch in " \t\n"):
            parts.append("".join(part))
            part = []
        else:
            part.append(ch)
    parts.append("".join(part))
    return [p.strip() for p in parts if p.strip()], i


def _norm_key(key: str) -> str:
    return re.sub(r"[_\-'\":$]", "", key.lower())


_KEYWORD = re.compile(r"(?:['\"]([A-Za-z_][\w\-]{0,40})['\"][ \t]*(?:=>|:)|:?([A-Za-z_][\w\-]{0,40})[ \t]*"
                      r"(?:=(?![=>])|:(?![:=])))[ \t]*")


def _parts_args(parts: list[str]) -> tuple[list[str], dict[str, str]]:
    """Positional and keyword arguments of a call's top-level parts; an object literal or map
    given alone (`{units: 10}`, `{:num-hidden 128}`) gives its keys as keywords."""
    positional: list[str] = []
    keywords: dict[str, str] = {}
    for raw in parts:
        if raw.startswith("{") and raw.endswith("}"):
            inner = raw[1:-1]
            if re.match(r"[ \t\n]*:", inner):  # Clojure map {:data data :num-hidden 128}
                tokens, _ = _split(inner + "}", 0, "}", sep=" ")
                for key, value in zip(tokens[::2], tokens[1::2]):
                    keywords.setdefault(_norm_key(key), value)
                continue
            for item in _split(inner + "}", 0, "}")[0]:
                m = _KEYWORD.match(item)
                if m:
                    keywords.setdefault(_norm_key(m.group(1) or m.group(2)), item[m.end():].strip())
            continue
        m = _KEYWORD.match(raw)
        if m:
            keywords.setdefault(_norm_key(m.group(1) or m.group(2)), raw[m.end():].strip())
        else:
            positional.append(raw)
    return positional, keywords


def _raw_keywords(parts: list[str]) -> dict[str, str]:
    """The keyword arguments of a call as written (names not normalised): 'features=32' -> {'features': '32'}."""
    found = {}
    for raw in parts:
        m = re.match(r"([A-Za-z_]\w{0,40})[ \t]*(?:=(?![=>])|:(?![:=]))[ \t]*", raw)
        if m:
            found[m.group(1)] = raw[m.end():]
    return found


def _lisp_args(tokens: list[str]) -> tuple[list[str], dict[str, str]]:
    """Arguments of a Lisp form: `:key value` pairs and maps as keywords, the rest positional."""
    positional: list[str] = []
    keywords: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.startswith(":") and i + 1 < len(tokens):
            keywords.setdefault(_norm_key(token), tokens[i + 1])
            i += 2
            continue
        if token.startswith("{"):
            _, keys = _parts_args([token])
            for k, v in keys.items():
                keywords.setdefault(k, v)
        else:
            positional.append(token)
        i += 1
    return positional, keywords


_CHAIN = re.compile(r"[ \t]*\n?[ \t]*\.[ \t]*([A-Za-z_]\w{0,30})[ \t]*\(")


def _builder_keys(text: str, end: int, lua: bool) -> dict[str, str]:
    """Keywords a builder chain after a call gives (`.nIn(784).nOut(100)`), up to a method that is
    itself a layer (`.WithLayer(3)`) or `.build()`."""
    keys: dict[str, str] = {}
    for _ in range(12):
        m = _CHAIN.match(text, end)
        if not m or _kind(m.group(1), lua) or m.group(1).lower() in ("build", "layer", "add", "list"):
            break
        parts, end = _split(text, m.end(), ")")
        if parts:
            keys.setdefault(_norm_key(m.group(1)), parts[0])
    return keys


# ---- values ------------------------------------------------------------------------------------

_EXPR_TOKEN = re.compile(r"[ \t]*(\d{1,7}(?:\.\d+)?|[A-Za-z_$@][\w.$@]{0,60}|//|\*\*|[-+*/^()%])")
_WRAPPERS = re.compile(r"^(?:(?:Math\.|math\.)?(?:floor|round|ceil|trunc)|parseInt|int|Int|Integer|toInt|fromIntegral|"
                       r"div|as\.integer|integer)$")
Env = dict  # name -> int or tuple of ints


def _name(token: str) -> str:
    return re.sub(r"^(?:self|this|cls|opt|args|config|cfg|params|hp)\.|^[@$]", "", token)


def _expr(text: str, env: Env) -> int | None:
    """An integer expression of numbers and bound names (`keyLength / 2`, `16*5*5`, `28^2`,
    `parseInt(n / 2)`), or None."""
    tokens, pos = [], 0
    while pos < len(text) and len(tokens) < 40:
        m = _EXPR_TOKEN.match(text, pos)
        if not m:
            return None
        tokens.append(m.group(1))
        pos = m.end()
    if pos < len(text.rstrip()) or not tokens:
        return None
    at = [0]

    def atom() -> float | None:
        if at[0] >= len(tokens):
            return None
        t = tokens[at[0]]
        at[0] += 1
        if t == "(":
            value = add()
            if at[0] < len(tokens) and tokens[at[0]] == ")":
                at[0] += 1
            return value
        if t[0].isdigit():
            return float(t)
        if _WRAPPERS.match(t) and at[0] < len(tokens) and tokens[at[0]] == "(":
            return atom()
        bound = env.get(_name(t))
        return float(bound) if isinstance(bound, int) else None

    def power() -> float | None:
        base = atom()
        while at[0] < len(tokens) and tokens[at[0]] in ("**", "^"):
            at[0] += 1
            exp = atom()
            if base is None or exp is None or exp > 8:
                return None
            base = base ** exp
        return base

    def mul() -> float | None:
        value = power()
        while at[0] < len(tokens) and tokens[at[0]] in ("*", "/", "//", "%"):
            op = tokens[at[0]]
            at[0] += 1
            right = power()
            if value is None or right is None or (op != "*" and right == 0):
                return None
            value = value * right if op == "*" else value // right if op in ("/", "//") else value % right
            if value > MAX_LAYER_SIZE:
                return None
        return value

    def add() -> float | None:
        value = mul()
        while at[0] < len(tokens) and tokens[at[0]] in ("+", "-"):
            op = tokens[at[0]]
            at[0] += 1
            right = mul()
            if value is None or right is None:
                return None
            value = value + right if op == "+" else value - right
        return value

    value = add()
    if value is None or at[0] != len(tokens) or value != int(value) or not 1 <= value <= MAX_LAYER_SIZE:
        return None
    return int(value)


_PAIR = re.compile(r"=>|→|->")
_SEQ = re.compile(r"^(?:c|vec!?|Vec|list|List|tuple|seq|Seq|vector|Vector|Array|array|intArrayOf|listOf|arrayOf|"
                  r"new[ \t]+int[ \t]*\[\][ \t]*|(?:new[ \t]+)?Shape)?[ \t]*"
                  r"([(\[{])")


def _value(text: str | None, env: Env) -> object:
    """int, a tuple of ints (a shape or kernel), ('pair', a, b) for `a => b`, 'none' for a None
    literal, 'ref' for a name the text does not bind, None for anything else."""
    if text is None:
        return None
    text = text.strip().rstrip(",;")
    if not text or len(text) > 200:
        return None
    if text.lower() in _NONE:
        return "none"
    if text.lower() in _BOOLEANS:
        return None
    pair = _PAIR.search(text)
    if pair and not text.startswith(("(", "[")):
        a, b = _value(text[: pair.start()], env), _value(text[pair.end():], env)
        return ("pair", a if isinstance(a, int) else None, b if isinstance(b, int) else None)
    kernel = re.fullmatch(r"(\d{1,4})[ \t]*[x×][ \t]*(\d{1,4})", text)
    if kernel:
        return (int(kernel.group(1)), int(kernel.group(2)))
    seq = _SEQ.match(text)
    if seq and text.endswith(_CLOSE[seq.group(1)]) and (seq.group(0).strip() != "(" or "," in text):
        items, _ = _split(text, seq.end(), _CLOSE[seq.group(1)])
        if len(items) == 1 and ";" in items[0]:  # F#, OCaml, MATLAB: [264; 15; 10]
            items, _ = _split(text, seq.end(), _CLOSE[seq.group(1)], sep=";")
        values = [_value(item, env) for item in items]
        flat: list[int] = []
        for v in values:
            if v == "none" and not flat:
                continue  # (None, 784): the batch dimension
            if isinstance(v, int):
                flat.append(v)
            elif v == -1 or not isinstance(v, tuple):
                return None
        return tuple(flat) if flat else None
    number = _expr(text, env)
    if number is not None:
        return number
    if re.fullmatch(r"[A-Za-z_$@][\w.$@]{0,60}", text):
        bound = env.get(_name(text))
        return bound if bound is not None else "ref"
    return None


def _bindings(text: str) -> Env:
    """Names the text binds to one number or one list of numbers, in any of the usual spellings
    (`n = 10`, `let n: Int = 10`, `n <- 10`, `(def n 10)`, `#define N 10`, `n = [2, 3, 1]`,
    `n <- c(5, 3)`, `num_classes: int = 10`); a name bound twice to different values is left out."""
    seen: dict[str, set] = {}
    for name, value in assignments(text).items():
        seen.setdefault(name, set()).add(value)
    scalar = re.compile(r"(?<![\w.])(?:self\.|\$|@)?([A-Za-z_]\w{0,40})(?:[ \t]*:[ \t]*[A-Za-z_][\w.<>\[\]]{0,20})?"
                        r"[ \t]*(?:<-|:=|=(?![=>]))[ \t]*(\d{1,7})[ \t]*(?=[;,)\n]|$|#|//)")
    for m in scalar.finditer(text):
        seen.setdefault(m.group(1), set()).add(int(m.group(2)))
    for m in re.finditer(r"\((?:def|define|setq|setf)[ \t]+([A-Za-z_][\w\-*]{0,40})[ \t]+(\d{1,7})[ \t]*\)|"
                         r"#define[ \t]+([A-Za-z_]\w{0,40})[ \t]+(\(?\d{1,7}(?:[ \t]*[*+][ \t]*\d{1,7}){0,3}\)?)[ \t]*(?=$|\n|//|/\*)",
                         text):
        name, value = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        number = _expr(value, {})  # "#define N_INPUTS 28 * 28"
        if number is None:
            continue
        seen.setdefault(name.replace("-", "_"), set()).add(number)
        seen.setdefault(name, set()).add(number)
    lists = re.compile(r"(?<![\w.])(?:self\.|\$|@)?([A-Za-z_]\w{0,40})(?:[ \t]*:[ \t]*[A-Za-z_][\w.<>\[\]]{0,20})?"
                       r"[ \t]*(?:<-|:=|=(?![=>]))[ \t]*(?:c|list|List|tuple|seq|Seq|vector|Vector|Vec|vec!|Array|array|"
                       r"arrayOf|listOf|intArrayOf)?[ \t]*[(\[{][ \t]*"
                       r"(\d{1,7}(?:[ \t]*[,;][ \t]*\d{1,7}){0,19})[ \t]*[,;]?[ \t]*[)\]}]")  # (; in F#, OCaml, MATLAB)
    for m in lists.finditer(text):
        seen.setdefault(m.group(1), set()).add(tuple(int(n) for n in re.findall(r"\d+", m.group(2))))
    return {name: next(iter(values)) for name, values in seen.items() if len(values) == 1}


# ---- calls -------------------------------------------------------------------------------------

_OUT_KEYS = ("units", "outfeatures", "outputsize", "outputdim", "outdim", "numhidden", "nout", "numoutput",
             "numoutputs", "outputs", "numunits", "numneurons", "neurons", "nunits", "outchannels",
             "outputchannels", "filters", "numfilter", "numfilters", "nbfilter", "nfilter", "nfilters", "features",
             "channels", "nhidden", "outsize", "noutputplane", "nodes", "numnodes", "output", "out", "size",
             "hiddensize", "hiddenunits", "width", "dim", "count")
_IN_KEYS = ("infeatures", "inputsize", "inputdim", "indim", "nin", "inchannels", "inputchannels", "insize",
            "numinput", "numinputs", "inunits", "ninputplane", "inputs", "input", "in", "fanin")
_KERNEL_KEYS = ("kernelsize", "kernel", "ksize", "sx", "filtersize", "kernelshape", "poolsize", "windowshape", "window",
                "windowsize", "poolshape", "filtershape")
_SHAPE_KEYS = ("inputshape", "shape", "batchinputshape", "batchshape", "inputdim", "size", "dims")


def _first(keywords: dict[str, str], keys: tuple[str, ...], env: Env) -> object:
    for key in keys:
        if key in keywords:
            value = _value(keywords[key], env)
            if value is not None and value != "ref":
                return value
    return None


def _is_shape(value: object) -> bool:
    return isinstance(value, tuple) and value[:1] != ("pair",)


def _is_pair(value: object) -> bool:
    return isinstance(value, tuple) and value[:1] == ("pair",)


def _kernel_text(value: object) -> str:
    if isinstance(value, int):
        return f"{value}x{value}"
    if isinstance(value, tuple) and value and value[0] != "pair" and all(isinstance(v, int) for v in value):
        return "x".join(map(str, value[:2] if len(value) >= 2 else value * 2))
    return ""


def _slots(positional: list[str], env: Env) -> list[object]:
    """The values of the positional arguments, leading names the text does not bind left out when
    more arguments follow (the incoming tensor: `DenseLayer(l_in, 500)`, `fully_connected(net, 64)`);
    strings and anything unreadable left out."""
    pairs = [(_value(p, env), p.strip()) for p in positional]
    while len(pairs) > 1 and pairs[0][0] == "ref" and not _SIZEY.search(pairs[0][1]):
        pairs = pairs[1:]
    while pairs and pairs[-1][0] == "ref" and not _SIZEY.search(pairs[-1][1]):
        pairs = pairs[:-1]  # Dense(24, 48, tanh): an activation last
    return [v for v, _ in pairs if v is not None]


# a name that holds a size rather than a tensor or a function: STATE_SIZE, n_hidden, numClasses
_SIZEY = re.compile(r"^[A-Z][A-Z0-9_]{0,40}$|(?i:size|dim|num|units|features|hidden|classes|count|width|neurons)|^n_|^n[A-Z]")


def _call_layer(kind: str, name: str, positional: list[str], keywords: dict[str, str], env: Env,
                previous: int | None = None) -> Layer | None:
    """The layer one call builds, or None when it says nothing about sizes a plan could use."""
    slots = _slots(positional, env)
    ints = [v for v in slots if isinstance(v, int) or v in ("none", "ref")]
    out_key, in_key = _first(keywords, _OUT_KEYS, env), _first(keywords, _IN_KEYS, env)
    low = name.lower()
    if kind == "pool":
        kernel = _kernel_text(_first(keywords, _KERNEL_KEYS, env))
        if not kernel:
            first = next((v for v in slots if isinstance(v, int) or _is_shape(v)), None)
            kernel = _kernel_text(first)
        pooling = " ".join(keywords.get(k, "") for k in ("pooltype", "pool", "mode", "pooling", "type")).lower()
        avg = re.search(r"av(?:g|erage)|mean", low) or re.search(r"av(?:g|e\b|erage)|mean", pooling)
        glob = re.search(r"global|adaptive", low) or re.search(r"true", keywords.get("globalpool", "").lower())
        return Layer("pool", kernel="" if glob else kernel, pool="Avg" if avg else "Max")
    if kind in ("flatten", "input"):
        shape = _first(keywords, _SHAPE_KEYS, env)
        if shape is None and kind == "input":
            shape = next((v for v in slots if isinstance(v, int) or _is_shape(v)), None)
        dims = (shape,) if isinstance(shape, int) else shape if _is_shape(shape) else ()
        size = 1
        for d in dims:
            size *= d
        return Layer(kind, input_size=size if dims and size <= MAX_LAYER_SIZE else None,
                     shape=tuple(dims) if len(dims) > 1 else ())
    pair = next((v for v in slots if _is_pair(v)), None)
    if kind == "conv":
        kernel = _kernel_text(_first(keywords, _KERNEL_KEYS, env))
        tup = next((i for i, v in enumerate(slots) if _is_shape(v)), None)
        size = out_key if isinstance(out_key, int) else None
        shape4 = _first(keywords, ("filtershape",), env)
        if size is None and _is_shape(shape4) and len(shape4) == 4:  # type: ignore[arg-type]
            size = shape4[3]  # type: ignore[index]  # Swift: filterShape: (5, 5, 1, 6)
        if pair is not None:
            size = size or pair[2]
            kernel = kernel or _kernel_text(slots[tup]) if tup is not None else kernel
        elif tup is not None and len(slots[tup]) == 3 and not size and not any(isinstance(v, int) for v in slots[:tup]):
            size, kernel = conv_roles(list(slots[tup]))  # type: ignore[arg-type]  # Conv([2, 2, 64]): kh, kw, filters
        elif tup is not None:  # Conv2D(32, (3, 3)): the filters before the kernel
            before = [v for v in slots[:tup] if isinstance(v, int)]
            size = size or (before[-1] if before else None)
            kernel = kernel or _kernel_text(slots[tup])
        else:
            scalars = [v if isinstance(v, int) else None for v in ints]
            if kernel or size:
                rest = [v for v in scalars]
                size = size or (rest[1] if len(rest) >= 2 else rest[0] if rest else None)
                if not kernel and size and len(rest) >= 1 and rest[0] is not None and \
                        (rest[0] != size or isinstance(out_key, int)):  # Conv(3, count: 3): the kernel beside the count
                    kernel = _kernel_text(rest[0]) if len(rest) == 1 else ""
            else:  # (in, out, kernel), (filters, kernel), (kh, kw, filters), (in, out, kh, kw): `conv_roles`
                size, kernel = conv_roles(scalars, previous)  # (previous: the filters of the conv before)
        return Layer("conv", size if isinstance(size, int) else None, kernel)
    # dense and nodes
    size = out_key if isinstance(out_key, int) else None
    input_size = in_key if isinstance(in_key, int) else None
    shape = _first(keywords, ("inputshape", "batchinputshape"), env)
    if input_size is None and _is_shape(shape) and shape:
        product = 1
        for d in shape:
            product *= d
        input_size = product if product <= MAX_LAYER_SIZE else None
    if pair is not None:
        size, input_size = size or pair[2], input_size or pair[1]
    elif size is None:
        scalars = [v if isinstance(v, int) else None for v in ints]
        if len(scalars) >= 2 and kind == "dense" and (input_size is None or scalars[0] == input_size):
            input_size, size = scalars[0], scalars[1]
        elif scalars:
            size = scalars[0] if kind == "dense" else next((v for v in scalars if v is not None), None)
    if size is None and input_size is None and kind == "nodes":  # (Encog's BasicLayer(null, true, 2): the count)
        return None
    if kind == "nodes" and input_size is not None:
        kind = "dense"
    return Layer(kind, size, input_size=input_size)


_NET_IN = ("infeatures", "inputs", "numinputs", "inputsize", "ninputs", "nin", "inputdim", "ninput", "numinput",
           "inputfeatures", "indim")
_NET_OUT = ("outfeatures", "outputs", "numoutputs", "outputsize", "noutputs", "nout", "outputdim", "noutput",
            "numoutput", "numclasses", "nclasses", "outputfeatures", "outdim")
_HIDDEN_KEYS = ("hiddenlayers", "hidden", "hiddenlayersizes", "nhidden", "hiddensizes", "hiddenunits", "hiddenlayer",
                "hiddensize", "numhidden", "hiddendims", "hiddendim")


def _network_sizes(positional: list[str], keywords: dict[str, str], env: Env, text: str,
                   hidden_only: bool = False, counted: bool = False) -> list[int | None]:
    """The layer sizes a network constructor states: all its positional numbers (`Perceptron(4, 10,
    3)`, `Network([2, 3, 1])`, `newff(ranges, [5, 1])`: hidden and output), or hidden sizes by
    keyword with the input and output from the example data or an R formula."""
    hidden = _first(keywords, _HIDDEN_KEYS + ("size",), env)
    sizes_key = _first(keywords, ("layers", "sizes", "layersizes", "topology", "architecture", "shape"), env)
    if isinstance(sizes_key, tuple) and len(sizes_key) >= 2 and sizes_key[:1] != ("pair",):
        return list(sizes_key)
    if hidden is not None:
        mids = [hidden] if isinstance(hidden, int) else list(hidden) if isinstance(hidden, tuple) and \
            hidden[:1] != ("pair",) else []
        if not mids:
            return []
        n_in, n_out = _data_io(positional, text, env)
        given_in, given_out = _first(keywords, _NET_IN, env), _first(keywords, _NET_OUT, env)
        n_in = given_in if isinstance(given_in, int) else n_in
        n_out = given_out if isinstance(given_out, int) else n_out
        return [n_in, *mids, n_out]
    values = [_value(p, env) for p in positional]
    if hidden_only and values and (isinstance(values[0], int) or _is_shape(values[0])):  # fitnet([10 5])
        first = values[0]
        return [None, *((first,) if isinstance(first, int) else first), None]
    if len(values) >= 2 and _is_shape(values[1]) and _ranges(positional[0]):  # neurolab newff([[0, 1], [0, 1]], [5, 1]): one range per input
        return [_ranges(positional[0]), *values[1]]
    flat: list[int] = []
    for raw, v in zip(positional, values):
        if isinstance(v, int):
            flat.append(v)
        elif _is_shape(v):
            flat.extend(v)  # type: ignore[arg-type]
        elif flat and raw is positional[-1] and re.fullmatch(r"\[[ \t]*(?:(['\"])[^'\"\n]{0,40}\1[ \t]*,?[ \t]*){2,40}\]", raw):
            flat.append(len(re.findall(r"(['\"])[^'\"\n]{0,40}\1", raw)))  # ['a', 'b', 'c']: the class labels
        elif v is not None:
            return []
    if counted and len(flat) >= 3 and flat[0] == len(flat) - 1:
        flat = flat[1:]  # fann_create_standard(3, 2, 3, 1): the number of layers first
    return flat if len(flat) >= 2 else []


def _ranges(text: str) -> int:
    """The number of [min, max] pairs in a list of ranges ('[[-1, 1], [-1, 1]]': 2), or 0."""
    inner = text.strip()
    if not (inner.startswith("[[") and inner.endswith("]]")):
        return 0
    pairs = re.findall(r"\[[ \t]*-?\d+(?:\.\d+)?[ \t]*,[ \t]*-?\d+(?:\.\d+)?[ \t]*\]", inner[:400])
    return len(pairs)


_FORMULA = re.compile(r"(?<![\w.])([A-Za-z_.][\w.]{0,40}(?:[ \t]*\+[ \t]*[A-Za-z_.][\w.]{0,40}){0,30})[ \t]*~[ \t]*"
                      r"(\.|[A-Za-z_.][\w.]{0,40}(?:[ \t]*\+[ \t]*[A-Za-z_.][\w.]{0,40}){0,60})")
_EXAMPLE = re.compile(r"\b(input|output)['\"]?[ \t]*:[ \t]*\[([^\[\]\n]{0,200})\]")


_ARRAY_DATA = re.compile(r"(?m)^[ \t]*(X|x|xs|X_train|x_train|train_x|inputs?|features|y|Y|ys|y_train|train_y|labels?|"
                         r"targets?)[ \t]*=[ \t]*(?:np\.array|torch\.tensor|tf\.constant|array)?\(?[ \t]*\[[ \t\n]*"
                         r"(?:(\[)[ \t]*([^\[\]\n]{1,200})\]|(-?[\d.]{1,12}(?:[ \t]*,[ \t]*-?[\d.]{1,12}){0,200})[ \t]*\])")


def _data_io(positional: list[str], text: str, env: Env) -> tuple[int | None, int | None]:
    """(inputs, outputs) a network's data gives: an R formula among its arguments (`y ~ a + b`: 2,
    1; `y ~ .`: unknown, 1) or the first example of its training data (`{input: [0, 1], output: [1]}`)."""
    for p in positional:
        m = _FORMULA.fullmatch(p.strip())
        if m:
            rhs = None if m.group(2) == "." else len(m.group(2).split("+"))
            return rhs, len(m.group(1).split("+"))
    found: dict[str, int] = {}
    for m in _ARRAY_DATA.finditer(text):  # X = [[0., 0.], [1., 1.]]; y = np.array([0, 1])
        role = "input" if m.group(1).lower().startswith(("x", "input", "feature", "train_x")) else "output"
        row = m.group(3) if m.group(2) else m.group(4)
        found.setdefault(role, len([x for x in row.split(",") if x.strip()]) if m.group(2) else 1)
    for m in _EXAMPLE.finditer(text):
        found.setdefault(m.group(1), len([x for x in m.group(2).split(",") if x.strip()]))
        if len(found) == 2:
            break
    return found.get("input"), found.get("output")


_WORDS_ARGS = re.compile(r"(?:[ \t]+\d{1,7}){1,8}(?![\w.])")
_DECLARED = re.compile(r"\b(?:type|class_name|layer_type)['\"]?[ \t]*[:=][ \t]*['\"]?([A-Za-z_]\w{0,40})['\"]?")
_DECLARED_KEY = re.compile(r"['\"]?([A-Za-z_]\w{0,40})['\"]?[ \t]*[:=][ \t]*(\[[\d, \t]{1,40}\]|\([\d, \t]{1,40}\)|['\"]?[\w.\-]{1,40}['\"]?)")


def _declared(text: str, env: Env) -> list[Layer]:
    """Layers declared as blocks with a type rather than called: Caffe prototxt (`layer { type:
    "InnerProduct" inner_product_param { num_output: 7 } }`), Keras model JSON (`{"class_name":
    "Dense", "config": {"units": 64}}`), typed object literals; each block's keys are its arguments."""
    layers: list[Layer] = []
    for looked, m in enumerate(_DECLARED.finditer(text)):
        if looked >= MAX_CALLS // 2:
            break
        kind = _kind(m.group(1))
        if not kind or kind in ("network", "nodes"):
            continue
        depth, start = 0, -1
        for i in range(m.start() - 1, max(-1, m.start() - 2000), -1):
            ch = text[i]
            if ch == "}":
                depth += 1
            elif ch == "{":
                if depth == 0:
                    start = i
                    break
                depth -= 1
        if start < 0:
            continue
        parts, _ = _split(text, start + 1, "}")
        body = " ".join(parts)[:MAX_CALL_CHARS * 2]
        keywords: dict[str, str] = {}
        for key, value in _DECLARED_KEY.findall(body):
            keywords.setdefault(_norm_key(key), value.strip("'\""))
        layer = _call_layer(kind, m.group(1), [], keywords, env)
        if layer is not None:
            layers.append(layer)
        if len(layers) > MAX_PLAN_NODES:
            break
    return layers


_FORWARD_DEF = re.compile(r"\bdef[ \t]+(?:forward|call|__call__)[ \t]*\(|\bTensor[ \t]+forward[ \t]*\(|\bforward[ \t]*=[ \t]*function[ \t]*\(|"
                          r"\bfunc[ \t]+callAsFunction[ \t]*\(")
_BUILT_NAME = re.compile(r"([A-Za-z_]\w{0,40})[ \t]*(?:=|<-)(?!=)[^=\n]*$")


def _body_end(text: str, at: int) -> int:
    """Where the function whose header ends near `at` ends: its closing brace when a brace opens it,
    else the next line indented no deeper than the header's (at most MAX_CALL_CHARS * 10 on)."""
    limit = min(len(text), at + MAX_CALL_CHARS * 10)
    line_start = text.rfind("\n", 0, at) + 1
    header_end = text.find("\n", at)
    header_end = limit if header_end < 0 else header_end
    brace = text.find("{", at, min(limit, header_end + 2))
    if brace >= 0:
        depth = 0
        for i in range(brace, limit):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    return i
        return limit
    indent = len(_INDENT.match(text, line_start).group())  # type: ignore[union-attr]
    for line in re.finditer(r"(?m)^([ \t]*)\S", text[header_end + 1: limit]):
        if len(line.group(1)) <= indent:
            return header_end + 1 + line.start()
    return limit


def _forward_run(text: str, at: int, built: list[tuple[int, Layer]], functional: list[tuple[int, Layer]]
                 ) -> list[Layer] | None:
    """The layers in the order a forward()/call() after `at` runs them: every built layer by the
    name it is assigned to (`self.conv1 = ...`, `conv1 = register_module("conv1", ...)`, `self$fc1 <-`),
    statement by statement, the innermost call first, and the functional layers called there; None
    unless every built layer has a name of its own and forward() runs each of them."""
    names: dict[str, Layer] = {}
    inputs = [layer for _, layer in built if layer.kind == "input"]
    for start, layer in built:
        if layer.kind == "input":
            continue
        line = text[text.rfind("\n", 0, start) + 1: start]
        m = _BUILT_NAME.search(line)
        if not m or m.group(1) in names:
            return None
        names[m.group(1)] = layer
    if not names:  # no layer built by name: nothing for forward() to run (an empty alternation matches everywhere)
        return None
    body_end = _body_end(text, at)
    pattern = re.compile(r"(?<![\w])(?:self\.|self\$|this->|this\.)?(" + "|".join(map(re.escape, names)) + r")\b(?![ \t]*(?:=(?!=)|<-))")
    order: list[Layer] = []
    run: set[str] = set()
    pos = at
    for statement in re.split(r"(?<=[;\n])", text[at: body_end]):
        items = [(m.start(), m.group(1), names[m.group(1)]) for m in pattern.finditer(statement)]
        items += [(start - pos, "", layer) for start, layer in functional if pos <= start < pos + len(statement)]
        ranked = []
        for offset, name, layer in items:
            depth = statement.count("(", 0, offset) - statement.count(")", 0, offset)
            ranked.append((-depth, offset, layer))
            run.add(name)
        order.extend(layer for _, _, layer in sorted(ranked, key=lambda item: (item[0], item[1])))
        pos += len(statement)
        if len(order) > MAX_PLAN_NODES:
            break
    return inputs + order if names and set(names) <= run else None


_DEF = re.compile(r"(?m)^([ \t]*)(?:async[ \t]+)?(class|def)[ \t]+([A-Za-z_]\w{0,40})[ \t]*(?:\(([^()\n]{0,200})\))?")
MAX_INLINED = 12  # calls of a block the text defines, expanded into its layers


def _definitions(text: str) -> dict[str, tuple[int, int, list[str]]]:
    """Python classes and functions the text defines: name -> (start, end of the body, parameters
    other than self/x); the body ends at the next line indented no deeper than the definition."""
    found: dict[str, tuple[int, int, list[str]]] = {}
    for m in _DEF.finditer(text):
        if len(found) >= 20:
            break
        indent = len(m.group(1).expandtabs())
        body = text.find("\n", m.end()) + 1 or len(text)
        end = len(text)
        for line in re.finditer(r"(?m)^([ \t]*)\S", text[body:]):
            if len(line.group(1).expandtabs()) <= indent:
                end = body + line.start()
                break
        params = [] if m.group(2) == "class" else [p.split("=")[0].split(":")[0].strip() for p in (m.group(4) or "").split(",")]
        if m.group(2) == "class":
            init = re.search(r"def[ \t]+__init__[ \t]*\(([^()\n]{0,200})\)", text[m.end(): end])
            params = [p.split("=")[0].split(":")[0].strip() for p in init.group(1).split(",")] if init else []
        params = [p for p in params if p and p not in ("self", "cls") and not p.startswith("*")]
        if not m.group(3).startswith("__") and m.group(3) not in ("forward", "call", "build", "construct"):
            found.setdefault(m.group(3), (m.start(), end, params))  # (methods run by the framework are no blocks)
    return found


def calls(text: str, outer: Env | None = None, depth: int = 0) -> tuple[list[Layer], list[int | None], bool]:
    """(the layers the text's named calls build in order, the sizes of the first network
    constructor that states at least two, whether a block the text defines was expanded). A block the text defines (`def conv_block(x, filters):`,
    `class ConvBlock(nn.Module)`) and then calls is read where it is called, its parameters bound to
    the call's arguments (`ConvBlock(features=32)`), `outer` binding names for such a body."""
    text = re.sub(r"(?m)(?:^|(?<=[ \t]))(?:#(?!define)|//|--(?![\w-]))[^\n]*", "", text)  # comments (#, //, Lua --)
    lua = bool(re.search(r"\brequire[ \t(]*['\"]nn|\bnn\.Sequential\(\)[ \t]*\n|:add\(", text))
    haskell = "'[" in text or "::" in text and "=>" not in text
    lispy = bool(re.search(r"\((?:def\w{0,8}|ns|let|as->|->>?|require|import|setq|define|lambda)[ \t\n\[]", text))
    env = {**_bindings(text), **(outer or {})}
    defined = _definitions(text) if depth < 2 else {}
    called: list[tuple[int, int]] = []  # spans of the definitions that are called: read where called
    inlined = 0
    layers: list[tuple[int, int, Layer, bool]] = []  # (start, end of arguments, layer, says a size)
    network: list[int | None] = []
    newlines = [i for i, ch in enumerate(text) if ch == "\n"]
    bare: set[int] = set()  # lines naming a layer kind with no call: "input 28x28 -> conv(16) -> pool -> fc"
    seen = 0
    for m in _TOKEN.finditer(text):
        token = m.group().rstrip(".:/-@")
        kind = _kind(token, lua) or ("conv" if re.fullmatch(r"(?:dlib::)?con", token) and
                                     re.match(r"<[ \t]*\d", text[m.end(): m.end() + 4]) else "")
        if not kind and not network and text.startswith("(", m.end()) and \
                re.search(r"(?i)\bn?_?hidden", text[m.end(): m.end() + 300]):
            kind = "network"  # rwnn(y ~ ., data, n_hidden = c(20, 15)): any call stating its hidden sizes
        block = defined.get(token)
        if block and not kind and text.startswith("(", m.end()) and not block[0] <= m.start() < block[1] \
                and inlined < MAX_INLINED and not re.search(r"\b(?:def|class)[ \t]+$", text[max(0, m.start() - 8): m.start()]):
            inlined += 1
            parts, end = _split(text, m.end() + 1, ")")
            positional, keywords = _parts_args(parts)
            params = block[2][1:] if block[2] and block[2][0] in ("x", "inputs", "input", "h", "net", "tensor") \
                and len(positional) == len(block[2]) else block[2]
            bound = {**{k: v for k, v in env.items()}}
            for name, value in [*zip(params, positional), *((k, v) for k, v in _raw_keywords(parts).items())]:
                number = _value(value, env)
                if isinstance(number, int) or _is_shape(number):
                    bound[name] = number
            inner = calls(text[block[0]: block[1]], bound, depth + 1)[0]
            if (block[0], block[1]) not in called:
                called.append((block[0], block[1]))
            layers.extend((m.start(), m.start(), layer, True) for layer in inner[: MAX_PLAN_NODES])
            continue
        if not kind or re.match(r"(?:self|this)\.", token):
            continue  # self.pool(x): a layer built elsewhere, run
        seen += 1
        if seen > MAX_CALLS or len(layers) > MAX_PLAN_NODES:
            break
        at = m.start() + len(token)
        generic = _GENERIC.match(text, at)
        if generic and kind != "input":
            at = generic.end()
        rest = text[at: at + 3]
        lisp = lispy and rest[:1] in (" ", "\t", "\n") and \
            re.search(r"\([ \t]*$", text[max(0, m.start() - 4): m.start()]) is not None
        stripped = rest.lstrip(" \t")
        skip = len(rest) - len(stripped)
        if lisp and stripped[:1] not in "(<":
            tokens, end = _split(text, at, ")", sep=" ")
            positional, keywords = _lisp_args(tokens)
        elif stripped[:1] == "(":
            parts, end = _split(text, at + skip + 1, ")")
            positional, keywords = _parts_args(parts)
        elif stripped[:1] == "<" and skip == 0 and re.match(r"<[ \t]*\d", text[at: at + 4]):
            parts, end = _split(text, at + 1, ">", angle=True)  # dlib: fc<512, relu<...>>, con<6,5,5,1,1, ...>
            numbers = []
            for part in parts:
                if not re.fullmatch(r"\d{1,7}", part):
                    break
                numbers.append(part)
            positional, keywords = numbers, {}
            if kind == "conv" and len(numbers) >= 3:  # dlib con<filters, rows, cols, ...>
                positional, keywords = [], {"filters": numbers[0], "kernelsize": f"({numbers[1]}, {numbers[2]})"}
        elif stripped[:1] == "<" and kind == "input":
            positional, keywords, end = [], {}, at  # dlib: input<matrix<float>>
        elif m.group().endswith(":") and stripped[:1] == "{" or stripped[:1] == ":" and text[at + skip + 1: at + skip + 4].lstrip()[:1] == "{":
            brace = text.index("{", at)
            parts, end = _split(text, brace + 1, "}")
            positional, keywords = _parts_args(["{" + ", ".join(parts) + "}"])
        elif haskell and kind == "flatten" and token[:1].isupper() and re.match(r"[ \t]*(?:,|\n|\])", text[at:]):
            positional, keywords, end = [], {}, at  # a type-level layer list: '[Conv2D 1 16 3 3 1 1, Relu, Flatten, ...]
        elif haskell and kind in ("conv", "pool", "dense", "activation") and token[:1].isupper() and _WORDS_ARGS.match(text, at):
            numbers = _WORDS_ARGS.match(text, at)  # grenade: FullyConnected 288 80, Convolution 1 10 5 5 1 1
            positional, keywords, end = numbers.group().split(), {}, numbers.end()  # type: ignore[union-attr]
        else:
            if kind in ("conv", "pool", "dense", "flatten") and not re.search(r"[.:/]", token) and \
                    stripped[:1] not in ("=", ":", ",", ")", "]", "}") and not stripped.startswith("<-") and _in_prose(text, m.start()):
                bare.add(bisect.bisect(newlines, m.start()))
            continue
        keywords = {**_builder_keys(text, end, lua), **keywords}
        if kind == "network":
            if not _kind(token, lua) and not any(key in keywords for key in _HIDDEN_KEYS):
                continue
            if not network:
                hidden_only = bool(re.search(r"(?i)(?:fit|feedforward|pattern|cascadeforward)net$", token))
                counted = bool(re.search(r"(?i)create_?standard", token))  # FANN: the number of layers first
                network = _network_sizes(positional, keywords, env, text, hidden_only, counted)
            continue
        if kind == "activation":  # nn.Relu(200): a layer of 200 units; nn.ReLU(), nn.Softmax(1) (a dim): none
            sizes = _slots(positional, env)
            if keywords or len(sizes) != 1 or not isinstance(sizes[0], int) or sizes[0] < 2:
                continue
            kind = "dense"
        previous = next((entry[2].size for entry in reversed(layers) if entry[2].kind == "conv"), None)
        layer = _call_layer(kind, token, positional, keywords, env, previous)
        if layer is None:
            continue
        says = layer.size is not None or layer.input_size is not None or bool(layer.kernel) or layer.kind == "flatten"
        layers.append((m.start(), end, layer, says))
    layers = [entry for entry in layers if not any(a <= entry[0] < b for a, b in called) or entry[0] == entry[1]]
    if bare & {bisect.bisect(newlines, start) for start, _, _, _ in layers}:
        return [], [], False  # calls and bare layer names in one line: a chain told in words, not code
    entries = []
    for i, (start, end, layer, says) in enumerate(layers):
        inner = [other for other in layers[i + 1:] if other[0] < end]
        if inner and not says:
            continue  # torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 10, 5)): the inner call says it
        entries.append((start, layer))
    forward = _FORWARD_DEF.search(text)
    ran = False
    if forward and any(start < forward.start() for start, _ in entries):
        # layers built first, run in forward(): in the order forward() runs them, functional calls there
        # (F.max_pool2d(x, 2), torch::max_pool2d(conv1->forward(x), 2)) in their place; else as built
        built = [entry for entry in entries if entry[0] < forward.start()]
        order = _forward_run(text, forward.end(), built, [entry for entry in entries if entry[0] >= forward.start()])
        ran = order is not None and len(order) > len(built)
        entries = [(0, layer) for layer in order] if order is not None else built
    kept = [layer for _, layer in entries]
    if not kept and not network:
        kept = _declared(text, env)
    return kept, network, bool(called) or ran


def _in_prose(text: str, at: int) -> bool:
    """Whether the word at `at` stands in prose: not inside a string, not on an import line."""
    start = text.rfind("\n", 0, at) + 1
    before = text[start:at]
    if re.match(r"[ \t]*(?:import|from|require|using|#include|open|library|use)\b", before):
        return False
    return before.count('"') % 2 == 0 and before.count("'") % 2 == 0


def _dense_sizes(layers: list[Layer]) -> list[int | None] | None:
    """The layer sizes of a dense chain (input first), or None when in/out pairs do not link."""
    body = [layer if layer.kind != "flatten" else Layer("input", input_size=layer.input_size) for layer in layers
            if layer.kind in ("dense", "nodes", "input") or layer.kind == "flatten" and layer.input_size]
    if len(body) >= 2 and body[-1].kind == "input" and body[0].kind != "input":
        body = body[::-1]  # written output first, the input innermost (dlib)
    if not body:
        return None
    sizes: list[int | None] = []
    for i, layer in enumerate(body):
        if layer.kind == "input":
            if sizes:
                return None  # a second input: two networks
            sizes.append(layer.input_size)
            continue
        if not sizes:
            if layer.kind == "nodes":
                sizes.append(layer.size)
                continue
            sizes.append(layer.input_size)
        elif layer.input_size is not None:
            if sizes[-1] is None:
                sizes[-1] = layer.input_size
            elif sizes[-1] != layer.input_size:
                return None  # the pairs do not link
        sizes.append(layer.size)
    return sizes


_ROLE_WORDS = MappingProxyType({"input": "in", "inputs": "in", "in": "in", "ni": "in", "inp": "in",
               "hidden": "hidden", "nh": "hidden", "hid": "hidden",
               "output": "out", "outputs": "out", "out": "out", "no": "out"})
_ROLE_NAME = re.compile(r"(?<![\w.$])(?:self\.|\$)?([A-Za-z_]\w{0,40})[ \t]*(?::[ \t]*[A-Za-z_]\w{0,12}[ \t]*)?(?:<-|:=|=(?![=>]))")
_ROLE_VALUE = re.compile(r"[ \t]*(?:\d{1,7}|(?:c|list|tuple)?[ \t]*[(\[][\d, \t]{1,80}[)\]])[ \t]*(?:[;,)}\n#]|//|$)")
_DEFINE_NAME = re.compile(r"#define[ \t]+([A-Za-z_]\w{0,40})[ \t]+(?=\(?\d)")  # C: "#define N_INPUTS 28 * 28"


def _role_names(text: str) -> list[re.Match]:
    """The bindings of names, in the order written: `name = ...` and C's `#define NAME value`."""
    return sorted([*_ROLE_NAME.finditer(text), *_DEFINE_NAME.finditer(text)], key=lambda m: m.start())


_ROLE_PREFIX = frozenset({"n", "num", "number", "size", "dim", "nb", "count"})
_ROLE_SUFFIX = frozenset({"size", "dim", "nodes", "node", "neurons", "units", "features", "layer", "len", "count", "sizes",
                "dims", "neuron", "unit"})


def _role_sizes(text: str) -> list[int | None]:
    """Layer sizes from names that say a layer's role and are bound to numbers (`N_input = 3`,
    `n_hidden_1 = 8`, `NH = 3`, `num_outputs = 2`, `hidden_sizes = [8, 4]`): input, the hidden
    layers in the order written, output; [] unless an input, a hidden and an output are all bound."""
    env = _bindings(text)
    roles: dict[str, list[tuple[int, int]]] = {"in": [], "hidden": [], "out": []}
    for m in _role_names(text[:MAX_CODE_CHARS]):
        name = m.group(1)
        words = [w for w in re.split(r"_|(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)", name) if w]
        lows = [w.lower() for w in words]
        core = [w for w in lows if not w.isdigit() and w not in _ROLE_PREFIX and w not in _ROLE_SUFFIX]
        if len(core) != 1 or core[0] not in _ROLE_WORDS or name not in env or \
                not (m.re is _DEFINE_NAME or _ROLE_VALUE.match(text, m.end())):
            continue  # (a value in prose, "Hidden = 1 layer, 9 units", is no binding)
        if core[0] in ("in", "out", "no", "ni", "nh", "hid", "inp") and len(lows) == 1 and lows[0] not in ("ni", "nh", "no"):
            continue  # 'in', 'out' alone: no size's name
        value = env[name]
        if any(name == seen for role in roles.values() for _, seen in role):  # type: ignore[comparison-overlap]
            continue
        roles[_ROLE_WORDS[core[0]]].append((m.start(), name))  # type: ignore[arg-type]
    if not all(roles.values()) or len(roles["in"]) > 1 or len(roles["out"]) > 1:
        return []
    hidden: list[int | None] = []
    for _, name in roles["hidden"]:
        value = env[name]
        hidden.extend(value if isinstance(value, tuple) else (value,))
    first, last = env[roles["in"][0][1]], env[roles["out"][0][1]]
    if not isinstance(first, int) or not isinstance(last, int):
        return []
    return [first, *hidden, last]


_NET_NAME_KEYS = frozenset({"layer", "layers", "topology", "architecture", "arch", "structure"})
_NET_NAME_WORDS = _NET_NAME_KEYS | frozenset({"size", "sizes", "dims", "dim", "units", "neurons", "nodes", "net",
                                               "network", "nn", "model", "mlp", "my", "the"})


def _named_sizes(text: str) -> list[int | None]:
    """A whole net's sizes bound to a name that says so (`layer_sizes = [7, 4, 5, 2]`, `val topology =
    List(784, 30, 10)`, `net_structure = {3, 5, 1}`): [] unless exactly one such list
    of two or more sizes is bound (the names' words are only layer/topology/size/... words)."""
    found = set()
    for name, value in _bindings(text).items():
        words = {w.lower() for w in re.split(r"_|(?<=[a-z])(?=[A-Z])", name) if w}
        if words & _NET_NAME_KEYS and words <= _NET_NAME_WORDS and isinstance(value, tuple) and len(value) >= 2 \
                and all(isinstance(v, int) and v > 0 for v in value):
            found.add(value)
    return list(next(iter(found))) if len(found) == 1 else []


_ROLE_COMMENT = re.compile(r"(?m)^(?P<code>[^#\n]{1,200}?)[ \t]*(?:#|//|--)[ \t]*(?P<comment>[^\n]{1,80})$")
_LONE_INT = re.compile(r"(?<![\w.])\d{1,7}(?![\w.])")


def _commented_sizes(text: str) -> list[int | None]:
    """Layer sizes from code lines whose comments name their role (`5, #input layer`, `[[2, sig], [3,
    sig]], #hidden layers`, `[6, sig], #output layer`); [] unless one input line, one output line
    and hidden lines are found, in that order."""
    roles: list[tuple[str, list[int]]] = []
    for m in _ROLE_COMMENT.finditer(text):
        comment = m.group("comment").lower()
        role = "in" if re.search(r"\binput", comment) else "hidden" if re.search(r"\bhidden", comment) else \
            "out" if re.search(r"\boutput", comment) else ""
        numbers = [int(n) for n in _LONE_INT.findall(m.group("code"))]
        if role and numbers:
            roles.append((role, numbers))
        if len(roles) > MAX_LAYERS:
            return []
    kinds = [role for role, _ in roles]
    if kinds[:1] != ["in"] or kinds[-1:] != ["out"] or kinds.count("in") != 1 or kinds.count("out") != 1 or \
            "hidden" not in kinds or len(roles[0][1]) != 1 or len(roles[-1][1]) != 1:
        return []
    return [roles[0][1][0], *(n for role, numbers in roles[1:-1] for n in numbers), roles[-1][1][0]]


_CONV_ROLE = re.compile(r"(?i)^(?:(?P<count>num_?filters?|n_?filters?|filters|num_?kernels?|channels|out_?channels|conv_?filters?)|"
                        r"(?P<kernel>filter_?size|kernel_?size|conv_?size|k_?size|kernel))_?(?:conv)?_?(?P<i>\d)$")
_FC_ROLE = re.compile(r"(?i)^(?:fc|dense|fully_?connected|hidden)_?(?:size|units|neurons|nodes|dim)(?:_?(?P<i>\d))?$")


def _role_blocks(text: str) -> Plan | None:
    """A CNN told by its hyperparameter names (`filter_size1 = 5`, `num_filters1 = 16`,
    `filter_size2 = 5`, `num_filters2 = 36`, `fc_size = 128`): a convolution per index in order, then
    the dense layers; None unless two convolutions have their filter counts."""
    env = _bindings(text)
    convs: dict[int, dict[str, int]] = {}
    dense: list[tuple[int, int]] = []
    for name, value in env.items():
        if not isinstance(value, int):
            continue
        conv = _CONV_ROLE.match(name)
        if conv:
            convs.setdefault(int(conv.group("i")), {})["count" if conv.group("count") else "kernel"] = value
            continue
        fc = _FC_ROLE.match(name)
        if fc:
            dense.append((int(fc.group("i") or 0), value))
    if sum("count" in conv for conv in convs.values()) < 2:
        return None
    labels = [layer_label(Layer("conv", conv.get("count"), f"{conv['kernel']}x{conv['kernel']}" if "kernel" in conv else ""))
              for _, conv in sorted(convs.items())]
    labels += [layer_label(Layer("dense", size)) for _, size in sorted(dense)]
    return Plan.chain(labels) if len(labels) <= MAX_PLAN_NODES else None


def read_calls(text: str) -> Plan | None:
    """The plan of a network written as layer-constructor calls: a chain of labelled blocks when it
    has convolutions or pooling, else a dense net's sizes (input first, a size the text leaves
    unstated drawn as UNSTATED nodes); None when fewer than two layers are read."""
    return _read(text)[0]


_INDENT = re.compile(r"[ \t]*")
_BLANK_RUN = re.compile(r"[^\S\n]+")


def _tidy(text: str) -> str:
    """The text as the patterns here read it: each line's indentation kept (tabs as 4 spaces, at
    most 40), every other run of blanks one space, no blank lines, every number of 7+ digits 9999999
    (as `diagram.reader_text.clean` does, but Python blocks keep their shape)."""
    lines = []
    for line in re.sub(r"\d{7,}", "9999999", text).splitlines():
        indent = _INDENT.match(line).group().replace("\t", "    ")[:40]  # type: ignore[union-attr]
        body = _BLANK_RUN.sub(" ", line).strip()
        if body:
            lines.append(indent + body)
    return "\n".join(lines)


def _read(text: str) -> tuple[Plan | None, bool]:
    """(read_calls' plan, whether it expanded a block the text defines)."""
    text = _tidy(text) if isinstance(text, str) and len(text) <= 4 * MAX_CODE_CHARS else ""
    if not text or len(text) > MAX_CODE_CHARS:
        return None, False
    layers, network, expanded = calls(text)
    return _plan(text, layers, network), expanded


def _plan(text: str, layers: list[Layer], network: list[int | None]) -> Plan | None:
    layers = flatten_in_forward(text, layers)  # x = torch.flatten(x, 1) in forward()
    if any(layer.kind in ("conv", "pool") for layer in layers):
        if len(layers) >= 2 and layers[-1].kind == "input" and layers[0].kind != "input":
            layers = layers[::-1]  # written output first, the input innermost (dlib)
        shape = next((layer.shape for layer in layers if layer.kind == "input" and layer.shape), ())
        blocks = [layer if layer.kind != "nodes" else Layer("dense", layer.size) for layer in layers
                  if layer.kind not in ("input",)]
        labels = ([f"Input {'x'.join(map(str, shape))}"] if shape else []) + [layer_label(layer) for layer in blocks]
        if len(blocks) < 2 or len(labels) > MAX_PLAN_NODES:
            return None
        return Plan.chain(labels)
    if not layers and not network:
        network = _role_sizes(text) or _commented_sizes(text) or _named_sizes(text)  # N_input = 3, ...; "5,  # input layer"
        if not network:
            cnn = _role_blocks(text)  # filter_size1 = 5, num_filters1 = 16, fc_size = 128
            if cnn is not None:
                return cnn
    sizes = _dense_sizes(layers)
    named = sum(layer.kind in ("dense", "nodes") for layer in layers)
    if sizes is None or named < 2 and sum(s is not None for s in sizes) < 2 or len(sizes) < 2:
        sizes = network if len(network) >= 2 else None  # (a constructor's hidden sizes alone: *-10-*)
        if sizes is not None and len(sizes) < 3 and sum(s is not None for s in sizes) < 2:
            return None
    elif sum(s is not None for s in sizes) < 2:
        return None
    if sizes is None or not 2 <= len(sizes) <= MAX_LAYERS or not any(sizes):
        return None
    return Plan.dense(tuple(s or UNSTATED for s in sizes))


_NUMBERS = re.compile(r"\d+(?:x\d+)?")


def _in_order(read: tuple[str, ...], more: tuple[str, ...]) -> bool:
    """Whether every label of `read` is found, in order, among `more`'s, as a label of the same
    block stating every number it states."""
    at = 0
    for a in read:
        while at < len(more) and not (more[at].split()[0] == a.split()[0] and
                                      set(_NUMBERS.findall(a)) <= set(_NUMBERS.findall(more[at]))):
            at += 1
        if at == len(more):
            return False
        at += 1
    return True


def _stated_numbers(plan: Plan) -> int:
    return sum(len(_NUMBERS.findall(label)) for label in plan.labels)


def _says_more(read: Plan, more: Plan, expanded: bool = False) -> bool:
    """Whether `more` is `read` with sizes `read` left out: a chain of the same blocks, each label
    stating every number the other states and at least one label stating more; or a dense net of
    the same depth whose sizes agree except where `read` draws UNSTATED nodes. `expanded` (`more`
    expanded the blocks the text defines where they are called): `read`'s blocks in order among
    more of them."""
    if read.kind == more.kind == "chain" and len(more.ranks) > len(read.ranks):
        # expanded blocks, or layers the code reader has no name for (nn.Relu(200)): `read` in order among them
        return _in_order(read.labels, more.labels) and (expanded or _stated_numbers(more) > _stated_numbers(read))
    if read.kind != more.kind or len(read.ranks) != len(more.ranks):
        return False
    if read.kind == "chain":
        gained = False
        for (a,), (b,) in zip(read.ranks, more.ranks):
            if a.split()[0] != b.split()[0] or not set(_NUMBERS.findall(a)) <= set(_NUMBERS.findall(b)):
                return False
            gained = gained or len(_NUMBERS.findall(b)) > len(_NUMBERS.findall(a))
        return gained
    if read.kind == "dense":
        pairs = list(zip(read.sizes, more.sizes))
        return all(a == b or a == UNSTATED for a, b in pairs) and any(a != b for a, b in pairs)
    return False


def with_calls(read: Plan | None, text: str) -> Plan | None:
    """What the code reader read (`read`), or the plan of the text's layer calls where that read
    nothing or the calls state sizes it left out (the same structure, more sizes)."""
    try:
        found, expanded = _read(text)
    except ValueError:  # a structure no plan may state
        return read
    if found is None:
        return read
    saw_conv = any(label.startswith("Conv") for label in read.labels) if read is not None else False
    if read is None or _says_more(read, found, expanded) or found.kind == "chain" and read.kind != "steps" and not saw_conv and \
            any(label.startswith("Conv") for label in found.labels):
        return found  # (convolutions the code reader did not see: nn.SpatialConvolution, an nn.Sequential attribute)
    return read
