"""The Label tab: K candidates side by side, pick chosen/rejected (or rank them all by keys),
submit the screen as a judgment (its pairs, weighted to one screen, go to the CSV).

One screen per judgment: the request, the cards and the action bar (submit, skip, both bad, tie,
regenerate, undo, rank mode) fit a 1440x900 window (1366x768 with K <= 4) without scrolling; the
action bar sticks to the bottom of the window when the cards are taller (K = 5-6). Settings, progress, guidelines, typed
requests, compare and edit sit in collapsed accordions below. Card images are display copies whose
labels are at least `views.MIN_LABEL_PX` px at the card's size (`CARD_BOX`, matched to style.css).

Layout first (`_layout`), then wiring (`_wire`); the logic lives in `labeler.labeling` and the
text in `labeler.label_views`. Handlers return `{component: update}` dicts (`_view`, `_marks`);
the output lists (`_outputs`) only fix the order of the HTTP API's results. Keyboard shortcuts
(1-6 choose, Shift+1-6 reject, O rank mode, in which 1-6 give the order best to worst, Enter
submit, S skip, B both bad, T tie, R regenerate, U undo) are a small page script
(`assets/shortcuts.js`) that clicks the buttons by elem_id.

Each card has a Rank selector: the chosen card shows 1 and the rejected one K; the others may be
given 1..K (equal numbers = tie; all of them or none). The pair scheme (Settings) decides which
pairs a judgment gives (`trainer.judgments.derive_pairs`); the saved message says how many.

API (gradio_client): `/next(k, temperature, top_p, selection, annotator)` loads the next prompt and
its candidates, `/submit(chosen, rejected, annotator, ranks="", scheme="extremes")` saves the
judgment of the session's current candidates (positions 0-based as shown; `ranks` one rank per
card, comma-separated, blank for none, e.g. "1,3,,4"; empty: the ranks set on the page),
`/undo(annotator)` takes back the annotator's last judgment (all its pairs) or skip.

Every handler goes through one `labeling.SessionBook` (made in `_wire`): an action is applied to
the session's current state, and a generation or a reply whose session moved on meanwhile (an
undo, a skip) is dropped instead of written back. The annotator is the login name under --auth
(the name field is then hidden and the login shown), else the field.
"""

from __future__ import annotations

import html
import logging
import random
from dataclasses import replace

import gradio as gr

from labeler import label_views as V
from labeler import labeling as L
from labeler.common import UserError
from labeler.prefetch import Prefetcher
from labeler.views import cropped_file, image_file, preview, problems_markdown, summary_markdown, tag
from labeler.quotas import progress
from trainer.judgments import DEFAULT_SCHEME, SCHEMES
from trainer.preferences import PreferenceError
from trainer.schema import CATEGORIES

MAX_K = L.K_RANGE[1]
RECENT_JUDGMENTS = 6
NO_RANK = "–"  # the rank selector's "not ranked"
RANK_CHOICES = [NO_RANK] + [str(r) for r in range(1, MAX_K + 1)]
# The largest box (width, height px) a card image is shown in at 1366x768 (K <= 4) or 1440x900
# (K = 5-6), after style.css: labels are drawn to be >= MIN_LABEL_PX px in it.
CARD_BOX = {2: (580, 370), 3: (380, 370), 4: (580, 150), 5: (380, 180), 6: (380, 180)}
log = logging.getLogger(__name__)


