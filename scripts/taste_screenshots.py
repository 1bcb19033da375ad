"""Screenshots of the learned taste: the Stats tab's summary and the Train tab's verdict on it.

Uses benchmarks.check_verdict's simulated blue user (run `python -m benchmarks.check_verdict
--profile blue` once: its sampled candidates are cached under benchmarks/out/verdict/blue). Their
judgments go through the app's JudgmentStore into a temp data dir beside a copy of
checkpoints/tiny-sft; the labeler starts there, headless Chromium at 1440x900 opens Stats, then
trains 1 ORPO step from the Train tab (4 held-out prompts sampled for the verdict), and writes
docs/stats-taste.png and docs/train-taste.png. Nothing in data/ or checkpoints/ is touched.

    .venv/bin/python -m scripts.taste_screenshots [--out docs]
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
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from benchmarks.check_verdict import arguments, simulated_screens
    from labeler.app import launch
    from labeler.context import AppContext

    def no_generator():
        raise SystemExit("no cached candidates: run `python -m benchmarks.check_verdict --profile blue` first")

    judged = simulated_screens(arguments(["--profile", "blue"]), no_generator)
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
                for field, value in (("#max-steps input", "1"), ("#eval-n input", "4")):
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
