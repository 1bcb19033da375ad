"""End to end in headless Chromium: label a pair, undo it, preview a diagram, train and promote.

The app runs in this process on a free loopback port with the micro SFT checkpoint (conftest) and
a temp data dir (a small prompt pool, 20 seeded pairs so Train is enabled). Screenshots of each
tab go to artifacts/screenshots/ (git-ignored); their paths are printed.

    pytest -m browser -s tests/test_browser.py
"""

from __future__ import annotations

import re

import shutil
import time
from pathlib import Path

import pytest

from testing.fakes import seed_pairs, write_pool
from testing.ports import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
DIAGRAM = ("[0, 150, 300, 'circle', 60, 60, 'solid arrow', (200, 220, 250), (40, 40, 90), [1]]\n"
           "[1, 800, 300, 'rectangle', 120, 60, 'solid arrow', (250, 220, 200), (40, 40, 90), []]")

pytestmark = [
    pytest.mark.slow, pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed "
                       "(apt-get install chromium); CI installs it"),
]


@pytest.fixture
def app(tmp_path, micro_sft_checkpoint):
    from labeler.app import launch
    from labeler.context import AppContext

    data, ckpts = tmp_path / "data", tmp_path / "checkpoints"
    write_pool(data / "orpo_prompts.csv")
    checkpoint = ckpts / "micro-sft"
    shutil.copytree(micro_sft_checkpoint, checkpoint)
    ctx = AppContext.create(data_dir=data, checkpoints_dir=ckpts, checkpoint=checkpoint)
    seed_pairs(ctx.store, 20)
    demo, url = launch(ctx, port=free_port())
    yield ctx, url
    demo.close()
    ctx.close()


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        traced(page)
        yield page
        print_trace(page)
        browser.close()


class Trace:
    """What a page sent and logged, printed at a test's teardown (pytest shows it only when the
    test failed): the events it queued (`queue/join`: time, event name, trigger element), the
    shortcut keys and what each did (`window.__diagramlabKeys`), console errors, and every
    server reply that was not a 200. It tells a key that never left the page from one the server
    did not answer."""

    def __init__(self, page):
        self.page, self.t0, self.lines = page, time.monotonic(), []
        page.on("request", self._request)
        page.on("response", lambda r: r.status != 200 and self._add(f"HTTP {r.status} {r.url}"))
        page.on("console", lambda m: m.type in ("error", "warning") and self._add(f"console {m.type}: {m.text[:200]}"))

    def _add(self, line: str) -> None:
        self.lines.append(f"{time.monotonic() - self.t0:7.2f} s  {line}")

    def _request(self, request) -> None:
        if "queue/join" not in request.url:
            return
        try:
            body = request.post_data_json or {}
        except ValueError:
            body = {}
        self._add(f"queued fn {body.get('fn_index')} trigger {body.get('trigger_id')}")

    def dump(self) -> str:
        try:
            names = self.page.evaluate("""() => {
              const c = window.gradio_config || {};
              const ids = Object.fromEntries((c.components || []).map(x => [x.id, x.props?.elem_id || x.type]));
              return {fns: (c.dependencies || []).map(d => [d.id, d.api_name || '',
                                (d.targets || []).map(t => ids[t[0]] + '.' + t[1]).join(',')]),
                      ids, keys: window.__diagramlabKeys || [],
                      status: document.querySelector('#status')?.innerText || ''};
            }""")
        except Exception as exc:  # the page is gone: the requests alone
            names = {"fns": [], "ids": {}, "keys": [], "error": str(exc)}
        fns = {str(fn): f"{api or '-'} ({targets})" for fn, api, targets in names["fns"]}

        def named(line: str) -> str:
            match = re.search(r"queued fn (\S+) trigger (\S+)", line)
            if not match:
                return line
            fn, trigger = match.groups()
            return line.replace(match.group(0), f"queued {fns.get(fn, fn)} by {names['ids'].get(trigger, trigger)}")
        keys = [f"  key {key!r} at {ms} ms page time: {what}" for ms, key, what in names["keys"]]
        return "\n".join([*map(named, self.lines[-60:]), "keys (last 40):", *keys,
                          f"status line now: {names.get('status', '')!r}"])


