"""The Label tab's logic as plain functions over an immutable per-session `LabelState`.

No gradio here: each function takes the shared `AppContext`, the session's state and the user's
input, and returns a new state (raising `UserError` with a message for the page on bad input,
before anything is written). `label_tab.py` turns states into component updates.

    state = next_prompt(ctx, LabelState(session="s1"), rng)
    state = generate(ctx, state, Sampling(k=4))
    state, pair_id = submit(ctx, state, chosen=0, rejected=1, annotator="ana")
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, replace

from diagram import build_prompt, parse
from labeler.limits import MAX_SEED, UserError, bounded_number, check_annotator, whole_number
from labeler.views import MAX_DIAGRAM_CHARS
from trainer.preferences import LABELED_SOURCES, TARGETS, PreferenceError

MAX_PROMPT_CHARS = 2_000
K_RANGE = (2, 6)
CATEGORIES = tuple(TARGETS)
SKIP_REASONS = ("skip", "both_bad", "tie")
_DL_WORDS = ("dl model", "neural", "layer", "hidden", "input node", "output node", "cnn",
             "convolution", "perceptron", "mlp", "network", "neurons")


@dataclass(frozen=True)
class Sampling:
    k: int = 4
    temperature: float = 0.8
    top_p: float = 0.95
    seed: int | None = None


@dataclass(frozen=True)
class ShownCandidate:
    """One candidate as displayed: `index` is its place in generation order."""

    candidate_id: str
    index: int
    text: str
    ok: bool
    problems: tuple[tuple[int, str, str], ...]  # (line, severity, message)
    n_tokens: int = 0
    stopped_on_eos: bool = False


@dataclass(frozen=True)
class LabelState:
    session: str = ""
    prompt_id: str = ""
    category: str = ""
    request: str = ""
    prompt: str = ""
    model: str = ""
    generation_id: str = ""
    sampling: Sampling = Sampling()
    candidates: tuple[ShownCandidate, ...] = ()  # in the (shuffled) order shown
    chosen: int | None = None  # display positions
    rejected: int | None = None
    shown_at: float = 0.0
    pairs: tuple[str, ...] = ()  # pair ids appended by this session, newest last (undo stack)
    skipped: tuple[str, ...] = ()  # prompt ids skipped by this session

    @property
    def all_invalid(self) -> bool:
        return bool(self.candidates) and not any(c.ok for c in self.candidates)


def ensure_session(state: LabelState) -> LabelState:
    return state if state.session else replace(state, session=uuid.uuid4().hex[:12])


def guess_category(request: str) -> str:
    """dl_model when the request talks about layers/nodes of a network, else other."""
    text = request.lower()
    return "dl_model" if any(word in text for word in _DL_WORDS) else "other"


def labeled_counts(frame) -> dict[str, int]:
    """Labeled pairs (human, human_edit, simulated; not auto) per category in the store's frame."""
    counts = dict.fromkeys(CATEGORIES, 0)
    if len(frame) == 0:
        return counts
    labeled = frame[frame["source"].isin(LABELED_SOURCES)]
    for category, n in labeled["category"].value_counts().items():
        if category in counts:
            counts[category] = int(n)
    return counts


def pick_category(counts: dict[str, int], available: dict[str, int], rng: random.Random) -> str:
    """The category furthest below its target share that still has prompts to offer."""
    open_cats = [c for c in CATEGORIES if available.get(c, 0) > 0]
    if not open_cats:
        raise UserError("Every prompt in the labeling pool is labeled - type your own prompt.")
    share = {c: counts.get(c, 0) / TARGETS[c]["labeled"] for c in open_cats}
    lowest = min(share.values())
    return rng.choice(sorted(c for c in open_cats if share[c] == lowest))


def next_prompt(ctx, state: LabelState, rng: random.Random) -> LabelState:
    """Take the next pool prompt (balanced toward the quotas, not yet labeled or reserved)."""
    state = ensure_session(state)
    frame = ctx.store.load()
    labeled = set(frame["prompt"])
    excluded = set(state.skipped) | ctx.reserved_by_others(state.session) | {state.prompt_id}
    pool = ctx.pool
    fresh = pool[~pool["prompt"].astype(str).isin(labeled)
                 & ~pool["prompt_id"].astype(str).isin(excluded)]
    available = fresh["category"].astype(str).value_counts().to_dict()
    category = pick_category(labeled_counts(frame), available, rng)
    rows = fresh[fresh["category"].astype(str) == category]
    row = rows.iloc[rng.randrange(len(rows))]
    ctx.release(state.session)
    ctx.reserve(str(row["prompt_id"]), state.session)
    return replace(state, prompt_id=str(row["prompt_id"]), category=category,
                   request=str(row["request"]), prompt=str(row["prompt"]), candidates=(),
                   chosen=None, rejected=None, generation_id="")


