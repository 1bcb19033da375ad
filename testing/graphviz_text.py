"""The text graphviz itself draws for a DOT source (its own text widths, `-Tjson`): for tests that
check label boxes against what is really drawn, not against the renderer's own estimate."""

from __future__ import annotations

import json
import subprocess

Box = tuple[float, float, float, float]


def drawn_lines(dot: str) -> dict[str, list[tuple[str, Box]]]:
    """Per graphviz node name, (text, box) of every text line graphviz draws for `dot` laid out
    with `neato -n2` (graphviz coordinates, y up)."""
    out = subprocess.run(["dot", "-Kneato", "-Tjson", "-n2"], input=dot.encode(), check=True,
                         capture_output=True).stdout
    lines: dict[str, list[tuple[str, Box]]] = {}
    for obj in json.loads(out).get("objects", []):
        size = 10.0
        for op in obj.get("_ldraw_") or []:
            if op["op"] == "F":
                size = float(op["size"])
            elif op["op"] == "T" and op["text"].strip():
                (x, y), w = op["pt"], float(op["width"])
                lines.setdefault(obj["name"], []).append(
                    (op["text"], (x - w / 2, y - 0.3 * size, x + w / 2, y + 0.95 * size)))
    return lines
