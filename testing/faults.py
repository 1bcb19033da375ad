"""Fault injection shared by the reliability tests and benchmarks/bench_reliability.py (not shipped).

    for kind, damage in checkpoint_corruptions().items():   # 12 ways a checkpoint dir breaks
        damage(copy_of_checkpoint)
    committed, lost = sigkill_writers(csv_path, 200)          # appenders killed at random moments
    damaged = delete_quote(data, row=5)                       # the audit's hand edit
    counts = sigkill_judgment_writers(path, 8)                # judgment writers (adds + undos) killed:
                                                              # counts["lost"], counts["resurrected"]

No torch; the writers are plain `python -c` processes appending through the store.
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

from trainer.core.csv_store import PreferenceStore
from trainer.core.judgment_store import JudgmentStore
from trainer.core.preferences import open_store


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
    from trainer.core.csv_store import PreferenceStore
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


_JUDGMENT_WRITER = textwrap.dedent("""
    import random, sys
    from trainer.core.judgment_store import JudgmentStore
    from trainer.core.judgments import judgment_from_pick
    from trainer.core.preferences import open_store
    store, tag = JudgmentStore(open_store(sys.argv[1])), sys.argv[2]
    rng, live = random.Random(tag), []
    for i in range(100000):
        texts = [f"[0, {j}, 1, 'circle', 4, 4, 'solid line', (1, 2, 3), (4, 5, 6), []] # {tag}-{i}" for j in range(4)]
        j = judgment_from_pick(f"DL model {tag} {i}", texts, chosen=2, rejected=0, annotator=f"w{tag}",
                               category="other", judgment_id=f"{tag}-{i}")
        print("saving", j.judgment_id, flush=True)
        store.add(j)
        print("saved", j.judgment_id, flush=True)  # add returned: the page says saved
        live.append(j.judgment_id)
        if rng.random() < 0.3:
            jid = live.pop(rng.randrange(len(live)))
            print("undoing", jid, flush=True)
            store.undo(jid)
            print("undone", jid, flush=True)
""")


def sigkill_judgment_writers(path: Path, writers: int, *, wave: int = 4, seed: int = 0,
                             max_delay: float = 0.6) -> dict[str, int]:
    """`writers` processes adding (and undoing 30% of) judgments through `JudgmentStore(open_store(
    path))`, `wave` at a time, each SIGKILLed at a random moment after its first save; then one
    open (repair) and the counts: saved / undone as reported to the writer, `lost` (reported saved,
    no undo begun, not live), `resurrected` (reported undone, live), `pairs_missing` (pairs of live
    judgments absent from the store), `pairs_of_dead` (pairs of judgments not live still stored),
    `unknown` (live judgments no writer began)."""
    rng = random.Random(seed)
    lines: list[str] = []
    for first in range(0, writers, wave):
        procs = [subprocess.Popen([sys.executable, "-c", _JUDGMENT_WRITER, str(path), str(n)],
                                  stdout=subprocess.PIPE, text=True)
                 for n in range(first, min(writers, first + wave))]
        for proc in procs:  # each has saved a judgment before the kills start
            while True:
                line = proc.stdout.readline()  # type: ignore[union-attr]
                lines.append(line)
                if line.startswith("saved") or not line:
                    break
        for proc in procs:
            time.sleep(rng.uniform(0.0, max_delay))
            proc.send_signal(signal.SIGKILL)
        for proc in procs:
            lines += proc.communicate()[0].splitlines()
    said = {kind: {line.split()[1] for line in lines if line.startswith(kind + " ")}
            for kind in ("saving", "saved", "undoing", "undone")}
    store = JudgmentStore(open_store(path))
    store.repair()
    journal = store.read()
    live = {j.judgment_id for j in journal.judgments}
    pairs = store.pairs.read().judgment_ids()
    return {"saved": len(said["saved"]), "undone": len(said["undone"]),
            "in_flight_undo": len(said["undoing"] - said["undone"]),
            "lost": len((said["saved"] - said["undoing"]) - live),
            "resurrected": len(said["undone"] & live),
            "pairs_missing": sum(1 for j in journal.judgments for pid in j.extra["pair_ids"]
                                 if pid not in set(pairs.get(j.judgment_id, ()))),
            "pairs_of_dead": sum(len(ids) for jid, ids in pairs.items() if jid not in live),
            "unknown": len(live - said["saving"])}