def check_request(request: str) -> str:
    """The stripped request, or UserError when it is empty or over MAX_PROMPT_CHARS."""
    request = (request or "").strip()
    if not request:
        raise UserError("Type a request first, e.g. 'DL model with 3 input nodes and 1 output'.")
    if len(request) > MAX_PROMPT_CHARS:
        raise UserError(f"The request is {len(request):,} characters; the limit is "
                        f"{MAX_PROMPT_CHARS:,}.")
    return request


def custom_prompt(state: LabelState, request: str, category: str = "auto") -> LabelState:
    """Use a request the user typed (wrapped with build_prompt) instead of a pool prompt."""
    request = check_request(request)
    if category not in CATEGORIES:
        category = guess_category(request)
    return replace(ensure_session(state), prompt_id="", category=category, request=request,
                   prompt=build_prompt(request), candidates=(), chosen=None, rejected=None,
                   generation_id="")


def check_sampling(sampling: Sampling) -> Sampling:
    k = whole_number(sampling.k, "K", *K_RANGE)
    temperature = bounded_number(sampling.temperature, "Temperature", 0.01, 2.0)
    top_p = bounded_number(sampling.top_p, "Top-p", 0.01, 1.0)
    seed = None if sampling.seed is None else whole_number(sampling.seed, "Seed", 0, MAX_SEED)
    return replace(sampling, k=k, temperature=temperature, top_p=top_p, seed=seed)


def to_shown(candidate, generation_id: str) -> ShownCandidate:
    problems = tuple((p.line, p.severity, p.message) for p in candidate.parse.problems)
    return ShownCandidate(candidate_id=f"{generation_id}-{candidate.index}",
                          index=int(candidate.index), text=candidate.text,
                          ok=bool(candidate.parse.ok), problems=problems,
                          n_tokens=int(candidate.n_tokens),
                          stopped_on_eos=bool(candidate.stopped_on_eos))


def generate(ctx, state: LabelState, sampling: Sampling) -> LabelState:
    """Sample K candidates for the current prompt with the active model, shown in random order."""
    if not state.prompt:
        raise UserError("There is no prompt yet - press Next or type one.")
    sampling = check_sampling(sampling)
    seed = sampling.seed if sampling.seed is not None else random.SystemRandom().randrange(2**31)
    sampling = replace(sampling, seed=seed)
    checkpoint = ctx.active_checkpoint()
    candidates = ctx.generator(checkpoint).generate(
        state.prompt, k=sampling.k, temperature=sampling.temperature, top_p=sampling.top_p,
        seed=seed)
    generation_id = uuid.uuid4().hex[:8]
    shown = [to_shown(c, generation_id) for c in candidates]
    random.Random(seed).shuffle(shown)  # position bias: the model's order is not the shown order
    return replace(state, model=ctx.model_name(checkpoint), generation_id=generation_id,
                   sampling=sampling, candidates=tuple(shown), chosen=None, rejected=None,
                   shown_at=time.monotonic())


def _position(state: LabelState, position, what: str) -> int:
    if not state.candidates:
        raise UserError("There are no candidates yet - wait for them or press Regenerate.")
    if position is None or position == "":
        raise UserError(f"Pick a {what} candidate first.")
    try:
        pos = whole_number(position, what, 0, len(state.candidates) - 1)
    except UserError:
        pos = -1
    if not 0 <= pos < len(state.candidates):
        raise UserError(f"There is no candidate #{position!r} to mark {what} "
                        f"(1-{len(state.candidates)}).")
    return pos


def mark(state: LabelState, position, role: str) -> LabelState:
    """Mark the candidate at a display position as chosen or rejected (clicking again unmarks)."""
    pos = _position(state, position, role)
    other = state.rejected if role == "chosen" else state.chosen
    if pos == other:
        raise UserError(f"Candidate #{pos + 1} is already marked "
                        f"{'rejected' if role == 'chosen' else 'chosen'}; pick another one.")
    current = state.chosen if role == "chosen" else state.rejected
    new = None if current == pos else pos
    return replace(state, **{role: new})


def _decision_seconds(state: LabelState) -> float:
    return round(time.monotonic() - state.shown_at, 2) if state.shown_at else 0.0


def _pair_metadata(state: LabelState, annotator: str, chosen: int, rejected: int) -> dict:
    """The store's metadata columns; positions/sampling are JSON objects in one column each."""
    s = state.sampling
    return {"category": state.category, "annotator": check_annotator(annotator),
            "model": state.model,
            "candidate_ids": f"{state.candidates[chosen].candidate_id};"
                             f"{state.candidates[rejected].candidate_id}",
            "positions": {"chosen": chosen, "rejected": rejected,
                          "shown_order": [c.index for c in state.candidates]},
            "sampling": {"k": s.k, "temperature": s.temperature, "top_p": s.top_p,
                         "seed": s.seed, "prompt_id": state.prompt_id},
            "decision_seconds": _decision_seconds(state)}


