"""The tolerant parser: `parse(text) -> ParseResult` with one `Problem` per bad or odd line.

Model output is messy, so the parser accepts what a person would accept and says what it changed:

    >>> r = parse("[0, 62, 300, 'Round_Rect', 40, 40, 'arrow', (224,224,240), (64,64,128), []]")
    >>> r.diagram.nodes[0].shape, r.diagram.nodes[0].line_shape, len(r.warnings)
    ('round rectangle', 'solid arrow', 2)

Tolerated: quoted or bare numbers and words ('...', "...", curly quotes), colours and target lists
written as strings ("(1, 2, 3)", "[1, 2]"), a wrapping `name = [ ... ]` or outer `[[...], [...]]`,
trailing commas, tabs, CRLF, Python `#` comments, markdown fences and prose around the node lines
(skipped silently). Each line is scanned by a small regex tokenizer; nothing is ever evaluated.

Errors drop the line (cut-off line, wrong field count, bad number, unknown shape, malformed colour
or targets); warnings keep it (colour clamped to 0-255, node off the 1000x600 canvas, target
naming no node, duplicate id, a near-synonym such as 'box' read as 'rectangle').
Input over MAX_INPUT_CHARS or with over MAX_NODES nodes gives one line-0 error and no diagram.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from diagram.model import CANVAS_HEIGHT, CANVAS_WIDTH, LINE_SHAPES, SHAPES, Diagram, Node

MAX_INPUT_CHARS = 200_000
MAX_NODES = 500
MAX_DEPTH = 4  # outer list > node > colour/targets; anything deeper is not a node line

# Canonical names come from diagram.model (spaces dropped: how _name compares); synonyms are extras.
_SHAPE_NAMES = {name.replace(" ", ""): name for name in SHAPES}
_SHAPE_SYNONYMS = {
    "roundedrectangle": "round rectangle", "roundrect": "round rectangle",
    "roundedrect": "round rectangle", "roundedbox": "round rectangle",
    "roundbox": "round rectangle",
    "ellipse": "circle", "oval": "circle",
    "rect": "rectangle", "box": "rectangle", "square": "rectangle",
}
_LINE_NAMES = {name.replace(" ", ""): name for name in LINE_SHAPES}
_LINE_SYNONYMS = {
    "solid": "solid line", "line": "solid line",
    "dotted": "dashed line", "dashed": "dashed line", "dottedline": "dashed line",
    "arrow": "solid arrow",
}
_EXPECTED_SHAPES = ", ".join(SHAPES[:-1]) + " or " + SHAPES[-1]  # "rectangle, round rectangle or circle"
_EXPECTED_LINES = ", ".join(LINE_SHAPES[:-1]) + " or " + LINE_SHAPES[-1]

# Linear time by construction (Python's `re` backtracks, so no pattern here may be ambiguous):
# every quantified piece is followed by something it cannot match, no quantified group nests
# another quantifier over the same characters, and patterns are applied with `match` at a known
# position, never scanned with a leading `\s*` (a failing scan restarts at every offset): every
# character starts exactly one token alternative, so `finditer` walks the line in one pass.
# tests/test_reliability.py checks long runs of every character class against a time bound.
_QUOTES = "'\"‘’“”"
# One alternative per token kind; a quote that opens no complete string is a cut-off line.
_TOKEN_RE = re.compile(
    r"""(?P<space>\s+)
    | (?P<punct>[\[\](),])
    | (?P<comment>\#.*)
    | (?P<str>'(?:[^'\\]|\\.)*'
            | "(?:[^"\\]|\\.)*"
            | [‘’](?:[^‘’\\]|\\.)*[‘’]
            | [“”](?:[^“”\\]|\\.)*[“”])
    | (?P<open>['"‘’“”])
    | (?P<bare>[^\s\[\](),\#'"‘’“”][^\[\](),\#'"‘’“”]*)
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE_RE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "'": "'", '"': '"', "0": "\0"}
_ASSIGN_RE = re.compile(r"^[A-Za-z_]\w*\s*(?::[^=]*)?=\s*")
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NAME_JUNK_RE = re.compile(r"[\s_\-]+")


@dataclass(frozen=True)
class Problem:
    """One finding; `line` is 1-based in the input (0 = the whole input)."""

    line: int
    severity: str  # "error" (line dropped) or "warning" (line kept)
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ParseResult:
    diagram: Diagram
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def ok(self) -> bool:
        return not self.errors and len(self.diagram.nodes) > 0


class _LineError(Exception):
    """A problem that drops the current line; the message omits the 'line N:' prefix."""


class _TooMuch(Exception):
    pass


@dataclass(frozen=True, eq=False)  # identity equality keeps `tok in (",", "]")` cheap
class _Str:
    """A scalar token; `quoted` tells 'solid' from solid (both are accepted)."""

    text: str
    quoted: bool


def _unescape(body: str) -> str:
    def one(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc[0] in "xuU" and len(esc) > 1:
            return chr(int(esc[1:], 16)) if int(esc[1:], 16) <= 0x10FFFF else m.group(0)
        # Unknown escapes keep their backslash, as Python does ('C:\path' stays as typed).
        return _SIMPLE_ESCAPES.get(esc, m.group(0))

    return _ESCAPE_RE.sub(one, body) if "\\" in body else body


def _tokenize(line: str) -> list[object]:
    """Punctuation as 1-char str, scalars as _Str. Raises _LineError on a cut-off string."""
    tokens: list[object] = []
    for m in _TOKEN_RE.finditer(line):  # contiguous: every character starts some alternative
        kind = m.lastgroup
        if kind == "space":
            continue
        if kind == "punct":
            tokens.append(m.group(kind))
        elif kind == "bare":
            tokens.append(_Str(m.group(kind).rstrip(), False))
        elif kind == "str":
            tokens.append(_Str(_unescape(m.group(kind)[1:-1]), True))
        elif kind == "open":
            raise _LineError("the line is cut off inside a quoted string")
        else:  # a Python comment ends the line
            break
    return tokens


def _parse_value(tokens: list[object], i: int, depth: int) -> tuple[object, int]:
    """Parse one value at tokens[i]: a list, a tuple (both as Python lists/tuples) or a _Str."""
    tok = tokens[i]
    if isinstance(tok, _Str):
        return tok, i + 1
    if tok not in ("[", "("):
        raise _LineError(f"unexpected '{tok}'")
    if depth >= MAX_DEPTH:
        raise _LineError("brackets are nested too deeply")
    close = "]" if tok == "[" else ")"
    items: list[object] = []
    i += 1
    while True:
        if i >= len(tokens):
            raise _LineError(f"the line is cut off (missing '{close}')")
        tok = tokens[i]
        if tok == close:
            return (items if close == "]" else tuple(items)), i + 1
        if tok == ",":
            raise _LineError("an empty field (two commas in a row)")
        value, i = _parse_value(tokens, i, depth + 1)
        items.append(value)
        if i < len(tokens) and tokens[i] == ",":
            i += 1  # a trailing comma before the closing bracket is fine
        elif i < len(tokens) and tokens[i] != close:
            raise _LineError(f"missing comma before {_describe(tokens[i])}")


def _describe(tok: object) -> str:
    return f"'{tok.text}'" if isinstance(tok, _Str) else f"'{tok}'"


def _number(value: object, what: str) -> float:
    if not isinstance(value, _Str):
        raise _LineError(f"{what} must be a number, got a {_kind(value)}")
    text = value.text.strip()
    if text.lower().endswith("px"):
        text = text[:-2].rstrip()
    if not _NUMBER_RE.fullmatch(text):
        raise _LineError(f"{what} must be a number, got '{_clip(value.text)}'")
    number = float(text)
    if not math.isfinite(number):
        raise _LineError(f"{what} {_clip(value.text)} is too large")
    return number


def _whole(value: object, what: str) -> int:
    number = _number(value, what)
    if not number.is_integer():
        text = value.text  # type: ignore[union-attr]
        raise _LineError(f"{what} must be a whole number, got {_clip(text)}")
    return int(number)


def _kind(value: object) -> str:
    return "list" if isinstance(value, list) else "tuple" if isinstance(value, tuple) else "word"


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _name(value: object, what: str, names: dict, synonyms: dict, expected: str,
          warn: list[str]) -> str:
    """Canonical shape / line-shape name; case, spaces, '_' and '-' are ignored silently."""
    if not isinstance(value, _Str):
        raise _LineError(f"{what} must be a name ({expected}), got a {_kind(value)}")
    key = _NAME_JUNK_RE.sub("", value.text.lower())
    if key in names:
        return names[key]
    if key in synonyms:
        warn.append(f"{what} '{_clip(value.text)}' read as '{synonyms[key]}'")
        return synonyms[key]
    raise _LineError(f"unknown {what} '{_clip(value.text)}' (expected {expected})")


def _sequence(value: object, what: str) -> list | tuple:
    """A bracketed value, or a quoted string holding one ("(1, 2, 3)", "[1, 2]")."""
    if isinstance(value, (list, tuple)):
        return value
    if value.quoted:  # type: ignore[union-attr]
        try:
            tokens = _tokenize(value.text)  # type: ignore[union-attr]
            if tokens and tokens[0] in ("[", "("):
                inner, end = _parse_value(tokens, 0, MAX_DEPTH - 1)
                if end == len(tokens) and isinstance(inner, (list, tuple)):
                    return inner
        except _LineError:
            pass
    raise _LineError(f"malformed {what} '{_clip(value.text)}'")  # type: ignore[union-attr]


def _colour(value: object, what: str, warn: list[str]) -> tuple[int, int, int]:
    if isinstance(value, _Str) and re.fullmatch(r"#[0-9a-fA-F]{6}", value.text.strip()):
        hexa = value.text.strip()
        return int(hexa[1:3], 16), int(hexa[3:5], 16), int(hexa[5:7], 16)
    parts = _sequence(value, f"{what} (expected (R, G, B))")
    if len(parts) != 3:
        raise _LineError(f"malformed {what}: {len(parts)} components (expected (R, G, B))")
    rgb = tuple(_whole(p, f"{what} component") for p in parts)
    clamped = tuple(min(255, max(0, c)) for c in rgb)
    if clamped != rgb:
        warn.append(f"{what} {rgb} is outside 0-255; clamped to {clamped}")
    return clamped  # type: ignore[return-value]


def _targets(value: object, warn: list[str]) -> tuple[int, ...]:
    if isinstance(value, _Str) and not value.text.strip():
        return ()
    if isinstance(value, _Str) and _NUMBER_RE.fullmatch(value.text.strip()):
        target = _whole(value, "target")
        warn.append(f"targets written as a single number; read as [{target}]")
        return (target,)
    parts = _sequence(value, "targets (expected a list like [1, 2])")
    return tuple(_whole(p, "target") for p in parts)


def _label(value: object) -> str | None:
    if not isinstance(value, _Str):
        raise _LineError(f"the label (11th field) must be text, got a {_kind(value)}")
    if not value.quoted and value.text in ("None", "null"):
        return None
    return value.text


def _build_node(items: list, warn: list[str]) -> Node:
    """One node from the 10 or 11 parsed fields; raises _LineError, appends warnings."""
    if len(items) not in (10, 11):
        count = f"{len(items)} field" + ("" if len(items) == 1 else "s")
        raise _LineError(f"has {count} (expected 10, or 11 with a label)")
    node_id = _whole(items[0], "id")
    x, y = _number(items[1], "x"), _number(items[2], "y")
    width, height = _number(items[4], "width"), _number(items[5], "height")
    for what, size in (("width", width), ("height", height)):
        if size <= 0:
            raise _LineError(f"{what} must be positive, got {size:g}")
    shape = _name(items[3], "shape", _SHAPE_NAMES, _SHAPE_SYNONYMS, _EXPECTED_SHAPES, warn)
    line_shape = _name(items[6], "line shape", _LINE_NAMES, _LINE_SYNONYMS, _EXPECTED_LINES, warn)
    node = Node(
        id=node_id, x=x, y=y, shape=shape, width=width, height=height, line_shape=line_shape,
        fill=_colour(items[7], "fill colour", warn),
        line_color=_colour(items[8], "line colour", warn),
        targets=_targets(items[9], warn),
        label=_label(items[10]) if len(items) == 11 else None,
    )
    if node.left < 0 or node.top < 0 or node.right > CANVAS_WIDTH or node.bottom > CANVAS_HEIGHT:
        warn.append(f"node {node_id} reaches outside the {CANVAS_WIDTH}x{CANVAS_HEIGHT} canvas "
                    f"(x {node.left:g}..{node.right:g}, y {node.top:g}..{node.bottom:g})")
    return node


_LINE_SPLIT_RE = re.compile(r"\r\n|\r|\n")
# A node line opens with '[' (maybe '[[' for an outer list) and a number, possibly quoted, then a
# comma or the end of the line (cut off); "[1] Smith et al." is prose. Unambiguous (see above).
_CANDIDATE_RE = re.compile(
    rf"\[\s*(?:\[\s*)?(?:[{_QUOTES}]\s*)?"  # '[', maybe a second '[', maybe a quote
    rf"[+-]?\.?\d[\w.+-]*(?:[{_QUOTES}])?\s*"  # a number-like word, maybe a closing quote
    r"(?:,|\](?:\s*,)?\s*$|$)"  # then a comma, or the line ends (maybe after ']' and ',')
)


def _candidate(raw: str) -> str | None:
    """The line without a `name = ` prefix if it looks like node text, else None (prose)."""
    line = raw.strip()
    if not line.startswith("[") and "=" in line:
        m = _ASSIGN_RE.match(line)
        line = line[m.end():] if m else line
    if not line.startswith("["):
        return None
    if _CANDIDATE_RE.match(line) or line.count(",") >= 9:
        return line
    return None


def _node_values(line: str) -> tuple[list[list], bool]:
    """Node field lists on one line (usually one) and whether unknown text followed them."""
    tokens = _tokenize(line)
    i = 1 if tokens[:2] == ["[", "["] else 0  # drop the outer list's '['
    values: list[list] = []
    while i < len(tokens):
        tok = tokens[i]
        if tok in (",", "]"):  # separators and the outer list's closing ']'
            i += 1
        elif tok == "[":
            value, i = _parse_value(tokens, i, 1)
            values.append(value)  # type: ignore[arg-type]
        else:
            return values, True
    return values, False


def _cross_check(nodes: list[Node], node_lines: list[int]) -> list[Problem]:
    """Warnings that need every node: duplicate ids and targets naming no node."""
    problems: list[Problem] = []
    first_line: dict[int, int] = {}
    for node, lineno in zip(nodes, node_lines):
        if node.id in first_line:
            problems.append(Problem(lineno, "warning", f"line {lineno}: duplicate id {node.id} "
                                    f"(first on line {first_line[node.id]}); edges use the first"))
        else:
            first_line[node.id] = lineno
    for node, lineno in zip(nodes, node_lines):
        missing = [t for t in node.targets if t not in first_line]
        if missing:
            names = ", ".join(str(t) for t in missing[:10]) + (", ..." if len(missing) > 10 else "")
            what = "target {} names" if len(missing) == 1 else "targets {} name"
            problems.append(Problem(lineno, "warning", f"line {lineno}: node {node.id}'s "
                                    f"{what.format(names)} no node; not drawn"))
    return problems


def _fail(message: str) -> ParseResult:
    return ParseResult(Diagram(), (Problem(0, "error", message),))


def parse(text: str) -> ParseResult:
    """Parse diagram text into nodes plus per-line problems; never raises on bad input."""
    if len(text) > MAX_INPUT_CHARS:
        return _fail(f"the input has {len(text):,} characters, over the limit of "
                     f"{MAX_INPUT_CHARS:,}; nothing parsed")
    nodes: list[Node] = []
    node_lines: list[int] = []
    problems: list[Problem] = []
    seen = 0
    for lineno, raw in enumerate(_LINE_SPLIT_RE.split(text), start=1):
        line = _candidate(raw)
        if line is None:
            continue
        seen += 1
        try:
            values, junk = _node_values(line)
        except _LineError as exc:
            problems.append(Problem(lineno, "error", f"line {lineno}: {exc}; line dropped"))
            values, junk = [], False
        seen += max(0, len(values) - 1)
        if seen > MAX_NODES:
            return _fail(f"more than {MAX_NODES} node lines; nothing parsed")
        for value in values:
            warn: list[str] = []
            try:
                nodes.append(_build_node(value, warn))
                node_lines.append(lineno)
            except _LineError as exc:
                problems.append(Problem(lineno, "error", f"line {lineno}: {exc}; line dropped"))
                continue
            problems.extend(Problem(lineno, "warning", f"line {lineno}: {w}") for w in warn)
        if junk:
            problems.append(Problem(lineno, "warning",
                                    f"line {lineno}: ignored the text after the node list"))
    if seen == 0:
        return _fail("no node lines found")
    problems.extend(_cross_check(nodes, node_lines))
    problems.sort(key=lambda p: p.line)  # stable: a line's problems stay in field order
    return ParseResult(Diagram(nodes), tuple(problems))