def _layout(ctx) -> dict:
    c: dict = {"state": gr.State(L.LabelState())}
    with gr.Row(equal_height=True, elem_id="label-top"):
        c["prompt"] = gr.Markdown(elem_id="prompt", elem_classes=["prompt-box"], min_height=0)
        with gr.Column(scale=0, min_width=220, elem_id="who-box"):
            c["annotator"] = gr.Textbox(label="Your name (annotator)", elem_id="annotator",
                                        placeholder="your name (annotator)", max_lines=1,
                                        container=False)
            c["who"] = gr.Markdown(elem_id="who")
    with gr.Row(elem_id="status-row", equal_height=True):
        with gr.Column(elem_id="status", scale=4):  # the status line: #status, #progress inside
            c["progress"] = gr.Markdown(elem_id="progress")
        c["header"] = gr.Markdown(elem_id="label-header", min_height=0)
    c["cards"] = []
    with gr.Row(elem_id="candidates", equal_height=False, elem_classes=["k-4"]) as row:
        for i in range(MAX_K):
            c["cards"].append(_card(i))
    c["grid"] = row
    # No precision=0: it would round 1.5 to 2 before labeling.submit can refuse it.
    c["chosen"] = gr.Number(value=None, visible="hidden", elem_id="chosen-pos")
    c["rejected"] = gr.Number(value=None, visible="hidden", elem_id="rejected-pos")
    c["ranks_api"] = gr.Textbox(value="", visible="hidden", elem_id="ranks-api")  # /submit's ranks
    c["submit_api"] = gr.Button(visible="hidden", elem_id="submit-api")  # carries the API's /submit
    with gr.Row(elem_id="action-bar", equal_height=True):
        c["picks"] = gr.Markdown(elem_id="picks")
        c["submit"] = gr.Button("Submit (Enter)", variant="primary", elem_id="submit", min_width=110)
        c["skip"] = gr.Button("Skip (S)", elem_id="skip", min_width=80)
        c["both_bad"] = gr.Button("Both bad (B)", elem_id="both-bad", min_width=100)
        c["tie"] = gr.Button("Tie (T)", elem_id="tie", min_width=80)
        c["rank_mode"] = gr.Button("Rank by keys (O)", elem_id="rank-mode", min_width=120)
        c["regenerate"] = gr.Button("Regenerate (R)", elem_id="regenerate", min_width=110)
        c["undo"] = gr.Button("Undo (U)", elem_id="undo", min_width=80)
    c["order"] = [gr.Button(f"Next best: {i + 1}", visible="hidden", elem_id=f"order-{i}")
                  for i in range(MAX_K)]
    _settings_layout(ctx, c)
    with gr.Accordion("Type your own request", open=False, elem_id="custom"):
        with gr.Row(equal_height=True):
            c["custom"] = gr.Textbox(label="Request (Enter to use it)", scale=4,
                                     elem_id="custom-prompt", max_lines=1,
                                     placeholder="DL model with 4 input nodes, 6 and 10 hidden "
                                                 "nodes, 1 output")
            c["custom_cat"] = gr.Radio(["auto", *CATEGORIES], value="auto", label="Category")
            c["use_custom"] = gr.Button("Use this request", elem_id="use-custom", scale=1)
    with gr.Accordion("Progress and last judgments", open=False, elem_id="label-progress"):
        c["progress_table"] = gr.Markdown(elem_id="progress-table")
        c["recent"] = gr.Markdown(elem_id="recent-judgments")
    with gr.Accordion("Guidelines", open=False, elem_id="guidelines"):
        gr.Markdown(V.guidelines_md(ctx.data_dir), elem_id="guidelines-text")
    _compare_layout(c)
    _edit_layout(c)
    return c


def _settings_layout(ctx, c: dict) -> None:
    with gr.Accordion("Settings: candidates, sampling, pairs per screen", open=False,
                      elem_id="label-advanced"):
        with gr.Row(equal_height=True):
            c["k"] = gr.Slider(L.K_RANGE[0], MAX_K, value=4, step=1, label="Candidates (K)",
                               elem_id="k", scale=2)
            c["temperature"] = gr.Slider(0.1, 1.5, value=0.8, step=0.05, label="Temperature", scale=1)
            c["top_p"] = gr.Slider(0.5, 1.0, value=0.95, step=0.01, label="Top-p", scale=1)
            c["selection"] = gr.Radio(
                list(L.SELECTIONS), value=ctx.selection, label="Candidates", elem_id="selection",
                scale=1, info=f"active: sample {ctx.oversample:g}xK, show the K most informative, "
                              "prompts of thin kinds first; plain: the first K samples, any prompt")
            c["scheme"] = gr.Dropdown(list(SCHEMES), value=DEFAULT_SCHEME, label="Pairs per screen",
                                      elem_id="pair-scheme", scale=1, info=(
                                          "best_worst: 1 pair (best over worst); extremes: best over "
                                          "each other and each over worst; all: every pair across "
                                          "ranks. One screen weighs 1 in training whatever the number."))


