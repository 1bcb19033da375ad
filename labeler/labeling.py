"""The Label tab's logic as plain functions over an immutable per-session `LabelState`.

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
written back. A submitted screen is a judgment (`trainer.judgments.Judgment`: every shown text,
best and worst, the optional ranks of the others, ties) kept in `label_judgments.jsonl` by
`ctx.judgments`, which appends the pairs it implies under the pair scheme to the CSV, weighted to
sum to 1; "both bad" and "tie" are judgments without pairs. Every saved judgment or pair and every
skip / both bad / tie is also a line in the event log (`label_events.jsonl`, with an `id`); undo
takes the annotator's newest action that is not undone yet from that log (a whole judgment: all its
pairs), so the history survives a reload.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import threading
import time
import uuid
from collections import Counter, OrderedDict
from dataclasses import dataclass, replace

from diagram import build_prompt, parse
from diagram.reader import read_request
from labeler.common import UserError
from labeler.coverage import kinds_of, labeled_kind_counts, pick_kind
from labeler.limits import MAX_SEED, bounded_number, check_annotator, whole_number
from labeler.views import MAX_DIAGRAM_CHARS
from labeler.quotas import TARGETS, labeled_counts
from labeler.tasks import Overlap, Task, judged_by, pick_prompt, stored_prompt_ids
from trainer.preference_trainers import TRAINERS
from trainer.judgments import DEFAULT_SCHEME, SCHEMES, Judgment, judgment_from_ranking, judgment_id_for
from trainer.preferences import PreferenceError
from trainer.schema import CATEGORIES, request_category
from trainer.selection import MAX_M, select_candidates
from trainer.sources import source_name

MAX_PROMPT_CHARS = 2_000
K_RANGE = (2, 6)
SKIP_REASONS = ("skip", "both_bad", "tie")
UNDOABLE = ("judgment", "pair", *SKIP_REASONS)  # event kinds in the log that undo can take back
_NODE_LAYERS = {"input", "hidden", "dense", "output"}  # dl_model layers whose size is nodes
MAX_SESSIONS = 1_000  # states kept by a SessionBook (least recently used dropped)
SELECTIONS = ("active", "plain")  # candidates: M sampled -> K most informative shown / first K
OVERSAMPLE_RANGE = (1.0, 3.0)  # M = ceil(oversample * K), at most trainer.selection.MAX_M
log = logging.getLogger(__name__)


class NeedsConfirmation(UserError):
    """A submit that needs to be repeated to confirm; `.state` remembers what was warned about."""

    def __init__(self, message: str, state: LabelState):
        super().__init__(message)
        self.state = state


@dataclass(frozen=True)
class Sampling:
    k: int = 4
    temperature: float = 0.8
    top_p: float = 0.95
    seed: int | None = None
    selection: str = "active"  # SELECTIONS; "plain" also turns off covering thin prompt kinds
    oversample: float = 2.0  # active: M = ceil(oversample * K) sampled

    @property
    def m(self) -> int:
        """How many candidates are sampled: K (plain) or M = ceil(oversample * K) <= MAX_M."""
        if self.selection == "plain":
            return int(self.k)
        return max(int(self.k), min(MAX_M, math.ceil(float(self.oversample) * int(self.k) - 1e-9)))


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
    asks: str = ""  # the structure the pool row asks for, e.g. "asks 3-5-2", "" when unknown
    model: str = ""
    generation_id: str = ""
    sampling: Sampling = Sampling()
    candidates: tuple[ShownCandidate, ...] = ()  # in the (shuffled) order shown
    chosen: int | None = None  # display positions
    rejected: int | None = None
    shown_at: float = 0.0
    skipped: tuple[str, ...] = ()  # prompt ids skipped by this session
    version: int = 0  # bumped by SessionBook on every stored change
    notice: str = ""  # what the last action did ("saved pair ...", "undone ..."), for the status
    replay_seed: int | None = None  # undo: regenerate the restored prompt with its old seed
    confirm: tuple[int, int] | None = None  # (chosen, rejected) warned as invalid-over-valid
    selected: str = ""  # how the candidates were picked: "plain", "active 8->4" (+ " margins")
    ranks: tuple[tuple[int, int], ...] = ()  # (position, rank) the person gave cards other than best/worst
    ranks_for: str = ""  # the generation_id `ranks` belong to (new candidates: no ranks)

    @property
    def all_invalid(self) -> bool:
        return bool(self.candidates) and not any(c.ok for c in self.candidates)

    @property
    def prompt_key(self) -> str:
        """Which prompt this is: the pool id, or a hash of a typed prompt (edits belong to one)."""
        if self.prompt_id or not self.prompt:
            return self.prompt_id
        return "typed-" + hashlib.sha1(self.prompt.encode("utf-8")).hexdigest()[:10]


class SessionBook:
    """The authoritative `LabelState` of each session; the one place a session's state changes.

    `apply(state, action)` runs `action(current)` under the lock and stores what it returns;
    `finish(started, new)` stores the result of slow work only if nothing changed meanwhile.
    """

    def __init__(self, limit: int = MAX_SESSIONS):
        self._states: OrderedDict[str, LabelState] = OrderedDict()
        self._lock = threading.RLock()
        self.limit = limit

    def current(self, state: LabelState) -> LabelState:
        """The stored state of `state`'s session (a new session starts from `state`)."""
        state = ensure_session(state)
        with self._lock:
            return self._states.get(state.session, state)

    def _store(self, new: LabelState, version: int) -> LabelState:
        stored = replace(new, version=version + 1)
        self._states[stored.session] = stored
        self._states.move_to_end(stored.session)
        while len(self._states) > self.limit:
            self._states.popitem(last=False)
        return stored

    def apply(self, state: LabelState, action):
        """(stored state, extra) from `action(current) -> (new state, extra)`; a UserError from the
        action leaves the session as it was."""
        with self._lock:
            current = self.current(state)
            new, extra = action(current)
            return self._store(new, current.version), extra

    def finish(self, started: LabelState, new: LabelState) -> LabelState | None:
        """Store `new` (computed from `started`) unless the session moved on; None = dropped."""
        with self._lock:
            if self.current(started).version != started.version:
                return None
            return self._store(new, started.version)


