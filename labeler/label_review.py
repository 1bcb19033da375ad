"""Review and fix: a person's recent judgments, any one of which can be looked at again, removed,
or reopened to be judged again (not only the last, as Undo does); and the data as downloads.

    recent = recent_judgments(ctx, "ana")                  # newest first
    remove_judgment(ctx, "ana", recent[2].judgment_id, session="s1")
    state = reopen_judgment(ctx, state, "ana", judgment_id)  # the same candidates, to judge again
    path = export_file(ctx, "trl", scheme="extremes")       # or "csv", "judgments"

Removing goes through the judgment store (`JudgmentStore.undo`: an undo line, then its pairs leave
the CSV) and logs an `undo` event naming the judgment's event, so Undo's history stays right.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import replace
from pathlib import Path

from diagram import parse
from labeler.common import UserError
from labeler.label_session import LabelState, Sampling, ShownCandidate, annotator_name
from trainer.core.judgment_store import export_pairs
from trainer.core.judgments import DEFAULT_SCHEME, SCHEMES, Judgment
from trainer.core.preferences import PreferenceError

EXPORTS = ("csv", "judgments", "trl")  # the pairs CSV, the judgments file, the TRL view
RECENT = 12


def recent_judgments(ctx, annotator: str, n: int = RECENT) -> list[Judgment]:
    """The annotator's live judgments, newest first (at most n)."""
    if ctx.judgments is None:
        return []
    name = annotator_name(annotator)
    try:
        live = ctx.judgments.read().judgments
    except PreferenceError as exc:
        raise UserError(f"The judgments file is unreadable: {exc}") from exc
    return [j for j in reversed(live) if j.annotator == name][:n]


def describe(j: Judgment) -> str:
    """One line for the list: time, category, what was chosen."""
    if j.both_bad:
        what = "both bad"
    elif len(j.ranking) == 1:
        what = "a tie"
    elif j.best and j.worst:
        what = f"#{j.best[0] + 1} over #{j.worst[0] + 1}" + (" (ranked)" if len(j.ranking) > 3 else "")
    else:
        what = "judged"
    request = " ".join(j.prompt.split())[-60:]
    return f"{str(j.created_at)[11:19]} · {j.category} · {what} of {len(j.candidates)} · …{request}"


def roles(j: Judgment) -> list[str]:
    """Per shown candidate: "best", "worst", "rank N", "tie", "both bad" or ""."""
    if j.both_bad:
        return ["both bad"] * len(j.candidates)
    order = j.order()
    if len(j.ranking) == 1:
        return ["tie"] * len(j.candidates)
    last = len(j.ranking) - 1
    return ["best" if order.get(i) == 0 else "worst" if order.get(i) == last
            else f"rank {order[i] + 1}" if i in order else "" for i in range(len(j.candidates))]


def _find(ctx, annotator: str, judgment_id: str) -> Judgment:
    for j in recent_judgments(ctx, annotator, n=10**9):
        if j.judgment_id == judgment_id:
            return j
    raise UserError(f"There is no judgment {judgment_id!r} of {annotator_name(annotator)} to change "
                    "(removed already, or another annotator's).")


def remove_judgment(ctx, annotator: str, judgment_id: str, session: str = "") -> Judgment:
    """Take back one judgment (all its pairs) of this annotator; returns it."""
    j = _find(ctx, annotator, judgment_id)
    name = annotator_name(annotator)
    try:
        ctx.judgments.undo(judgment_id, name)
    except PreferenceError as exc:
        raise UserError(f"Not removed: {exc}") from exc
    event = next((e for e in reversed(ctx.events.read())
                  if e.get("judgment_id") == judgment_id and e.get("id")), {})
    ctx.events.log("undo", target=event.get("id"), undone=event.get("event", "judgment"),
                   judgment_id=judgment_id, annotator=name, session=session, via="review")
    return j


def reopen_judgment(ctx, state: LabelState, annotator: str, judgment_id: str) -> LabelState:
    """Remove the judgment and show its screen again, the same candidates in the same order, to
    be judged anew."""
    j = remove_judgment(ctx, annotator, judgment_id, session=state.session)
    extra = j.extra or {}
    ids = list(extra.get("candidate_ids") or [])
    generation_id = uuid.uuid4().hex[:8]
    shown = []
    for i, text in enumerate(j.candidates):
        result = parse(text)
        shown.append(ShownCandidate(
            candidate_id=ids[i] if i < len(ids) else f"{generation_id}-{i}", index=i, text=text,
            ok=bool(result.ok), problems=tuple((p.line, p.severity, p.message) for p in result.problems),
            stopped_on_eos=True))
    s = extra.get("sampling") or {}
    prompt_id = str(extra.get("prompt_id") or "")
    ctx.reservations.release(state.session)
    if prompt_id:
        ctx.reservations.reserve(prompt_id, state.session)
    request = j.prompt
    row = ctx.pool[ctx.pool["prompt_id"].astype(str) == prompt_id] if prompt_id else None
    if row is not None and len(row):
        request = str(row.iloc[0]["request"])
    return replace(state, prompt_id=prompt_id, category=j.category, request=request, prompt=j.prompt,
                   asks=state.asks if state.prompt == j.prompt else "", model=j.model,
                   generation_id=generation_id, candidates=tuple(shown), chosen=None, rejected=None,
                   sampling=Sampling.from_record(s, k=len(shown)),
                   shown_at=time.monotonic(), replay_seed=None, confirm=None, order=(), ranks=(),
                   selected=str(s.get("selection") or "plain"),
                   notice=f"reopened judgment `{judgment_id}` (removed): judge it again")


def export_file(ctx, kind: str, scheme: str = DEFAULT_SCHEME, out_dir: Path | None = None) -> Path:
    """A consistent copy to download: the pairs CSV, the judgments file, or the TRL view
    (`export_pairs` under `scheme`)."""
    if kind not in EXPORTS:
        raise UserError(f"Unknown export {kind!r}; one of {', '.join(EXPORTS)}.")
    out = Path(out_dir or Path(ctx.render_dir) / "exports")
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    try:
        if kind == "csv":
            return Path(ctx.store.export_csv(out / f"preferences-{stamp}.csv"))
        if ctx.judgments is None:
            raise UserError("This preference store keeps no judgments file.")
        if kind == "judgments":
            dest = out / f"label_judgments-{stamp}.jsonl"
            with ctx.store.locked():
                if Path(ctx.judgments.path).is_file():
                    shutil.copyfile(ctx.judgments.path, dest)
                else:
                    dest.write_bytes(b"")
            return dest
        if scheme not in SCHEMES:
            raise UserError(f"Unknown pair scheme {scheme!r}; one of {', '.join(SCHEMES)}.")
        dest = out / f"pairs-{scheme}-{stamp}.csv"
        export_pairs(ctx.store.path, ctx.judgments.path, scheme, dest)
        return dest
    except (PreferenceError, OSError) as exc:
        raise UserError(f"Export failed: {exc}") from exc
