"""The Label tab: K candidates side by side, pick chosen/rejected, optionally rank the others,
submit the screen as a judgment (its pairs, weighted to one screen, go to the CSV).

Layout first (`_layout`), then wiring (`_wire`); the logic lives in `labeler.labeling` and the
component updates are built from the session's `LabelState` by `_view` / `_marks`. Keyboard
shortcuts (1-6 choose, Shift+1-6 reject, Enter submit, S skip, R regenerate, U undo) are a small
page script (`assets/shortcuts.js`) that clicks the buttons by elem_id.

Each card has a Rank selector: the chosen card shows 1 and the rejected one K; the others may be
given 1..K (equal numbers = tie; all of them or none). The pair scheme (Advanced) decides which
pairs a judgment gives (`trainer.judgments.derive_pairs`); the saved message says how many.

API (gradio_client): `/next` loads the next prompt and its candidates, `/submit(chosen, rejected,
annotator, ranks="", scheme="extremes")` saves the judgment of the session's current candidates
(positions 0-based as shown; `ranks` one rank per card, comma-separated, blank for none, e.g.
"1,3,,4"; empty: the ranks set on the page), `/undo(annotator)` takes back the annotator's last
judgment (all its pairs) or skip.

Every handler goes through one `labeling.SessionBook` (made in `_wire`): an action is applied to
the session's current state, and a generation whose session moved on meanwhile (an undo, a skip)
is dropped instead of written back. The annotator is the login name under --auth, else the field.
"""

from __future__ import annotations

import logging
import random
from dataclasses import replace

import gradio as gr

from labeler import labeling as L
from labeler.common import UserError
from labeler.quotas import progress
from labeler.views import (badge, cropped_file, ending, image_file, preview, problems_markdown,
                           summary_markdown, tag)
from trainer.judgments import DEFAULT_SCHEME, SCHEMES
from trainer.preferences import PreferenceError
from trainer.schema import CATEGORIES

MAX_K = L.K_RANGE[1]
RECENT_PAIRS = 4
N_VIEW = 16 + 8 * MAX_K  # outputs of _view: see _outputs
NO_RANK = "–"  # the rank selector's "not ranked"
RANK_CHOICES = [NO_RANK] + [str(r) for r in range(1, MAX_K + 1)]
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
        c["selection"] = gr.Radio(
            list(L.SELECTIONS), value=ctx.selection, label="Candidates", elem_id="selection", scale=1,
            info=f"active: sample {ctx.oversample:g}xK, show the K most informative, prompts of thin "
                 "kinds first; plain: the first K samples, any prompt")
    c["prompt"] = gr.Markdown(elem_id="prompt", elem_classes=["prompt-box"])
    with gr.Accordion("Type your own prompt", open=False):
        with gr.Row(equal_height=True):
            c["custom"] = gr.Textbox(label="Request (Enter to use it)", scale=4,
                                     elem_id="custom-prompt", max_lines=1,
                                     placeholder="DL model with 4 input nodes, 6 and 10 hidden "
                                                 "nodes, 1 output")
            c["custom_cat"] = gr.Radio(["auto", *CATEGORIES], value="auto", label="Category")
            c["use_custom"] = gr.Button("Use this prompt", elem_id="use-custom", scale=1)
    with gr.Column(elem_id="status"):  # the status line: #status, and #progress inside it
        c["progress"] = gr.Markdown(elem_id="progress")
    c["cards"] = []
    with gr.Row(elem_id="candidates", equal_height=False, elem_classes=["k-4"]) as row:
        for i in range(MAX_K):
            c["cards"].append(_card(i))
    c["grid"] = row
    c["picks"] = gr.Markdown(elem_id="picks")
    # No precision=0: it would round 1.5 to 2 before labeling.submit can refuse it.
    c["chosen"] = gr.Number(value=None, visible="hidden", elem_id="chosen-pos")
    c["rejected"] = gr.Number(value=None, visible="hidden", elem_id="rejected-pos")
    with gr.Row():
        c["submit"] = gr.Button("Submit pair (Enter)", variant="primary", elem_id="submit")
        c["skip"] = gr.Button("Skip (S)", elem_id="skip")
        c["both_bad"] = gr.Button("Both bad (B)", elem_id="both-bad")
        c["tie"] = gr.Button("Tie (T)", elem_id="tie")
        c["regenerate"] = gr.Button("Regenerate (R)", elem_id="regenerate")
        c["undo"] = gr.Button("Undo (U)", elem_id="undo")
    c["ranks_api"] = gr.Textbox(value="", visible="hidden", elem_id="ranks-api")  # /submit's ranks
    with gr.Accordion("Advanced", open=False, elem_id="label-advanced"):
        c["scheme"] = gr.Dropdown(list(SCHEMES), value=DEFAULT_SCHEME, label="Pairs per screen",
                                  elem_id="pair-scheme", info=(
                                      "best_worst: 1 pair (best over worst); extremes: best over each "
                                      "other and each over worst; all: every pair across ranks. One screen "
                                      "weighs 1 in training whatever the number."))
    _compare_layout(c)
    _edit_layout(c)
    return c


