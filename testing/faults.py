"""Fault injection shared by the reliability tests and benchmarks/bench_reliability.py (not shipped).

    for kind, damage in checkpoint_corruptions().items():   # 12 ways a checkpoint dir breaks
        damage(copy_of_checkpoint)
    committed, lost = sigkill_writers(csv_path, 200)          # appenders killed at random moments
    damaged = delete_quote(data, row=5)                       # the audit's hand edit

No torch; the writers are plain `python -c` processes appending through PreferenceStore.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from trainer.preferences import PreferenceStore


def delete_quote(data: bytes, row: int) -> bytes:
    """The store file with one quote of data row `row` (1-based) deleted: a hand edit gone wrong.
    Rows are found by their opening quote at the start of a line (files written by the store)."""
    starts = [i + 1 for i in range(len(data) - 1) if data[i:i + 2] == b'\n"']
    at = data.index(b'"', starts[row - 1] + 1)  # the closing quote of the row's first field
    return data[:at] + data[at + 1:]


def _rewrite(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda d: (d / name).write_bytes(data)


def _edit_json(name: str, **changes) -> Callable[[Path], None]:
    def edit(d: Path) -> None:
        obj = json.loads((d / name).read_text(encoding="utf-8"))
        obj.update({k: (v(obj) if callable(v) else v) for k, v in changes.items()})
        (d / name).write_text(json.dumps(obj), encoding="utf-8")

    return edit


def _damage_weights(how: str) -> Callable[[Path], None]:
    def damage(d: Path) -> None:
        path = d / "model.safetensors"
        data = bytearray(path.read_bytes())
        if how == "flip":
            data[-5] ^= 0xFF  # inside the tensor data: the header still parses
        elif how == "truncate":
            del data[len(data) // 2:]
        else:  # header
            data[:8] = b"\xff" * 8
        path.write_bytes(bytes(data))

    return damage


def checkpoint_corruptions() -> dict[str, Callable[[Path], None]]:
    """name -> a function that damages a full-model checkpoint dir (config, tokenizer.json,
    model.safetensors, manifest.json) in place. Each must be refused at activation."""
    return {
        "manifest missing": lambda d: (d / "manifest.json").unlink(),
        "manifest not JSON": _rewrite("manifest.json", b"{not json"),
        "manifest kind unknown": _edit_json("manifest.json", kind="weird"),
        "config missing": lambda d: (d / "config.json").unlink(),
        "config not JSON": _rewrite("config.json", b"\x00\x01garbage"),
        "config shapes do not match the weights": _edit_json(
            "config.json", hidden_size=lambda c: int(c.get("hidden_size", 8)) * 2),
        "tokenizer missing": lambda d: (d / "tokenizer.json").unlink(),
        "tokenizer garbage": _rewrite("tokenizer.json", b'{"model": 3}'),
        "weights missing": lambda d: (d / "model.safetensors").unlink(),
        "weights truncated": _damage_weights("truncate"),
        "weights byte flipped": _damage_weights("flip"),
        "weights header garbage": _damage_weights("header"),
    }


_WRITER = textwrap.dedent("""
    import sys, time
    from trainer.preferences import PreferenceStore
    store = PreferenceStore(sys.argv[1])
    big = "[0, 1, 2, 'circle', 4, 4, 'solid line', (1, 2, 3), (4, 5, 6), []]\\n" * 40
    for i in range(100000):
        pid = store.append(prompt=f"DL model {sys.argv[2]}-{i}", chosen=big + str(i), rejected="r")
        print(pid, flush=True)  # after append returned: the row is fsynced, i.e. committed
        time.sleep(0.02)  # the lock is not fair: leave the other writers a turn
""")


def sigkill_writers(path: Path, count: int, wave: int = 8, seed: int = 0) -> tuple[int, int]:
    """`count` writer processes appending to `path`, SIGKILLed at random moments, `wave` at a
    time. Returns (rows reported committed, how many of those the file lacks)."""
    rng = random.Random(seed)
    committed: set[str] = set()
    for first in range(0, count, wave):
        procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(n)],
                                  stdout=subprocess.PIPE, text=True)
                 for n in range(first, min(count, first + wave))]
        for proc in procs:  # each is appending (its first row is committed) before the kills
            committed.add(proc.stdout.readline().strip())  # type: ignore[union-attr]
        for proc in procs:
            time.sleep(rng.uniform(0.0, 0.1))
            proc.send_signal(signal.SIGKILL)
        for proc in procs:
            out, _ = proc.communicate()
            committed.update(line for line in out.split() if line)
    committed.discard("")
    stored = PreferenceStore(path).read().pair_ids()
    return len(committed), len(committed - stored)