def ensure_session(state: LabelState) -> LabelState:
    return state if state.session else replace(state, session=uuid.uuid4().hex[:12])


def pick_category(counts: dict[str, int], available: dict[str, int], rng: random.Random) -> str:
    """The category furthest below its target share that still has prompts to offer."""
    open_cats = [c for c in CATEGORIES if available.get(c, 0) > 0]
    if not open_cats:
        raise UserError("Every prompt in the labeling pool is labeled - type your own prompt.")
    share = {c: counts.get(c, 0) / TARGETS[c]["labeled"] for c in open_cats}
    lowest = min(share.values())
    return rng.choice(sorted(c for c in open_cats if share[c] == lowest))


def _pool_ids(ctx) -> dict[str, str]:
    """{prompt text: pool prompt id} of the labeling pool."""
    return dict(zip(ctx.pool["prompt"].astype(str), ctx.pool["prompt_id"].astype(str)))


def overlap_of(ctx, stored, session: str) -> Overlap:
    """Who judged, and who is being shown, each pool prompt (`--overlap N`, labeler.tasks)."""
    ids = _pool_ids(ctx)
    return Overlap(n=ctx.overlap, judged=judged_by(stored.rows, ctx.events.read(), ids),
                   tasks=frozenset(ctx.tasks.read()),
                   stored=frozenset(stored_prompt_ids(stored.rows, ids)),
                   shown=ctx.reservations.holders(session))


