"""The Playground tab: edit diagram text with a live preview, generate, compare two checkpoints.

Layout first, then wiring; logic in `labeler.playground`. The editor re-renders on change
(debounced in the browser, and `trigger_mode="always_last"` drops stale renders) and offers the
drawing as PNG, SVG, graphviz DOT and Mermaid downloads (`diagram.export`). The A/B section hides which checkpoint is left or right until
the vote is cast.
"""

from __future__ import annotations

import logging
import random

import gradio as gr

from labeler import playground as P
from labeler.common import UserError, checkpoint_choices
from labeler.labeling import annotator_name
from labeler.label_views import drawn_line, plan_box
from labeler.views import badge, preview, tag

EXAMPLE = """[0, 150, 300, 'circle', 60, 60, 'solid arrow', (224, 224, 240), (64, 64, 128), [1, 2]]
[1, 500, 180, 'round rectangle', 140, 60, 'solid arrow', (200, 230, 200), (64, 64, 128), [3]]
[2, 500, 420, 'round rectangle', 140, 60, 'solid arrow', (200, 230, 200), (64, 64, 128), [3]]
[3, 850, 300, 'rectangle', 100, 60, 'solid arrow', (250, 220, 200), (64, 64, 128), []]"""
# Wait this long after the last keystroke before asking the server to render.
DEBOUNCE_JS = "(text) => new Promise((resolve) => setTimeout(() => resolve(text), 300))"
log = logging.getLogger(__name__)


def _layout(ctx) -> dict:
    c: dict = {"ab_state": gr.State(P.ABState()), "before": gr.State("")}
    with gr.Row():
        with gr.Column():
            c["editor"] = gr.Code(value=EXAMPLE, label="Diagram text (one node per line)",
                                  language=None, lines=14, max_lines=40, interactive=True,
                                  wrap_lines=True, elem_id="pg-editor")
        with gr.Column():
            c["preview"] = gr.Image(label="Preview (1000x600)", type="filepath", format="png",
                                    interactive=False, elem_id="pg-preview", height=330)
            c["problems"] = gr.Markdown(elem_id="pg-problems")
            with gr.Row():
                c["png"] = gr.DownloadButton("Download PNG", elem_id="pg-png", size="sm")
                c["svg"] = gr.DownloadButton("Download SVG", elem_id="pg-svg", size="sm")
                c["dot"] = gr.DownloadButton("Download DOT", elem_id="pg-dot", size="sm")
                c["mermaid"] = gr.DownloadButton("Download Mermaid", elem_id="pg-mermaid", size="sm")
    choices = checkpoint_choices(ctx)
    active = ctx.models.name(ctx.models.active())
    with gr.Accordion("Generate with a checkpoint", open=True):
        with gr.Row(equal_height=True):
            c["request"] = gr.Textbox(label="Request", scale=4, elem_id="pg-request",
                                      placeholder="DL model with 3 input nodes, 5 hidden, 2 out")
            c["ckpt"] = gr.Dropdown(choices, value=active, label="Checkpoint", scale=2,
                                    elem_id="pg-checkpoint", allow_custom_value=True)
            c["refresh"] = gr.Button("↻", scale=0, min_width=40, elem_id="pg-refresh")
            c["generate"] = gr.Button("Generate", variant="primary", scale=1,
                                      elem_id="pg-generate")
        with gr.Row(equal_height=True):  # what was understood (labeler.label_views.plan_box)
            c["plan"] = gr.Textbox(label="Plan (what gets drawn; edit it)", scale=2, elem_id="pg-plan",
                                   placeholder="# layers 3-5-2  or  # steps: Load > Clean > Train")
            c["plan_note"] = gr.Markdown(value="", elem_id="pg-plan-note")
        with gr.Row():
            c["grammar"] = gr.Checkbox(True, label="grammar-constrained", elem_id="pg-grammar",
                                       info="only let the model write valid node lines (off: free sampling)")
            c["free_layout"] = gr.Checkbox(False, label="free layout (compare)", elem_id="pg-free-layout",
                                           info="the model samples every coordinate (--free-layout, the "
                                                "old way) instead of the layout engine placing the plan")
        with gr.Row(equal_height=True):
            c["gen_status"] = gr.Markdown(elem_id="pg-gen-status")
            c["restore"] = gr.Button("↶ Restore the text Generate replaced", visible=False,
                                     size="sm", scale=0, elem_id="pg-restore")
    with gr.Accordion("Compare two checkpoints (anonymous A/B)", open=True):
        c["win_rate"] = gr.Markdown(elem_id="pg-winrate")
        with gr.Row(equal_height=True):
            others = [name for _, name in choices if name != active]
            c["ckpt_a"] = gr.Dropdown(choices, value=active, label="Checkpoint A",
                                      elem_id="pg-a", allow_custom_value=True)
            c["ckpt_b"] = gr.Dropdown(choices, value=others[-1] if others else None,
                                      label="Checkpoint B", elem_id="pg-b",
                                      allow_custom_value=True)
            c["compare"] = gr.Button("Compare on the request above", elem_id="pg-compare")
        with gr.Row():
            c["left"] = gr.Image(label="Left", type="filepath", format="png", interactive=False,
                                 height=260, elem_id="pg-left")
            c["right"] = gr.Image(label="Right", type="filepath", format="png", interactive=False,
                                  height=260, elem_id="pg-right")
        with gr.Row():
            c["vote_left"] = gr.Button("⬅ Left is better", elem_id="vote-left")
            c["vote_tie"] = gr.Button("Tie", elem_id="vote-tie")
            c["vote_right"] = gr.Button("Right is better ➡", elem_id="vote-right")
        c["ab_status"] = gr.Markdown(elem_id="pg-ab-status")
    return c


