"""The Label tab's logic as plain functions over an immutable per-session `LabelState`: one
import for the tab and the tests over three modules, `label_session` (the state, `SessionBook`,
the next prompt), `label_generation` (sampling the candidates) and `label_judging` (marks, ranks,
submit, skip, history, undo).

No gradio here: each function takes the shared `AppContext`, the session's state and the user's
input, and returns a new state (raising `UserError` with a message for the page on bad input,
before anything is written). `label_tab.py` turns states into component updates.

    state = next_prompt(ctx, LabelState(session="s1"), rng)
    state = generate(ctx, state, Sampling(k=4))                   # 8 sampled, the 4 most informative shown
    state = set_rank(state, 2, 2)   # optional: rank the others (equal numbers = tie)
    state, judgment_id = submit(ctx, state, chosen=0, rejected=1, annotator="ana", scheme="extremes")

One state machine per session (`SessionBook`): every action is applied to the session's current
state under one lock, and slow work (generation) started from version v is kept only if the
session is still at v when it ends, so a generation that finishes after an undo is dropped, never
written back. A submitted screen is a judgment (`trainer.core.judgments.Judgment`: every shown text,
best and worst, the optional ranks of the others, ties) kept in `label_judgments.jsonl` by
`ctx.judgments`, which appends the pairs it implies under the pair scheme to the CSV, weighted to
sum to 1; "both bad" and "tie" are judgments without pairs. Every saved judgment or pair and every
skip / both bad / tie is also a line in the event log (`label_events.jsonl`, with an `id`); undo
takes the annotator's newest action that is not undone yet from that log (a whole judgment: all its
pairs), so the history survives a reload.
"""

from __future__ import annotations

from labeler.common import UserError
from labeler.label_generation import (TASK_NOTE, candidate_margins, check_sampling, generate,
                                      pick_shown, show_task, to_shown)
from labeler.label_judging import (check_diagram_text, check_not_judged, check_scheme, history,
                                   mark, order_of, parse_ranks, press_order, ranking_groups, ranks_of, set_rank, skip,
                                   submit, submit_edit, toggle_ordering, undo)
from labeler.label_session import (K_RANGE, MAX_PROMPT_CHARS, MAX_SESSIONS, OVERSAMPLE_RANGE,
                                   SELECTIONS, SKIP_REASONS, UNDOABLE, LabelState,
                                   NeedsConfirmation, Sampling, SessionBook, ShownCandidate,
                                   annotator_name, check_request, custom_prompt, describe_reading,
                                   describe_request, describes_drawing, ensure_session,
                                   next_prompt, overlap_of, pick_category)

__all__ = [
    "K_RANGE", "MAX_PROMPT_CHARS", "MAX_SESSIONS", "OVERSAMPLE_RANGE", "SELECTIONS", "SKIP_REASONS",
    "TASK_NOTE", "UNDOABLE", "LabelState", "NeedsConfirmation", "Sampling", "SessionBook",
    "ShownCandidate", "UserError", "annotator_name", "candidate_margins", "check_diagram_text",
    "check_not_judged", "check_request", "check_sampling", "check_scheme", "custom_prompt",
    "describe_reading", "describe_request", "describes_drawing", "ensure_session", "generate",
    "history", "mark", "next_prompt", "order_of", "press_order", "toggle_ordering", "overlap_of", "parse_ranks", "pick_category", "pick_shown",
    "ranking_groups", "ranks_of", "set_rank", "show_task", "skip", "submit", "submit_edit",
    "to_shown", "undo",
]