def _card(i: int) -> dict:
    with gr.Column(min_width=200, elem_classes=["card"], elem_id=f"card-{i}") as col:
        # no label over the drawing (it hid nodes in the corner): the caption starts with #N
        image = gr.Image(label=f"#{i + 1}", show_label=False, elem_id=f"candidate-{i}",
                         type="filepath", interactive=False, format="png",
                         buttons=["fullscreen"], elem_classes=["candidate-image"])
        bdg = gr.Markdown(elem_classes=["badge"], elem_id=f"badge-{i}")
        with gr.Row():
            choose = gr.Button(f"Choose {i + 1}", elem_id=f"choose-{i}", size="sm")
            reject = gr.Button(f"Reject ⇧{i + 1}", elem_id=f"reject-{i}", size="sm")
        rank = gr.Dropdown(RANK_CHOICES, value=NO_RANK, label="Rank (optional)", elem_id=f"rank-{i}",
                           min_width=80, container=False, interactive=True)
        with gr.Accordion("Problems", open=False):
            problems = gr.Markdown()
        with gr.Accordion("Raw text", open=False):
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
_NOTICE_TAGS = {"saved": "ok", "undone": "info", "skipped": "info", "marked": "info"}


def _notice(state: L.LabelState) -> str:
    """The last action's result as a tagged line ("saved pair `x` · ")."""
    if not state.notice:
        return ""
    word, _, rest = state.notice.partition(" ")
    return f"{tag(_NOTICE_TAGS.get(word, 'info'), word)} {rest} · "


def _status(state: L.LabelState) -> str:
    if not state.candidates:
        if state.prompt:
            return "Press **Regenerate (R)** for candidates."
        return ""
    if state.all_invalid:
        return (f"{tag('bad', 'all invalid')} Every candidate is invalid. Press "
                "**Regenerate (R)**, or fix one under *Edit to fix*.")
    how = f" <small>(shown: the most informative, {state.selected})</small>" \
        if state.selected.startswith("active") else ""
    return ("Pick one **chosen** (1-6) and one **rejected** (Shift+1-6), optionally rank the others, "
            f"then **Submit** (Enter).{how}")


def _prompt_md(state: L.LabelState) -> str:
    if not state.prompt:
        return "*No prompt yet.*"
    where = f"pool `{state.prompt_id}`" if state.prompt_id else "typed"
    asks = f" · *{state.asks}*" if state.asks else ""
    return f"**Request** ({state.category}, {where}): {state.request}{asks}"


def _header(ctx) -> str:
    try:
        stored = ctx.store.read()  # one read for counts and the last pairs
        return summary_markdown(progress(stored.counts()), ctx.models.name(ctx.models.active()),
                                stored.recent(RECENT_PAIRS))
    except PreferenceError as exc:
        return f"{tag('bad', 'error')} The preferences file is unreadable: {exc}"


def _picks_md(state: L.LabelState) -> str:
    def show(pos):
        return "-" if pos is None else f"**#{pos + 1}**"
    ranks = L.ranks_of(state)
    ranked = " · Ranked: " + ", ".join(f"#{p + 1}={r}" for p, r in sorted(ranks.items())) if ranks else ""
    return f"Chosen: {show(state.chosen)} · Rejected: {show(state.rejected)}{ranked}"


def _rank_update(state: L.LabelState, i: int):
    """A card's rank selector: 1 for chosen, K for rejected (fixed), else the rank given or none."""
    k = max(len(state.candidates), 2)
    choices = RANK_CHOICES[: k + 1]
    if i == state.chosen:
        return gr.Dropdown(choices=choices, value="1", interactive=False)
    if i == state.rejected:
        return gr.Dropdown(choices=choices, value=str(k), interactive=False)
    rank = L.ranks_of(state).get(i)
    return gr.Dropdown(choices=choices, value=NO_RANK if rank is None else str(rank), interactive=True)


