"""Reliability figures of issue 10: worst-case parse time, appends into a damaged store, SIGKILLed
writers, what SIGTERM / SIGKILL leave behind, corrupt checkpoints refused, store memory on load.

    .venv/bin/python -m benchmarks.bench_reliability [--writers 200] [--quick] [--skip-parse] [--skip-reader]

Each section prints one line per figure. `--quick` uses 16 writers and skips the trainer runs.
The trainer sections train checkpoints/tiny-sft on seeded fake pairs (CPU, ~1 min).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from diagram import MAX_INPUT_CHARS, parse

ROOT = Path(__file__).resolve().parent.parent
CHAR_CLASSES = [" ", "\t", "1", "a", "e", "_", "[", "]", "(", ")", ",", "'", '"', "‘", "“", "#",
                ".", "+", "-", "\\", "=", ":", "é", "\r", "\n", "0,", "[0", "0, "]
PREFIXES = ["", "[", "[[", "[ 1", "[0, ", "x = [", "['", "[0, 1, 2, '",
            "[0, 1, 2, 'circle', 3, 4, 'solid line', '(1,2,3)",
            "[0, 1, 2, 'circle', 3, 4, 'solid line', (1, 2, 3), (1, 2, 3), ["]
SUFFIXES = ["", "x", "'", "]", ","]


def parse_worst_case() -> None:
    """Every run of every character class at the size limit, in every context: the slowest."""
    worst, worst_text = 0.0, ""
    for char in CHAR_CLASSES:
        for prefix in PREFIXES:
            for suffix in SUFFIXES:
                text = prefix + char * ((MAX_INPUT_CHARS - len(prefix) - len(suffix)) // len(char))
                text += suffix
                took = _timed(text)
                if took > worst:
                    worst, worst_text = took, text
    best = min(_timed(worst_text) for _ in range(3))  # the slowest input again, best of 3
    shown = repr(worst_text[:40])
    n = len(CHAR_CLASSES) * len(PREFIXES) * len(SUFFIXES)
    print(f"parse: worst case over {n} inputs of {MAX_INPUT_CHARS:,} chars: {best:.3f} s CPU "
          f"(best of 3; first pass {worst:.3f} s) for {shown}...; goal < 0.5 s: "
          f"{'met' if best < 0.5 else 'MISSED'}")
    for label, text in [("'[' + 1,600 spaces + 'x' (audit: 39 s before)", "[" + " " * 1600 + "x"),
                        ("a line of 51,262 digits (audit: 113 s before)", "[" + "1" * 51_262)]:
        print(f"parse: {label}: {_timed(text) * 1000:.1f} ms CPU")


def reader_worst_case(fuzz_inputs: int = 20_000) -> None:
    """read_request (issue 19): the slowest adversarial run at the request limit, and fuzz counts."""
    from benchmarks.bench_reader import adversarial_requests, fuzz
    from diagram.reader import MAX_REQUEST_CHARS, read_request

    def cpu(text: str) -> float:
        started = time.process_time()
        read_request(text)
        return time.process_time() - started

    texts = adversarial_requests(MAX_REQUEST_CHARS)
    first = sorted(((cpu(t), t) for t in texts), reverse=True)
    # the 10 slowest of the first pass again, best of 3 each (one pass on shared cores is noisy)
    best, worst_text = max((min(cpu(t) for _ in range(3)), t) for _, t in first[:10])
    print(f"read_request: worst case over {len(texts)} adversarial inputs of <= {MAX_REQUEST_CHARS:,} chars: "
          f"{best:.3f} s CPU (best of 3 of the first pass's 10 slowest; first pass worst {first[0][0]:.3f} s) "
          f"for {worst_text[:30]!r}...; goal < 0.1 s: {'met' if best < 0.1 else 'MISSED'}")
    counts = fuzz(fuzz_inputs)
    print(f"read_request: fuzz {counts['inputs']:,} inputs, {counts['read']:,} read: exceptions "
          f"{counts['exceptions']}, plan -> plan line -> plan differences {counts['round_trip_differences']}, "
          f"plans too big to draw {counts['too_big']}")


def _timed(text: str) -> float:
    """CPU seconds of one parse: on the shared cores wall time mostly measures other jobs."""
    started = time.process_time()
    parse(text)
    return time.process_time() - started


def damaged_store(tmp: Path) -> None:
    from labeler.faults import delete_quote
    from trainer.preferences import PreferenceError, PreferenceStore

    store = PreferenceStore(tmp / "orpo_dataset_llm.csv")
    ids = [store.append(prompt=f"DL model {i}", chosen=f"[{i}, 1]\n[2]", rejected=f"[{i}, 9]")
           for i in range(10)]
    store.path.write_bytes(delete_quote(store.path.read_bytes(), 5))
    before = store.path.read_bytes()
    outcomes = []
    for name, action in [("append", lambda: store.append(prompt="p", chosen="a", rejected="b")),
                         ("undo", lambda: store.undo(ids[-1]))]:
        try:
            action()
            outcomes.append(f"{name} ACCEPTED")
        except PreferenceError as exc:
            outcomes.append(f"{name} refused ({exc})")
    side = [p.name for p in tmp.iterdir() if p.name != store.path.name and not p.name.endswith(".lock")]
    print(f"store: one quote deleted in row 5: {'; '.join(outcomes)}; file byte-identical: "
          f"{store.path.read_bytes() == before}; side files: {len(side)}")


def killed_writers(tmp: Path, count: int) -> None:
    from labeler.faults import sigkill_writers

    started = time.monotonic()
    committed, lost = sigkill_writers(tmp / "killed.csv", count)
    print(f"store: {count} writers SIGKILLed mid-append: {committed} rows committed, {lost} lost "
          f"({time.monotonic() - started:.0f} s)")


def store_memory(tmp: Path) -> None:
    """Peak RSS of loading a 50 MB store, in a fresh process."""
    from trainer.csv_records import encode_row
    from trainer.preferences import COLUMNS, make_row

    path = tmp / "big.csv"
    text = "[0, 62, 300, 'round rectangle', 40, 40, 'solid arrow', (224, 224, 240), (64, 64, 128), [1]]\n" * 12
    with open(path, "wb") as handle:
        handle.write(encode_row(list(COLUMNS)))
        i = 0
        while handle.tell() < 50 * 2**20:
            row = make_row(f"DL model {i}", text + str(i), text + f"r{i}", {"source": "human"})
            handle.write(encode_row([row.get(c, "") for c in COLUMNS]))
            i += 1
    code = ("import resource, sys, time; import pandas; from trainer.preferences import PreferenceStore;"
            "t = time.time(); df = PreferenceStore(sys.argv[1]).load(); "
            "print(len(df), round(time.time() - t, 1), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)")
    rows, seconds, peak = subprocess.run([sys.executable, "-c", code, str(path)], check=True,
                                         capture_output=True, text=True).stdout.split()
    print(f"store: load of a {path.stat().st_size / 2**20:.0f} MB file ({rows} rows): "
          f"peak RSS {peak} MB (pandas imported), {seconds} s")


def corrupt_checkpoints(tmp: Path) -> None:
    from labeler.context import AppContext
    from trainer.sources import open_source
    from tests.fakes import write_pool
    from labeler.faults import checkpoint_corruptions
    from trainer.checkpoint import CheckpointError

    write_pool(tmp / "data" / "orpo_prompts.csv")
    default = ROOT / "checkpoints" / "tiny-sft"
    shutil.copytree(default, tmp / "checkpoints" / "tiny-sft")
    ctx = AppContext.create(data_dir=tmp / "data", checkpoints_dir=tmp / "checkpoints",
                            generator_factory=open_source)
    refused, accepted = 0, []
    for kind, damage in checkpoint_corruptions().items():
        target = tmp / "checkpoints" / ("bad-" + kind.replace(" ", "-"))
        shutil.copytree(default, target)
        damage(target)
        try:
            ctx.models.set_active(target)
            accepted.append(kind)
        except CheckpointError:
            refused += 1
    ctx.close()
    total = len(checkpoint_corruptions())
    print(f"checkpoints: {refused} of {total} kinds of corruption refused at activation"
          + (f"; ACCEPTED: {accepted}" if accepted else ""))


def trainer_signals(tmp: Path) -> None:
    """Real ORPO runs from checkpoints/tiny-sft: SIGTERM in training and in the held-out eval,
    SIGKILL in training; seconds to exit and what is left in TMPDIR and the checkpoints dir."""
    from tests.fakes import seed_pairs, write_pool
    from trainer.checkpoint import sweep_leftovers
    from trainer.preferences import PreferenceStore

    store = PreferenceStore(tmp / "pairs.csv")
    seed_pairs(store, 24)
    pool = write_pool(tmp / "prompts.csv", n_dl=2, n_other=2)
    for stage, sig in [("training", signal.SIGTERM), ("held-out eval", signal.SIGTERM),
                       ("training", signal.SIGKILL)]:
        work_tmp, ckpts = tmp / f"tmp-{stage[:4]}-{sig}", tmp / f"ck-{stage[:4]}-{sig}"
        work_tmp.mkdir()
        events = tmp / f"events-{stage[:4]}-{sig}.jsonl"
        cmd = [sys.executable, "-m", "trainer.orpo", "--checkpoint",
               str(ROOT / "checkpoints" / "tiny-sft"), "--data", str(store.path),
               "--out", str(ckpts / "orpo-1"), "--events", str(events), "--batch-size", "1",
               "--max-steps", "400" if stage == "training" else "1", "--threads", "1",
               "--prompts", str(pool), "--eval-n", "50", "--eval-k", "4"]
        proc = subprocess.Popen(cmd, env=dict(os.environ, TMPDIR=str(work_tmp)),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if stage == "training":
            _wait(lambda: events.exists() and '"step": 3' in events.read_text(), 600)
        else:
            _wait(lambda: any((p / "manifest.json").exists() for p in ckpts.glob(".orpo-1.tmp-*")), 600)
        sent = time.monotonic()
        proc.send_signal(sig)
        proc.wait()
        took = time.monotonic() - sent
        left = [p.name for p in work_tmp.iterdir()] + [p.name for p in ckpts.glob(".*")]
        line = (f"trainer: {signal.Signals(sig).name} during {stage}: exited in {took:.2f} s "
                f"(code {proc.returncode}), left behind: {len(left)}")
        if sig == signal.SIGKILL:
            old = tempfile.tempdir
            tempfile.tempdir = str(work_tmp)
            swept = sweep_leftovers(ckpts)
            tempfile.tempdir = old
            remaining = [p.name for p in work_tmp.iterdir()] + [p.name for p in ckpts.glob(".*")]
            line += f" ({', '.join(sorted(n.split('-')[0] + '-...' for n in left))}); swept at the " \
                    f"next start: {len(swept)}, remaining: {len(remaining)}"
        print(line)


def _wait(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the trainer did not reach the stage in time")
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writers", type=int, default=200, help="writer processes to SIGKILL")
    parser.add_argument("--quick", action="store_true", help="16 writers, no trainer runs")
    parser.add_argument("--skip-parse", action="store_true",
                        help="skip the worst-case parse sweep (about 5 min of CPU)")
    parser.add_argument("--skip-reader", action="store_true",
                        help="skip the request reader's adversarial sweep and fuzz (about 1 min of CPU)")
    args = parser.parse_args(argv)
    if not args.skip_parse:
        parse_worst_case()
    if not args.skip_reader:
        reader_worst_case()
    with tempfile.TemporaryDirectory(prefix="bench-reliability-") as tmp_name:
        tmp = Path(tmp_name)
        for name in ("store", "writers", "memory", "ckpt", "trainer"):
            (tmp / name).mkdir()
        damaged_store(tmp / "store")
        killed_writers(tmp / "writers", 16 if args.quick else args.writers)
        store_memory(tmp / "memory")
        corrupt_checkpoints(tmp / "ckpt")
        if not args.quick:
            trainer_signals(tmp / "trainer")
    print(f"(peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
