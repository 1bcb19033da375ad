"""The Label tab's page: its layout (`layout(ctx) -> dict` of components) and the updates that
show a session's state on it (`view`, `marks`: `{component: update}` dicts; `outputs(c)` only
fixes the order of the HTTP API's results). The handlers are in `label_tab.py`.

One screen per judgment: the request, the cards and the action bar fit a 1440x900 window
(1366x768 with K <= 4); `CARD_BOX` is the image box per K after `assets/style.css`, in which
`views.cropped_file` draws labels at least `views.MIN_LABEL_PX` px tall.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import gradio as gr

from labeler import label_views as V
from labeler import labeling as L
from labeler.quotas import progress
from labeler.views import cached_crops, cropped_files, image_file, problems_markdown, \
    summary_markdown, tag
from trainer.core.judgments import DEFAULT_SCHEME, SCHEMES
from trainer.core.preferences import PreferenceError
from trainer.core.schema import CATEGORIES

MAX_K = L.K_RANGE[1]
RECENT_JUDGMENTS = 6
NO_RANK = "–"  # the rank selector's "not ranked"
RANK_CHOICES = [NO_RANK] + [str(r) for r in range(1, MAX_K + 1)]
# The largest box (width, height px) a card image is shown in at 1366x768 (K <= 4) or 1440x900
# (K = 5-6), after style.css: labels are drawn to be >= MIN_LABEL_PX px in it.
CARD_BOX = {2: (580, 370), 3: (380, 370), 4: (580, 150), 5: (380, 180), 6: (380, 180)}


def layout(ctx) -> dict:
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
    # set by a page submit that saved without the next screen at hand: its change brings it
    c["after_save"] = gr.Textbox(value="", visible="hidden", elem_id="after-save")
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
        with gr.Row(equal_height=True):
            c["plan"] = gr.Textbox(label="Read as (the plan that is drawn; edit it to change that)",
                                   elem_id="plan-line", max_lines=1, scale=3,
                                   placeholder="# layers 3-5-2   or   # steps: Load > Clean > Train")
            c["plan_note"] = gr.Markdown(value="", elem_id="plan-note")
    with gr.Accordion("Progress and last judgments", open=False, elem_id="label-progress"):
        c["progress_table"] = gr.Markdown(elem_id="progress-table")
        c["recent"] = gr.Markdown(elem_id="recent-judgments")
    _review_layout(c)
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


def _review_layout(c: dict) -> None:
    with gr.Accordion("Your recent judgments: review, change, remove, export", open=False,
                      elem_id="review") as c["review_box"]:
        with gr.Row(equal_height=True):
            c["review_pick"] = gr.Dropdown(label="Judgment", choices=[], elem_id="review-pick", scale=4)
            c["review_reopen"] = gr.Button("Judge it again", elem_id="review-reopen", scale=1)
            c["review_remove"] = gr.Button("Remove", variant="stop", elem_id="review-remove", scale=1)
        c["review_gallery"] = gr.Gallery(label="Its candidates (as shown)", columns=6, height=220,
                                         elem_id="review-gallery", allow_preview=True)
        with gr.Row(equal_height=True):
            # Buttons, not DownloadButtons: a DownloadButton downloads the file it holds before
            # its click makes a fresh one (the first click gave nothing, a later one the previous
            # export). A click writes the export now; the page then downloads it (label_tab).
            c["export_csv"] = gr.Button("Pairs CSV", elem_id="export-csv")
            c["export_trl"] = gr.Button("TRL view (pairs per Settings' scheme)", elem_id="export-trl")
            c["export_judgments"] = gr.Button("Judgments file", elem_id="export-judgments")
        c["export_file"] = gr.File(label="Last export", visible=False, interactive=False,
                                   elem_id="export-file")


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


def header(ctx) -> dict:
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


def marks(c: dict, state: L.LabelState, status: str, visible_n: int | None = None) -> dict:
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


def compare_view(ctx, state: L.LabelState, a, b) -> list:
    """The two images of the side-by-side view for display positions a and b."""
    out = []
    for pos in (position(a), position(b)):
        ok = isinstance(pos, int) and 0 <= pos < len(state.candidates)
        out.append(str(image_file(ctx.render_dir, state.candidates[pos].text)) if ok else None)
    return out


class CardTexts:
    """Per app: each card's caption, alt text and problem list, worked out once per (request,
    plan, position, candidate) and kept for the last `size` cards. The prefetch's warm fills it
    for the next screen, so the swap that shows it only looks them up."""

    def __init__(self, size: int = 256, read=None):
        """`read`: what the card badges compare a candidate with (`label_views.asked_plan`'s; the app's
        served reader's `peek` with --reader-url)."""
        self.size = size
        self.read = read
        self._texts: dict[tuple, tuple[str, str, str]] = {}
        self._lock = threading.Lock()

    def get(self, state: L.LabelState, i: int) -> tuple[str, str, str]:
        """(caption, alt text, problems markdown) of card `i`."""
        cand = state.candidates[i]
        key = (state.request, state.plan_line, i, cand.text, cand.ok, cand.stopped_on_eos,
               tuple(map(str, cand.problems)))
        with self._lock:
            found = self._texts.get(key)
        if found is None:
            found = (V.card_caption(state, i, self.read), V.alt_text(state, i), problems_markdown(cand.problems))
            with self._lock:
                self._texts[key] = found
                while len(self._texts) > self.size:  # the oldest go first
                    self._texts.pop(next(iter(self._texts)))
        return found

    def warm(self, state: L.LabelState) -> None:
        for i in range(len(state.candidates)):
            self.get(state, i)


def view(ctx, c: dict, state: L.LabelState, status: str | None = None, pending: int = 0,
          reset_editor: bool = False) -> dict:
    """Every Label-tab update from the state; `pending` = K cards shown empty while generating
    (the header, which reads the stores, is refreshed once the candidates are there);
    `reset_editor` empties Edit to fix (the prompt changed)."""
    status = f"{V.notice(state)}{V.status(state)}" if status is None else status
    n = len(state.candidates)
    choices = [(f"#{i + 1}", i) for i in range(n)]
    box = CARD_BOX.get(n, CARD_BOX[MAX_K])
    texts = [cand.text for cand in state.candidates]
    cards = cached_crops(ctx.render_dir, texts, box=box)  # drawn ahead (a prefetched screen)
    if cards is not None:
        left, right = compare_view(ctx, state, 0, 1)
    else:
        with ThreadPoolExecutor(max_workers=1) as side:  # the cards and the compare view at once
            compare = side.submit(compare_view, ctx, state, 0, 1)
            cards = cropped_files(ctx.render_dir, texts, box=box)
            left, right = compare.result()
    out = marks(c, state, status, max(n, pending, 1))
    out.update({c["prompt"]: V.prompt_md(state),
                c["regenerate"]: gr.Button(variant="primary" if state.all_invalid else "secondary"),
                c["edit_source"]: gr.Dropdown(choices=choices, value=0 if n else None),
                c["cmp_a"]: gr.Dropdown(choices=choices, value=0 if n else None),
                c["cmp_b"]: gr.Dropdown(choices=choices, value=1 if n > 1 else None),
                c["cmp_left"]: left, c["cmp_right"]: right})
    if not pending:
        out.update({c[key]: value for key, value in header(ctx).items()})
    if reset_editor:
        out.update({c["editor"]: "", c["edit_for"]: ""})
    for i, card in enumerate(c["cards"]):
        if i >= n:
            out.update({card["image"]: gr.Image(value=None, alt_text=None), card["badge"]: "",
                        card["problems"]: "", card["raw"]: ""})
            continue
        caption, alt, problems = (c["card_texts"] if "card_texts" in c else CardTexts()).get(state, i)
        out.update({card["image"]: gr.Image(value=str(cards[i]), alt_text=alt),
                    card["badge"]: caption, card["problems"]: problems,
                    card["raw"]: state.candidates[i].text})
    return out


def outputs(c: dict) -> tuple[list, list]:
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


def position(value):
    """A position from a Number component (None or a float) as an int, or None."""
    if value is None or value == "":
        return None
    try:
        return int(value) if float(value).is_integer() else value
    except (TypeError, ValueError):
        return value  # not a number: the logic's checks say so
