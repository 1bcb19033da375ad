"""The answer format as a llama.cpp GBNF grammar, translated from `diagram.grammar.ANSWER_REGEX`.

llama.cpp's server (and llama-cpp-python's) constrain sampling with a GBNF grammar (`grammar` in
a /v1/completions request), not a regex. `ANSWER_REGEX` uses only what GBNF also has: literals,
groups, `|`, character classes (`[^'\\\\\\x00-\\x1f]` is written the same way), `?`, `*` and `{m,n}`,
and so does a planned request's `diagram.plan.structure_regex` (built from the same parts), so a
mechanical translation keeps the one source of truth:

    >>> regex_to_gbnf(r"\\[(0|[1-9])\\]\\n?")
    'root ::= "[" ("0" | [1-9]) "]" "\\\\n"?'

Differences handled: a regex quantifier binds to one character, a GBNF one to the whole quoted
string before it, so a quantified literal character is quoted on its own; escaped regex
metacharacters (`\\(`, `\\[`, ...) become literal characters; `\\n` a quoted newline.
"""

from __future__ import annotations

from functools import lru_cache

QUANTIFIER_START = "?*+{"
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def _quote(text: str) -> str:
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{body.replace(chr(13), chr(92) + "r")}"'


def _tokens(regex: str) -> list[tuple[str, str]]:
    """(kind, text) items: lit (one character), class, group punctuation, quantifier."""
    out, i = [], 0
    while i < len(regex):
        ch = regex[i]
        if ch == "\\":
            nxt = regex[i + 1]
            if nxt in "xud" or nxt.isalpha() and nxt not in _SIMPLE_ESCAPES:
                raise ValueError(f"unsupported escape \\{nxt} outside a character class at {i}")
            out.append(("lit", _SIMPLE_ESCAPES.get(nxt, nxt)))
            i += 2
        elif ch == "[":
            end = i + 1
            if end < len(regex) and regex[end] == "^":
                end += 1
            if end < len(regex) and regex[end] == "]":
                end += 1
            while regex[end] != "]":
                end += 2 if regex[end] == "\\" else 1
            out.append(("class", regex[i:end + 1]))
            i = end + 1
        elif ch == "{":
            end = regex.index("}", i)
            out.append(("quant", regex[i:end + 1]))
            i = end + 1
        elif ch in "?*+":
            out.append(("quant", ch))
            i += 1
        elif ch in "()|":
            out.append(("punct", ch))
            i += 1
        elif ch in "^$.":
            raise ValueError(f"unsupported regex syntax {ch!r} at {i}")
        else:
            out.append(("lit", ch))
            i += 1
    return out


@lru_cache(maxsize=64)  # the answer grammar, and the structures of recent planned requests
def regex_to_gbnf(regex: str, rule: str = "root") -> str:
    """One GBNF rule `rule ::= ...` accepting the same strings as `regex` (the subset above)."""
    tokens = _tokens(regex)
    parts: list[str] = []
    run = ""
    for index, (kind, text) in enumerate(tokens):
        quantified = index + 1 < len(tokens) and tokens[index + 1][0] == "quant"
        if kind == "lit" and not quantified:
            run += text
            continue
        if run:
            parts.append(_quote(run))
            run = ""
        if kind == "lit":
            parts.append(_quote(text))
        elif kind == "quant":
            parts[-1] += text
        elif text == "(":
            parts.append("(")
        elif text == ")":
            parts.append(")")
        elif text == "|":
            parts.append("|")
        else:  # a character class: the same syntax in GBNF
            parts.append(text)
    if run:
        parts.append(_quote(run))
    body = " ".join(parts).replace("( ", "(").replace(" )", ")")
    return f"{rule} ::= {body}"


def answer_gbnf() -> str:
    """The GBNF grammar of the answer format (diagram.grammar.ANSWER_REGEX)."""
    from diagram.grammar import ANSWER_REGEX

    return regex_to_gbnf(ANSWER_REGEX)