def traced(page) -> Trace:
    """Start a Trace on `page`; remembered on the page for `print_traces`."""
    trace = Trace(page)
    page._diagramlab_trace = trace  # noqa: SLF001  (one attribute, read back at teardown)
    return trace


def print_trace(page) -> None:
    trace = getattr(page, "_diagramlab_trace", None)
    if trace is not None:
        print(f"--- page trace ({page.url}) ---\n{trace.dump()}")


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def raw_text(page, i: int) -> str:
    """The candidate's raw text, from its (opened) "Problems and text" accordion."""
    card = page.locator(f"#card-{i}")
    if not card.locator("#raw-" + str(i)).is_visible():
        card.get_by_text("Problems and text").click()
    return page.locator(f"#raw-{i} .cm-content").inner_text(timeout=10_000).strip()


def wait_candidates(page) -> None:
    page.wait_for_selector("#candidate-1 img", state="visible")
    page.wait_for_function("!document.querySelector('#progress .tag.busy')")


def words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text))


def label_one_pair(page) -> tuple[str, str, str]:
    """Choose 0, reject 1 (by keyboard) and submit. The micro model often repeats itself, and a
    pair of identical texts is refused, so regenerate a few times, then reject the first
    candidate that differs from #1."""
    wait_candidates(page)
    for _ in range(3):
        texts = [raw_text(page, 0), raw_text(page, 1)]
        if texts[0] != texts[1]:
            break
        page.locator("#regenerate").click()
        page.wait_for_selector("#progress .tag.busy", state="detached")
        wait_candidates(page)
    k, other = page.locator("#candidates .card:visible").count(), 1
    while texts[0] == texts[-1] and other + 1 < k:
        other += 1
        texts.append(raw_text(page, other))
    request = page.locator("#prompt").inner_text().split(":", 1)[1].split(" · asks")[0].strip()
    page.locator("body").click(position={"x": 5, "y": 5})  # focus out of any text field
    page.keyboard.press("Digit1")
    page.wait_for_selector("#card-0.chosen")
    page.keyboard.press(f"Shift+Digit{other + 1}")
    page.wait_for_selector(f"#card-{other}.rejected")
    page.keyboard.press("Enter")
    page.wait_for_selector("#progress .tag.ok, #progress .tag.warn")
    if "Submit again" in page.locator("#progress").inner_text():
        page.keyboard.press("Enter")  # invalid chosen over valid: the page asks once to confirm
    page.wait_for_selector("#progress .tag.ok")
    return request, texts[0], texts[-1]