def _card(i: int) -> dict:
    with gr.Column(min_width=160, elem_classes=["card"], elem_id=f"card-{i}") as col:
        # no label over the drawing (it hid nodes in the corner): the caption starts with #N
        image = gr.Image(label=f"#{i + 1}", show_label=False, elem_id=f"candidate-{i}",
                         type="filepath", interactive=False, format="png",
                         buttons=[], elem_classes=["candidate-image"])  # a click zooms (shortcuts.js)
        bdg = gr.Markdown(elem_classes=["badge"], elem_id=f"badge-{i}")
        with gr.Row(elem_classes=["card-actions"], equal_height=True):
            choose = gr.Button(f"Choose {i + 1}", elem_id=f"choose-{i}", size="sm", min_width=60)
            reject = gr.Button(f"Reject ⇧{i + 1}", elem_id=f"reject-{i}", size="sm", min_width=60)
            rank = gr.Dropdown(RANK_CHOICES, value=NO_RANK, label=f"Rank of #{i + 1}",
                               elem_id=f"rank-{i}", min_width=70, container=False,
                               interactive=True, elem_classes=["rank"])
        with gr.Accordion("Problems and text", open=False, elem_classes=["details"]):
            problems = gr.Markdown()
            raw = gr.Code(language=None, interactive=False, lines=4, max_lines=14,
                          wrap_lines=True, elem_id=f"raw-{i}")
    return {"col": col, "image": image, "badge": bdg, "choose": choose, "reject": reject,
            "rank": rank, "problems": problems, "raw": raw}


def _compare_layout(c: dict) -> None:
    with gr.Accordion("Compare two side by side", open=False, elem_id="compare"):
        with gr.Row():
            # choices are per session (set with the candidates): positions are checked here
            c["cmp_a"] = gr.Dropdown(label="Left", choices=[], elem_id="compare-a",
                                     allow_custom_value=True)
            c["cmp_b"] = gr.Dropdown(label="Right", choices=[], elem_id="compare-b",
                                     allow_custom_value=True)
        with gr.Row():
            c["cmp_left"] = gr.Image(type="filepath", interactive=False, format="png",
                                     show_label=False, elem_id="compare-left", height=520)
            c["cmp_right"] = gr.Image(type="filepath", interactive=False, format="png",
                                      show_label=False, elem_id="compare-right", height=520)


def _edit_layout(c: dict) -> None:
    with gr.Accordion("Edit to fix (when every candidate is wrong)", open=False, elem_id="edit"):
        gr.Markdown("Open a candidate, correct it, then submit it as **chosen** against the "
                    "candidate you marked **rejected** (Shift+1-6). The editor belongs to the "
                    "prompt it was opened for and is emptied when the prompt changes.")
        c["edit_for"] = gr.Textbox(visible="hidden", elem_id="edit-for")
        with gr.Row(equal_height=True):
            c["edit_source"] = gr.Dropdown(label="Candidate to edit", choices=[], scale=2,
                                           elem_id="edit-source", allow_custom_value=True)
            c["edit_open"] = gr.Button("Open in editor", elem_id="edit-open", scale=1)
        with gr.Row():
            with gr.Column():
                c["editor"] = gr.Code(label="Diagram text", language=None, lines=12,
                                      max_lines=30, interactive=True, elem_id="editor",
                                      wrap_lines=True)
            with gr.Column():
                c["edit_image"] = gr.Image(label="Preview", type="filepath", interactive=False,
                                           format="png", height=300, elem_id="edit-preview")
                c["edit_problems"] = gr.Markdown()
        c["edit_submit"] = gr.Button("Submit edit as chosen", variant="primary",
                                     elem_id="submit-edit")


# ---------------------------------------------------------------- state -> component updates
def _header(ctx) -> dict:
    """The progress in screens (the top line and the Progress accordion) from one read of each store."""
    try:
        stored = ctx.store.read()
        judgments = ctx.judgments.read() if ctx.judgments is not None else None
    except PreferenceError as exc:
        message = f"{tag('bad', 'error')} The preferences file is unreadable: {exc}"
        return {"header": message, "progress_table": message, "recent": ""}
    model = ctx.models.name(ctx.models.active())
    screens = V.screens_by_category(judgments, stored)
    return {"header": V.progress_line(screens, model),
            "progress_table": "Pairs in the CSV (a screen gives 1-15 pairs, weighted to one):\n\n"
                              + summary_markdown(progress(stored.counts()), model, []),
            "recent": V.recent_judgments_md(judgments, RECENT_JUDGMENTS)}


