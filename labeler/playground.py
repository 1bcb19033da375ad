"""The Playground tab's logic: live preview, one-off generation, and anonymous A/B comparison.

Plain functions over the shared `AppContext` and a per-session `ABState`; `playground_tab.py`
wires them to components. A/B votes go to `<data-dir>/ab_votes.csv` (see `labeler.votes`),
never to the preference pairs.

    left, right, ab = compare(ctx, "DL model with 3 inputs", "tiny-sft", "orpo-1", rng)
    message = vote(ctx, ab, "left", annotator="ana")
"""

from __future__ import annotations

import hashlib
import inspect
import random
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from diagram import build_prompt, parse
from diagram.export import export_files
from diagram.plan import Plan
from diagram.reader import edit_plan, explain_request
from labeler.common import UserError
from labeler.labeling import check_request
from labeler.limits import MAX_SEED, bounded_number, check_annotator, whole_number
from labeler.views import image_file
from labeler.votes import VOTES, win_rate
from trainer.core.preference_trainers import TRAINERS
from trainer.core.checkpoint import CheckpointError
from trainer.core.fileio import os_error_message


DOWNLOADS = ("png", "svg", "dot", "mermaid")


def download_files(render_dir: Path, text: str) -> dict[str, Path]:
    """The editor's drawing as downloadable files named `diagram.<ext>` (PNG, SVG, graphviz DOT,
    Mermaid), in a folder of the render cache keyed by the text; {} when no node parses. The PNG
    is the preview's own file, copied; RenderError when graphviz cannot draw the rest."""
    result = parse(text or "")
    if not result.diagram.nodes:
        return {}
    key = hashlib.sha1((text or "").encode("utf-8", "surrogatepass")).hexdigest()[:24]
    folder = Path(render_dir) / f"x-{key}"
    names = {fmt: folder / f"diagram.{ext}" for fmt, ext in (("png", "png"), ("svg", "svg"), ("dot", "dot"),
                                                             ("mermaid", "mmd"))}
    if all(path.exists() for path in names.values()):
        return names
    paths = export_files(result.diagram, folder, "diagram", "svg,dot,mermaid")
    png = image_file(render_dir, text, result=result)
    tmp = folder / ".diagram.png.tmp"
    shutil.copyfile(png, tmp)
    tmp.replace(names["png"])
    return {"png": names["png"], **paths}


def accepts(source, option: str) -> bool:
    """Whether `source.generate` takes the keyword `option` (the in-process Generator takes
    `plan` and `free_layout`; a server source or the batching wrapper does not)."""
    try:
        return option in inspect.signature(source.generate).parameters
    except (TypeError, ValueError):
        return False


def plan_to_draw(request: str, plan_line: str, read=None) -> Plan | None:
    """The plan a typed request is drawn to, given the plan line shown beside it
    (`label_views.plan_box`, then maybe edited): None when the line is the one read from the
    request (the source reads it itself), the edited plan otherwise. UserError, saying why, when
    nothing was read and no line was typed (nothing is drawn rather than an unrelated structure)
    or when the edited line does not read (`diagram.reader.edit_plan`). `read`: the app's reader
    (`ctx.reader`; None: the rules)."""
    line = " ".join((plan_line or "").split())
    plan, message = explain_request(request, read)
    if not line:
        if plan is None:
            raise UserError(f"{message} Nothing is drawn until a structure is read, or type a plan line.")
        return None
    if plan is not None and line == plan.line():
        return None
    edited, error = edit_plan(line)
    if edited is None:
        raise UserError(error)
    return edited


@dataclass(frozen=True)
class Sample:
    """One generated diagram ready to show."""

    text: str
    image: str
    ok: bool
    problems: tuple
    seconds: float


@dataclass(frozen=True)
class ABState:
    prompt: str = ""
    left: str = ""  # checkpoint names, hidden from the voter until they vote
    right: str = ""
    seed: int | None = None
    voted: bool = False