def check_playground(page) -> None:
    """Paste a diagram: the preview renders it and the PNG/SVG downloads hold it."""
    page.get_by_role("tab", name="Playground").click()
    editor = page.locator("#pg-editor .cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    editor.fill(DIAGRAM)
    page.wait_for_function("document.querySelector('#pg-problems')?.innerText.includes('2 nodes')")
    assert "valid" in page.locator("#pg-problems").inner_text()
    page.wait_for_selector("#pg-preview img")
    for button, magic in (("#pg-png", b"\x89PNG"), ("#pg-svg", b"<svg")):
        with page.expect_download() as download:
            page.locator(button).click()
        assert magic in Path(download.value.path()).read_bytes()[:400]
    shot(page, "playground")


def set_number(page, field: str, value: str) -> None:
    """Type into a gr.Number and make sure the value is still there a moment later.

    Once in ~10 full-suite runs the Train tab's fields, filled right after the tab opened, were
    not what Train sent (the run did 15 steps, not 2). Not reproduced in isolation; the guess is
    that the freshly opened tab re-rendered its fields. Refill until the value holds.
    """
    for _ in range(5):
        page.locator(field).fill(value)
        page.locator(field).press("Tab")  # a Number commits its value on blur
        page.wait_for_timeout(300)
        if page.locator(field).input_value() == value:
            return
    raise AssertionError(f"{field} does not keep the value {value!r}")


def train_and_promote(page, ctx) -> None:
    """A 2-step ORPO run from the Train tab; the new checkpoint becomes the active model."""
    page.get_by_role("tab", name="Train").click()
    page.locator("#train-advanced").get_by_text("Advanced").click()  # the Label tab has one too
    for field, value in (("#max-steps input", "2"), ("#eval-n input", "1")):
        set_number(page, field, value)
    page.wait_for_selector("#train:not([disabled])")
    page.locator("#train").click()
    page.wait_for_selector("#train-result .tag", timeout=300_000)
    result = page.locator("#train-result").inner_text()
    assert "Training finished" in result, result + "\n" + ctx.runner.status().log_tail
    assert "step 2/2" in page.locator("#train-progress").inner_text()
    page.wait_for_timeout(2000)  # let the progress bar and the plot finish their transitions
    shot(page, "train")
    page.locator("#activate-new").click()
    page.wait_for_function(
        "document.querySelector('#active-model')?.innerText.includes('orpo-1')")
    assert ctx.models.name(ctx.models.active()) == "orpo-1"
    page.locator("#train-checkpoint input").click()
    page.get_by_role("option", name="orpo-1 [orpo] (active)").wait_for(timeout=10_000)
    shot(page, "train-checkpoints")
    check_lists_after_reload(page)


def dropdown_options(page, elem_id: str) -> list[str]:
    """The option labels of a gr.Dropdown, read by opening it."""
    page.locator(f"#{elem_id} input").click()
    page.get_by_role("option").first.wait_for(timeout=10_000)
    labels = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    page.locator("body").click(position={"x": 5, "y": 5})
    return [label.split("\n")[-1].strip() for label in labels]  # the selected one has "✓\n"


def check_lists_after_reload(page) -> None:
    """A fresh page lists the new checkpoint in every checkpoint dropdown, and the header and
    Playground start from it."""
    page.reload()
    page.wait_for_function(
        "document.querySelector('#label-header')?.innerText.includes('orpo-1')")
    page.get_by_role("tab", name="Playground").click()
    for elem_id in ("pg-checkpoint", "pg-a", "pg-b"):
        assert "orpo-1 [orpo] (active)" in dropdown_options(page, elem_id), elem_id
    assert page.locator("#pg-checkpoint input").input_value().startswith("orpo-1")
    page.get_by_role("tab", name="Train").click()
    assert "orpo-1 [orpo] (active)" in dropdown_options(page, "train-checkpoint")


def test_label_undo_playground_and_train_in_the_browser(app, page):
    try:
        run_through_the_tabs(app, page)
    except Exception:
        shot(page, "failure")  # what the page showed when it went wrong
        raise


def run_through_the_tabs(app, page) -> None:
    ctx, url = app
    started = time.monotonic()
    page.goto(url)
    page.locator("#annotator textarea, #annotator input").first.fill("browser-test")

    request, chosen, rejected = label_one_pair(page)
    rows = ctx.store.load()
    added = rows.iloc[20:]  # one screen of 4, best and worst marked: 5 pairs (extremes), one judgment
    assert len(added) == 5 and added.judgment_id.nunique() == 1
    # CodeMirror renders only the lines in view: a long raw text reads as its first lines
    new = added[added.chosen.str.startswith(chosen[:300]) & added.rejected.str.startswith(rejected[:300])].iloc[0]
    # The page renders the request as markdown (a "- item" list loses its dashes), so compare words.
    assert words(request) in words(new.prompt)
    assert (new.annotator, new.source) == ("browser-test", "human")
    wait_candidates(page)
    shot(page, "label")
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("u")
    page.wait_for_selector("#progress .tag.info")
    assert len(ctx.store.load()) == 20 and new.judgment_id not in set(ctx.store.load().judgment_id)

    check_playground(page)
    train_and_promote(page, ctx)
    print(f"browser test: {time.monotonic() - started:.1f} s")
