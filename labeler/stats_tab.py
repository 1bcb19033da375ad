"""The Stats tab: screens judged per annotator and category, overlap progress, agreement, and the taste
learned from the judgments (`labeler.taste_view`: in words, per annotator when there are several).

Thin over `labeler.stats.stats_for(ctx)`; filled when the tab is opened and on Refresh. `app.py`
registers it with one line inside its `gr.Tabs`:

    create_stats_tab(ctx)
"""

from __future__ import annotations

import gradio as gr

from labeler.stats import stats_for
from labeler.taste_view import TasteCache, taste_markdown
from labeler.views import tag
from trainer.core.preferences import PreferenceError


def stats_outputs(ctx) -> list:
    """[summary markdown, per-annotator table, overlap progress table]."""
    try:
        view = stats_for(ctx)
    except PreferenceError as exc:
        return [f"{tag('bad', 'error')} The preferences file is unreadable: {exc}", None, None]
    return [view.summary, view.annotators, view.progress]


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
        c["taste"] = gr.Markdown(elem_id="stats-taste")
    outputs = [c["summary"], c["annotators"], c["progress"]]
    quiet = {"api_visibility": "private", "show_progress": "hidden"}
    tab.select(lambda: stats_outputs(ctx), None, outputs, **quiet)
    c["refresh"].click(lambda: stats_outputs(ctx), None, outputs, api_name="stats")
    cache = TasteCache()  # the learned taste (labeler.taste_view), refit when the judgments change
    tab.select(lambda: taste_outputs(ctx, cache), None, c["taste"], **quiet)
    c["refresh"].click(lambda: taste_outputs(ctx, cache), None, c["taste"], **quiet)
    c["outputs"] = outputs
    return c
