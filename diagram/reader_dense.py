"""Read the layer sizes a dense-net request states (`diagram.reader.read_request` calls it).

    >>> read_dense("MLP with 3 inputs, hidden layers of 5 and 4, and 2 outputs")
    (3, 5, 4, 2)

Size chains (`4-8-8-3`, `8 -> 4 -> 2`, `[5, 9, 5]`, `layer sizes 5, 9, 5`), sizes by role (`3 inputs`,
`input size 4`, `in=6`, `hidden layers of 6 and 7`, `three hidden layers with 6 nodes each`,
`2 hidden layers (5 and 3 nodes)`, `hidden 1 (6)`, `10-class output`, `a single output`), numbers as
words, `nn.Linear(3, 7)` chains, Keras `Dense(...)` lists. `read_dense_or_refused` tells a count of
layers too big to build anything from (REFUSED) apart from nothing read (None). Linear time: the
request is cleaned first (`diagram.reader_text.clean`) and every repeat over free text is bounded.
"""

from __future__ import annotations

import difflib
import re

from diagram.plan import MAX_LAYERS
from diagram.reader_code import UNSTATED, delatex
from diagram.reader_text import clean


_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "twenty": 20, "single": 1,
}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b")
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


_URL = re.compile(r"\b(?:https?://|www\.)[^\s)\]>\"']{1,300}")


# the role words of other languages (Portuguese, Spanish, French, Italian, German, Russian), in English:
# "duas camadas ocultas, cada uma com 128 neurônios", "входной слой с 784 узлами", "versteckte Schicht mit 5 Neuronen"
_FOREIGN = tuple((re.compile(pattern), english) for pattern, english in (
    # a layer told after what it holds: "一个包含 128 个神经元的隐藏层" (a hidden layer containing 128 neurons)
    (r"(?:包含|含有|具有|有)[ \t]*(\d{1,7})[ \t]*个?[ \t]*(神经元|节点|单元)的[ \t]*((?:输入|隐藏|隐含|输出)层)", r" \3 with \1 \2 "),
    (r"\b(?:camadas?|capas?|couches?|strati|strato|schichten|schicht)[ \t]+(?:ocultas?|escondidas?|intermedi[aá]rias?|"
     r"cach[ée]es?|nascost[oi]|intermedi[oe])\b", "hidden layers"),
    (r"\b(?:versteckten?|verdeckten?)[ \t]+(?:schichten|schicht)\b|\bskryt\w{0,4}[ \t]+sloi?\w{0,3}", "hidden layers"),
    (r"\bскрыт\w{0,4}[ \t]+сло\w{0,3}", "hidden layers"),
    (r"\b(?:camada|capa|couche|strato)[ \t]+(?:de[ \t]+|d')?(?:entrada|entr[ée]e|ingresso|input)\b|\beingabeschicht\b|"
     r"\bвходн\w{0,4}[ \t]+сло\w{0,3}", "input layer"),
    (r"\b(?:camada|capa|couche|strato)[ \t]+(?:de[ \t]+|di[ \t]+)?(?:sa[ií]da|salida|sortie|uscita|output)\b|\bausgabeschicht\b|"
     r"\bвыходн\w{0,4}[ \t]+сло\w{0,3}", "output layer"),
    (r"\b(?:neur[ôo]nios|neuronas|neurones|neuroni|neuronen|нейрон\w{0,3})\b", "neurons"),
    (r"\b(?:n[óo]s|nodos|n[œo]euds|nodi|knoten|узл\w{0,3}|узел)\b", "nodes"),
    (r"\b(?:cada[ \t]+uma|cada[ \t]+una|cada[ \t]+um|chacune|ciascuno|jeweils|каждый)[ \t]+(?:com|con|avec|mit|с)\b", "each with"),
    (r"\b(?:com|con|avec|mit|с)\b", "with"),
    (r"\b(?:duas|dois|dos|deux|due|zwei|два|две)\b", "two"),
    (r"\b(?:tr[eê]s|trois|tre|drei|три)\b", "three"),
    (r"\b(?:um|uma|una|une|un|uno|eine?n?|один|одна|одним)\b(?=[ \t]+(?:hidden|input|output))", "one"),
    (r"\b(?:e|y|et|und|и)\b", "and"),
    # Chinese and Japanese: "输入层:784个输入神经元", "隐藏层:共有256个隐藏神经元", "隠れ層の数"
    (r"(?:输入|入力)[层層]", " input layer "), (r"(?:隐藏|隐含|隠れ|中间|中間)[层層]", " hidden layer "),
    (r"(?:输出|出力)[层層]", " output layer "), (r"(?:隐藏|隐含)(?=神经元)", " hidden "),
    (r"输入(?=神经元)", " input "), (r"输出(?=神经元)", " output "), (r"神经元|ニューロン", " neurons "), (r"节点|ノード", " nodes "),
    (r"(?<=\d)[ \t]*个", " "), (r"[：:]", ": "), (r"[，,、]", ", "), (r"。", ". "),
    # "神经网络大小[3072, 200, 80, 62]", "一个包含 128 个神经元的隐藏层": a network's sizes, a layer "containing" N neurons
    (r"神经网络|ニューラルネットワーク", " neural network "), (r"大小|尺寸|サイズ", " sizes "),
    (r"全连接层", " dense layer "), (r"(?<=neurons )的", " "), (r"(?<=layer )[ \t]*(?:有|含有|包含|共有)", " has "), (r"的?(?:灰度|彩色)?图像|画像", " image "),
))
_FOREIGN_HINT = re.compile(r"camada|capa[ \t]|couche|strato|schicht|сло|neur[ôo]ni|neuronas|neurones|neuronen|нейрон|"
                           r"(?:输入|入力|隐藏|隐含|隠れ|输出|出力)[层層]|神经元|神经网络|ニューラルネットワーク")


