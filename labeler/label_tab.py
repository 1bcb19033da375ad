"""The Label tab: K candidates side by side, pick chosen/rejected, submit a preference pair.

Layout first (`_layout`), then wiring (`_wire`); the logic lives in `labeler.labeling` and the
component updates are built from the session's `LabelState` by `_view` / `_marks`. Keyboard
shortcuts (1-6 choose, Shift+1-6 reject, Enter submit, S skip, R regenerate, U undo) are a small
page script (`assets/shortcuts.js`) that clicks the buttons by elem_id.

API (gradio_client): `/next` loads the next prompt and its candidates, `/submit(chosen, rejected,
annotator)` appends the pair for the session's current candidates (positions 0-based as shown).
"""

from __future__ import annotations

import logging
import random
from dataclasses import replace

import gradio as gr

from labeler import labeling as L
from labeler.views import badge, image_file, preview, problems_markdown, summary_markdown, tag

MAX_K = L.K_RANGE[1]
RECENT_PAIRS = 4
log = logging.getLogger(__name__)


def _layout(ctx) -> dict:
    c: dict = {"state": gr.State(L.LabelState())}
    c["header"] = gr.Markdown(elem_id="label-header")
    with gr.Row(equal_height=True):
        c["annotator"] = gr.Textbox(label="Your name (annotator)", elem_id="annotator", scale=2,
                                    placeholder="entered once per browser session", max_lines=1)
        c["k"] = gr.Slider(L.K_RANGE[0], MAX_K, value=4, step=1, label="Candidates (K)",
                           elem_id="k", scale=2)
        c["temperature"] = gr.Slider(0.1, 1.5, value=0.8, step=0.05, label="Temperature", scale=1)
        c["top_p"] = gr.Slider(0.5, 1.0, value=0.95, step=0.01, label="Top-p", scale=1)
    c["prompt"] = gr.Markdown(elem_id="prompt", elem_classes=["prompt-box"])
    with gr.Accordion("Type your own prompt", open=False):
        with gr.Row(equal_height=True):
            c["custom"] = gr.Textbox(label="Request", scale=4, elem_id="custom-prompt",
                                     placeholder="DL model with 4 input nodes, 6 and 10 hidden "
                                                 "nodes, 1 output")
            c["custom_cat"] = gr.Radio(["auto", *L.CATEGORIES], value="auto", label="Category")
            c["use_custom"] = gr.Button("Use this prompt", elem_id="use-custom", scale=1)
    c["progress"] = gr.Markdown(elem_id="progress")
    c["cards"] = []
    with gr.Row(elem_id="candidates", equal_height=False):
        for i in range(MAX_K):
            c["cards"].append(_card(i))
    c["picks"] = gr.Markdown(elem_id="picks")
    # No precision=0: it would round 1.5 to 2 before labeling.submit can refuse it.
    c["chosen"] = gr.Number(value=None, visible="hidden", elem_id="chosen-pos")
    c["rejected"] = gr.Number(value=None, visible="hidden", elem_id="rejected-pos")
    with gr.Row():
        c["submit"] = gr.Button("Submit pair (Enter)", variant="primary", elem_id="submit")
        c["skip"] = gr.Button("Skip (S)", elem_id="skip")
        c["both_bad"] = gr.Button("Both bad", elem_id="both-bad")
        c["tie"] = gr.Button("Tie", elem_id="tie")
        c["regenerate"] = gr.Button("Regenerate (R)", elem_id="regenerate")
        c["undo"] = gr.Button("Undo last pair (U)", elem_id="undo")
    _edit_layout(c)
    return c


