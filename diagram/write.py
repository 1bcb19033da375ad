"""The canonical writer: `dumps(diagram)` gives one line per node in the original project's style.

    [0, 62, 300, 'round rectangle', 40, 40, 'solid arrow', (224, 224, 240), (64, 64, 128), [1]]

Integral numbers are written without a decimal point; a label, when present, is the 11th field.
`parse(dumps(d))` returns `d` with no problems (see tests/test_write.py).
"""

from __future__ import annotations

from diagram.model import Diagram, Node


def format_number(value: float) -> str:
    """12.0 -> '12', 12.5 -> '12.5' (repr keeps full float precision for the round trip)."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if ch.isprintable() or ch == " ":
        return ch
    # Control and line-separator characters would break the one-node-per-line format.
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def quote(text: str) -> str:
    """Single-quoted string; backslash, quote, newline and unprintable characters escaped."""
    if text.isprintable() and "\\" not in text and "'" not in text:
        return f"'{text}'"
    return "'" + "".join(_escape_char(ch) for ch in text) + "'"


def dump_node(node: Node) -> str:
    fields = [
        str(node.id),
        format_number(node.x),
        format_number(node.y),
        quote(node.shape),
        format_number(node.width),
        format_number(node.height),
        quote(node.line_shape),
        "({}, {}, {})".format(*node.fill),
        "({}, {}, {})".format(*node.line_color),
        "[" + ", ".join(str(t) for t in node.targets) + "]",
    ]
    if node.label is not None:
        fields.append(quote(node.label))
    return "[" + ", ".join(fields) + "]"


def dumps(diagram: Diagram) -> str:
    """Canonical text of a diagram: one node per line, no trailing newline."""
    return "\n".join(dump_node(n) for n in diagram.nodes)