def in_english(text: str) -> str:
    """Role words of other languages in English (only when the text has one of their layer words)."""
    if not _FOREIGN_HINT.search(text):
        return text
    for pattern, english in _FOREIGN:
        text = pattern.sub(english, text)
    return text


def normalise(text: str) -> str:
    text = _URL.sub(" ", text)  # "(https://.../2016/03/29/...)": a link's numbers are no sizes
    text = in_english(text.lower())
    text = _fix_typos(text).replace("w/", "with ").replace("×", "x")
    text = re.sub(r"\b(?:one|1)[ \t]+(input|output)[ \t]+layer\b", r"an \1 layer", text)  # "one input layer of 10"
    text = re.sub(r"(?<![\w.])(\d{1,7})-\((\d{1,7}(?:-\d{1,7}){0,24})\)-(\d{1,7})\b", r"\1-\2-\3", text)  # 13-(10-10)-1
    text = delatex(text)  # "$784$ inputs", "$(784 \\rightarrow 300)$": math written plainly
    text = _SUBSCRIPT.sub(" x ", text)  # \(x_1\), x_2, $x_3$, x1: inputs named, not sizes
    text = _NAME_DIGITS.sub(r"\1", text)  # "fc1", "layer2" in prose: names, not sizes
    text = re.sub(r"(?m)^\s*(?:[-*•·]|\d+[.)]|step\s+\d+:)\s+", "\n", text)  # list markers
    text = _NUMBER_WORD.sub(lambda m: str(_NUMBER_WORDS[m.group(1)]), text)
    text = re.sub(r"\b(?:a|an)\s+(?=(?:sigmoid\s+|scalar\s+|binary\s+|softmax\s+)?(?:output|input)\b(?!s)(?![ \t]+layer)"
                  r"(?![ \t]+(?:of|with|having|has|sized?|dimension)\b))", "1 ", text)  # ("an output of size 10": its size)
    # "28*28=784 pixels", "784=28x28": the product's value once
    text = re.sub(r"(?<![\w.])\d{1,4}(?:[ \t]*[*x][ \t]*\d{1,4}){1,3}[ \t]*=[ \t]*(\d{1,7})\b", r"\1", text)
    text = re.sub(r"(?<![\w.])(\d{1,7})[ \t]*=[ \t]*\d{1,4}(?:[ \t]*[*x][ \t]*\d{1,4}){1,3}(?![\w.])", r"\1", text)
    text = re.sub(r"(?<!\d )\b(?:binary|scalar|sigmoid)\s+output\b", "1 output", text)
    # "785 columns (one per pixel, plus the bias)", "201 units including the bias": the layer's size without its bias
    text = re.sub(r"\b(?:1|one)[ \t]+(?:per|for[ \t]+each|for[ \t]+every)[ \t]+(?:pixels?|features?|inputs?|class(?:es)?|labels?|digits?)\b", " ", text)
    text = _WITH_BIAS.sub(lambda m: f"{int(m.group(1)) - 1}{m.group(2)}", text)
    return text