def _rank_update(state: L.LabelState, i: int):
    """A card's rank selector: 1 for chosen, K for rejected (fixed), else the rank given or none."""
    k = max(len(state.candidates), 2)
    choices = RANK_CHOICES[: k + 1]
    if i == state.chosen:
        return gr.Dropdown(choices=choices, value="1", interactive=False)
    if i == state.rejected:
        return gr.Dropdown(choices=choices, value=str(k), interactive=False)
    rank = L.ranks_of(state).get(i)
    return gr.Dropdown(choices=choices, value=NO_RANK if rank is None else str(rank),
                       interactive=not state.ordering)


def _grid_classes(state: L.LabelState, n: int) -> list[str]:
    return [f"k-{n}"] + (["ordering"] if state.ordering else [])


def _marks(c: dict, state: L.LabelState, status: str, visible_n: int | None = None) -> dict:
    """What a pick changes: state, pick line, status, the two hidden positions, and per card its
    highlight (and visibility when `visible_n` is given) and button states: the marked button is
    filled and says so (Chosen ✓ / Rejected ✗), the other stays plain."""
    out = {c["state"]: state, c["picks"]: V.picks_md(state), c["progress"]: status,
           c["chosen"]: state.chosen, c["rejected"]: state.rejected,
           c["rank_mode"]: gr.Button("Leave rank mode (O)" if state.ordering else "Rank by keys (O)",
                                     variant="primary" if state.ordering else "secondary"),
           c["grid"]: gr.Row(elem_classes=_grid_classes(state, max(visible_n or 0,
                                                                   len(state.candidates), 1)))}
    for i, card in enumerate(c["cards"]):
        role = "chosen" if state.chosen == i else "rejected" if state.rejected == i else ""
        classes = ["card", role] if role else ["card"]
        out[card["col"]] = (gr.Column(elem_classes=classes) if visible_n is None else
                            gr.Column(elem_classes=classes, visible=i < visible_n))
        out[card["choose"]] = gr.Button(f"Chosen ✓ {i + 1}" if role == "chosen" else f"Choose {i + 1}",
                                        variant="primary" if role == "chosen" else "secondary")
        out[card["reject"]] = gr.Button(f"Rejected ✗ {i + 1}" if role == "rejected" else f"Reject ⇧{i + 1}",
                                        variant="stop" if role == "rejected" else "secondary")
        out[card["rank"]] = _rank_update(state, i)
    return out


def _compare_view(ctx, state: L.LabelState, a, b) -> list:
    """The two images of the side-by-side view for display positions a and b."""
    out = []
    for pos in (_pos(a), _pos(b)):
        ok = isinstance(pos, int) and 0 <= pos < len(state.candidates)
        out.append(str(image_file(ctx.render_dir, state.candidates[pos].text)) if ok else None)
    return out


def _view(ctx, c: dict, state: L.LabelState, status: str | None = None, pending: int = 0,
          reset_editor: bool = False) -> dict:
    """Every Label-tab update from the state; `pending` = K cards shown empty while generating
    (the header, which reads the stores, is refreshed once the candidates are there);
    `reset_editor` empties Edit to fix (the prompt changed)."""
    status = f"{V.notice(state)}{V.status(state)}" if status is None else status
    n = len(state.candidates)
    choices = [(f"#{i + 1}", i) for i in range(n)]
    left, right = _compare_view(ctx, state, 0, 1)
    out = _marks(c, state, status, max(n, pending, 1))
    out.update({c["prompt"]: V.prompt_md(state),
                c["regenerate"]: gr.Button(variant="primary" if state.all_invalid else "secondary"),
                c["edit_source"]: gr.Dropdown(choices=choices, value=0 if n else None),
                c["cmp_a"]: gr.Dropdown(choices=choices, value=0 if n else None),
                c["cmp_b"]: gr.Dropdown(choices=choices, value=1 if n > 1 else None),
                c["cmp_left"]: left, c["cmp_right"]: right})
    if not pending:
        out.update({c[key]: value for key, value in _header(ctx).items()})
    if reset_editor:
        out.update({c["editor"]: "", c["edit_for"]: ""})
    box = CARD_BOX.get(n, CARD_BOX[MAX_K])
    for i, card in enumerate(c["cards"]):
        if i >= n:
            out.update({card["image"]: gr.Image(value=None, alt_text=None), card["badge"]: "",
                        card["problems"]: "", card["raw"]: ""})
            continue
        cand = state.candidates[i]
        out.update({card["image"]: gr.Image(value=str(cropped_file(ctx.render_dir, cand.text, box=box)),
                                            alt_text=V.alt_text(state, i)),
                    card["badge"]: V.card_caption(state, i),
                    card["problems"]: problems_markdown(cand.problems), card["raw"]: cand.text})
    return out