def next_prompt(ctx, state: LabelState, rng: random.Random, annotator: str | None = None,
                cover: bool = True) -> LabelState:
    """Take the next pool prompt (balanced toward the quotas, not yet labeled or reserved). With
    `ctx.overlap` > 1: a prompt `annotator` has not judged and fewer than N others have, started
    prompts first (`labeler.tasks.pick_prompt`). Else with `cover`, of the kind of request thinnest
    in the labeled data (`labeler.coverage`), else any."""
    state = ensure_session(state)
    stored = ctx.store.read()  # one read of the store for this request
    if ctx.overlap > 1:
        row = pick_prompt(ctx.pool.to_dict("records"), overlap_of(ctx, stored, state.session),
                          annotator_name(annotator), set(state.skipped) | {state.prompt_id},
                          labeled_counts(stored.counts()), rng, pick_category)
        category = str(row["category"])
    else:
        labeled = stored.labeled_prompts()
        excluded = set(state.skipped) | ctx.reservations.held_by_others(state.session) | {state.prompt_id}
        pool = ctx.pool
        fresh = pool[~pool["prompt"].astype(str).isin(labeled)
                     & ~pool["prompt_id"].astype(str).isin(excluded)]
        available = fresh["category"].astype(str).value_counts().to_dict()
        category = pick_category(labeled_counts(stored.counts()), available, rng)
        rows = fresh[fresh["category"].astype(str) == category]
        if cover:
            rows = _thin_kind(pool, rows, stored, category, rng)
        row = rows.iloc[rng.randrange(len(rows))]
    ctx.reservations.release(state.session)
    ctx.reservations.reserve(str(row["prompt_id"]), state.session)
    return replace(state, prompt_id=str(row["prompt_id"]), category=category,
                   asks=describe_request(row.get("dest_shape_info")),
                   request=str(row["request"]), prompt=str(row["prompt"]), candidates=(),
                   chosen=None, rejected=None, generation_id="", replay_seed=None, confirm=None)


def _thin_kind(pool, rows, stored, category: str, rng: random.Random):
    """The fresh `rows` of the category's kind of request thinnest in the labeled pairs."""
    in_category = pool[pool["category"].astype(str) == category]
    pool_kinds = kinds_of(in_category)
    labeled = labeled_kind_counts(stored.rows, category,
                                  dict(zip(in_category["prompt"].astype(str), pool_kinds)))
    row_kinds = kinds_of(rows)
    kind = pick_kind(labeled, Counter(pool_kinds), Counter(row_kinds), rng)
    return rows[[k == kind for k in row_kinds]]


def describe_request(info) -> str:
    """What a pool row's dest_shape_info asks for, in a few words ("asks 3-5-2 (10 nodes)",
    "asks 6 steps, 7 links"); "" when it says nothing usable."""
    try:
        info = json.loads(info) if isinstance(info, str) else dict(info or {})
        sizes = [int(n) for n in info.get("shape_sizes") or []]
    except (TypeError, ValueError, AttributeError):
        return ""
    types = [str(t) for t in info.get("shape_types") or []]
    if info.get("task_name") == "dl_model" and types and set(types) - _NODE_LAYERS:
        return f"asks {len(types)} layers: {'-'.join(types)}"  # a CNN: sizes are feature maps
    if info.get("task_name") == "dl_model" and sizes:
        return f"asks {'-'.join(map(str, sizes))} ({sum(sizes)} nodes)"
    steps, links = len(info.get("shape_types") or []), len(info.get("edges") or [])
    if steps:
        return f"asks {steps} steps" + (f", {links} links" if links else "")
    return ""


def describe_reading(request: str) -> str:
    """What the request reader finds in a typed request ("reads 3-5-2 (10 nodes, 25 edges)"), "" if nothing:
    the structure every candidate is drawn to (trainer.generate, read=True)."""
    plan = read_request(request)
    return f"reads {plan.describe()}" if plan else ""


def describes_drawing(text: str) -> str:
    """What a candidate draws: "draws 10 nodes, 25 edges" (whatever parses)."""
    diagram = parse(text).diagram
    nodes, edges = len(diagram.nodes), len(diagram.edges())
    return f"draws {nodes} node{'s' * (nodes != 1)}, {edges} edge{'s' * (edges != 1)}"


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
        category = request_category(request)
    return replace(ensure_session(state), prompt_id="", category=category, request=request,
                   prompt=build_prompt(request), candidates=(), chosen=None, rejected=None,
                   generation_id="", replay_seed=None, confirm=None, notice="", asks=describe_reading(request))


