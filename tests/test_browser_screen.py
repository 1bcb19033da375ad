"""The Label tab as a person meets it, in headless Chromium with a fake model (no torch):

- one screen per judgment: at 1440x900 and 1366x768 (K = 4) every drawing and the action bar are
  in the window without scrolling; at K = 6 the action bar stays in the window; alt texts name
  the candidate and its badge;
- ranking by keys: O, then the cards best first; the order is shown as typed and saved;
- the status line after submit-then-undo at once, regenerate after a tie, and a reload; the last
  judgments listed once each;
- under --auth the login is shown and there is no name field;
- the guidelines open beside the task and the exports download on the first click; Stats shows
  where two annotators disagree, their best drawings side by side.

Every wait is for a state of the page (never a fixed sleep). A failing test prints the page's
trace (test_browser.Trace: the events it queued, the keys and what each did).

    pytest -m browser tests/test_browser_screen.py
"""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from labeler.label_views import recent_judgments_md
from testing.fakes import FakeGenerator, make_context
from test_browser import CHROMIUM, CHROMIUM_ARGS, free_port, print_trace, traced

pytestmark = [
    pytest.mark.slow, pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]

IN_VIEW = """(ids) => ids.map(id => {
  const el = document.getElementById(id);
  const box = el.getBoundingClientRect();
  return box.top >= 0 && box.bottom <= window.innerHeight && box.height > 0;
})"""


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        for context in browser.contexts:  # shown by pytest when the test failed
            for page in context.pages:
                print_trace(page)
        browser.close()


def start(tmp_path, auth=None, delay_s: float = 0.0):
    from labeler.app import launch

    ctx = make_context(tmp_path, generator_factory=lambda p: FakeGenerator(p, delay_s=delay_s))
    demo, url = launch(ctx, port=free_port(), auth=auth)
    return ctx, demo, url


@pytest.fixture
def app(tmp_path):
    ctx, demo, url = start(tmp_path)
    yield ctx, url
    demo.close()
    ctx.close()


def new_page(browser, width=1440, height=900):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(60_000)
    traced(page)
    return page


def ready(page, k: int = 4) -> None:
    """Candidates shown (K of them) and nothing generating."""
    page.wait_for_selector(f"#candidate-{k - 1} img", state="visible")
    page.wait_for_function("!document.querySelector('#status .tag.busy')")


def open_page(page, url: str, name: str = "ana", k: int = 4) -> None:
    page.goto(url)
    page.locator("#annotator textarea, #annotator input").first.fill(name)
    ready(page, k)


def keys(page, *presses: str) -> None:
    page.locator("body").click(position={"x": 5, "y": 5})  # focus out of any text field
    for key in presses:
        page.keyboard.press(key)


def status(page) -> str:
    return page.locator("#status").inner_text()


def wait_status(page, text: str) -> None:
    try:
        page.wait_for_function(
            "(t) => document.querySelector('#status')?.innerText.includes(t)", arg=text)
    except PlaywrightTimeout as exc:  # say what the page shows instead
        raise AssertionError(f"the status line never said {text!r}; it says {status(page)!r}, "
                             f"cards {[page.locator(f'#card-{i}').get_attribute('class') for i in range(4)]}") from exc


def judge_screens(page, n: int) -> None:
    """Judge n screens in a row (1 chosen, 2 rejected, Enter), each time waiting for the next screen."""
    for _ in range(n):
        keys(page, "Digit1", "Shift+Digit2")
        page.wait_for_selector("#card-1.rejected")
        keys(page, "Enter")
        page.wait_for_selector("#status .tag.ok")
        ready(page)
        page.wait_for_selector("#card-1:not(.rejected)")