def _card(i: int) -> dict:
    with gr.Column(min_width=200, elem_classes=["card"], elem_id=f"card-{i}") as col:
        image = gr.Image(label=f"#{i + 1}", elem_id=f"candidate-{i}", type="filepath",
                         interactive=False, format="png", height=260, buttons=["fullscreen"])
        bdg = gr.Markdown(elem_classes=["badge"], elem_id=f"badge-{i}")
        with gr.Row():
            choose = gr.Button(f"Choose {i + 1}", elem_id=f"choose-{i}", size="sm")
            reject = gr.Button(f"Reject ⇧{i + 1}", elem_id=f"reject-{i}", size="sm")
        with gr.Accordion("Problems", open=False):
            problems = gr.Markdown()
        with gr.Accordion("Raw text", open=False):
            raw = gr.Code(language=None, interactive=False, lines=4, max_lines=14,
                          wrap_lines=True, elem_id=f"raw-{i}")
    return {"col": col, "image": image, "badge": bdg, "choose": choose, "reject": reject,
            "problems": problems, "raw": raw}


def _edit_layout(c: dict) -> None:
    with gr.Accordion("Edit to fix (when every candidate is wrong)", open=False, elem_id="edit"):
        gr.Markdown("Open a candidate, correct it, then submit it as **chosen** against the "
                    "candidate you marked **rejected** (Shift+1-6).")
        with gr.Row(equal_height=True):
            c["edit_source"] = gr.Dropdown(label="Candidate to edit", choices=[], scale=2,
                                           elem_id="edit-source")
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
def _status(state: L.LabelState) -> str:
    if not state.candidates:
        return ""
    if state.all_invalid:
        return (f"{tag('bad', 'all invalid')} Every candidate is invalid. Press "
                "**Regenerate (R)**, or fix one under *Edit to fix*.")
    return "Pick one **chosen** (1-6) and one **rejected** (Shift+1-6), then **Submit** (Enter)."


def _prompt_md(state: L.LabelState) -> str:
    if not state.prompt:
        return "*No prompt yet.*"
    where = f"pool `{state.prompt_id}`" if state.prompt_id else "typed"
    return f"**Request** ({state.category}, {where}): {state.request}"


def _header(ctx) -> str:
    try:
        frame = ctx.store.load()
        recent = frame.tail(RECENT_PAIRS).iloc[::-1].to_dict("records")
        return summary_markdown(ctx.store.summary(), ctx.model_name(ctx.active_checkpoint()),
                                recent)
    except L.PreferenceError as exc:
        return f"{tag('bad', 'error')} The preferences file is unreadable: {exc}"


def _picks_md(state: L.LabelState) -> str:
    def show(pos):
        return "-" if pos is None else f"**#{pos + 1}**"
    return f"Chosen: {show(state.chosen)} · Rejected: {show(state.rejected)}"


def _marks(state: L.LabelState, status: str, visible_n: int | None = None) -> list:
    """The outputs a pick changes: state, pick summary, status, the two hidden positions, and
    per card its highlight (and visibility when `visible_n` is given) and button variants."""
    out = [state, _picks_md(state), status, state.chosen, state.rejected]
    for i in range(MAX_K):
        role = "chosen" if state.chosen == i else "rejected" if state.rejected == i else ""
        classes = ["card", role] if role else ["card"]
        out += [gr.Column(elem_classes=classes) if visible_n is None else
                gr.Column(elem_classes=classes, visible=i < visible_n),
                gr.Button(variant="primary" if role == "chosen" else "secondary"),
                gr.Button(variant="stop" if role == "rejected" else "secondary")]
    return out


def _view(ctx, state: L.LabelState, status: str | None = None, pending: int = 0) -> list:
    """Every Label-tab output from the state; `pending` = K cards shown empty while generating
    (the header, which reads the CSV, is refreshed once the candidates are there)."""
    status = _status(state) if status is None else status
    n = len(state.candidates)
    out = [_prompt_md(state), gr.skip() if pending else _header(ctx),
           gr.Button(variant="primary" if state.all_invalid else "secondary"),
           gr.Dropdown(choices=[(f"#{i + 1}", i) for i in range(n)], value=0 if n else None)]
    for i in range(MAX_K):
        if i >= n:
            out += [None, "", "", ""]
            continue
        cand = state.candidates[i]
        out += [str(image_file(ctx.render_dir, cand.text)),
                badge(cand.ok, cand.problems) + (" · stopped" if cand.stopped_on_eos else
                                                 " · cut off"),
                problems_markdown(cand.problems), cand.text]
    return _marks(state, status, max(n, pending, 1)) + out


