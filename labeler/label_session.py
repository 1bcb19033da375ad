"""A Label-tab session: its immutable `LabelState`, the `SessionBook` that is the one place a
session's state changes, and picking the next prompt (pool or typed). See labeler.labeling."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import threading
import uuid
from collections import Counter, OrderedDict
from dataclasses import dataclass, fields, replace
from typing import ClassVar

from diagram import build_prompt, parse
from diagram.plan import parse_plan_line
from diagram.reader import read_request
from labeler.common import UserError
from labeler.coverage import kinds_of, labeled_kind_counts, pick_kind
from labeler.limits import MAX_SEED, bounded_number, check_annotator, whole_number
from labeler.quotas import TARGETS, labeled_counts
from labeler.tasks import Overlap, judged_by, pick_prompt, stored_prompt_ids
from trainer.core.preferences import PreferenceError
from trainer.core.schema import CATEGORIES, request_category
from trainer.core.selection import MAX_M


MAX_PROMPT_CHARS = 2_000
K_RANGE = (2, 6)
SKIP_REASONS = ("skip", "both_bad", "tie")
UNDOABLE = ("judgment", "pair", *SKIP_REASONS)  # event kinds in the log that undo can take back
_NODE_LAYERS = {"input", "hidden", "dense", "output"}  # dl_model layers whose size is nodes
MAX_SESSIONS = 1_000  # states kept by a SessionBook (least recently used dropped)
SELECTIONS = ("active", "plain")  # candidates: M sampled -> K most informative shown / first K
OVERSAMPLE_RANGE = (1.0, 3.0)  # M = ceil(oversample * K), at most trainer.core.selection.MAX_M
log = logging.getLogger(__name__)


class NeedsConfirmation(UserError):
    """A submit that needs to be repeated to confirm; `.state` remembers what was warned about."""

    def __init__(self, message: str, state: LabelState):
        super().__init__(message)
        self.state = state


@dataclass(frozen=True)
class Sampling:
    """A screen's sampling settings as one value: built once from the Label tab's controls
    (`with_controls`, the handlers get it whole), checked in one place (`checked`), kept with
    every judgment, pair and shared task (`record` / `from_record`).

    A new knob is a field here (its default, its check in `checked`, its name in `CONTROLS`
    when the page sets it, in `RECORDED` when it changes what is sampled) and its control in
    `label_page._settings_layout` under the same name; no handler signature names it. The HTTP
    API's `/next`, `/regenerate`, `/custom` and `/skip` take the `CONTROLS` in this order."""

    CONTROLS: ClassVar[tuple[str, ...]] = ("k", "temperature", "top_p", "selection")
    RECORDED: ClassVar[tuple[str, ...]] = ("k", "temperature", "top_p", "seed")

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

    def with_controls(self, *values) -> Sampling:
        """These settings with the controls' values (`CONTROLS` order), not checked yet."""
        if len(values) != len(self.CONTROLS):
            raise TypeError(f"Sampling.with_controls takes {len(self.CONTROLS)} values "
                            f"({', '.join(self.CONTROLS)}), not {len(values)}")
        return replace(self, **dict(zip(self.CONTROLS, values)))

    def checked(self) -> Sampling:
        """The settings as used: whole K in K_RANGE, finite temperature and top-p in range, the
        selection one of SELECTIONS (lower case); UserError (the page's message) otherwise."""
        k = whole_number(self.k, "K", *K_RANGE)
        temperature = bounded_number(self.temperature, "Temperature", 0.01, 2.0)
        top_p = bounded_number(self.top_p, "Top-p", 0.01, 1.0)
        seed = None if self.seed is None else whole_number(self.seed, "Seed", 0, MAX_SEED)
        selection = str(self.selection or "active").strip().lower()
        if selection not in SELECTIONS:
            raise UserError(f"Candidates must be one of {', '.join(SELECTIONS)}, not {self.selection!r}.")
        oversample = bounded_number(self.oversample, "Oversample", *OVERSAMPLE_RANGE)
        return replace(self, k=k, temperature=temperature, top_p=top_p, seed=seed,
                       selection=selection, oversample=oversample)

    def record(self) -> dict:
        """What a judgment, pair or task keeps of the settings (`RECORDED`, in that order)."""
        return {name: getattr(self, name) for name in self.RECORDED}

    @classmethod
    def from_record(cls, record: dict, k: int) -> Sampling:
        """The settings a `record()` kept (missing or null fields: the defaults), with K = the
        candidates actually shown."""
        values = {}
        for f in fields(cls):
            if f.name in cls.RECORDED and f.name != "k" and record.get(f.name) is not None:
                value = record[f.name]
                values[f.name] = type(f.default)(value) if f.default is not None else value
        return cls(k=k, **values)


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
    ranks_for: str = ""  # the generation_id `ranks` (and `order`) belong to (new candidates: none)
    ordering: bool = False  # rank mode: 1-6 give the order best to worst (`press_order`)
    order: tuple[int, ...] = ()  # positions in the order pressed, best first
    confirm_edit: str = ""  # the edit (a hash of its text) warned about: the same one again saves
    plan_line: str = ""  # a typed request: the plan line the person edited ("": as read)

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
        labeled = stored.labeled_prompts() | judged_prompts(ctx)  # a tie or both bad has no pair
        excluded = set(state.skipped) | ctx.reservations.held_by_others(state.session) | {state.prompt_id}
        pool = ctx.pool
        fresh = pool[~pool["prompt"].astype(str).isin(labeled)
                     & ~pool["prompt_id"].astype(str).isin(excluded)]
        available = fresh["category"].astype(str).value_counts().to_dict()
        category = pick_category(labeled_counts(stored.counts()), available, rng)
        rows = fresh[fresh["category"].astype(str) == category]
        if cover:
            rows = _thin_kind(pool, rows, stored, category, rng, getattr(ctx, "reader", None))
        row = rows.iloc[rng.randrange(len(rows))]
    ctx.reservations.release(state.session)
    ctx.reservations.reserve(str(row["prompt_id"]), state.session)
    return replace(state, prompt_id=str(row["prompt_id"]), category=category,
                   asks=describe_request(row.get("dest_shape_info")),
                   request=str(row["request"]), prompt=str(row["prompt"]), candidates=(), plan_line="",
                   chosen=None, rejected=None, generation_id="", replay_seed=None, confirm=None)


