"""The Label tab's races and history in headless Chromium, with a slow fake model (no torch).

- Enter, then U while the next candidates are still generating: the pair is gone from the CSV,
  the status line never claims it was saved, and the next U has nothing left to undo.
- An edit that does not belong to the current prompt is refused; the editor empties when the
  prompt changes.
- Undo works after a page reload (the history is rebuilt from the event log and the CSV).

    pytest -m browser tests/test_browser_label.py
"""

from __future__ import annotations

import pytest

from testing.fakes import FakeGenerator, make_context
from test_browser import CHROMIUM, free_port, page, print_trace, shot, traced  # noqa: F401  (page: a fixture)

GENERATE_SECONDS = 2.0  # long enough to press U while the next candidates are generating

pytestmark = [
    pytest.mark.slow, pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]


@pytest.fixture
def slow_app(tmp_path):
    from labeler.app import launch

    ctx = make_context(tmp_path, generator_factory=lambda p: FakeGenerator(
        p, delay_s=GENERATE_SECONDS))
    # prefetch off: every next screen is generated while the page waits (the races under test);
    # test_browser_screen covers the same sequences with the prefetch on
    demo, url = launch(ctx, port=free_port(), prefetch=False)
    yield ctx, url
    demo.close()
    ctx.close()


def status(page) -> str:
    return page.locator("#status").inner_text()


def ready(page) -> None:
    """Wait until candidates are shown and nothing is generating."""
    page.wait_for_selector("#candidate-1 img", state="visible")
    page.wait_for_function("!document.querySelector('#status .tag.busy')")


def keys(page, *presses: str) -> None:
    page.locator("body").click(position={"x": 5, "y": 5})  # focus out of any text field
    for key in presses:
        page.keyboard.press(key)


def open_page(page, url: str, name: str) -> None:
    page.goto(url)
    page.locator("#annotator textarea, #annotator input").first.fill(name)
    ready(page)


def submit_pair(page) -> None:
    keys(page, "Digit1")
    page.wait_for_selector("#card-0.chosen")
    keys(page, "Shift+Digit2")
    page.wait_for_selector("#card-1.rejected")
    assert "Chosen ✓" in page.locator("#choose-0").inner_text()
    assert "Rejected ✗" in page.locator("#reject-1").inner_text()
    keys(page, "Enter")


def test_enter_then_undo_during_generation_leaves_csv_and_status_in_agreement(slow_app, page):
    ctx, url = slow_app
    open_page(page, url, "ana")
    request = page.locator("#prompt").inner_text()
    submit_pair(page)
    page.wait_for_selector("#status .tag.busy")  # the next prompt's candidates are generating
    assert len(ctx.store.load()) == 5  # one screen of 4: 5 pairs (extremes)
    keys(page, "u")
    page.wait_for_function("document.querySelector('#status')?.innerText.includes('undone')")
    assert len(ctx.store.load()) == 0
    ready(page)  # the superseded generation ended and the undone prompt got its candidates back
    page.wait_for_timeout(2 * GENERATE_SECONDS * 1000)  # anything still in flight lands now
    line = status(page)
    assert "undone" in line and "saved" not in line, line
    assert page.locator("#prompt").inner_text() == request  # back on the prompt that was undone
    assert len(ctx.store.load()) == 0
    keys(page, "u")
    page.wait_for_function(
        "document.querySelector('#status')?.innerText.includes('Nothing to undo for ana')")
    assert len(ctx.store.load()) == 0


def test_a_stale_edit_is_refused_and_the_editor_empties_on_a_new_prompt(slow_app, page):
    ctx, url = slow_app
    open_page(page, url, "ana")
    page.get_by_text("Edit to fix").click()
    page.locator("#edit-open").click()
    page.wait_for_function(
        "document.querySelector('#editor .cm-content')?.innerText.includes('[0,')")
    keys(page, "s")  # skip: a new prompt
    page.wait_for_selector("#status .tag.busy")
    ready(page)
    assert page.locator("#editor .cm-content").inner_text().strip() == ""
    # A diagram typed without opening a candidate of this prompt: refused, nothing written.
    editor = page.locator("#editor .cm-content")
    editor.click()
    editor.fill("[0, 100, 300, 'circle', 40, 40, 'solid arrow', (1, 2, 3), (4, 5, 6), []]")
    keys(page, "Shift+Digit2")
    page.wait_for_selector("#card-1.rejected")
    page.locator("#submit-edit").click()
    page.wait_for_function(
        "document.querySelector('#status')?.innerText.includes('belongs to an earlier prompt')")
    assert len(ctx.store.load()) == 0


def test_undo_after_a_reload(slow_app, page):
    ctx, url = slow_app
    open_page(page, url, "ana")
    submit_pair(page)
    page.wait_for_selector("#status .tag.ok")
    ready(page)
    assert len(ctx.store.load()) == 5
    page.reload()
    ready(page)  # the name comes back from the browser's storage
    assert page.locator("#annotator textarea, #annotator input").first.input_value() == "ana"
    keys(page, "u")
    page.wait_for_function("document.querySelector('#status')?.innerText.includes('undone')")
    assert len(ctx.store.load()) == 0
    ready(page)
    shot(page, "label-after-undo")


def pick_rank(page, card: int, rank: str) -> None:
    page.locator(f"#rank-{card} input").click()
    # the option list of this selector only (gradio 6 can keep another card's list in the page)
    page.locator(f"#rank-{card}").get_by_role("option", name=rank, exact=True).click()
    page.wait_for_function(f"document.querySelector('#picks')?.innerText.includes('#{card + 1}={rank}')")


def test_ranking_the_rest_and_the_scheme_in_the_browser(slow_app, page):
    ctx, url = slow_app
    open_page(page, url, "ana")
    keys(page, "Digit1", "Shift+Digit4")
    page.wait_for_selector("#card-3.rejected")
    assert page.locator("#rank-0 input").input_value() == "1"  # filled from the marks
    assert page.locator("#rank-3 input").input_value() == "4"
    pick_rank(page, 1, "3")
    pick_rank(page, 2, "2")
    page.get_by_text("Settings: candidates").click()
    page.locator("#pair-scheme input").click()
    page.get_by_role("option", name="all", exact=True).click()
    keys(page, "Enter")
    page.wait_for_function("document.querySelector('#status')?.innerText.includes('6 pairs (all)')")
    (judgment,) = ctx.judgments.read().judgments
    assert judgment.ranking == ((0,), (2,), (1,), (3,)) and len(ctx.store.load()) == 6


def test_a_page_waiting_for_the_generator_shows_its_place_in_the_queue(slow_app, page):
    """Two annotators, one generation at a time: while the first one's candidates are generated,
    the second page's status line says where it waits ("queue: 1/1"), then its candidates come."""
    ctx, url = slow_app
    other = page.context.browser.new_page(viewport={"width": 1400, "height": 1000})
    other.set_default_timeout(60_000)
    traced(other)
    try:
        open_page(page, url, "ana")
        open_page(other, url, "bo")
        keys(page, "r")
        page.wait_for_selector("#status .tag.busy")  # ana's candidates are being generated
        keys(other, "r")
        other.wait_for_function("document.querySelector('#status')?.innerText.includes('queue: 1/1')")
        ready(other)
        ready(page)
        assert "queue:" not in status(other)
    finally:
        print_trace(other)  # pytest shows it when the test failed
        other.close()