def _marks(state: L.LabelState, status: str, visible_n: int | None = None) -> list:
    """The outputs a pick changes: state, pick summary, status, the two hidden positions, and
    per card its highlight (and visibility when `visible_n` is given) and button states: the
    marked button is filled and says so (Chosen ✓ / Rejected ✗), the other stays plain."""
    out = [state, _picks_md(state), status, state.chosen, state.rejected]
    for i in range(MAX_K):
        role = "chosen" if state.chosen == i else "rejected" if state.rejected == i else ""
        classes = ["card", role] if role else ["card"]
        out += [gr.Column(elem_classes=classes) if visible_n is None else
                gr.Column(elem_classes=classes, visible=i < visible_n),
                gr.Button(f"Chosen ✓ {i + 1}" if role == "chosen" else f"Choose {i + 1}",
                          variant="primary" if role == "chosen" else "secondary"),
                gr.Button(f"Rejected ✗ {i + 1}" if role == "rejected" else f"Reject ⇧{i + 1}",
                          variant="stop" if role == "rejected" else "secondary"),
                _rank_update(state, i)]
    return out


def _card_caption(state: L.LabelState, cand: L.ShownCandidate) -> str:
    """Valid / N problems, complete / cut off, and what it draws beside what the request asks."""
    asks = f"{state.asks} · " if state.asks else ""
    number = state.candidates.index(cand) + 1
    return (f"**#{number}** {badge(cand.ok, cand.problems)} · {ending(cand.stopped_on_eos)}\n\n"
            f"<small>{asks}{L.describes_drawing(cand.text)}</small>")


def _compare_view(ctx, state: L.LabelState, a, b) -> list:
    """The two images of the side-by-side view for display positions a and b."""
    out = []
    for pos in (_pos(a), _pos(b)):
        ok = isinstance(pos, int) and 0 <= pos < len(state.candidates)
        out.append(str(image_file(ctx.render_dir, state.candidates[pos].text)) if ok else None)
    return out


def _view(ctx, state: L.LabelState, status: str | None = None, pending: int = 0,
          reset_editor: bool = False) -> list:
    """Every Label-tab output from the state; `pending` = K cards shown empty while generating
    (the header, which reads the CSV, is refreshed once the candidates are there);
    `reset_editor` empties Edit to fix (the prompt changed)."""
    status = f"{_notice(state)}{_status(state)}" if status is None else status
    n = len(state.candidates)
    choices = [(f"#{i + 1}", i) for i in range(n)]
    out = [_prompt_md(state), gr.skip() if pending else _header(ctx),
           gr.Button(variant="primary" if state.all_invalid else "secondary"),
           gr.Dropdown(choices=choices, value=0 if n else None),
           gr.Row(elem_classes=[f"k-{max(n, pending, 1)}"]),
           gr.Dropdown(choices=choices, value=0 if n else None),
           gr.Dropdown(choices=choices, value=1 if n > 1 else None),
           *_compare_view(ctx, state, 0, 1)]
    out += ["", ""] if reset_editor else [gr.skip(), gr.skip()]
    for i in range(MAX_K):
        if i >= n:
            out += [None, "", "", ""]
            continue
        cand = state.candidates[i]
        out += [str(cropped_file(ctx.render_dir, cand.text)), _card_caption(state, cand),
                problems_markdown(cand.problems), cand.text]
    return _marks(state, status, max(n, pending, 1)) + out


def _outputs(c: dict) -> tuple[list, list]:
    marks = [c["state"], c["picks"], c["progress"], c["chosen"], c["rejected"]]
    for card in c["cards"]:
        marks += [card["col"], card["choose"], card["reject"], card["rank"]]
    view = marks + [c["prompt"], c["header"], c["regenerate"], c["edit_source"], c["grid"],
                    c["cmp_a"], c["cmp_b"], c["cmp_left"], c["cmp_right"], c["editor"],
                    c["edit_for"]]
    for card in c["cards"]:
        view += [card["image"], card["badge"], card["problems"], card["raw"]]
    return marks, view


