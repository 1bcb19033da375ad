"""Screenshots for the docs: the Label tab at K=4 and K=6 and the Train tab's verdict.

Starts the labeler on checkpoints/tiny-sft with a temp copy of data/orpo_prompts.csv and 24
seeded pairs (testing/fakes.py seed_pairs), drives headless Chromium in a 1440x900 window (the
Label shots are that window as a person sees it, not the whole page), trains 4 ORPO steps from
the Train tab, and writes docs/label-k4.png, docs/label-k6.png and docs/train-verdict.png.
Nothing in data/ or checkpoints/ is touched.

    .venv/bin/python -m scripts.screenshots [--out docs] [--label-only]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_candidates(page, k: int) -> None:
    page.wait_for_selector(f"#candidate-{k - 1} img", state="visible", timeout=300_000)
    page.wait_for_function("!document.querySelector('#status .tag.busy')", timeout=300_000)


def label_shots(page, out: Path) -> None:
    wait_candidates(page, 4)
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("Digit1")
    page.wait_for_selector("#card-0.chosen")
    page.keyboard.press("Shift+Digit3")
    page.wait_for_selector("#card-2.rejected")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(out / "label-k4.png"))
    page.get_by_text("Settings: candidates").click()
    slider = page.locator("#k input[type=number]")
    slider.fill("6")
    slider.press("Enter")
    page.wait_for_function("document.querySelector('#k input[type=range]').value === '6'")
    slider.press("Tab")  # the number box commits its value on blur too
    page.locator("#regenerate").click()
    page.wait_for_selector("#status .tag.busy")
    wait_candidates(page, 6)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(out / "label-k6.png"))


def train_shot(page, out: Path) -> None:
    page.get_by_role("tab", name="Train").click()
    page.get_by_text("Advanced").click()
    for field, value in (("#max-steps input", "4"), ("#eval-n input", "4")):
        page.locator(field).fill(value)
        page.locator(field).press("Tab")
    page.wait_for_timeout(500)
    page.wait_for_selector("#train:not([disabled])")
    page.locator("#train").click()
    page.wait_for_selector("#train-result .tag", timeout=600_000)
    page.wait_for_timeout(2000)
    page.screenshot(path=str(out / "train-verdict.png"), full_page=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="where the PNGs go")
    parser.add_argument("--label-only", action="store_true", help="the Label tab only (no training)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from labeler.app import launch
    from labeler.context import AppContext
    from testing.fakes import seed_pairs

    with tempfile.TemporaryDirectory(prefix="diagramlab-shots-") as tmp:
        data, ckpts = Path(tmp) / "data", Path(tmp) / "checkpoints"
        data.mkdir()
        shutil.copy(REPO / "data" / "orpo_prompts.csv", data / "orpo_prompts.csv")
        shutil.copytree(REPO / "checkpoints" / "tiny-sft", ckpts / "tiny-sft")
        ctx = AppContext.create(data_dir=data, checkpoints_dir=ckpts, checkpoint=ckpts / "tiny-sft")
        seed_pairs(ctx.store, 24)
        demo, url = launch(ctx, port=free_port())
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.set_default_timeout(120_000)
                page.goto(url)
                page.locator("#annotator textarea, #annotator input").first.fill("screenshots")
                label_shots(page, args.out)
                if not args.label_only:
                    train_shot(page, args.out)
                browser.close()
        finally:
            demo.close()
            ctx.close()
    for name in ("label-k4.png", "label-k6.png") + (() if args.label_only else ("train-verdict.png",)):
        print(args.out / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
