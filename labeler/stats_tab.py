"""The Stats tab: screens judged per annotator and category, overlap progress, agreement, the
prompts where annotators disagree most (each one's best drawing side by side) and the taste
learned from the judgments (`labeler.taste_view`: in words, per annotator when there are several).

Thin over `labeler.stats.stats_for(ctx)`; filled when the tab is opened and on Refresh. `app.py`
registers it with one line inside its `gr.Tabs`:

    create_stats_tab(ctx)
"""

from __future__ import annotations

import html

import gradio as gr

from labeler.common import UserError
from labeler.stats import disagreements, stats_for
from labeler.taste_view import TasteCache, taste_markdown
from labeler.views import cropped_file, tag
from trainer.core.preferences import PreferenceError


def stats_outputs(ctx) -> list:
    """[summary markdown, per-annotator table, overlap progress table]."""
    try:
        view = stats_for(ctx)
    except PreferenceError as exc:
        return [f"{tag('bad', 'error')} The preferences file is unreadable: {exc}", None, None]
    return [view.summary, view.annotators, view.progress]


DISAGREE_BOX = (640, 400)  # px a drawing is shown in at most (labels drawn >= 11 px there)


def disagreement_outputs(ctx) -> tuple[str, gr.Gallery]:
    """The prompts where annotators disagree most: a numbered list in words, and a gallery with
    one row per prompt, each annotator's best drawing side by side."""
    try:
        found = disagreements(ctx.store.read().rows)
    except PreferenceError as exc:
        return f"{tag('bad', 'error')} The preferences file is unreadable: {exc}", gr.Gallery(value=[], visible=False)
    if not found:
        return ("**Where annotators disagree:** nowhere yet (no prompt judged by two or more "
                "annotators was ranked differently)."), gr.Gallery(value=[], visible=False)
    lines, items = [], []
    for n, d in enumerate(found, 1):
        order = (f"{d.score:.0%} of {d.n} candidate pairs in opposite order" if d.n
                 else "no candidate pair ordered by both")
        picks = "; ".join(f"{who}'s best: {others}" for who, _, others in d.picks)
        lines.append(f"{n}. {html.escape(' '.join(d.prompt.split())[:160])} — {order}; {picks}")
        for who, text, _ in d.picks:
            try:
                image = str(cropped_file(ctx.render_dir, text, box=DISAGREE_BOX))
            except UserError:  # the drawing could not be written: the words still say it
                continue
            items.append((image, f"{n} · {who}'s best"))
    columns = max(len(d.picks) for d in found)
    return ("**Where annotators disagree most** (prompts two or more annotators judged; below, "
            "one row per prompt: each annotator's best drawing side by side):\n\n" + "\n".join(lines),
            gr.Gallery(value=items, columns=columns, visible=bool(items)))


def taste_outputs(ctx, cache: TasteCache) -> str:
    """The learned taste in words: everyone's, then each annotator's when there are several."""
    try:
        parts = [taste_markdown(cache.taste(ctx))]
        store = getattr(ctx, "judgments", None)
        names = sorted({j.annotator for j in store.read().judgments if j.annotator}) if store else []
        if len(names) > 1:
            parts += [taste_markdown(cache.taste(ctx, name), who=f"{name}'s") for name in names]
    except PreferenceError as exc:
        return f"{tag('bad', 'error')} The judgments file is unreadable: {exc}"
    return "\n\n".join(p for p in parts if p)


def create_stats_tab(ctx) -> dict:
    """Lay out the tab (it makes its own `gr.Tab`) and wire its refreshes."""
    with gr.Tab("Stats", id="stats", elem_id="tab-stats") as tab:
        c: dict = {"tab": tab}
        c["refresh"] = gr.Button("Refresh", elem_id="stats-refresh", size="sm")
        c["summary"] = gr.Markdown(elem_id="stats-summary")
        c["annotators"] = gr.Dataframe(label="Per annotator, in screens (a screen judged is one ranking, "
                                             "tie or both bad; % of the screens they answered); pairs "
                                             "in the CSV: the rows their rankings wrote",
                                       interactive=False, elem_id="stats-annotators")
        c["progress"] = gr.Dataframe(label="Overlap progress: pool prompts by number of annotators",
                                     interactive=False, elem_id="stats-progress")
        c["disagree"] = gr.Markdown(elem_id="stats-disagree")
        c["disagree_gallery"] = gr.Gallery(label="Each annotator's best drawing, one row per prompt",
                                           visible=False, columns=2, height="auto", object_fit="contain",
                                           allow_preview=True, elem_id="stats-disagree-gallery")
        c["taste"] = gr.Markdown(elem_id="stats-taste")
    outputs = [c["summary"], c["annotators"], c["progress"]]
    quiet = {"api_visibility": "private", "show_progress": "hidden"}
    tab.select(lambda: stats_outputs(ctx), None, outputs, **quiet)
    c["refresh"].click(lambda: stats_outputs(ctx), None, outputs, api_name="stats")
    disagree = [c["disagree"], c["disagree_gallery"]]
    tab.select(lambda: disagreement_outputs(ctx), None, disagree, **quiet)
    c["refresh"].click(lambda: disagreement_outputs(ctx), None, disagree, **quiet)
    cache = TasteCache()  # the learned taste (labeler.taste_view), refit when the judgments change
    tab.select(lambda: taste_outputs(ctx, cache), None, c["taste"], **quiet)
    c["refresh"].click(lambda: taste_outputs(ctx, cache), None, c["taste"], **quiet)
    c["outputs"] = outputs
    return c
