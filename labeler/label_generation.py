"""Sampling the candidates of a Label-tab screen: K of M shown (active selection), shared
tasks under overlap. See labeler.labeling."""

from __future__ import annotations

import inspect
import logging
import random
import time
import uuid
from dataclasses import replace

from diagram.plan import parse_plan_line
from labeler.common import UserError
from labeler.label_session import LabelState, Sampling, ShownCandidate, annotator_name
from labeler.tasks import Task
from trainer.core.preference_trainers import TRAINERS
from trainer.core.selection import select_candidates
from trainer.generation.sources import source_name

log = logging.getLogger(__name__)


def check_sampling(sampling: Sampling) -> Sampling:
    """`sampling.checked()`: the settings as used, or UserError."""
    return sampling.checked()


def to_shown(candidate, generation_id: str) -> ShownCandidate:
    problems = tuple((p.line, p.severity, p.message) for p in candidate.parse.problems)
    return ShownCandidate(candidate_id=f"{generation_id}-{candidate.index}",
                          index=int(candidate.index), text=candidate.text,
                          ok=bool(candidate.parse.ok), problems=problems,
                          n_tokens=int(candidate.n_tokens),
                          stopped_on_eos=bool(candidate.stopped_on_eos))


def candidate_margins(ctx, checkpoint, source, prompt: str, candidates) -> list[float] | None:
    """Each candidate's mean per-token log-probability under the served model, when the model is
    preference-trained (its manifest kind is a trainer of trainer.core.preference_trainers: its own
    preference is worth asking) and the source can score answers (`score(prompt, answers)` ->
    [(log-prob sum, tokens)]); else None. A scoring failure is logged and gives None."""
    score = getattr(source, "score", None)
    if score is None or ctx.models.stage(checkpoint) not in TRAINERS:
        return None
    try:
        scored = score(prompt, [c.text for c in candidates])
        return [float(total) / max(1, int(n)) for total, n in scored]
    except (ValueError, RuntimeError) as exc:  # e.g. an answer past the model's context
        log.warning("scoring candidates failed (%s: %s); selecting by style only", type(exc).__name__, exc)
        return None


def pick_shown(ctx, checkpoint, source, prompt: str, candidates, sampling: Sampling):
    """(the K candidates to show, in generation order; what was done: "plain" / "active M->K" /
    "active M->K margins")."""
    if sampling.selection == "plain" or len(candidates) <= sampling.k:
        return list(candidates[: sampling.k]), "plain"
    margins = candidate_margins(ctx, checkpoint, source, prompt, candidates)
    picked = select_candidates([c.parse for c in candidates], sampling.k, margins)
    note = f"active {len(candidates)}->{sampling.k}" + (" margins" if margins is not None else "")
    return [candidates[i] for i in picked], note


def generate(ctx, state: LabelState, sampling: Sampling, annotator: str | None = None) -> LabelState:
    """Sample the candidates for the current prompt with the active model and show K of them in
    random order: the first K (plain), or the K most informative of M (active: `pick_shown`).
    With `ctx.overlap` > 1 a pool prompt's first generation is saved as its task and every later
    call (any annotator, Regenerate too) shows the task's candidates (`labeler.tasks`)."""
    if not state.prompt:
        raise UserError("There is no prompt yet - press Next or type one.")
    sampling = check_sampling(sampling)
    shared = ctx.overlap > 1 and bool(state.prompt_id)
    if shared and (task := ctx.tasks.get(state.prompt_id)) is not None:
        return show_task(ctx, state, task, annotator)
    if sampling.seed is None and state.replay_seed is not None:
        sampling = replace(sampling, seed=state.replay_seed)
    seed = sampling.seed if sampling.seed is not None else random.SystemRandom().randrange(2**31)
    sampling = replace(sampling, seed=seed)
    checkpoint = ctx.models.active()
    source = ctx.models.generator(checkpoint)
    extra = {}
    if state.plan_line:  # a typed request whose plan the person edited: draw that plan
        plan = parse_plan_line(state.plan_line)
        if plan is None:
            raise UserError(f"The plan line {state.plan_line!r} does not parse; e.g. '# layers 3-5-2' "
                            "or '# steps: Load > Clean > Train'.")
        if "plan" not in inspect.signature(source.generate).parameters:
            raise UserError("This model's source cannot draw an edited plan yet; clear the plan "
                            "line to draw the request as read.")
        extra["plan"] = plan
    candidates = source.generate(
        state.prompt, k=sampling.m, temperature=sampling.temperature, top_p=sampling.top_p,
        seed=seed, **extra)
    picked, selected = pick_shown(ctx, checkpoint, source, state.prompt, candidates, sampling)
    generation_id = uuid.uuid4().hex[:8]
    shown = [to_shown(c, generation_id) for c in picked]
    # A server source names itself too (trainer.generation.sources.source_name): the pairs CSV keeps it.
    model = source_name(source, ctx.models.name(checkpoint))
    if shared:  # the first generation of this prompt becomes its task (or another session's did)
        task = ctx.tasks.open(Task(
            task_id=generation_id, prompt_id=state.prompt_id, prompt=state.prompt, model=model,
            checkpoint=str(checkpoint), annotator=annotator_name(annotator),
            sampling={**sampling.record(), "selected": selected},
            candidates=tuple({"index": c.index, "text": c.text, "ok": c.ok,
                              "problems": [list(p) for p in c.problems], "n_tokens": c.n_tokens,
                              "stopped_on_eos": c.stopped_on_eos} for c in shown)))
        return show_task(ctx, state, task, annotator)
    random.Random(seed).shuffle(shown)  # position bias: the model's order is not the shown order
    return replace(state, model=model, generation_id=generation_id,
                   sampling=sampling, candidates=tuple(shown), chosen=None, rejected=None,
                   shown_at=time.monotonic(), replay_seed=None, confirm=None, selected=selected)


TASK_NOTE = "shared task"


def show_task(ctx, state: LabelState, task: Task, annotator: str | None) -> LabelState:
    """The task's candidates, in an order shuffled per annotator (so one position bias does not
    look like agreement); the status says they are shared, and by which model when it is not the
    active one (open tasks of an earlier model are finished on their old candidates)."""
    shown = [ShownCandidate(candidate_id=f"{task.task_id}-{c['index']}", index=int(c["index"]),
                            text=str(c["text"]), ok=bool(c["ok"]),
                            problems=tuple(tuple(p) for p in c.get("problems") or ()),
                            n_tokens=int(c.get("n_tokens") or 0),
                            stopped_on_eos=bool(c.get("stopped_on_eos")))
             for c in task.candidates]
    random.Random(f"{task.sampling.get('seed')}|{annotator_name(annotator)}").shuffle(shown)
    note = f"{TASK_NOTE}: every annotator of this prompt sees these {len(shown)} candidates"
    if task.checkpoint != str(ctx.models.active()):
        note += f", made by `{task.model}` (an earlier model than the active one)"
    base = state.notice.split(f" · {TASK_NOTE}")[0] if not state.notice.startswith(TASK_NOTE) else ""
    s = task.sampling
    return replace(state, model=task.model, generation_id=task.task_id,
                   sampling=Sampling.from_record(s, k=len(shown)),
                   candidates=tuple(shown), chosen=None, rejected=None, shown_at=time.monotonic(),
                   replay_seed=None, confirm=None, notice=f"{base} · {note}" if base else note,
                   selected=str(s.get("selected", "plain")))