def _outputs(c: dict) -> tuple[list, list]:
    """The output lists in the HTTP API's order (the handlers return dicts)."""
    marks = [c["state"], c["picks"], c["progress"], c["chosen"], c["rejected"], c["rank_mode"],
             c["grid"]]
    for card in c["cards"]:
        marks += [card["col"], card["choose"], card["reject"], card["rank"]]
    view = marks + [c["prompt"], c["header"], c["progress_table"], c["recent"], c["regenerate"],
                    c["edit_source"], c["cmp_a"], c["cmp_b"], c["cmp_left"], c["cmp_right"],
                    c["editor"], c["edit_for"]]
    for card in c["cards"]:
        view += [card["image"], card["badge"], card["problems"], card["raw"]]
    return marks, view


# ---------------------------------------------------------------- handlers and wiring
def _warn(message: str) -> str:
    gr.Warning(message)
    return f"{tag('warn', 'not done')} {message}"


def _user(annotator: str, request: gr.Request | None) -> str:
    return L.annotator_name(annotator, getattr(request, "username", None))


def _who(annotator: str | None, request: gr.Request | None) -> str | None:
    """The annotator a new prompt is picked for (overlap: never one they judged); None when the
    name field is unusable (the submit says why)."""
    try:
        return _user(annotator, request)
    except UserError:
        return None


def identity(c: dict):
    """The page-load handler for who is labeling: under --auth the login (the name field hidden,
    "Labeling as ana (login)" shown), else the name this browser last typed."""
    def load(name, request: gr.Request = None):
        login = getattr(request, "username", None)
        if login:
            return {c["annotator"]: gr.Textbox(value=login, visible=False, interactive=False),
                    c["who"]: f"Labeling as **{html.escape(login)}** (your login)"}
        return {c["annotator"]: name or gr.skip()}
    return load


def _advance(ctx, c, book: L.SessionBook, state: L.LabelState, sampling: L.Sampling,
             rng: random.Random, custom: tuple[str, str] | None = None,
             same_prompt: bool = False, annotator: str | None = None, keep_notice: bool = False):
    """Generator: (new prompt,) progress message, then the candidates (or a clear message).
    The candidates are shown only if the session did not move on while they were generated.
    A next pool prompt comes from the session's prefetch when one is ready for these settings
    (`labeler.prefetch`); every shown screen starts the next one.
    `keep_notice`: the step follows an action whose result the status line still reports
    (a submit, a skip, an undo); else that line is cleared."""
    before = book.current(state)
    pre: Prefetcher | None = c.get("prefetch")

    def start(current: L.LabelState):
        if not keep_notice:
            current = replace(current, notice="")
        if custom is not None:
            current = L.custom_prompt(current, *custom)
        elif not same_prompt or not current.prompt:
            current = L.next_prompt(ctx, current, rng, annotator, cover=sampling.selection != "plain")
        L.check_sampling(sampling)
        return replace(current, candidates=(), chosen=None, rejected=None, confirm=None, order=()), None

    if custom is None and not same_prompt and pre is not None:  # the next screen may be ready
        if pre.waiting(before, sampling, annotator):  # on its way: say so while it finishes
            note = f"{V.notice(before)}{tag('busy', 'generating')} the next screen ..."
            yield _view(ctx, c, replace(before, candidates=()), note, pending=int(sampling.k))
        ready = pre.take(before, sampling, annotator)
        if ready is not None:
            swapped = book.finish(before, ready if keep_notice else replace(ready, notice=""))
            if swapped is None:  # the session moved on meanwhile (an undo): nothing to show
                yield gr.skip()
                return
            yield _view(ctx, c, swapped, reset_editor=True)
            pre.start(swapped, sampling, annotator)
            return
    try:
        waiting, _ = book.apply(state, start)
    except UserError as exc:
        yield _view(ctx, c, before, _warn(str(exc)))
        return
    reset = waiting.prompt_key != before.prompt_key
    model = ctx.models.name(ctx.models.active())
    count = f"{sampling.k} candidates" if sampling.m == int(sampling.k) else \
        f"{sampling.m} candidates (to show the {sampling.k} most informative)"
    message = f"{V.notice(waiting)}{tag('busy', 'generating')} {count} with `{model}` ..."
    yield _view(ctx, c, waiting, message, pending=int(sampling.k), reset_editor=reset)
    try:
        new = pre.generate(waiting, sampling, annotator) if pre is not None else \
            L.generate(ctx, waiting, sampling, annotator)
    except Exception as exc:  # the UI boundary: a model failure is shown, not a stack trace
        if not isinstance(exc, UserError):
            log.exception("generation failed")
        if book.current(waiting).version == waiting.version:
            yield _view(ctx, c, waiting, _warn(f"Generation failed: {exc}"))
        return
    stored = book.finish(waiting, new)
    if stored is None:  # superseded (an undo, a skip, another prompt): drop, never write back
        yield gr.skip()
        return
    yield _view(ctx, c, stored)
    if pre is not None:
        pre.start(stored, sampling, annotator)  # the next screen, while this one is judged