# ---------------------------------------------------------------- handlers and wiring
def _warn(message: str) -> str:
    gr.Warning(message)
    return f"{tag('warn', 'not done')} {message}"


def _user(annotator: str, request: gr.Request | None) -> str:
    """The annotator; a bad name (over 64 characters, control characters: `limits.check_annotator`)
    is the app's own message on the page and over HTTP (gr.Error), never a generic error."""
    try:
        return L.annotator_name(annotator, getattr(request, "username", None))
    except UserError as exc:
        raise gr.Error(str(exc), title="Not saved") from exc


def _who(annotator: str | None, request: gr.Request | None) -> str | None:
    """The annotator a new prompt is picked for (overlap: never one they judged); None when the
    name field is unusable (the submit says why)."""
    try:
        return _user(annotator, request)
    except UserError:
        return None


def _advance(ctx, book: L.SessionBook, state: L.LabelState, sampling: L.Sampling,
             rng: random.Random, custom: tuple[str, str] | None = None,
             same_prompt: bool = False, annotator: str | None = None):
    """Generator: (new prompt,) progress message, then the candidates (or a clear message).
    The candidates are shown only if the session did not move on while they were generated."""
    before = book.current(state)

    def start(current: L.LabelState):
        if custom is not None:
            current = L.custom_prompt(current, *custom)
        elif not same_prompt or not current.prompt:
            current = L.next_prompt(ctx, current, rng, annotator, cover=sampling.selection != "plain")
        L.check_sampling(sampling)
        return replace(current, candidates=(), chosen=None, rejected=None, confirm=None), None

    try:
        waiting, _ = book.apply(state, start)
    except UserError as exc:
        yield _view(ctx, before, _warn(str(exc)))
        return
    reset = waiting.prompt_key != before.prompt_key
    model = ctx.models.name(ctx.models.active())
    count = f"{sampling.k} candidates" if sampling.m == int(sampling.k) else \
        f"{sampling.m} candidates (to show the {sampling.k} most informative)"
    message = f"{_notice(waiting)}{tag('busy', 'generating')} {count} with `{model}` ..."
    yield _view(ctx, waiting, message, pending=int(sampling.k), reset_editor=reset)
    try:
        new = L.generate(ctx, waiting, sampling, annotator)
    except Exception as exc:  # the UI boundary: a model failure is shown, not a stack trace
        if not isinstance(exc, UserError):
            log.exception("generation failed")
        if book.current(waiting).version == waiting.version:
            yield _view(ctx, waiting, _warn(f"Generation failed: {exc}"))
        return
    stored = book.finish(waiting, new)
    if stored is None:  # superseded (an undo, a skip, another prompt): drop, never write back
        yield [gr.skip()] * N_VIEW
        return
    yield _view(ctx, stored)


def _apply_marks(book: L.SessionBook, state: L.LabelState, change) -> list:
    """Apply `change(current) -> new state` to the session and show the marks (or why not)."""
    try:
        state, _ = book.apply(state, lambda cur: (change(cur), None))
    except UserError as exc:
        return _marks(book.current(state), _warn(str(exc)))
    return _marks(state, _status(state))


def _mark_handler(book: L.SessionBook, role: str, i: int):
    def handler(state: L.LabelState):
        return _apply_marks(book, state, lambda cur: L.mark(cur, i, role))
    return handler


def _rank_handler(book: L.SessionBook, i: int):
    def handler(state: L.LabelState, value):
        rank = None if value in (None, "", NO_RANK) else value
        return _apply_marks(book, state, lambda cur: L.set_rank(cur, i, rank))
    return handler


def _wire(ctx, c: dict) -> None:
    book = L.SessionBook()
    marks, view = _outputs(c)
    assert len(view) == N_VIEW, len(view)
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
    c["header_fn"] = lambda: _header(ctx)


def _follows(book: L.SessionBook, state: L.LabelState) -> bool:
    """A chained step runs only if the session is still where the step before left it."""
    return book.current(state).version == state.version