def sample_one(ctx, checkpoint: str, request: str, seed: int, temperature: float = 0.8,
               top_p: float = 0.95, grammar: bool | None = None,
               free_layout: bool | None = None, plan_line: str | None = None) -> Sample:
    """One candidate from `checkpoint` for `request` (wrapped with build_prompt).

    `grammar`: constrain to the answer format (None: the generator's default).
    `free_layout`: True samples every coordinate (`--free-layout`, the old behaviour, for
    comparison), False lays the plan out with the engine (None: the generator's default); a
    source without the switch (a server, `--batch-generate`) refuses True.
    `plan_line`: the plan line shown beside the request (`plan_to_draw`: an edited line is what
    gets drawn, passed as `generate(plan=)`; nothing is drawn when nothing was read and the line is
    empty); None: the request as the source reads it (Python callers).
    """
    if not checkpoint:
        raise UserError("Pick a checkpoint first.")
    seed = whole_number(seed, "Seed", 0, MAX_SEED)
    temperature = bounded_number(temperature, "Temperature", 0.01, 2.0)
    top_p = bounded_number(top_p, "Top-p", 0.01, 1.0)
    try:
        path = ctx.models.resolve(checkpoint)
    except CheckpointError as exc:  # a path outside checkpoints-dir
        raise UserError(str(exc)) from None
    if not Path(path).is_dir():
        raise UserError(f"There is no checkpoint {checkpoint!r}.")
    request = check_request(request)
    plan = plan_to_draw(request, plan_line, getattr(ctx, "reader", None)) if plan_line is not None else None
    prompt = build_prompt(request)
    source = ctx.models.generator(path)
    extra = {}
    if plan is not None:
        if not accepts(source, "plan"):
            raise UserError("This model's source cannot draw an edited plan (only the in-process model "
                            "can); put the plan line back as read to draw the request as read.")
        extra["plan"] = plan
    if free_layout is not None:
        if accepts(source, "free_layout"):
            extra["free_layout"] = bool(free_layout)
        elif free_layout:
            raise UserError("This model's source cannot sample free coordinates (only the in-process "
                            "model can); untick 'free layout (compare)'.")
    cand = source.generate(prompt, k=1, temperature=temperature, top_p=top_p, seed=seed,
                           grammar=grammar, **extra)[0]
    problems = tuple((p.line, p.severity, p.message) for p in cand.parse.problems)
    return Sample(text=cand.text, image=str(image_file(ctx.render_dir, cand.text,
                                                       result=cand.parse)),
                  ok=bool(cand.parse.ok), problems=problems, seconds=float(cand.seconds))


def compare(ctx, request: str, a: str, b: str, rng: random.Random,
            plan_line: str | None = None) -> tuple[Sample, Sample, ABState]:
    """Both checkpoints answer the same request with the same seed, in random left/right order
    (`plan_line` as `sample_one`'s)."""
    if not a or not b:
        raise UserError("Pick two checkpoints to compare.")
    if a == b:
        raise UserError("Pick two different checkpoints to compare.")
    request = check_request(request)
    seed = rng.randrange(2**31)
    left, right = (a, b) if rng.random() < 0.5 else (b, a)
    if plan_line is not None:
        plan_to_draw(request, plan_line, getattr(ctx, "reader", None))  # refuse before either model runs
    return (sample_one(ctx, left, request, seed, plan_line=plan_line),
            sample_one(ctx, right, request, seed, plan_line=plan_line),
            ABState(prompt=build_prompt(request), left=left, right=right, seed=seed))


def vote(ctx, ab: ABState, choice: str, annotator: str = "") -> tuple[ABState, str]:
    """Record the vote once and reveal which checkpoint was which."""
    if not ab.left:
        raise UserError("Run a comparison first.")
    if ab.voted:
        raise UserError("You already voted on this comparison; run a new one.")
    if choice not in VOTES:
        raise UserError(f"Unknown vote {choice!r}.")
    left, right = ctx.models.resolve(ab.left), ctx.models.resolve(ab.right)
    try:
        ctx.votes.append(prompt=ab.prompt, left=ab.left, right=ab.right,
                         left_stage=ctx.models.stage(left), right_stage=ctx.models.stage(right), vote=choice,
                         annotator=check_annotator(annotator), seed=ab.seed)
    except OSError as exc:  # disk full: one message for the page
        raise UserError(os_error_message(exc, "save the vote")) from exc
    return replace(ab, voted=True), (f"Recorded: **{choice}**. Left was `{ab.left}`, "
                                     f"right was `{ab.right}`.")


def win_rate_markdown(ctx) -> str:
    """The human win-rate against SFT of each registered preference trainer's checkpoints
    (`trainer.core.preference_trainers.TRAINERS`: ORPO, DPO, SimPO, KTO) that has votes."""
    rows = ctx.votes.load()
    rates = [(spec.label, win_rate(rows, name, "sft")) for name, spec in TRAINERS.items()]
    voted = [f"{label} {rate.rate:.0%} over {rate.n} vote{'s' * (rate.n != 1)}"
             for label, rate in rates if rate.rate is not None]
    if not voted:
        names = ", ".join(label for label, _ in rates)
        return (f"**Human win-rate against SFT:** no votes yet (compare a preference-trained checkpoint "
                f"({names}) with an SFT checkpoint below).")
    return f"**Human win-rate against SFT:** {' · '.join(voted)} (ties count half)."