def checkpoint_list_updates(ctx) -> list:
    """New choices and values for every checkpoint dropdown of the app: Playground's generate,
    A, B, and the Train tab's list (A and generate on the active model, B on the newest other)."""
    choices = checkpoint_choices(ctx)
    active = ctx.models.name(ctx.models.active())
    others = [name for _, name in choices if name != active]
    return [gr.Dropdown(choices=choices, value=active), gr.Dropdown(choices=choices, value=active),
            gr.Dropdown(choices=choices, value=others[-1] if others else None),
            gr.Dropdown(choices=choices, value=active)]


def render_editor(ctx, text: str):
    """Preview image, problems and the download files (PNG, SVG, DOT, Mermaid) for the editor's text."""
    image, problems = preview(ctx.render_dir, text)
    files: dict = {}
    if image is not None:
        try:
            files = P.download_files(ctx.render_dir, text)
        except Exception as exc:  # the UI boundary: keep the PNG preview even if an export fails
            log.warning("export failed: %s", exc)
            files = {"png": image}
    return (image, problems, *(gr.DownloadButton(value=str(files[fmt]) if fmt in files else None)
                               for fmt in P.DOWNLOADS))


def _not_done(exc: Exception) -> str:
    """Show a refused or failed request in the page (a toast and the status line)."""
    if not isinstance(exc, UserError):
        log.exception("playground generation failed")
    gr.Warning(str(exc))
    return f"{tag('warn', 'not done')} {exc}"


def _wire(ctx, c: dict, annotator=None) -> None:
    outs = [c["preview"], c["problems"], c["png"], c["svg"], c["dot"], c["mermaid"]]
    c["editor"].change(lambda text: render_editor(ctx, text), c["editor"], outs, js=DEBOUNCE_JS,
                       trigger_mode="always_last", show_progress="hidden", api_name="preview")
    c["render_fn"] = lambda text: render_editor(ctx, text)
    c["render_outputs"] = outs

    def refresh():
        return checkpoint_list_updates(ctx)[:3]

    c["refresh"].click(refresh, None, [c["ckpt"], c["ckpt_a"], c["ckpt_b"]],
                       api_visibility="private")
    reader = getattr(ctx, "reader", None)
    c["request"].change(lambda request: plan_box(request, reader, ask=False), c["request"],
                        [c["plan"], c["plan_note"]], trigger_mode="always_last",
                        api_visibility="private", show_progress="hidden")
    if reader is not None:  # the served reader reads once the person leaves the box, not per pause
        c["request"].blur(lambda request: plan_box(request, reader), c["request"], [c["plan"], c["plan_note"]],
                          trigger_mode="always_last", api_visibility="private", show_progress="hidden")
    rng = random.Random()
    gen = {"concurrency_id": "generate", "concurrency_limit": ctx.generate_concurrency}
    _wire_generate(ctx, c, rng, gen)
    _wire_ab(ctx, c, rng, gen, annotator)