_WITH_BIAS = re.compile(r"(?<![\w.])(\d{1,7})((?:[ \t]+(?:columns?|rows?|neurons?|units?|nodes?|inputs?|outputs?))?[ \t]*\(?[^()\n.\d]{0,30}?)"
                        r",?[ \t]*(?:plus|including|incl\.?)[ \t]+(?:the|a|one|1)[ \t]+bias(?:[ \t]+(?:unit|node|neuron|term))?\b")


def _numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


def _linear_chain(text: str) -> list[int] | None:
    """nn.Linear(3, 7), Linear(7, 2) ... -> [3, 7, 2] when the shapes agree."""
    pairs = [(int(a), int(b)) for a, b in re.findall(r"linear\(\s*(\d+)\s*,\s*(\d+)", text)]
    if len(pairs) != len(re.findall(r"linear\(", text)):
        return None  # Linear(D, 500): the code reader's (names it binds), not a chain of the numbers alone
    if not pairs or any(pairs[i][1] != pairs[i + 1][0] for i in range(len(pairs) - 1)):
        return None
    return [pairs[0][0]] + [b for _, b in pairs]


def _size_chain(text: str) -> list[int] | None:
    """A chain that states every layer: 4-8-8-3, 8 -> 4 -> 2, [5, 9, 5], 'layer sizes 5, 9, 5'."""
    for pattern in (r"\b\w{0,20}(?:perceptron|mlp|network|net|create_standard)[ \t]*\([ \t]*(?:[a-z_]\w{0,20}[ \t]*,[ \t]*)?"
                    r"(\d+(?:[ \t]*,[ \t]*\d+){2,24})[ \t]*(?:\)|,[ \t]*[a-z_]\w{0,20}[ \t]*=)",  # perceptron(2, 4, 1), buildNetwork(2, 3, 1, bias=True)
                    r"\[\s*(\d+(?:\s*,\s*\d+){1,24})\s*\]",
                    r"\b(?:mlp|net|network|perceptron|model|nn|dnn|ann)[ \t]+(\d+(?:[ \t]*,[ \t]*\d+){1,24})",
                    r"(?<![\w.])(\d+(?:\s*[-–—/x]\s*\d+){2,24})(?!\w|\.\d)",
                    r"(?<![\w.:])(\d+(?:[ \t]*:[ \t]*\d+){2,24})(?![\w.:])",  # "described as 3:4:2"
                    r"(?<![\w.])(\d+(?:\s*[-–—]\s*\d+){1,24})(?!\s*(?:layer|class|dim))(?!\w|\.\d)",
                    r"(?:layer\s+(?:sizes|widths)|sizes|widths|layers|architecture|dims|dimensions|(?:units|nodes|neurons)\s+per\s+layer)"
                    r"\s*(?:of|are|have|has|go|:|=|—|–|-)?\s*[\[(]?\s*"
                    r"(\d+(?:\s*(?:,|and|-|/)\s*(?:and\s+)?\d+){1,24})"):
        match = re.search(pattern, text)
        if match:
            return _numbers(match.group(1))
    # arrows between items that each hold one number: "4 obs -> 10 -> 10 -> 2 actions" (a line of its own first)
    # ("Encoder: 784 -> 300 -> 2", "Decoder: 2 -> 300 -> 784": a chain that starts where the one before ends continues it)
    joined: list[int] = []
    for row in text.split("\n")[:200]:
        parts = re.split(_ARROW, row)
        counts = [_numbers(p) for p in parts]
        if len(parts) >= 3 and all(counts) and all(len(c) == 1 for c in counts[1:-1]):
            chain = [c[-1] if i == 0 else c[0] for i, c in enumerate(counts)]
            if joined and chain[0] != joined[-1]:
                break
            joined = joined + chain[1:] if joined else chain
        elif joined and row.strip():
            break
    if joined:
        return joined
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
        if re.search(r"(?<![\d.])0\d", text[span[0]: span[1]]):
            return  # "output(01, o2)": a name with a leading zero, no size
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

    # "the number of neurons in the input layer will be 2", "... in the first hidden layer was fixed at 15",
    # "the number of features for the digits is 784", "the number of classes is 10"
    for m in _NUMBER_OF.finditer(text):
        role = m.group("role") or next((r for r, words in _NUMBER_OF_ROLES if m.group("what") in words), None)
        if role:
            add(m, role, [int(m.group("n"))])
    # "2 hidden layer nodes", "n_hidden_1 = 256" (a name for a hidden size, in order)
    for m in re.finditer(r"(\d+)[ \t]+hidden[ \t]+layer[ \t]+(?:nodes?|neurons?|units?)\b|"
                         r"\b[a-z]{0,10}_?hidden_?\d?(?:_?(?:size|dim|units))?[ \t]*=[ \t]*(\d+)\b(?![ \t]*(?:hidden[ \t]+)?layers?\b)", text):
        add(m, "hidden", [int(m.group(1) or m.group(2))])
    # "a softmax layer producing a probability distribution over the 10 digits"
    for m in re.finditer(r"\b(?:over|into|among)[ \t]+(?:the[ \t]+)?(\d+)[ \t]+(?:[a-z]+[ \t]+)?"
                         r"(?:digits|classes|categories|labels)\b", text):
        add(m, "output", [int(m.group(1))])
    # "7 nodes in the output layer", "2 and 7 nodes in each of the 2 hidden layers"
    for m in re.finditer(rf"({_LIST}){_UNIT}[ \t]+in[ \t]+(?:each[ \t]+of[ \t]+)?(?:(?:the|its)[ \t]+)?(?:(\d+)[ \t]+)?"
                         rf"(?:{_ORDINAL}[ \t]+)?(input|hidden|output)[ \t]+layers?(?:[ \t]+\d{{1,2}}\b(?![ \t]*[:=(]))?", text):
        sizes, count = _numbers(m.group(1)), int(m.group(2) or 1)
        if m.group(3) == "hidden" and len(sizes) == 1 and 1 < count <= MAX_LAYERS:
            sizes = sizes * count  # "16 nodes in 2 hidden layers": each of them
        add(m, m.group(3), sizes)
    between = (r"[ \t]*,?[ \t]*(?:each[ \t]+)?(?:x|of size|of sizes|with sizes|of width|with width|width|size|each with|"
               r"each of|with|of|having|sized|contain(?:s|ing)?|consist(?:s|ing)[ \t]+of|comprises|=|:|\(|are|,|-{1,2}(?=[ \t])|–|—)?[ \t]*\[?[ \t]*")
    # "3 hidden layers with 6 nodes each", "2 hidden layers (5 and 3 nodes)", "2 hidden layers of 5, 6"
    for m in re.finditer(rf"(\d+)[ \t]+hidden\s+layers?{between}({_LIST})", text):
        count, (sizes, end) = int(m.group(1)), sizes_in(m, 2)
        if len(sizes) == 1 and count > 1:
            if count > MAX_LAYERS:  # never build a list from a huge count: the request reads as nothing
                add(m, "refused", [], end)
                continue
            sizes = sizes * count
        if sizes:
            add(m, "hidden", sizes, end)
    # "2 hidden layers and 8 neurons in each hidden layer", "3 hidden layers, 4 units in each"
    for m in re.finditer(r"(\d{1,3})[ \t]+hidden[ \t]+layers?[ \t]*(?:,|and|with)[ \t]*(\d{1,7})[ \t]+(?:neurons?|units?|nodes?)[ \t]+"
                         r"(?:in[ \t]+each|each|per|in[ \t]+every)(?:[ \t]+(?:hidden[ \t]+)?layer\b|[ \t]+one\b)?", text):
        count = int(m.group(1))
        add(m, "hidden", [int(m.group(2))] * count) if count <= MAX_LAYERS else add(m, "refused", [])
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
    for m in re.finditer(r"hidden(?:\s+layer)?\s+\d+\s*(?:\(|:|=|with|of|has|-{1,2}|–|—)\s*(\d+)", text):  # "hidden 1 (6)"
        add(m, "hidden", [int(m.group(1))])
    for m in re.finditer(rf"({_LIST}){_UNIT}[ \t]+hidden\b(?!\s+layer)", text):  # "5 hidden", "7 and 5 hidden nodes"
        add(m, "hidden", _numbers(m.group(1)))
    # "hidden layers of 6 and 7", "hidden: 10", "hidden sizes 4 and 4", "a hidden layer of 5"
    for m in re.finditer(rf"hidden(?:[ \t]+(?:layers?|sizes?|widths?|units?|neurons?|nodes?|dims?)){{0,2}}{between}({_LIST})",
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
    for m in re.finditer(r"\b(?:inputs?|state)(?:[ \t]+layer)?(?:[ \t_-]+(?:size|dim(?:ension)?|width|nodes?|neurons?|units?|of size|vector))?"
                         r"[ \t]*(?:of size|of|with|has|having|is|contains?|consists[ \t]+of|comprises|will[ \t]+(?:be|have)|=|:|\(|,|\||-{1,2}(?=[ \t])|–|—)?[ \t]*(?:(?:a|an)[ \t]+)?(\d+)", text):
        add(m, "input", [int(m.group(1))])
    for m in re.finditer(r"\b(?:inputs?|outputs?)\b[^.;\n]{0,40}?\((\d+)[ \t]*(?:nodes?|neurons?|units?|features?)?\)",
                         text):  # "Inputs: x1, x2, x3 (3 nodes)"
        add(m, "input" if m.group().startswith("in") else "output", [int(m.group(1))])
    for m in re.finditer(r"\b(?:vector|embedding)[ \t]+of[ \t]+(?:size|dim(?:ension)?)[ \t]+(\d+)", text):
        add(m, "input", [int(m.group(1))])
    for m in re.finditer(r"\b(?:in|takes(?:[ \t]+in)?|taking|reads|receives|accepts|consumes|state of|in_features|input_dim|input_size|n_inputs|num_inputs|"
                         r"in_dim|d_in|num_input|n_input)\s*[=:]?\s*(\d+)", text):
        add(m, "input", [int(m.group(1))])
    for m in re.finditer(rf"(\d+)[ \t]*[- ]?(?:(?:{_ADJ}[ \t]+|{other_word})(?:{_ADJ}[ \t]+|{other_word})?)?{_OUTPUT_WORD}\b",
                         text):
        add(m, "output", [int(m.group(1))])
    for m in re.finditer(r"\b(?:outputs?|out)(?:[ \t]+layer)?(?:[ \t_-]+(?:size|dim(?:ension)?|width|nodes?|neurons?|units?|of size))?[ \t]*"
                         r"(?:of size|of|with|has|having|is|contains?|consists[ \t]+of|comprises|will[ \t]+(?:be|have)|=|:|\(|,|\||-{1,2}(?=[ \t])|–|—)?"
                         r"[ \t]*(?:(?:a|an)[ \t]+)?(\d+)", text):
        add(m, "output", [int(m.group(1))])
    for m in re.finditer(r"\b(?:out_features|output_dim|output_size|n_outputs|num_outputs|num_classes|n_classes|"
                         r"out_dim|d_out|num[-_ ]classes|n[-_ ]classes)\s*[=:]?\s*(\d+)", text):
        add(m, "output", [int(m.group(1))])
    for m in re.finditer(r"\b(?:one|1)[ \t]+of[ \t]+(?:the[ \t]+)?(\d+)[ \t]+(?:[a-z]+[ \t]+)?(?:digits|classes|categories|labels|"
                         r"classes|species|kinds|types)\b", text):  # "predicts one of 10 digits"
        add(m, "output", [int(m.group(1))])
    for m in re.finditer(r"(\d+)[- ]way\b", text):  # "a 10-way softmax"
        add(m, "output", [int(m.group(1))])
    for m in re.finditer(r"\b(?:softmax|classify|classifies)\s+(?:over|into)\s+(\d+)|"
                         r"\b(?:predicts?|predicting|produces?|producing|returns?|returning|emits?|gives?)"
                         r"[ \t]+(\d+)", text):
        add(m, "output", [int(m.group(1) or m.group(2))])
    found.sort()
    return found, taken


_ORDINAL = r"(?:first|second|third|fourth|fifth|last|final|\d(?:st|nd|rd|th))"
_NUMBER_OF = re.compile(rf"\bnumber[ \t]+of[ \t]+(?P<what>[a-z]{{2,12}})(?:[ \t]+(?:in|of|for)[ \t]+(?:the[ \t]+|each[ \t]+)?"
                        rf"(?:{_ORDINAL}[ \t]+)?(?P<role>input|hidden|output)?(?:[ \t]+layer)?)?[^.\n\d]{{0,30}}?"
                        r"(?:\b(?:is|are|was|were|will[ \t]+be|to|equals?|at)|=|:)[ \t]+(?P<n>\d{1,7})\b")
_NUMBER_OF_ROLES = (("input", ("features", "inputs", "predictors", "attributes", "variables")),
                    ("output", ("classes", "outputs", "labels", "categories", "targets")))


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


_SIZE_LINE = re.compile(r"(?m)^[ \t]*(\d{1,7})(?:[ \t]*x[ \t]*(\d{1,4}))?(?:[ \t]+(?:neurons?|units?|nodes?))?[ \t]*$")
_DENSE_WORD = re.compile(r"\b(?:neurons?|units?|autoencoders?|mlp|perceptron|neural|network|layers?)\b")


_END_WORD = r"\b(?:inputs?|outputs?|features?|classes|pixels|labels|targets?)\b"
_END_NUMBER = re.compile(rf"\d[^.\n]{{0,30}}{_END_WORD}|{_END_WORD}[^.\n]{{0,30}}\d")


# a Keras model told in words: "a dense layer of 8 neurons with the input shape of 2, then a dense layer with 2
# neurons", "Layer 1: ... input shape of (, 8), output shape of (, 8); Layer 2: ... output shape of (*, 4)"
_SHAPE_IN = re.compile(r"\binput[ _]shape[ \t]+(?:of|is|=|:)[ \t]*(?:\([ \t]*(?:(?:none|\*|\?|batch\w*)?[ \t]*,[ \t]*)?)?(\d{1,7})\b")
_SHAPE_OUT = re.compile(r"\boutput[ _]shape[ \t]+(?:of|is|=|:)[ \t]*\([ \t]*(?:none|\*|\?|batch\w*)?[ \t]*,[ \t]*(\d{1,7})[ \t]*\)")
_DENSE_TOLD = re.compile(r"\bdense[ \t]+layer[ \t]+(?:of|with|having)[ \t]+(\d{1,7})[ \t]+(?:neurons?|units?|nodes?)\b")


def _keras_in_words(text: str) -> tuple[int, ...] | None:
    """(input, layer sizes...) of a Keras model told in words: its input shape, then each layer's output
    shape or each dense layer's units in order; None unless at least two layers are told."""
    shape_in = _SHAPE_IN.search(text)
    if shape_in is None:
        return None
    outs = [int(n) for n in _SHAPE_OUT.findall(text)]
    dense = [int(n) for n in _DENSE_TOLD.findall(text)]
    sizes = outs if len(outs) >= 2 else dense if len(dense) >= 2 else None
    if sizes is None or len(sizes) + 1 > MAX_LAYERS:
        return None
    return (int(shape_in.group(1)), *sizes)


# an image's size next to the word image (the input of a dense net that names no input layer)
_IMAGE_SIZE = re.compile(r"(?<![\w.])(\d{1,4})[ \t]*x[ \t]*(\d{1,4})(?:[ \t]*x[ \t]*([13]))?(?![\w.])[^.\n\d]{0,30}?"
                         r"\b(?:images?|pictures?|pixels?)\b")


# one layer's sizes told as what goes in and what comes out ("The output size of fc1 is 128, so the input size
# of fc2 must also be 128", "This layer sends 500 output signals ... The second layer has input dimension of 500"),
# code's "linear(784, 128)" too: one layer's out is the next one's in
_IO_EVENT = re.compile(r"\blinear\(\s*(?P<a>\d{1,7})\s*,\s*(?P<b>\d{1,7})\s*\)|"
                       r"\b(?P<io>input|output)s?[ \t]+(?:size|dimension|dim|width|features?)s?\b(?:[^.\d\n]{0,30}?(?<![\w.])(?P<n>\d{1,7})(?!\w|\.\d)|(?P<named>[ \t]+(?:of|is|=|:)[ \t]+[a-z_]))|"
                       r"(?<![\w.])(?P<m>\d{1,7})[ \t]+(?:output[ \t]+(?:signals|values|units)|outputs)\b")


def _io_chain(text: str) -> tuple[int, ...] | None:
    """The sizes of a net whose layers are told by their in and out sizes, when at least one layer's
    stated input is the size the layer before it put out (the chain is checked, not guessed); an input
    told as a name ("input dimension of numRows*numColumns") is unstated."""
    chain: list[int] = []
    links = 0
    for m in _IO_EVENT.finditer(text):
        if m.group("a"):
            events = [("input", int(m.group("a"))), ("output", int(m.group("b")))]
        elif m.group("io"):
            if m.group("named"):
                if m.group("io") == "input" and not chain:
                    chain = [UNSTATED]  # "input dimension of numRows*numColumns"
                continue
            events = [(m.group("io"), int(m.group("n")))]
        else:
            events = [("output", int(m.group("m")))]
        for role, n in events:
            if role == "input":
                if not chain:
                    chain = [n]
                elif n == chain[-1] and len(chain) >= 2:
                    links += 1
            elif not chain:
                chain = [UNSTATED, n]
            elif n != chain[-1]:
                chain.append(n)
    return tuple(chain) if links and 3 <= len(chain) <= MAX_LAYERS else None


def read_dense(request: str) -> tuple[int, ...] | None:
    """The layer sizes a dense-net request states (input first), or None."""
    sizes = read_dense_or_refused(request)
    return None if sizes == REFUSED else sizes


REFUSED = ()  # what read_dense_or_refused returns for a count too big to build anything from


def read_dense_or_refused(request: str) -> tuple[int, ...] | None:
    """read_dense, or REFUSED when the request states a count of layers too big to build."""
    request = clean(request)
    if not request:
        return None
    text = normalise(request)
    chain, told = _linear_chain(text), _io_chain(text)
    if told and chain and len(told) > len(chain) and told[: len(chain)] == tuple(chain):
        return told  # "nn.Linear(784, 128) ... the output size of fc2 is 64 ... produces 10 outputs": the words go on
    if chain:
        return tuple(chain)
    keras = [int(n) for n in re.findall(r"\bdense\(\s*(?:units\s*=\s*)?(\d+)", text)]
    keras_in = re.search(r"input_(?:shape|dim)\s*=\s*\(?\s*(\d+)|\binput\(\s*(?:shape\s*=\s*)?\(?\s*(\d+)|"
                         r"\(\s*batch(?:_size)?\s*,\s*(\d+)\s*\)|\bin_features\s*=\s*(\d+)", text)
    if keras and keras_in:  # Dense(9, input_shape=(4,)), Dense(5), Dense(1)
        return (int(next(g for g in keras_in.groups() if g)), *keras)
    told = _keras_in_words(text) or told
    if told:
        return told
    if any(int(n) > MAX_LAYERS for n in re.findall(r"(\d+)[- ](?:hidden[ -])?layers?\b", text)):
        return REFUSED  # "99999999 hidden layers": nothing is built from a count that big
    layered = re.search(r"\b[23]-layers?[ \t]+(?:neural[ \t]+)?(?:net|network|perceptron|mlp|model)\b", text)
    text = re.sub(r"\b\d+[- ]layers?\b(?!\s+(?:of|with))(?<!hidden layer)(?:\s*\([^)]*\))?", " ", text)  # "3-layer net"
    found, taken = _roles(text)
    if any(role == "refused" for _, role, _ in found):
        return REFUSED
    inputs = [s for _, role, sizes in found if role == "input" for s in sizes]
    hidden = [s for _, role, sizes in found if role == "hidden" for s in sizes]
    outputs = [s for _, role, sizes in found if role == "output" for s in sizes]
    if re.search(r"\bfed by\b|\bfeeding from\b", text) and found and found[0][1] == "output":
        hidden = hidden[::-1]  # "the output is fed by a hidden layer of 6, which is fed by one of 8"
    if inputs and hidden and not outputs and re.search(r"\bregression[ \t]+(?:problem|task)\b", text) and \
            not re.search(r"\bmulti(?:ple|-?output|-?target)\b|\btargets\b|\boutputs\b", text):
        outputs = [1]  # "we are solving a regression problem": one output value
    if hidden and outputs and not inputs:  # "a 28x28 grayscale image ... a hidden layer of 128 and an output layer of 10"
        image = _IMAGE_SIZE.search(text)
        inputs = [int(image.group(1)) * int(image.group(2)) * int(image.group(3) or 1)] if image else []
    no_hidden = re.search(r"\bno hidden\b|without (?:a |any )?hidden|nothing in between", text)
    if inputs and outputs and (hidden or no_hidden):
        return (inputs[0], *([] if no_hidden else hidden), outputs[-1])
    chain = _size_chain(text)
    if chain and len(chain) >= 2 and not (chain == hidden and not inputs and not outputs):
        return tuple(chain)  # (a chain that is only the hidden sizes, "3 hidden layers (100, 50 and 25)", has open ends)
    told = _clause_roles(text)  # roles told clause by clause, in any order
    if told:
        return told
    if inputs and outputs:
        # unnamed sizes between the input and the output: "8 in, 4, 2, 4, 8 out"; none: no hidden layer
        between = _unnamed_between(text, found, taken)
        if not between and layered and not no_hidden:
            between = [UNSTATED]  # "a two-layer network with 4 inputs and 6 outputs": one hidden layer, its size left open
        return (inputs[0], *between, outputs[-1])
    lines = _SIZE_LINE.findall(text)
    if len(lines) >= 3 and _DENSE_WORD.search(text):  # a layer per line: "28x28\n1000 neurons\n500 neurons\n..."
        return tuple(int(a) * int(b or 1) for a, b in lines)
    if hidden and not inputs and not outputs and len(hidden) + 2 <= MAX_LAYERS and \
            re.search(r"\bhidden\s+layers?\b", text) and not _END_NUMBER.search(text):
        # "four hidden layers with 500 neurons in each layer", no number near an input or output word:
        # the input and output the text leaves out are drawn as UNSTATED nodes
        return (UNSTATED, *hidden, UNSTATED)
    return None


# ---- a net drawn as a graph of its neurons: "I1 --> H1\nI1 --> H2\n..." ---------------------------------

# a neuron's name: a letter or two and an index ("x1", "X₁", "h_2", "H4"), or a lone letter ("y")
_NEURON = re.compile(r"[A-Za-z]{1,2}(?:[ _]?(?:\d{1,3}|[₀-₉]{1,3}))?|[A-Za-z]\^?\(?\d{1,2}\)?")
_NET_WORDS = re.compile(r"(?i)\b(?:neur\w{0,6}|layers?|network|netz\w{0,4}|neuronal\w{0,2}|capas?|schichten?|"
                        r"couches?|strat[oi]|camadas?|mlp|perceptron)\b")
_EDGE = re.compile(r"-{1,3}>|→|==>")


def drawn_net(ranks: tuple[tuple[str, ...], ...], loops: int, request: str) -> tuple[int, ...] | None:
    """The layer sizes of a net drawn as a graph of its neurons (a mermaid or dot graph, one arrow a
    link): the ranks a flow reader read, when every label is a neuron's name ("x1", "H₂", "y"), the
    text speaks of layers or a network, some rank holds two or more, and the text draws exactly one
    arrow for every pair of neurons in neighbouring ranks (each layer linked to all of the next);
    else None."""
    if loops or len(ranks) < 2 or len(ranks) > MAX_LAYERS or max(len(r) for r in ranks) < 2:
        return None
    if not all(_NEURON.fullmatch(label.strip()) for rank in ranks for label in rank):
        return None
    for rank in ranks:  # a rank of two or more: one letter with an index each ("x1, x2, x3"), not "B, C"
        heads = {re.sub(r"[ _\d₀-₉]", "", label.strip()).lower() for label in rank}
        if len(rank) >= 2 and (len(heads) != 1 or any(not re.search(r"[\d₀-₉]", label) for label in rank)):
            return None
    if not _NET_WORDS.search(request):
        return None
    links = sum(len(a) * len(b) for a, b in zip(ranks, ranks[1:]))
    return tuple(len(r) for r in ranks) if len(_EDGE.findall(request)) == links else None
