"""Screenshots of the learned taste: the Stats tab's summary and the Train tab's verdict on it.

Uses benchmarks.check_verdict's simulated user (`--profile`, blue by default) on `--screens`
label prompts (checkpoints/tiny-sft samples 4 candidates each, one thread, cached under
benchmarks/out/verdict/<profile> like check_verdict's; screens whose candidates the user finds all
alike are not judged). Their judgments go through the app's JudgmentStore into a temp data dir
beside a copy of checkpoints/tiny-sft; the labeler starts there, headless Chromium at 1440x900
opens Stats, then trains `--max-steps` ORPO steps from the Train tab (`--eval-n` held-out prompts
sampled for the verdict), and writes docs/stats-taste.png and docs/train-taste.png. Nothing in
data/ or checkpoints/ is touched.

    .venv/bin/python -m scripts.taste_screenshots [--out docs] [--screens 160] [--max-steps 30]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from scripts.screenshots import CHROMIUM_ARGS, REPO, free_port


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="where the PNGs go")
    parser.add_argument("--profile", default="blue", help="bench_taste's simulated user")
    parser.add_argument("--screens", type=int, default=160, help="label prompts sampled and judged")
    parser.add_argument("--max-steps", type=int, default=30, help="ORPO steps of the Train tab's run")
    parser.add_argument("--eval-n", type=int, default=10, help="held-out prompts sampled for the verdict")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from benchmarks.check_verdict import arguments, simulated_screens
    from labeler.app import launch
    from labeler.context import AppContext

    def generator():
        from trainer.generation.generate import Generator

        return Generator(sim.checkpoint, threads=1)

    sim = arguments(["--profile", args.profile, "--screens", str(args.screens)])
    judged = simulated_screens(sim, generator)
    print(f"{len(judged)} of {args.screens} screens judged by the simulated {args.profile} user", flush=True)
    with tempfile.TemporaryDirectory(prefix="diagramlab-taste-shots-") as tmp:
        data, ckpts = Path(tmp) / "data", Path(tmp) / "checkpoints"
        data.mkdir()
        shutil.copy(REPO / "data" / "orpo_prompts.csv", data / "orpo_prompts.csv")
        shutil.copytree(REPO / "checkpoints" / "tiny-sft", ckpts / "tiny-sft")
        ctx = AppContext.create(data_dir=data, checkpoints_dir=ckpts, checkpoint=ckpts / "tiny-sft")
        for row, judgment in judged:
            ctx.judgments.add(replace(judgment, category=row["category"], annotator="ana"))
        demo, url = launch(ctx, port=free_port())
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.set_default_timeout(600_000)
                page.goto(url)
                page.get_by_role("tab", name="Stats").click()
                page.wait_for_function("document.querySelector('#stats-taste').innerText.includes('taste')")
                page.screenshot(path=str(args.out / "stats-taste.png"), full_page=True)
                page.get_by_role("tab", name="Train").click()
                page.locator("#train-advanced").get_by_text("Advanced").click()
                for field, value in (("#max-steps input", str(args.max_steps)), ("#eval-n input", str(args.eval_n))):
                    page.locator(field).fill(value)
                    page.locator(field).press("Tab")
                page.wait_for_timeout(500)
                page.wait_for_selector("#train:not([disabled])")
                page.locator("#train").click()
                page.wait_for_selector("#train-result .tag")
                page.wait_for_timeout(3000)
                page.screenshot(path=str(args.out / "train-taste.png"), full_page=True)
                print(page.locator("#train-result").inner_text())
                browser.close()
        finally:
            demo.close()
            ctx.close()
    for name in ("stats-taste.png", "train-taste.png"):
        print(args.out / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