def check_sampling(sampling: Sampling) -> Sampling:
    k = whole_number(sampling.k, "K", *K_RANGE)
    temperature = bounded_number(sampling.temperature, "Temperature", 0.01, 2.0)
    top_p = bounded_number(sampling.top_p, "Top-p", 0.01, 1.0)
    seed = None if sampling.seed is None else whole_number(sampling.seed, "Seed", 0, MAX_SEED)
    selection = str(sampling.selection or "active").strip().lower()
    if selection not in SELECTIONS:
        raise UserError(f"Candidates must be one of {', '.join(SELECTIONS)}, not {sampling.selection!r}.")
    oversample = bounded_number(sampling.oversample, "Oversample", *OVERSAMPLE_RANGE)
    return replace(sampling, k=k, temperature=temperature, top_p=top_p, seed=seed,
                   selection=selection, oversample=oversample)


def to_shown(candidate, generation_id: str) -> ShownCandidate:
    problems = tuple((p.line, p.severity, p.message) for p in candidate.parse.problems)
    return ShownCandidate(candidate_id=f"{generation_id}-{candidate.index}",
                          index=int(candidate.index), text=candidate.text,
                          ok=bool(candidate.parse.ok), problems=problems,
                          n_tokens=int(candidate.n_tokens),
                          stopped_on_eos=bool(candidate.stopped_on_eos))