def _append(ctx, state: LabelState, chosen: str, rejected: str, source: str, meta: dict) -> str:
    try:
        return ctx.store.append(prompt=state.prompt, chosen=chosen, rejected=rejected,
                                source=source, **meta)
    except PreferenceError as exc:
        raise UserError(f"Not saved: {exc}") from exc


def submit(ctx, state: LabelState, chosen, rejected, annotator: str) -> tuple[LabelState, str]:
    """Append (chosen, rejected) for the current prompt; returns the new state and the pair id."""
    if chosen is None or rejected is None:
        raise UserError("Mark one candidate chosen (1-6) and one rejected (Shift+1-6) first.")
    chosen, rejected = _position(state, chosen, "chosen"), _position(state, rejected, "rejected")
    if chosen == rejected:
        raise UserError("Chosen and rejected are the same candidate; pick two different ones.")
    good, bad = state.candidates[chosen], state.candidates[rejected]
    if good.text == bad.text:
        raise UserError("Those two candidates are identical text; a pair needs a difference.")
    pair_id = _append(ctx, state, good.text, bad.text, "human",
                      _pair_metadata(state, annotator, chosen, rejected))
    ctx.release(state.session)
    return replace(state, pairs=state.pairs + (pair_id,), chosen=None, rejected=None,
                   candidates=()), pair_id


def check_diagram_text(text: str) -> str:
    text = text or ""
    if len(text) > MAX_DIAGRAM_CHARS:
        raise UserError(f"The diagram text is {len(text):,} characters; the limit is "
                        f"{MAX_DIAGRAM_CHARS:,}.")
    return text


def submit_edit(ctx, state: LabelState, text: str, source_pos, rejected,
                annotator: str) -> tuple[LabelState, str]:
    """Submit a hand-corrected diagram as chosen against a worse candidate (source=human_edit)."""
    text = check_diagram_text(text).strip()
    if rejected is None:
        raise UserError("Mark the worse candidate rejected (Shift+1-6) to pair the edit against.")
    rejected = _position(state, rejected, "rejected")
    source = _position(state, source_pos, "edited") if source_pos is not None else rejected
    result = parse(text)
    if not result.ok:
        first = result.errors[0] if result.errors else None
        where = f" (line {first.line}: {first.message})" if first else ""
        raise UserError(f"The edited diagram does not parse yet{where}; fix it before submitting.")
    if text == state.candidates[rejected].text.strip():
        raise UserError("The edited text equals the rejected candidate; change something first.")
    meta = _pair_metadata(state, annotator, source, rejected)
    meta["candidate_ids"] = (f"{state.candidates[source].candidate_id}+edit;"
                             f"{state.candidates[rejected].candidate_id}")
    pair_id = _append(ctx, state, text, state.candidates[rejected].text, "human_edit", meta)
    ctx.release(state.session)
    return replace(state, pairs=state.pairs + (pair_id,), chosen=None, rejected=None,
                   candidates=()), pair_id


def skip(ctx, state: LabelState, reason: str, annotator: str) -> LabelState:
    """Log a skip / both-bad / tie event (not a pair) and remember the prompt as skipped."""
    if reason not in SKIP_REASONS:
        raise UserError(f"Unknown skip reason {reason!r}.")
    annotator = check_annotator(annotator)
    if state.prompt:
        ctx.log_event(reason, prompt_id=state.prompt_id, prompt=state.prompt,
                      category=state.category, model=state.model,
                      annotator=annotator,
                      candidate_ids=[c.candidate_id for c in state.candidates],
                      valid=[c.ok for c in state.candidates],
                      chosen_position=state.chosen, rejected_position=state.rejected,
                      decision_seconds=_decision_seconds(state))
    ctx.release(state.session)
    skipped = state.skipped + ((state.prompt_id,) if state.prompt_id else ())
    return replace(state, skipped=skipped, candidates=(), chosen=None, rejected=None)


def undo(ctx, state: LabelState) -> tuple[LabelState, str]:
    """Remove the last pair this session appended; returns the state and the removed pair id."""
    if not state.pairs:
        raise UserError("Nothing to undo in this session.")
    pair_id = state.pairs[-1]
    try:
        ctx.store.undo(pair_id)
    except PreferenceError as exc:  # already gone (undone elsewhere): drop it from the stack
        return replace(state, pairs=state.pairs[:-1]), f"{pair_id} (was already gone: {exc})"
    ctx.log_event("undo", pair_id=pair_id, session=state.session)
    return replace(state, pairs=state.pairs[:-1]), pair_id