def _apply_marks(c, book: L.SessionBook, state: L.LabelState, change) -> dict:
    """Apply `change(current) -> new state` to the session and show the marks (or why not)."""
    try:
        state, _ = book.apply(state, lambda cur: (change(cur), None))
    except UserError as exc:
        return _marks(c, book.current(state), _warn(str(exc)))
    return _marks(c, state, f"{V.notice(state)}{V.status(state)}")


def _wire(ctx, c: dict, prefetch: bool = True) -> None:
    book = L.SessionBook()

    def warm(state: L.LabelState) -> None:  # a prefetched screen's display copies, rendered ahead
        box = CARD_BOX.get(len(state.candidates), CARD_BOX[MAX_K])
        for cand in state.candidates:
            cropped_file(ctx.render_dir, cand.text, box=box)
    c["prefetch"] = Prefetcher(ctx, warm=warm, enabled=prefetch)
    marks, view = _outputs(c)
    c["view_outputs"], c["mark_outputs"] = view, marks
    # the annotator rides along with the sampling knobs: a new prompt is picked for them (overlap)
    sampling = c["sampling"] = [c["k"], c["temperature"], c["top_p"], c["selection"], c["annotator"]]
    gen = {"concurrency_id": "generate", "concurrency_limit": ctx.generate_concurrency}
    after_pair = _wire_generation(ctx, book, c, view, sampling, gen)
    _wire_picks(ctx, book, c, marks, view, after_pair, sampling, gen)
    _wire_edit(ctx, book, c, marks, after_pair)

    def compare(state, a, b):
        return _compare_view(ctx, book.current(state), a, b)
    for dropdown in (c["cmp_a"], c["cmp_b"]):
        dropdown.change(compare, [c["state"], c["cmp_a"], c["cmp_b"]],
                        [c["cmp_left"], c["cmp_right"]], api_visibility="private",
                        show_progress="hidden")
    c["header_fn"] = lambda: {c[key]: value for key, value in _header(ctx).items()}
    c["header_outputs"] = [c["header"], c["progress_table"], c["recent"]]
    c["identity_fn"] = identity(c)


def _follows(book: L.SessionBook, state: L.LabelState) -> bool:
    """A chained step runs only if the session is still where the step before left it."""
    return book.current(state).version == state.version


