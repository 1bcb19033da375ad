"""Limits on everything that reaches the app over HTTP, checked in plain Python under the UI.

Gradio's components are not a boundary: the HTTP API (gradio_client, curl) sends any JSON, and
`gr.Number(precision=0)` rounds 1.5 to 2 before a handler sees it. So the logic functions in
labeling.py, training.py and playground.py call these checks at their entry points and raise
`UserError` (`labeler.common`: a message for the page; nothing written) on anything out of
range:

    annotator = check_annotator(name)                     # <= 64 printable characters
    k = whole_number(value, "K", 2, 6)                    # 1.5, "2x", True, 10**12: refused
    t = bounded_number(value, "Temperature", 0.01, 2.0)   # NaN, inf refused

`prune_dir` keeps a cache directory (rendered images) under a size and file-count budget.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from labeler.common import UserError

MAX_ANNOTATOR_CHARS = 64
MAX_STEPS = 100_000  # 800 pairs x 3 epochs is 570 steps; more is a typo or an attack
MAX_EPOCHS = 100.0
MAX_BETA = 10.0
MAX_EVAL_N = 100  # the held-out split has 100 prompts
MAX_SEED = 2**31 - 1
RENDER_CACHE_BYTES = 200 * 2**20
RENDER_CACHE_FILES = 2_000


def check_annotator(name: object) -> str:
    """The stripped annotator name ('anonymous' when empty); refuses long or control characters."""
    if name is None:
        return "anonymous"
    if not isinstance(name, str):
        raise UserError(f"The annotator name must be text, got {type(name).__name__}.")
    name = name.strip()
    if len(name) > MAX_ANNOTATOR_CHARS:
        raise UserError(f"The annotator name is {len(name):,} characters; the limit is "
                         f"{MAX_ANNOTATOR_CHARS}.")
    if any(not ch.isprintable() for ch in name):
        raise UserError("The annotator name contains control characters.")
    return name or "anonymous"


def whole_number(value: object, name: str, low: int, high: int) -> int:
    """An integer in [low, high]; a float must be whole (1.5 is refused, never rounded)."""
    if isinstance(value, bool):
        raise UserError(f"{name} must be a whole number from {low} to {high:,}, got {value!r}.")
    try:
        number = float(value)  # type: ignore[arg-type]
        whole = math.isfinite(number) and number.is_integer()
        if whole and isinstance(value, str):
            whole = value.strip().lstrip("+-").isdigit()
    except (TypeError, ValueError):
        whole = False
    if not whole or not low <= number <= high:
        raise UserError(f"{name} must be a whole number from {low} to {high:,}, got {value!r}.")
    return int(number)


def bounded_number(value: object, name: str, low: float, high: float) -> float:
    """A finite number in [low, high]."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or not low <= number <= high:
        raise UserError(f"{name} must be a number from {low:g} to {high:g}, got {value!r}.")
    return number


def prune_dir(directory: Path, max_bytes: int = RENDER_CACHE_BYTES,
              max_files: int = RENDER_CACHE_FILES) -> int:
    """Delete the least recently written files until the directory fits; returns how many."""
    try:
        entries = [e for e in os.scandir(directory) if e.is_file(follow_symlinks=False)]
    except FileNotFoundError:
        return 0
    stats = []
    for entry in entries:
        try:
            info = entry.stat()
        except FileNotFoundError:  # another session's temp file, renamed or pruned meanwhile
            continue
        stats.append((info.st_mtime, info.st_size, entry.path))
    total = sum(size for _, size, _ in stats)
    if total <= max_bytes and len(stats) <= max_files:
        return 0
    stats.sort()
    removed = 0
    for _mtime, size, path in stats:
        if total <= max_bytes and len(stats) - removed <= max_files:
            break
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        total -= size
        removed += 1
    return removed