def candidate_margins(ctx, checkpoint, source, prompt: str, candidates) -> list[float] | None:
    """Each candidate's mean per-token log-probability under the served model, when the model is
    preference-trained (its manifest kind is a trainer of trainer.preference_trainers: its own
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
    candidates = source.generate(
        state.prompt, k=sampling.m, temperature=sampling.temperature, top_p=sampling.top_p,
        seed=seed)
    picked, selected = pick_shown(ctx, checkpoint, source, state.prompt, candidates, sampling)
    generation_id = uuid.uuid4().hex[:8]
    shown = [to_shown(c, generation_id) for c in picked]
    # A server source names itself too (trainer.sources.source_name): the pairs CSV keeps it.
    model = source_name(source, ctx.models.name(checkpoint))
    if shared:  # the first generation of this prompt becomes its task (or another session's did)
        task = ctx.tasks.open(Task(
            task_id=generation_id, prompt_id=state.prompt_id, prompt=state.prompt, model=model,
            checkpoint=str(checkpoint), annotator=annotator_name(annotator),
            sampling={"k": sampling.k, "temperature": sampling.temperature,
                      "top_p": sampling.top_p, "seed": seed, "selected": selected},
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
    sampling = Sampling(k=len(shown), temperature=float(s.get("temperature", 0.8)),
                        top_p=float(s.get("top_p", 0.95)), seed=s.get("seed"))
    return replace(state, model=task.model, generation_id=task.task_id, sampling=sampling,
                   candidates=tuple(shown), chosen=None, rejected=None, shown_at=time.monotonic(),
                   replay_seed=None, confirm=None, notice=f"{base} · {note}" if base else note,
                   selected=str(s.get("selected", "plain")))


def check_not_judged(ctx, state: LabelState, annotator: str) -> None:
    """With overlap, one judgment per annotator and prompt: UserError for a second one."""
    if ctx.overlap <= 1 or not state.prompt_id:
        return
    name = annotator_name(annotator)
    judged = judged_by(ctx.store.read().rows, ctx.events.read(), _pool_ids(ctx))
    if name in judged.get(state.prompt_id, ()):
        raise UserError(f"{name} already judged this prompt (pool `{state.prompt_id}`); each "
                        "annotator judges a prompt once. Nothing was saved - press Skip (S).")


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
    ranks = tuple((p, r) for p, r in ranks_of(state).items() if p != pos)  # a marked card's rank is its mark
    return replace(state, **{role: new}, ranks=ranks, ranks_for=state.generation_id)


def ranks_of(state: LabelState) -> dict[int, int]:
    """{position: rank} the person gave the current candidates (none for older candidates)."""
    if not state.candidates or state.ranks_for != state.generation_id:
        return {}
    return dict(state.ranks)


def set_rank(state: LabelState, position, rank) -> LabelState:
    """Rank a candidate other than best and worst: 1 (tied with best) to K (tied with worst);
    equal numbers are ties; None or "" clears it."""
    pos = _position(state, position, "ranked")
    k = len(state.candidates)
    ranks = ranks_of(state)
    if rank is None or rank == "":
        ranks.pop(pos, None)
    else:
        if pos in (state.chosen, state.rejected):
            fixed = "1 (best)" if pos == state.chosen else f"{k} (worst)"
            raise UserError(f"#{pos + 1} is marked {'chosen' if pos == state.chosen else 'rejected'}: "
                            f"its rank is {fixed}.")
        ranks[pos] = whole_number(rank, f"The rank of #{pos + 1}", 1, k)
    return replace(state, ranks=tuple(sorted(ranks.items())), ranks_for=state.generation_id)


def parse_ranks(text, k: int) -> dict[int, int] | None:
    """The API's ranks: one entry per shown card, comma-separated, blank = no rank ("1,3,,4");
    None when `text` is empty (the session's ranks count)."""
    text = "" if text is None else str(text).strip()
    if not text:
        return None
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != k:
        raise UserError(f"Give one rank per candidate ({k}, comma-separated, blank for none), not {len(parts)}.")
    return {i: whole_number(p, f"The rank of #{i + 1}", 1, k) for i, p in enumerate(parts) if p}


def ranking_groups(k: int, chosen: int, rejected: int, ranks: dict[int, int]) -> list[list[int]]:
    """The ranking of one screen, best group first: best alone at 1, worst alone at K, the others
    by their ranks (equal = tied; 1 ties with best, K with worst), or, when none is ranked, all
    in one group between best and worst (order unknown). Ranking only some of them is refused:
    where the unranked ones stand against the ranked ones is not known."""
    for pos, want in ((chosen, 1), (rejected, k)):
        if pos in ranks and ranks[pos] != want:
            raise UserError(f"#{pos + 1} is marked {'chosen' if want == 1 else 'rejected'}: its rank is {want}.")
    middle = [p for p in range(k) if p not in (chosen, rejected)]
    given = {p: ranks[p] for p in middle if p in ranks}
    if not given:
        return [[chosen], middle, [rejected]] if middle else [[chosen], [rejected]]
    missing = [p for p in middle if p not in given]
    if missing:
        names = ", ".join(f"#{p + 1}" for p in missing)
        raise UserError(f"Rank {names} too, or clear the ranks: a partial ranking of the others cannot be saved.")
    levels = {1: [chosen], k: [rejected]}
    for pos, rank in sorted(given.items()):
        levels.setdefault(rank, []).append(pos)
    return [levels[r] for r in sorted(levels)]  # the marked best / worst first in their group


def annotator_name(typed: str | None, username: str | None = None) -> str:
    """Who labels: the login name when the app has --auth, else the name field, else anonymous
    (checked by `limits.check_annotator`: at most 64 printable characters)."""
    return check_annotator((username or "").strip() or typed)


def _decision_seconds(state: LabelState) -> float:
    return round(time.monotonic() - state.shown_at, 2) if state.shown_at else 0.0


def _pair_metadata(state: LabelState, annotator: str, chosen: int, rejected: int) -> dict:
    """The store's metadata columns; positions/sampling are JSON objects in one column each."""
    s = state.sampling
    return {"category": state.category, "annotator": annotator_name(annotator),
            "model": state.model,
            "candidate_ids": f"{state.candidates[chosen].candidate_id};"
                             f"{state.candidates[rejected].candidate_id}",
            "positions": {"chosen": chosen, "rejected": rejected,
                          "shown_order": [c.index for c in state.candidates]},
            "sampling": {"k": s.k, "temperature": s.temperature, "top_p": s.top_p,
                         "seed": s.seed, "prompt_id": state.prompt_id,
                         "selection": state.selected or "plain"},
            "decision_seconds": _decision_seconds(state)}


def _log_action(ctx, kind: str, state: LabelState, annotator: str, **fields) -> str:
    """One undoable line in the event log: what undo needs to restore the prompt."""
    event_id = uuid.uuid4().hex[:12]
    ctx.events.log(kind, id=event_id, annotator=annotator_name(annotator), session=state.session,
                  prompt_id=state.prompt_id, prompt=state.prompt, request=state.request,
                  category=state.category, asks=state.asks, model=state.model,
                  seed=state.sampling.seed, selection=state.selected or "plain", **fields)
    return event_id


def _append(ctx, state: LabelState, chosen: str, rejected: str, source: str, meta: dict) -> str:
    try:
        pair_id = ctx.store.append(prompt=state.prompt, chosen=chosen, rejected=rejected,
                                   source=source, **meta)
    except PreferenceError as exc:
        raise UserError(f"Not saved: {exc}") from exc
    _log_action(ctx, "pair", state, meta["annotator"], pair_id=pair_id, source=source)
    return pair_id


def _saved(ctx, state: LabelState, pair_id: str, what: str = "pair") -> LabelState:
    ctx.reservations.release(state.session)
    return replace(state, chosen=None, rejected=None, candidates=(), confirm=None,
                   notice=f"saved {what} `{pair_id}`")


def check_scheme(scheme) -> str:
    scheme = scheme or DEFAULT_SCHEME
    if scheme not in SCHEMES:
        raise UserError(f"Unknown pair scheme {scheme!r}; one of {', '.join(SCHEMES)}.")
    return scheme


def _judgment(state: LabelState, annotator: str, ranking, both_bad: bool = False) -> Judgment:
    """The screen as judged: every shown text in display order, the ranking groups, who, what."""
    s = state.sampling
    name = annotator_name(annotator)
    texts = [c.text for c in state.candidates]
    return judgment_from_ranking(
        state.prompt, texts, ranking, both_bad=both_bad, category=state.category, annotator=name,
        model=state.model, source="human",
        judgment_id=judgment_id_for(state.prompt, texts, name, salt=uuid.uuid4().hex),
        extra={"prompt_id": state.prompt_id, "candidate_ids": [c.candidate_id for c in state.candidates],
               "shown_order": [c.index for c in state.candidates], "valid": [c.ok for c in state.candidates],
               "sampling": {"k": s.k, "temperature": s.temperature, "top_p": s.top_p, "seed": s.seed,
                            "prompt_id": state.prompt_id, "selection": state.selected or "plain"},
               "decision_seconds": _decision_seconds(state), "session": state.session})


def _keep(ctx, judgment: Judgment, scheme: str):
    """Store the judgment and its pairs (`ctx.judgments.add`); UserError when refused."""
    if ctx.judgments is None:
        raise UserError("Not saved: this preference store keeps no judgments file.")
    try:
        saved = ctx.judgments.add(judgment, scheme)
    except PreferenceError as exc:
        raise UserError(f"Not saved: {exc}") from exc
    return saved


def submit(ctx, state: LabelState, chosen, rejected, annotator: str, ranks=None,
           scheme: str = DEFAULT_SCHEME) -> tuple[LabelState, str]:
    """Save the screen as a judgment: best (chosen) and worst (rejected), the others ranked by
    `ranks` ({position: rank}, or the API's "1,3,,4"; None: the session's, from `set_rank`) or,
    unranked, between them; the CSV gets the pairs `scheme` derives. Returns the new state and
    the judgment id; the notice says how many pairs the screen gave.

    Choosing an invalid candidate over a valid one needs the same submit twice: the first one
    only warns (`NeedsConfirmation`, with `state.confirm` set in the exception's `state`)."""
    if chosen is None or rejected is None:
        raise UserError("Mark one candidate chosen (1-6) and one rejected (Shift+1-6) first.")
    chosen, rejected = _position(state, chosen, "chosen"), _position(state, rejected, "rejected")
    if chosen == rejected:
        raise UserError("Chosen and rejected are the same candidate; pick two different ones.")
    good, bad = state.candidates[chosen], state.candidates[rejected]
    if good.text == bad.text:
        raise UserError("Those two candidates are identical text; a pair needs a difference.")
    scheme = check_scheme(scheme)
    given = parse_ranks(ranks, len(state.candidates)) if isinstance(ranks, str) else ranks
    ranking = ranking_groups(len(state.candidates), chosen, rejected, ranks_of(state) if given is None else given)
    judgment = _judgment(state, annotator, ranking)
    if not good.ok and bad.ok and state.confirm != (chosen, rejected):
        raise NeedsConfirmation(
            f"#{chosen + 1} (chosen) is invalid and #{rejected + 1} (rejected) is valid. "
            "Submit again to save it anyway, or change the picks.",
            replace(state, confirm=(chosen, rejected)))
    check_not_judged(ctx, state, annotator)
    saved = _keep(ctx, judgment, scheme)
    _log_action(ctx, "judgment", state, annotator, judgment_id=saved.judgment_id, pair_ids=list(saved.pair_ids),
                scheme=scheme, source="human")
    n = len(saved.pair_ids)
    known = f", {len(saved.duplicates)} already stored" if saved.duplicates else ""
    notice = f"saved judgment `{saved.judgment_id}`: {n} pair{'s' * (n != 1)} ({scheme}{known})"
    return replace(_saved(ctx, state, saved.judgment_id), notice=notice), saved.judgment_id


def check_diagram_text(text: str) -> str:
    text = text or ""
    if len(text) > MAX_DIAGRAM_CHARS:
        raise UserError(f"The diagram text is {len(text):,} characters; the limit is "
                        f"{MAX_DIAGRAM_CHARS:,}.")
    return text


def submit_edit(ctx, state: LabelState, text: str, source_pos, rejected, annotator: str, *,
                for_prompt: str) -> tuple[LabelState, str]:
    """Submit a hand-corrected diagram as chosen against a worse candidate (source=human_edit).

    `for_prompt` is the `prompt_key` the editor was opened for: an edit of another prompt's
    diagram is refused (the page moved on since the editor was filled)."""
    if not for_prompt or for_prompt != state.prompt_key:
        raise UserError("This edit belongs to an earlier prompt; nothing was saved. Open a "
                        "candidate of the current prompt in the editor first.")
    text = check_diagram_text(text).strip()
    if rejected is None:
        raise UserError("Mark the worse candidate rejected (Shift+1-6) to pair the edit against.")
    rejected = _position(state, rejected, "rejected")
    source = _position(state, source_pos, "edited") if source_pos is not None else rejected
    result = parse(text)
    if not result.ok:
        first = result.errors[0] if result.errors else None
        where = f" ({first.message})" if first else ""  # the message starts with "line N:"
        raise UserError(f"The edited diagram does not parse yet{where}; fix it before submitting.")
    if text == state.candidates[rejected].text.strip():
        raise UserError("The edited text equals the rejected candidate; change something first.")
    check_not_judged(ctx, state, annotator)
    meta = _pair_metadata(state, annotator, source, rejected)
    meta["candidate_ids"] = (f"{state.candidates[source].candidate_id}+edit;"
                             f"{state.candidates[rejected].candidate_id}")
    pair_id = _append(ctx, state, text, state.candidates[rejected].text, "human_edit", meta)
    return _saved(ctx, state, pair_id, "your edit as pair"), pair_id


def skip(ctx, state: LabelState, reason: str, annotator: str) -> LabelState:
    """Log a skip / both-bad / tie event with the candidate texts, and remember the prompt as
    skipped. "Both bad" and "tie" with candidates shown are judgments too (both_bad / everything
    in one group: no pairs; KTO learns from both-bad ones). Undo takes it back."""
    if reason not in SKIP_REASONS:
        raise UserError(f"Unknown skip reason {reason!r}.")
    if reason != "skip":
        check_not_judged(ctx, state, annotator)
    notice = ""
    judged = {}
    if state.prompt and state.candidates and reason != "skip":
        everyone = [list(range(len(state.candidates)))]
        judgment = _judgment(state, annotator, [] if reason == "both_bad" else everyone, both_bad=reason == "both_bad")
        judged = {"judgment_id": _keep(ctx, judgment, DEFAULT_SCHEME).judgment_id}
    if state.prompt:
        _log_action(ctx, reason, state, annotator, **judged,
                    candidate_ids=[c.candidate_id for c in state.candidates],
                    candidates=[c.text for c in state.candidates],
                    valid=[c.ok for c in state.candidates],
                    chosen_position=state.chosen, rejected_position=state.rejected,
                    decision_seconds=_decision_seconds(state))
        notice = {"skip": "skipped", "both_bad": "marked both bad", "tie": "marked a tie"}[reason]
    ctx.reservations.release(state.session)
    skipped = state.skipped + ((state.prompt_id,) if state.prompt_id else ())
    return replace(state, skipped=skipped, candidates=(), chosen=None, rejected=None,
                   confirm=None, notice=notice)


def history(ctx, annotator: str) -> list[dict]:
    """The annotator's undoable actions, oldest first: logged judgments still live, pairs still
    in the CSV and skips, minus those an `undo` event took back."""
    events = ctx.events.read()
    undone = {e.get("target") for e in events if e.get("event") == "undo"}
    stored = ctx.store.read().pair_ids()
    try:
        live = set(ctx.judgments.read().by_id()) if ctx.judgments is not None else set()
    except PreferenceError as exc:
        raise UserError(f"The judgments file is unreadable: {exc}") from exc
    name = annotator_name(annotator)
    return [e for e in events if e.get("event") in UNDOABLE and e.get("id")
            and e.get("annotator") == name and e["id"] not in undone
            and (e["event"] != "pair" or e.get("pair_id") in stored)
            and (not e.get("judgment_id") or e["judgment_id"] in live)]


def undo(ctx, state: LabelState, annotator: str) -> tuple[LabelState, str]:
    """Take back the annotator's newest pair or skip and return to its prompt (candidates are
    regenerated with the same seed); returns the state and a message saying what was undone."""
    actions = history(ctx, annotator)
    if not actions:
        raise UserError(f"Nothing to undo for {annotator_name(annotator)}.")
    last = actions[-1]
    if last.get("judgment_id"):  # a judged screen (or both bad / tie): the judgment and all its pairs
        try:
            removed = ctx.judgments.undo(last["judgment_id"], annotator_name(annotator))
        except PreferenceError as exc:
            raise UserError(f"Not undone: {exc}") from exc
    if last["event"] == "judgment":
        what = f"judgment `{last['judgment_id']}` ({len(removed)} pair{'s' * (len(removed) != 1)} removed)"
    elif last["event"] == "pair":
        try:
            ctx.store.undo(last["pair_id"])
        except PreferenceError as exc:
            raise UserError(f"Not undone: {exc}") from exc
        what = f"removed pair `{last['pair_id']}`"
    else:
        what = {"skip": "the skip", "both_bad": "'both bad'", "tie": "the tie"}[last["event"]]
    ctx.events.log("undo", target=last["id"], undone=last["event"], pair_id=last.get("pair_id"),
                  judgment_id=last.get("judgment_id"), annotator=annotator_name(annotator), session=state.session)
    ctx.reservations.release(state.session)
    if last.get("prompt_id"):
        ctx.reservations.reserve(str(last["prompt_id"]), state.session)
    restored = replace(
        state, prompt_id=str(last.get("prompt_id") or ""), prompt=str(last.get("prompt") or ""),
        request=str(last.get("request") or ""), category=str(last.get("category") or ""),
        asks=str(last.get("asks") or ""),
        candidates=(), chosen=None, rejected=None, generation_id="", confirm=None,
        replay_seed=last.get("seed"), notice=f"undone: {what}",
        skipped=tuple(p for p in state.skipped if p != last.get("prompt_id")))
    return restored, what