def _wire_generation(ctx, book, c: dict, view: list, sampling: list, gen: dict):
    """Next / regenerate / typed prompt / skips; returns the handler run after a pair is saved."""
    rng = random.Random()

    def settings(k, temperature, top_p, selection) -> L.Sampling:
        """The sampling settings as one value (a new knob: here and in `sampling`)."""
        return L.Sampling(k, temperature, top_p, selection=selection, oversample=ctx.oversample)

    def next_prompt(state, k, temperature, top_p, selection=ctx.selection, annotator=None,
                    req: gr.Request = None):
        yield from _advance(ctx, c, book, state, settings(k, temperature, top_p, selection), rng,
                            annotator=_who(annotator, req))

    def after_pair(state, k, temperature, top_p, selection=ctx.selection, annotator=None,
                   req: gr.Request = None):
        current = book.current(state)
        if not _follows(book, state) or current.candidates or not current.notice:
            yield gr.skip()  # refused, or the session moved on (e.g. an undo)
            return
        yield from _advance(ctx, c, book, state, settings(k, temperature, top_p, selection), rng,
                            annotator=_who(annotator, req), keep_notice=True)

    def replay(state, k, temperature, top_p, selection=ctx.selection, annotator=None,
               req: gr.Request = None):
        """After an undo: candidates for the restored prompt (same seed as before)."""
        if not _follows(book, state) or state.candidates or not state.prompt:
            yield gr.skip()
            return
        yield from _advance(ctx, c, book, state, settings(k, temperature, top_p, selection), rng,
                            same_prompt=True, annotator=_who(annotator, req), keep_notice=True)

    def regenerate(state, k, temperature, top_p, selection=ctx.selection, annotator=None,
                   req: gr.Request = None):
        yield from _advance(ctx, c, book, state, settings(k, temperature, top_p, selection), rng,
                            same_prompt=True, annotator=_who(annotator, req))

    def use_custom(state, request, category, k, temperature, top_p, selection=ctx.selection,
                   annotator=None, req: gr.Request = None):
        yield from _advance(ctx, c, book, state, settings(k, temperature, top_p, selection), rng,
                            custom=(request, category), annotator=_who(annotator, req))

    c["next_fn"] = next_prompt  # build_app runs it on page load
    c["replay_fn"] = replay
    c["regenerate"].click(regenerate, [c["state"], *sampling], view, api_name="regenerate", **gen)
    custom_inputs = [c["state"], c["custom"], c["custom_cat"], *sampling]
    c["use_custom"].click(use_custom, custom_inputs, view, api_name="custom", **gen)
    c["custom"].submit(use_custom, custom_inputs, view, api_visibility="private", **gen)
    for reason in L.SKIP_REASONS:
        def skip(state, annotator, k, temperature, top_p, selection, request: gr.Request = None,
                 reason=reason):
            name = _user(annotator, request)
            try:
                state, _ = book.apply(state, lambda cur: (L.skip(ctx, cur, reason, name), None))
            except UserError as exc:  # with overlap: a second tie / both bad of one prompt
                yield _view(ctx, c, book.current(state), _warn(str(exc)))
                return
            yield from _advance(ctx, c, book, state, settings(k, temperature, top_p, selection), rng,
                                annotator=name, keep_notice=True)
        c[reason].click(skip, [c["state"], c["annotator"], *sampling[:4]], view, api_name=reason,
                        **gen)
    return after_pair