def _outputs(c: dict) -> tuple[list, list]:
    marks = [c["state"], c["picks"], c["progress"], c["chosen"], c["rejected"]]
    for card in c["cards"]:
        marks += [card["col"], card["choose"], card["reject"]]
    view = marks + [c["prompt"], c["header"], c["regenerate"], c["edit_source"]]
    for card in c["cards"]:
        view += [card["image"], card["badge"], card["problems"], card["raw"]]
    return marks, view


# ---------------------------------------------------------------- handlers and wiring
def _warn(message: str) -> str:
    gr.Warning(message)
    return f"{tag('warn', 'not done')} {message}"


def _advance(ctx, state: L.LabelState, sampling: L.Sampling, rng: random.Random,
             custom: tuple[str, str] | None = None, same_prompt: bool = False, notice: str = ""):
    """Generator: (new prompt,) progress message, then the candidates (or a clear message);
    `notice` (e.g. "saved") stays in front of the final status line."""
    try:
        if custom is not None:
            state = L.custom_prompt(state, *custom)
        elif not same_prompt or not state.prompt:
            state = L.next_prompt(ctx, state, rng)
        L.check_sampling(sampling)
    except L.UserError as exc:
        yield _view(ctx, state, _warn(str(exc)))
        return
    model = ctx.model_name(ctx.active_checkpoint())
    waiting = replace(state, candidates=(), chosen=None, rejected=None)
    message = f"{tag('busy', 'generating')} {sampling.k} candidates with `{model}` ..."
    yield _view(ctx, waiting, message, pending=int(sampling.k))
    try:
        state = L.generate(ctx, waiting, sampling)
    except L.UserError as exc:
        yield _view(ctx, waiting, _warn(str(exc)))
        return
    except Exception as exc:  # the UI boundary: a model failure is shown, not a stack trace
        log.exception("generation failed")
        yield _view(ctx, waiting, _warn(f"Generation failed: {exc}"))
        return
    yield _view(ctx, state, f"{notice}{_status(state)}")


def _mark_handler(role: str, i: int):
    def handler(state: L.LabelState):
        try:
            state = L.mark(state, i, role)
        except L.UserError as exc:
            return _marks(state, _warn(str(exc)))
        return _marks(state, _status(state))
    return handler


def _wire(ctx, c: dict) -> None:
    marks, view = _outputs(c)
    c["view_outputs"], c["mark_outputs"] = view, marks
    sampling = [c["k"], c["temperature"], c["top_p"]]
    gen = {"concurrency_id": "generate", "concurrency_limit": ctx.generate_concurrency}
    after_pair = _wire_generation(ctx, c, view, sampling, gen)
    _wire_picks(ctx, c, marks, view, after_pair, sampling, gen)
    _wire_edit(ctx, c, marks, view, after_pair, sampling, gen)


def _wire_generation(ctx, c: dict, view: list, sampling: list, gen: dict):
    """Next / regenerate / typed prompt / skips; returns the handler run after a pair is saved."""
    rng = random.Random()

    def next_prompt(state, k, temperature, top_p):
        yield from _advance(ctx, state, L.Sampling(k, temperature, top_p), rng)

    def after_pair(state, k, temperature, top_p):
        if state.candidates:  # the submit was refused: keep the candidates on screen
            yield [gr.skip()] * len(view)
            return
        saved = f"{tag('ok', 'saved')} pair `{state.pairs[-1]}` · " if state.pairs else ""
        yield from _advance(ctx, state, L.Sampling(k, temperature, top_p), rng, notice=saved)

    def regenerate(state, k, temperature, top_p):
        yield from _advance(ctx, state, L.Sampling(k, temperature, top_p), rng, same_prompt=True)

    def use_custom(state, request, category, k, temperature, top_p):
        yield from _advance(ctx, state, L.Sampling(k, temperature, top_p), rng,
                            custom=(request, category))

    c["next_fn"] = next_prompt  # build_app runs it on page load
    c["regenerate"].click(regenerate, [c["state"], *sampling], view, api_name="regenerate", **gen)
    c["use_custom"].click(use_custom, [c["state"], c["custom"], c["custom_cat"], *sampling], view,
                          api_name="custom", **gen)
    for reason in L.SKIP_REASONS:
        def skip(state, annotator, k, temperature, top_p, reason=reason):
            state = L.skip(ctx, state, reason, annotator)
            yield from _advance(ctx, state, L.Sampling(k, temperature, top_p), rng)
        c[reason].click(skip, [c["state"], c["annotator"], *sampling], view, api_name=reason,
                        **gen)
    return after_pair


