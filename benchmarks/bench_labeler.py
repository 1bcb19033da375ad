"""Labeler load and latency: concurrent HTTP submits, and click-to-candidates in a real browser.

    python -m benchmarks.bench_labeler                        # both parts, default sizes
    python -m benchmarks.bench_labeler --sessions 10 --pairs 20 --skip-browser
    python -m benchmarks.bench_labeler --checkpoint checkpoints/tiny-sft --clicks 10

Part 1 launches the app on a free loopback port over a copy of the prompt pool and a fast fake
generator (so the numbers measure the app, not the model), then runs `--sessions` gradio_client
sessions at once, each doing `/next` then `/submit(0, 1)` `--pairs` times. It checks the CSV holds
exactly sessions x pairs distinct rows and prints submit latency p50/p95/max.

Part 2 serves `--checkpoint` with the real Generator and, in headless Chromium, clicks Regenerate
`--clicks` times, timing each click until the K candidates are on screen (p50/p95).

Part 3 (`--next-sessions N`, off by default) serves `--checkpoint` with the real model and runs N
gradio_client sessions at once, each calling `/next` (next prompt + K candidates) `--next-rounds`
times, with `--generate-concurrency N`: once with one Generator (requests take turns under its
lock) and once with `trainer.generation.batching.BatchingSource` (`diagramlab app --batch-generate`), and
prints the /next latency p50/p95 of both.

Part 4 (`--screens N`, off by default): one annotator in headless Chromium judges N screens by
keyboard (1, Shift+2, Enter) with `--think` s of looking at each screen, on a fake model that
takes `--fake-delay` s per generation; it times Enter -> the next prompt's candidates on screen,
with the next-screen prefetch on and off. Part 5 (`--fake-next 5,20`): that many gradio_client
sessions at once calling `/next` `--next-rounds` times on the same fake model (p50/p95).
Numbers go to stdout with the load average; nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def session(url: str, pairs: int, name: str, latencies: list[float], lock: threading.Lock) -> int:
    from gradio_client import Client

    client = Client(url, verbose=False, download_files=False)
    saved = 0
    for _ in range(pairs):
        client.predict(api_name="/next")
        started = time.perf_counter()
        result = client.predict(0, 1, name, api_name="/submit")
        with lock:
            latencies.append(time.perf_counter() - started)
        saved += "saved" in str(result[1])
    return saved


def bench_submits(args: argparse.Namespace, root: Path) -> None:
    from labeler.app import launch
    from labeler.context import AppContext
    from testing.fakes import FakeGenerator, fake_checkpoint

    data = root / "submit-data"
    data.mkdir()
    shutil.copy(args.pool, data / "orpo_prompts.csv")
    checkpoint = fake_checkpoint(root / "submit-ckpt" / "fake-sft")
    ctx = AppContext.create(data_dir=data, checkpoints_dir=checkpoint.parent,
                            checkpoint=checkpoint, generator_factory=FakeGenerator)
    demo, url = launch(ctx, port=free_port())
    latencies: list[float] = []
    lock = threading.Lock()
    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(args.sessions) as pool:
            saved = sum(pool.map(lambda i: session(url, args.pairs, f"bench{i}", latencies, lock),
                                 range(args.sessions)))
        wall = time.perf_counter() - started
        rows = ctx.store.load()
    finally:
        demo.close()
        ctx.close()
    expected = args.sessions * args.pairs
    ok = len(rows) == expected == saved and rows["pair_id"].is_unique
    print(f"concurrent submits: {args.sessions} sessions x {args.pairs} pairs -> {len(rows)} rows "
          f"({'OK' if ok else 'MISMATCH'}: expected {expected}, {saved} acknowledged), "
          f"wall {wall:.1f} s")
    print(f"  submit latency p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"p95 {quantile(latencies, 0.95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
    if not ok:
        raise SystemExit(1)


def time_clicks(url: str, clicks: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(300_000)
        page.goto(url)
        page.wait_for_selector("#candidate-0 img")
        page.wait_for_function("!document.querySelector('#progress .tag.busy')")
        times = []
        for _ in range(clicks):
            started = time.perf_counter()
            page.locator("#regenerate").click()
            page.wait_for_selector("#progress .tag.busy", state="attached")
            page.wait_for_selector("#progress .tag.busy", state="detached")
            page.wait_for_selector("#candidate-0 img")
            times.append(time.perf_counter() - started)
        browser.close()
    return times


def bench_clicks(args: argparse.Namespace, root: Path) -> None:
    from labeler.app import launch
    from labeler.context import AppContext

    if not (Path(args.checkpoint) / "manifest.json").is_file():
        print(f"click-to-candidates: skipped, {args.checkpoint} has no manifest.json")
        return
    if not Path(CHROMIUM).exists():
        print(f"click-to-candidates: skipped, {CHROMIUM} is missing")
        return
    data = root / "click-data"
    data.mkdir()
    shutil.copy(args.pool, data / "orpo_prompts.csv")
    ctx = AppContext.create(data_dir=data, checkpoints_dir=root / "click-ckpts",
                            checkpoint=Path(args.checkpoint))
    load_started = time.perf_counter()
    ctx.models.generator()
    load_s = time.perf_counter() - load_started
    demo, url = launch(ctx, port=free_port())
    try:
        times = time_clicks(url, args.clicks)
    finally:
        demo.close()
        ctx.close()
    print(f"click-to-candidates ({args.checkpoint}, K=4, CPU, model load {load_s:.1f} s): "
          f"p50 {statistics.median(times):.2f} s, p95 {quantile(times, 0.95):.2f} s, "
          f"min {min(times):.2f} s over {len(times)} clicks")


def next_session(client, rounds: int, latencies: list[float], lock: threading.Lock) -> None:
    for _ in range(rounds):
        started = time.perf_counter()
        client.predict(api_name="/next")
        with lock:
            latencies.append(time.perf_counter() - started)


def bench_next(args: argparse.Namespace, root: Path, batched: bool) -> None:
    from labeler.app import launch
    from labeler.context import AppContext
    from trainer.generation.sources import open_source

    factory = partial(open_source, batch=batched)  # as `diagramlab app [--batch-generate]`
    data = root / f"next-data-{batched}"
    data.mkdir()
    shutil.copy(args.pool, data / "orpo_prompts.csv")
    ctx = AppContext.create(data_dir=data, checkpoints_dir=root / f"next-ckpts-{batched}",
                            checkpoint=Path(args.checkpoint), generator_factory=factory,
                            generate_concurrency=args.next_sessions)
    source = ctx.models.generator()
    demo, url = launch(ctx, port=free_port())
    latencies: list[float] = []
    lock = threading.Lock()
    try:
        from gradio_client import Client

        # Connected one by one before the clock starts: 20 config fetches at once time out.
        clients = [Client(url, verbose=False, download_files=False, httpx_kwargs={"timeout": 600})
                   for _ in range(args.next_sessions)]
        started = time.perf_counter()
        with ThreadPoolExecutor(args.next_sessions) as pool:
            list(pool.map(lambda c: next_session(c, args.next_rounds, latencies, lock), clients))
        wall = time.perf_counter() - started
    finally:
        demo.close()
        ctx.close()
    how = "batched (BatchingSource)" if batched else "one Generator, requests take turns"
    merged = f", requests per model call: max {max(source.batches)}, mean " \
             f"{statistics.mean(source.batches):.1f}" if batched and source.batches else ""
    print(f"/next with {args.next_sessions} concurrent sessions x {args.next_rounds} ({args.checkpoint}, "
          f"K=4, {how}): p50 {statistics.median(latencies):.2f} s, p95 {quantile(latencies, 0.95):.2f} s, "
          f"max {max(latencies):.2f} s, wall {wall:.1f} s{merged}")


def fake_app(root: Path, name: str, args: argparse.Namespace, prefetch: bool = True,
             concurrency: int = 1):
    from labeler.app import launch
    from labeler.context import AppContext
    from testing.fakes import FakeGenerator, fake_checkpoint

    data = root / f"{name}-data"
    data.mkdir()
    shutil.copy(args.pool, data / "orpo_prompts.csv")
    checkpoint = fake_checkpoint(root / f"{name}-ckpt" / "fake-sft")
    ctx = AppContext.create(data_dir=data, checkpoints_dir=checkpoint.parent, checkpoint=checkpoint,
                            generator_factory=lambda p: FakeGenerator(p, delay_s=args.fake_delay),
                            generate_concurrency=concurrency)
    demo, url = launch(ctx, port=free_port(), prefetch=prefetch)
    return ctx, demo, url


def time_screens(url: str, screens: int, think: float) -> list[float]:
    from playwright.sync_api import sync_playwright

    settled = "!document.querySelector('#status .tag.busy') && document.querySelector('#candidate-1 img')"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.set_default_timeout(300_000)
        page.goto(url)
        page.locator("#annotator textarea, #annotator input").first.fill("bench")
        page.wait_for_function(settled)
        times = []
        for _ in range(screens):
            time.sleep(think)  # the person looks at the screen (the prefetch works meanwhile)
            before = page.locator("#candidate-0 img").get_attribute("src")
            page.locator("body").click(position={"x": 5, "y": 5})
            page.keyboard.press("Digit1")
            page.wait_for_selector("#card-0.chosen")
            page.keyboard.press("Shift+Digit2")
            page.wait_for_selector("#card-1.rejected")
            started = time.perf_counter()
            page.keyboard.press("Enter")
            page.wait_for_function(
                "(b) => { const img = document.querySelector('#candidate-0 img'); return img && "
                f"img.getAttribute('src') !== b && img.complete && ({settled}); }}", arg=before)
            times.append(time.perf_counter() - started)
        browser.close()
    return times


def bench_screens(args: argparse.Namespace, root: Path) -> None:
    import os

    for prefetch in (True, False):
        ctx, demo, url = fake_app(root, f"screens-{prefetch}", args, prefetch=prefetch)
        try:
            times = time_screens(url, args.screens, args.think)
        finally:
            demo.close()
            ctx.close()
        print(f"submit -> next screen, one annotator, prefetch {'on' if prefetch else 'off'} "
              f"(fake model {args.fake_delay:g} s per generation, {args.think:g} s per look, "
              f"{len(times)} screens): p50 {statistics.median(times):.2f} s, "
              f"p95 {quantile(times, 0.95):.2f} s, max {max(times):.2f} s; "
              f"load average {os.getloadavg()[0]:.1f}")


def bench_fake_next(args: argparse.Namespace, root: Path, sessions: int) -> None:
    import os
    from gradio_client import Client

    ctx, demo, url = fake_app(root, f"next-{sessions}", args)
    latencies: list[float] = []
    lock = threading.Lock()
    try:
        clients = [Client(url, verbose=False, download_files=False, httpx_kwargs={"timeout": 600})
                   for _ in range(sessions)]
        started = time.perf_counter()
        with ThreadPoolExecutor(sessions) as pool:
            list(pool.map(lambda c: next_session(c, args.next_rounds, latencies, lock), clients))
        wall = time.perf_counter() - started
    finally:
        demo.close()
        ctx.close()
    print(f"/next with {sessions} concurrent sessions x {args.next_rounds} (fake model "
          f"{args.fake_delay:g} s per generation, generate concurrency 1): "
          f"p50 {statistics.median(latencies):.2f} s, p95 {quantile(latencies, 0.95):.2f} s, "
          f"max {max(latencies):.2f} s, wall {wall:.1f} s; load average {os.getloadavg()[0]:.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=10, help="concurrent API sessions")
    parser.add_argument("--pairs", type=int, default=20, help="pairs each session submits")
    parser.add_argument("--checkpoint", default=str(REPO / "checkpoints" / "tiny-sft"),
                        help="model for the click-to-candidates timing")
    parser.add_argument("--clicks", type=int, default=10, help="timed Regenerate clicks")
    parser.add_argument("--pool", type=Path, default=REPO / "data" / "orpo_prompts.csv",
                        help="prompt pool to copy into the temp data dirs")
    parser.add_argument("--skip-submits", action="store_true", help="skip part 1")
    parser.add_argument("--skip-browser", action="store_true", help="skip part 2")
    parser.add_argument("--next-sessions", type=int, default=0,
                        help="part 3: concurrent /next sessions with the real model (0: skip)")
    parser.add_argument("--next-rounds", type=int, default=3, help="part 3: /next calls per session")
    parser.add_argument("--next-only", choices=["plain", "batched"], default=None,
                        help="part 3: run only one of the two variants")
    parser.add_argument("--screens", type=int, default=0,
                        help="part 4: screens judged in the browser, prefetch on and off (0: skip)")
    parser.add_argument("--think", type=float, default=2.0, help="part 4: seconds per look")
    parser.add_argument("--fake-delay", type=float, default=1.0,
                        help="parts 4-5: the fake model's seconds per generation")
    parser.add_argument("--fake-next", default="",
                        help="part 5: comma-separated concurrent /next session counts, e.g. 5,20")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-labeler-") as tmp:
        if not args.skip_submits:
            bench_submits(args, Path(tmp))
        if not args.skip_browser:
            bench_clicks(args, Path(tmp))
        if args.screens:
            bench_screens(args, Path(tmp))
        for sessions in [int(n) for n in args.fake_next.split(",") if n.strip()]:
            bench_fake_next(args, Path(tmp), sessions)
        if args.next_sessions:
            for batched in (False, True):
                if args.next_only in (None, "batched" if batched else "plain"):
                    bench_next(args, Path(tmp), batched)
    return 0


if __name__ == "__main__":
    sys.exit(main())
