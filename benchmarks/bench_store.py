"""Preference-store append throughput and latency under contention (threads x processes).

    .venv/bin/python -m benchmarks.bench_store [--prefill 800] [--threads 4] [--procs 2] [--per-worker 25]

Every append takes the file lock, reads the file (duplicate check; each store parses only the rows
appended since its last read), and fsyncs, so latency grows with the number of writers waiting for
the lock. Pairs are realistic (a wrapped prompt of ~1.3 kB, two 10-node diagrams of ~1 kB each).
Prints one markdown table.

Measured (2-core CPU, 800 rows already stored): one writer 177 appends/s, p95 3.4 ms; 2 processes
x 4 threads 207 appends/s, p95 4.4 ms, max 764 ms (lock polling). Parsing the whole file on every
append, as before, gave 32 appends/s with p95 32 ms (one writer) and 824 ms (8 writers).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import threading
import time
from pathlib import Path

from diagram import build_prompt
from trainer.core.csv_store import PreferenceStore


def _pair(tag: str, i: int) -> dict[str, str]:
    line = "[{n}, {x}, 300, 'round rectangle', 40, 40, 'solid arrow', (224, 224, 240), (64, 64, 128), [{t}]]"
    chosen = "\n".join(line.format(n=n, x=60 + 90 * n, t=n + 1) for n in range(10))
    return {"prompt": build_prompt(f"DL model {tag} {i} with 4 input nodes, 6 hidden nodes, 1 output"),
            "chosen": chosen, "rejected": chosen.replace("300,", "310,")}


def _worker(path: str, tag: str, count: int, out: list[float]) -> None:
    store = PreferenceStore(path)
    for i in range(count):
        started = time.perf_counter()
        store.append(**_pair(tag, i), category="dl_model", source="simulated")
        out.append(time.perf_counter() - started)


def _process_worker(path: str, tag: str, count: int, threads: int, queue: multiprocessing.Queue) -> None:
    latencies: list[float] = []
    workers = [threading.Thread(target=_worker, args=(path, f"{tag}t{n}", count, latencies)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    queue.put(latencies)


def run(prefill: int, threads: int, procs: int, per_worker: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "orpo_dataset_llm.csv")
        store = PreferenceStore(path)
        for i in range(prefill):
            store.append(**_pair("prefill", i), category="dl_model", source="auto")
        ctx = multiprocessing.get_context("spawn")
        queue = ctx.Queue()
        workers = [ctx.Process(target=_process_worker, args=(path, f"p{n}", per_worker, threads, queue))
                   for n in range(procs)]
        started = time.perf_counter()
        for w in workers:
            w.start()
        latencies = [x for _ in workers for x in queue.get()]
        for w in workers:
            w.join()
        wall = time.perf_counter() - started
        rows = len(store.load())
        size_mb = Path(path).stat().st_size / 1e6
    assert rows == prefill + procs * threads * per_worker, rows
    latencies.sort()
    return {
        "appends": len(latencies), "file_mb": size_mb, "throughput": len(latencies) / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
        "max_ms": 1000 * latencies[-1],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prefill", type=int, nargs="*", default=[0, 800], help="rows already in the file")
    parser.add_argument("--threads", type=int, default=4, help="writer threads per process")
    parser.add_argument("--procs", type=int, default=2, help="writer processes")
    parser.add_argument("--per-worker", type=int, default=25, help="appends per thread")
    args = parser.parse_args(argv)
    print("| prefill rows | writers | appends | file MB | appends/s | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|---|---|---|")
    for prefill in args.prefill:
        r = run(prefill, args.threads, args.procs, args.per_worker)
        print(f"| {prefill} | {args.procs}x{args.threads} | {r['appends']} | {r['file_mb']:.2f} | "
              f"{r['throughput']:.1f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['max_ms']:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