def judged_prompts(ctx) -> frozenset[str]:
    """The prompts of every live judgment (ties and both bad included: they give no pairs)."""
    if ctx.judgments is None:
        return frozenset()
    try:
        return frozenset(j.prompt for j in ctx.judgments.read().judgments)
    except PreferenceError as exc:
        raise UserError(f"The judgments file is unreadable: {exc}") from exc


def _thin_kind(pool, rows, stored, category: str, rng: random.Random, reader=None):
    """The fresh `rows` of the category's kind of request thinnest in the labeled pairs."""
    in_category = pool[pool["category"].astype(str) == category]
    pool_kinds = kinds_of(in_category)
    labeled = labeled_kind_counts(stored.rows, category,
                                  dict(zip(in_category["prompt"].astype(str), pool_kinds)),
                                  getattr(reader, "peek", None))
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


def describe_reading(request: str, read=None) -> str:
    """What the request reader finds in a typed request ("reads 3-5-2 (10 nodes, 25 edges)"), "" if nothing:
    the structure every candidate is drawn to (trainer.generation.generate, read=True); `read`: the
    app's reader (`ctx.reader`; None: the rules)."""
    plan = (read or read_request)(request)
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


def custom_prompt(state: LabelState, request: str, category: str = "auto",
                  plan_line: str = "", read=None) -> LabelState:
    """Use a request the user typed (wrapped with build_prompt) instead of a pool prompt;
    `plan_line`: a plan the person edited (`diagram.plan.parse_plan_line`), drawn instead of the
    one read from the request; `read`: the app's reader (`ctx.reader`; None: the rules)."""
    request = check_request(request)
    if category not in CATEGORIES:
        category = request_category(request)
    plan = parse_plan_line(plan_line) if plan_line else None
    if plan_line and plan is None:
        raise UserError(f"The plan line {plan_line!r} does not parse; e.g. '# layers 3-5-2' or "
                        "'# steps: Load > Clean > Train'.")
    asks = f"draws {plan.describe()} (your plan)" if plan else describe_reading(request, read)
    return replace(ensure_session(state), prompt_id="", category=category, request=request,
                   prompt=build_prompt(request), candidates=(), chosen=None, rejected=None,
                   generation_id="", replay_seed=None, confirm=None, notice="", asks=asks,
                   plan_line=plan_line if plan else "")




def annotator_name(typed: str | None, username: str | None = None) -> str:
    """Who labels: the login name when the app has --auth, else the name field, else anonymous
    (checked by `limits.check_annotator`: at most 64 printable characters)."""
    return check_annotator((username or "").strip() or typed)



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