def _drawn(ctx, request: str, plan: str | None, note: str | None) -> str | None:
    """The plan line to draw to (None: no plan box, the API without one): the box's line, or "" when
    it only shows the rules' reading made while the person typed (`label_views.drawn_line`)."""
    return None if plan is None else drawn_line(request, plan, note or "", getattr(ctx, "reader", None))


def _wire_generate(ctx, c: dict, rng: random.Random, gen: dict) -> None:
    """Generate replaces the editor's text; the replaced text can be put back with one click."""
    def generate(request, checkpoint, current, grammar=True, free_layout=False, plan=None, note=""):
        try:
            sample = P.sample_one(ctx, checkpoint, request, rng.randrange(2**31), grammar=bool(grammar),
                                  free_layout=bool(free_layout), plan_line=_drawn(ctx, request, plan, note))
        except Exception as exc:  # the UI boundary: refusals and model failures are shown
            return gr.skip(), _not_done(exc), gr.skip(), gr.skip()
        kept = (current or "").strip() and current != sample.text
        return sample.text, (f"{badge(sample.ok, sample.problems)} · {sample.seconds:.1f} s "
                             f"from `{checkpoint}` (loaded into the editor above)"), \
            (current if kept else ""), gr.Button(visible=bool(kept))

    c["generate"].click(generate, [c["request"], c["ckpt"], c["editor"], c["grammar"],
                                     c["free_layout"], c["plan"], c["plan_note"]],
                        [c["editor"], c["gen_status"], c["before"], c["restore"]],
                        api_name="playground_generate", **gen)
    c["restore"].click(lambda before: (before, "Restored the text from before Generate.",
                                       gr.Button(visible=False)),
                       c["before"], [c["editor"], c["gen_status"], c["restore"]],
                       api_visibility="private")


def _wire_ab(ctx, c: dict, rng: random.Random, gen: dict, annotator) -> None:
    def compare(request, a, b, plan=None, note=""):
        try:
            left, right, ab = P.compare(ctx, request, a, b, rng, plan_line=_drawn(ctx, request, plan, note))
        except Exception as exc:  # the UI boundary: refusals and model failures are shown
            return P.ABState(), None, None, _not_done(exc)
        return ab, left.image, right.image, (
            f"Left: {badge(left.ok, left.problems)} · Right: {badge(right.ok, right.problems)}. "
            "Which one is better?")

    c["compare"].click(compare, [c["request"], c["ckpt_a"], c["ckpt_b"], c["plan"], c["plan_note"]],
                       [c["ab_state"], c["left"], c["right"], c["ab_status"]],
                       api_name="compare", **gen)
    inputs = [c["ab_state"]] + ([annotator] if annotator is not None else [])
    for choice in ("left", "tie", "right"):
        def vote(ab, name="", request: gr.Request = None, choice=choice):
            try:
                ab, message = P.vote(ctx, ab, choice, annotator_name(
                    name, getattr(request, "username", None)))
            except UserError as exc:  # a toast; the reveal of the first vote stays
                gr.Warning(str(exc))
                return ab, gr.skip(), gr.skip()
            return ab, message, P.win_rate_markdown(ctx)
        c[f"vote_{choice}"].click(vote, inputs, [c["ab_state"], c["ab_status"], c["win_rate"]],
                                  api_name=f"vote_{choice}")


def create_playground_tab(ctx, annotator=None) -> dict:
    """Lay out and wire the tab; `c["render_fn"]` fills the preview on page load. `annotator`:
    the Label tab's name field, recorded with A/B votes (the login name wins under --auth)."""
    c = _layout(ctx)
    _wire(ctx, c, annotator)
    return c