def _wire_generation(ctx, book, c: dict, view: list, sampling: list, gen: dict):
    """Next / regenerate / typed prompt / skips; returns the handler run after a pair is saved."""
    rng = random.Random()

    def settings(k, temperature, top_p, selection) -> L.Sampling:
        return L.Sampling(k, temperature, top_p, selection=selection, oversample=ctx.oversample)

    def next_prompt(state, k, temperature, top_p, selection=ctx.selection, annotator=None,
                    req: gr.Request = None):
        yield from _advance(ctx, book, state, settings(k, temperature, top_p, selection), rng,
                            annotator=_who(annotator, req))

    def after_pair(state, k, temperature, top_p, selection=ctx.selection, annotator=None,
                   req: gr.Request = None):
        current = book.current(state)
        if not _follows(book, state) or current.candidates or not current.notice:
            yield [gr.skip()] * N_VIEW  # refused, or the session moved on (e.g. an undo)
            return
        yield from _advance(ctx, book, state, settings(k, temperature, top_p, selection), rng,
                            annotator=_who(annotator, req))

    def replay(state, k, temperature, top_p, selection=ctx.selection, annotator=None,
               req: gr.Request = None):
        """After an undo: candidates for the restored prompt (same seed as before)."""
        if not _follows(book, state) or state.candidates or not state.prompt:
            yield [gr.skip()] * N_VIEW
            return
        yield from _advance(ctx, book, state, settings(k, temperature, top_p, selection), rng,
                            same_prompt=True, annotator=_who(annotator, req))

    def regenerate(state, k, temperature, top_p, selection=ctx.selection, annotator=None,
                   req: gr.Request = None):
        yield from _advance(ctx, book, state, settings(k, temperature, top_p, selection), rng,
                            same_prompt=True, annotator=_who(annotator, req))

    def use_custom(state, request, category, k, temperature, top_p, selection=ctx.selection,
                   annotator=None, req: gr.Request = None):
        yield from _advance(ctx, book, state, settings(k, temperature, top_p, selection), rng,
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
                yield _view(ctx, book.current(state), _warn(str(exc)))
                return
            yield from _advance(ctx, book, state, settings(k, temperature, top_p, selection), rng,
                                annotator=name)
        c[reason].click(skip, [c["state"], c["annotator"], *sampling[:4]], view, api_name=reason,
                        **gen)
    return after_pair


def _wire_picks(ctx, book, c: dict, marks: list, view: list, after_pair, sampling: list,
                gen: dict) -> None:
    """Choose / reject buttons, submit (API `/submit`) and undo (API `/undo`)."""
    for i, card in enumerate(c["cards"]):
        card["choose"].click(_mark_handler(book, "chosen", i), c["state"], marks,
                             api_visibility="private", show_progress="hidden")
        card["reject"].click(_mark_handler(book, "rejected", i), c["state"], marks,
                             api_visibility="private", show_progress="hidden")

    for i, card in enumerate(c["cards"]):
        card["rank"].input(_rank_handler(book, i), [c["state"], card["rank"]], marks,
                           api_visibility="private", show_progress="hidden")

    def submit(state, chosen, rejected, annotator, ranks="", scheme=DEFAULT_SCHEME,
               request: gr.Request = None):
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
            return _marks(book.current(state), _warn(str(exc)))
        if isinstance(result, L.NeedsConfirmation):
            return _marks(state, _warn(str(result)))
        return _marks(state, _notice(state).removesuffix(" · "))

    c["submit"].click(submit, [c["state"], c["chosen"], c["rejected"], c["annotator"], c["ranks_api"],
                               c["scheme"]], marks, api_name="submit").then(after_pair, [c["state"], *sampling], view,
                                              api_visibility="private", **gen)

    def undo(state, annotator, request: gr.Request = None):
        name = _user(annotator, request)
        try:
            state, _ = book.apply(state, lambda cur: L.undo(ctx, cur, name))
        except UserError as exc:
            return _view(ctx, book.current(state), _warn(str(exc)))
        return _view(ctx, state, reset_editor=True)

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
            return _marks(book.current(state), _warn(str(exc)))
        return _marks(state, _notice(state).removesuffix(" · "))

    sampling = c["sampling"]
    c["edit_submit"].click(submit_edit, [c["state"], c["editor"], c["edit_source"],
                                         c["rejected"], c["annotator"], c["edit_for"]], marks,
                           api_name="submit_edit").then(
        after_pair, [c["state"], *sampling], c["view_outputs"], api_visibility="private",
        concurrency_id="generate", concurrency_limit=ctx.generate_concurrency)


def create_label_tab(ctx) -> dict:
    """Lay out and wire the tab; returns its components (and `next_fn` for the page load)."""
    c = _layout(ctx)
    _wire(ctx, c)
    return c