def _wire_picks(ctx, c: dict, marks: list, view: list, after_pair, sampling: list,
                gen: dict) -> None:
    """Choose / reject buttons, submit (API `/submit`) and undo."""
    for i, card in enumerate(c["cards"]):
        card["choose"].click(_mark_handler("chosen", i), c["state"], marks,
                             api_visibility="private", show_progress="hidden")
        card["reject"].click(_mark_handler("rejected", i), c["state"], marks,
                             api_visibility="private", show_progress="hidden")

    def submit(state, chosen, rejected, annotator):
        try:
            state, pair_id = L.submit(ctx, state, _pos(chosen), _pos(rejected), annotator)
        except L.UserError as exc:
            return _marks(state, _warn(str(exc)))
        return _marks(state, f"{tag('ok', 'saved')} pair `{pair_id}`.")

    c["submit"].click(submit, [c["state"], c["chosen"], c["rejected"], c["annotator"]], marks,
                      api_name="submit").then(after_pair, [c["state"], *sampling], view,
                                              api_visibility="private", **gen)

    def undo(state):
        try:
            state, pair_id = L.undo(ctx, state)
        except L.UserError as exc:
            return _marks(state, _warn(str(exc))) + [gr.skip()]
        return _marks(state, f"{tag('info', 'undone')} removed pair `{pair_id}`.") + [_header(ctx)]

    c["undo"].click(undo, c["state"], marks + [c["header"]], api_name="undo")


def _pos(value):
    """A position from a Number component (None or a float) as an int, or None."""
    if value is None or value == "":
        return None
    return int(value) if float(value).is_integer() else value


def _wire_edit(ctx, c: dict, marks: list, view: list, after_pair, sampling: list,
               gen: dict) -> None:
    def open_editor(state, source):
        pos = _pos(source)
        if not state.candidates or pos is None or not 0 <= pos < len(state.candidates):
            return gr.skip(), _warn("There is no such candidate to edit.")
        return state.candidates[pos].text, f"Editing candidate #{pos + 1}."

    c["edit_open"].click(open_editor, [c["state"], c["edit_source"]], [c["editor"], c["progress"]],
                         api_visibility="private")
    c["editor"].change(lambda text: preview(ctx.render_dir, text), c["editor"],
                       [c["edit_image"], c["edit_problems"]], trigger_mode="always_last",
                       show_progress="hidden", api_visibility="private")

    def submit_edit(state, text, source, rejected, annotator):
        try:
            state, pair_id = L.submit_edit(ctx, state, text, _pos(source), _pos(rejected),
                                           annotator)
        except L.UserError as exc:
            return _marks(state, _warn(str(exc)))
        return _marks(state, f"{tag('ok', 'saved')} your edit as pair `{pair_id}`.")

    c["edit_submit"].click(submit_edit, [c["state"], c["editor"], c["edit_source"], c["rejected"],
                                         c["annotator"]], marks, api_name="submit_edit").then(
        after_pair, [c["state"], *sampling], view, api_visibility="private", **gen)


def create_label_tab(ctx) -> dict:
    """Lay out and wire the tab; returns its components (and `next_fn` for the page load)."""
    c = _layout(ctx)
    _wire(ctx, c)
    return c