def _wire_picks(ctx, book, c: dict, marks: list, view: list, after_pair, sampling: list,
                gen: dict) -> None:
    """Choose / reject / rank buttons, rank mode, submit (API `/submit`) and undo (API `/undo`)."""
    quiet = {"api_visibility": "private", "show_progress": "hidden"}

    def handler(change):
        return lambda state: _apply_marks(c, book, state, change)

    for i, card in enumerate(c["cards"]):
        card["choose"].click(handler(lambda cur, i=i: L.mark(cur, i, "chosen")), c["state"], marks, **quiet)
        card["reject"].click(handler(lambda cur, i=i: L.mark(cur, i, "rejected")), c["state"], marks, **quiet)
        c["order"][i].click(handler(lambda cur, i=i: L.press_order(cur, i)), c["state"], marks, **quiet)

        def rank(state, value, i=i):
            value = None if value in (None, "", NO_RANK) else value
            return _apply_marks(c, book, state, lambda cur: L.set_rank(cur, i, value))
        card["rank"].input(rank, [c["state"], card["rank"]], marks, **quiet)
    c["rank_mode"].click(handler(L.toggle_ordering), c["state"], marks, **quiet)

    def save(state, chosen, rejected, annotator, ranks, scheme, request) -> tuple[dict, bool]:
        """(the marks to show, whether the screen was saved)."""
        name = _user(annotator, request)

        def action(current):
            try:
                return L.submit(ctx, current, _pos(chosen), _pos(rejected), name, ranks=ranks or None,
                                scheme=scheme)
            except L.NeedsConfirmation as exc:  # remembered: the same submit again confirms
                return exc.state, exc
        try:
            state, result = book.apply(state, action)
        except UserError as exc:
            return _marks(c, book.current(state), _warn(str(exc))), False
        if isinstance(result, L.NeedsConfirmation):
            return _marks(c, state, _warn(str(result))), False
        return _marks(c, state, V.notice(state).removesuffix(" · ")), True

    def submit(state, chosen, rejected, annotator, ranks="", scheme=DEFAULT_SCHEME,
               request: gr.Request = None):
        return save(state, chosen, rejected, annotator, ranks, scheme, request)[0]

    def submit_and_next(state, chosen, rejected, annotator, ranks, scheme, k, temperature, top_p,
                        selection, request: gr.Request = None):
        """The page's Submit: save, show that, then the next screen in the same event (one
        round trip; with a prefetched screen ready, a swap)."""
        shown, saved = save(state, chosen, rejected, annotator, ranks, scheme, request)
        yield shown
        if saved:
            yield from after_pair(shown[c["state"]], k, temperature, top_p, selection, annotator,
                                  request)

    inputs = [c["state"], c["chosen"], c["rejected"], c["annotator"], c["ranks_api"], c["scheme"]]
    c["submit"].click(submit_and_next, [*inputs, *sampling[:4]], view, api_visibility="private")
    # the HTTP API's /submit saves only (its result says what was saved); /next moves on
    c["submit_api"].click(submit, inputs, marks, api_name="submit")

    def undo(state, annotator, request: gr.Request = None):
        name = _user(annotator, request)
        try:
            state, _ = book.apply(state, lambda cur: L.undo(ctx, cur, name))
        except UserError as exc:
            return _view(ctx, c, book.current(state), _warn(str(exc)))
        return _view(ctx, c, state, reset_editor=True)

    c["undo"].click(undo, [c["state"], c["annotator"]], view, api_name="undo").then(
        c["replay_fn"], [c["state"], *sampling], view, api_visibility="private", **gen)


def _pos(value):
    """A position from a Number component (None or a float) as an int, or None."""
    if value is None or value == "":
        return None
    try:
        return int(value) if float(value).is_integer() else value
    except (TypeError, ValueError):
        return value  # not a number: the logic's checks say so


def _wire_edit(ctx, book, c: dict, marks: list, after_pair) -> None:
    def open_editor(state, source):
        state, pos = book.current(state), _pos(source)
        if not state.candidates or pos is None or not 0 <= pos < len(state.candidates):
            return gr.skip(), gr.skip(), _warn("There is no such candidate to edit.")
        return state.candidates[pos].text, state.prompt_key, f"Editing candidate #{pos + 1}."

    c["edit_open"].click(open_editor, [c["state"], c["edit_source"]],
                         [c["editor"], c["edit_for"], c["progress"]], api_visibility="private")
    c["editor"].change(lambda text: preview(ctx.render_dir, text), c["editor"],
                       [c["edit_image"], c["edit_problems"]], trigger_mode="always_last",
                       show_progress="hidden", api_visibility="private")

    def submit_edit(state, text, source, rejected, annotator, edit_for,
                    request: gr.Request = None):
        name = _user(annotator, request)
        try:
            state, _ = book.apply(state, lambda cur: L.submit_edit(
                ctx, cur, text, _pos(source), _pos(rejected), name, for_prompt=edit_for))
        except UserError as exc:
            return _marks(c, book.current(state), _warn(str(exc)))
        return _marks(c, state, V.notice(state).removesuffix(" · "))

    sampling = c["sampling"]
    c["edit_submit"].click(submit_edit, [c["state"], c["editor"], c["edit_source"],
                                         c["rejected"], c["annotator"], c["edit_for"]], marks,
                           api_name="submit_edit").then(
        after_pair, [c["state"], *sampling], c["view_outputs"], api_visibility="private",
        concurrency_id="generate", concurrency_limit=ctx.generate_concurrency)


def create_label_tab(ctx, prefetch: bool = True) -> dict:
    """Lay out and wire the tab; returns its components (and `next_fn` for the page load).
    `prefetch`: generate each session's next screen while the current one is judged."""
    c = _layout(ctx)
    _wire(ctx, c, prefetch)
    return c