def test_one_screen_holds_every_drawing_and_the_action_bar(app, browser):
    _, url = app
    images = [f"candidate-{i}" for i in range(4)]
    bar = ["submit", "skip", "both-bad", "tie", "undo"]
    for width, height in ((1440, 900), (1366, 768)):
        page = new_page(browser, width, height)
        open_page(page, url)
        page.evaluate("window.scrollTo(0, 0)")
        assert all(page.evaluate(IN_VIEW, images + bar)), (width, height)
        alts = [page.locator(f"#candidate-{i} img").get_attribute("alt") for i in range(4)]
        assert all(alt.startswith(f"Candidate #{i + 1}: valid") for i, alt in enumerate(alts)), alts
        page.close()
    page = new_page(browser)  # K = 6: the action bar stays in the window, scrolled or not
    open_page(page, url)
    page.get_by_text("Settings: candidates").click()
    slider = page.locator("#k input[type=number]")
    for _ in range(5):  # a loaded page may re-render the box and drop a value typed meanwhile
        slider.fill("6")
        slider.press("Enter")
        slider.press("Tab")  # the number box commits its value on blur too
        try:
            page.wait_for_function("document.querySelector('#k input[type=range]').value === '6'",
                                   timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    else:
        raise AssertionError("the K slider does not take the value 6")
    page.locator("#regenerate").click()
    ready(page, 6)
    for y in (0, 10_000):
        page.evaluate(f"window.scrollTo(0, {y})")
        assert all(page.evaluate(IN_VIEW, bar)), y
    page.evaluate("window.scrollTo(0, 0)")
    assert all(page.evaluate(IN_VIEW, [f"candidate-{i}" for i in range(6)]))


def test_ranking_by_keys_shows_the_order_and_saves_it(app, browser):
    ctx, url = app
    page = new_page(browser)
    open_page(page, url)
    keys(page, "o")
    page.wait_for_selector("#candidates.ordering")
    assert "Rank mode" in status(page)
    keys(page, "Digit3", "Digit1")
    page.wait_for_function("document.querySelector('#picks')?.innerText.includes('#3 > #1 > …')")
    assert page.locator("#rank-2 input").input_value() == "1"  # the rank shows on the card
    keys(page, "Digit4")  # the last one is filled in as the worst
    page.wait_for_function("document.querySelector('#picks')?.innerText.includes('#3 > #1 > #4 > #2')")
    assert [page.locator(f"#rank-{i} input").input_value() for i in range(4)] == ["2", "4", "1", "3"]
    keys(page, "Enter")
    wait_status(page, "saved judgment")
    (judgment,) = ctx.judgments.read().judgments
    assert judgment.ranking == ((2,), (0,), (3,), (1,))


def test_the_status_line_tells_the_truth_after_each_sequence(tmp_path, browser):
    ctx, demo, url = start(tmp_path, delay_s=0.5)
    try:
        page = new_page(browser)
        open_page(page, url)
        # submit, then undo at once (no wait between the keys)
        keys(page, "Digit1", "Shift+Digit2")
        page.wait_for_selector("#card-1.rejected")
        keys(page, "Enter", "u")
        wait_status(page, "undone")
        ready(page)
        page.wait_for_function("!document.querySelector('#status .tag.busy')")
        assert "saved" not in status(page) and len(ctx.store.load()) == 0
        # a tie, then regenerate: the tie is no longer reported
        keys(page, "t")
        wait_status(page, "marked a tie")
        ready(page)
        keys(page, "r")
        page.wait_for_selector("#status .tag.busy")
        ready(page)
        assert "marked a tie" not in status(page), status(page)
        # two judgments: each listed once under Last judgments
        for _ in range(2):
            keys(page, "Digit1", "Shift+Digit2")
            page.wait_for_selector("#card-1.rejected")
            keys(page, "Enter")
            page.wait_for_selector("#status .tag.ok")
            ready(page)
            page.wait_for_selector("#card-1:not(.rejected)")
        page.get_by_text("Progress and last judgments").click()
        page.wait_for_function(
            "document.querySelectorAll('#recent-judgments li').length === 3")  # the tie too
        lines = page.locator("#recent-judgments li").all_inner_texts()
        # (two judgments in one second read alike, so compare with the store's judgments, newest first)
        stored = recent_judgments_md(ctx.judgments.read(), 10).splitlines()
        assert lines == [line[2:] for line in stored if line.startswith("- ")], (lines, stored)
        assert len(lines) == 3 and sum("#1 over #2" in line for line in lines) == 2, lines
        assert "3 / 600 screens" in page.locator("#label-header").inner_text()
        # a reload: a fresh status, nothing claimed
        page.reload()
        ready(page)
        assert "saved" not in status(page) and "marked" not in status(page)
    finally:
        demo.close()
        ctx.close()


def test_under_auth_the_login_is_shown_and_no_name_can_be_typed(tmp_path, browser):
    ctx, demo, url = start(tmp_path, auth=[("ana", "pw-ana"), ("bo", "pw-bo")])
    try:
        page = new_page(browser)
        page.goto(url)
        page.locator("input[type=text], input:not([type])").first.fill("bo")
        page.locator("input[type=password]").fill("pw-bo")
        page.keyboard.press("Enter")
        ready(page)
        page.wait_for_function("document.querySelector('#who')?.innerText.includes('bo')")
        assert "Labeling as bo" in page.locator("#who").inner_text()
        assert not page.locator("#annotator textarea, #annotator input").first.is_visible()
        keys(page, "Digit1", "Shift+Digit2")
        page.wait_for_selector("#card-1.rejected")
        keys(page, "Enter")
        wait_status(page, "saved judgment")
        (judgment,) = ctx.judgments.read().judgments
        assert judgment.annotator == "bo"
    finally:
        demo.close()
        ctx.close()


def test_review_removes_any_recent_judgment_and_edit_with_warnings_asks_first(app, browser):
    ctx, url = app
    page = new_page(browser)
    open_page(page, url)
    judge_screens(page, 2)
    first, second = (j.judgment_id for j in ctx.judgments.read().judgments)
    page.get_by_text("Your recent judgments").click()
    page.locator("#review-pick input").click()
    options = page.locator("#review-pick").get_by_role("option")
    options.first.wait_for()
    assert options.count() == 2
    options.nth(1).click()  # the older one, not the last
    page.wait_for_selector("#review-gallery img")
    page.locator("#review-remove").click()
    wait_status(page, f"removed judgment {first}")
    assert set(ctx.store.load().judgment_id) == {second}
    # Edit to fix: a fragment with a warning is not saved on the first submit
    page.get_by_text("Edit to fix").click()
    keys(page, "Shift+Digit2")
    page.wait_for_selector("#card-1.rejected")
    editor = page.locator("#editor .cm-content")
    page.locator("#edit-open").click()
    page.wait_for_function("document.querySelector('#editor .cm-content')?.innerText.includes('[0,')")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.type("[0, 100, 300, 'circle', 40, 40, 'solid arrow', (1, 2, 3), (4, 5, 6), [7]]")
    page.locator("#submit-edit").click()
    wait_status(page, "Submit the edit again")
    assert len(ctx.store.load()) == 5  # the second judgment's pairs only
    page.locator("#submit-edit").click()
    wait_status(page, "saved your edit")
    page.wait_for_function("window.scrollY === 0")  # back to the cards
    assert len(ctx.store.load()) == 6


def test_stats_shows_where_two_annotators_disagree_side_by_side(tmp_path, browser):
    """Two annotators ranked the same four candidates in opposite order (--overlap 2): the Stats
    tab names the prompt and shows each one's best drawing side by side."""
    import random

    from labeler import labeling as L
    from labeler.app import launch

    ctx = make_context(tmp_path, overlap=2, generator_factory=lambda p: FakeGenerator(p))
    for name, flip in (("ana", False), ("bo", True)):
        state = L.next_prompt(ctx, L.LabelState(session=name), random.Random(1), name)
        state = L.generate(ctx, state, L.Sampling(k=4), name)
        first = min(range(4), key=lambda i: state.candidates[i].index)
        last = max(range(4), key=lambda i: state.candidates[i].index)
        L.submit(ctx, state, *((last, first) if flip else (first, last)), name)
    demo, url = launch(ctx, port=free_port())
    try:
        page = new_page(browser)
        page.goto(url)
        page.get_by_role("tab", name="Stats").click()
        page.wait_for_function("document.querySelector('#stats-disagree')?.innerText.includes('disagree most')")
        text = page.locator("#stats-disagree").inner_text()
        assert "ana's best: bo ranked it last" in text and "bo's best: ana ranked it last" in text, text
        page.wait_for_function("document.querySelectorAll('#stats-disagree-gallery img').length === 2")
        boxes = [page.locator("#stats-disagree-gallery img").nth(i).bounding_box() for i in range(2)]
        assert abs(boxes[0]["y"] - boxes[1]["y"]) < 2 and boxes[0]["x"] < boxes[1]["x"]  # one row
    finally:
        demo.close()
        ctx.close()


def test_guidelines_beside_the_task_and_the_exports_download(tmp_path, browser):
    """The project owner's guidelines (data/guidelines.md) open on the Label tab; after a
    judgment the Pairs CSV and the judgments file download from the page with it in them."""
    from labeler.app import launch

    ctx = make_context(tmp_path, generator_factory=lambda p: FakeGenerator(p))
    (ctx.data_dir / "guidelines.md").write_text("Prefer drawings whose arrows never cross.\n", encoding="utf-8")
    demo, url = launch(ctx, port=free_port())
    try:
        page = new_page(browser)
        open_page(page, url)
        page.locator("#guidelines").get_by_text("Guidelines").click()
        page.wait_for_function(
            "document.querySelector('#guidelines-text')?.innerText.includes('arrows never cross')")
        keys(page, "Digit1", "Shift+Digit2")
        page.wait_for_selector("#card-1.rejected")
        keys(page, "Enter")
        wait_status(page, "saved judgment")
        (judgment,) = ctx.judgments.read().judgments
        page.get_by_text("Your recent judgments").click()
        for button, expected in (("#export-csv", judgment.judgment_id), ("#export-judgments", judgment.judgment_id)):
            with page.expect_download() as download:
                page.locator(button).click()
            assert expected in download.value.path().read_text(encoding="utf-8"), button
    finally:
        demo.close()
        ctx.close()


def test_every_press_counts_u_twice_undoes_two_judgments(app, browser):
    """U, U pressed at once: both undos run, in order (Gradio's default would drop a click
    while that button's previous event is on its way)."""
    ctx, url = app
    page = new_page(browser)
    open_page(page, url)
    judge_screens(page, 2)
    first, second = (j.judgment_id for j in ctx.judgments.read().judgments)
    keys(page, "u", "u")
    wait_status(page, f"undone: judgment {first}")  # the older one: the second U ran after the first
    assert len(ctx.store.load()) == 0
