"""Judging a Label-tab screen: marks, ranks, submit (a judgment and its pairs), edits, skips,
the annotator's history and undo. See labeler.labeling."""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import replace

from diagram import parse
from labeler.common import UserError
from labeler.label_session import (SKIP_REASONS, UNDOABLE, LabelState, NeedsConfirmation, _pool_ids,
                                   _position, annotator_name)
from labeler.limits import whole_number
from labeler.tasks import judged_by
from labeler.views import MAX_DIAGRAM_CHARS
from trainer.core.judgments import DEFAULT_SCHEME, SCHEMES, Judgment, judgment_from_ranking, judgment_id_for
from trainer.core.preferences import PreferenceError


def check_not_judged(ctx, state: LabelState, annotator: str) -> None:
    """With overlap, one judgment per annotator and prompt: UserError for a second one."""
    if ctx.overlap <= 1 or not state.prompt_id:
        return
    name = annotator_name(annotator)
    judged = judged_by(ctx.store.read().rows, ctx.events.read(), _pool_ids(ctx))
    if name in judged.get(state.prompt_id, ()):
        raise UserError(f"{name} already judged this prompt (pool `{state.prompt_id}`); each "
                        "annotator judges a prompt once. Nothing was saved - press Skip (S).")


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
    return replace(state, **{role: new}, ranks=ranks, ranks_for=state.generation_id, order=())


def order_of(state: LabelState) -> tuple[int, ...]:
    """The rank-mode order entered so far for the current candidates, best first."""
    if not state.candidates or state.ranks_for != state.generation_id:
        return ()
    return state.order


def toggle_ordering(state: LabelState) -> LabelState:
    """Enter or leave rank mode (the order entered so far is kept until new candidates)."""
    return replace(state, ordering=not state.ordering)


def press_order(state: LabelState, position) -> LabelState:
    """Rank mode: the card at `position` is the next best (pressed again: out of the order).
    The first is chosen; once all but one are pressed the last is filled in as rejected and the
    others get ranks 2..K-1 in the order pressed (a full ranking, no ties)."""
    pos = _position(state, position, "ranked")
    k = len(state.candidates)
    order = list(order_of(state))
    if len(order) == k:  # a complete order: a press starts it again from this card
        order = []
    if pos in order:
        order.remove(pos)
    else:
        order.append(pos)
    if len(order) == k - 1:
        order += [p for p in range(k) if p not in order]
    full = len(order) == k
    ranks = tuple((p, i + 1) for i, p in enumerate(order) if 0 < i < k - 1) if full else ()
    return replace(state, order=tuple(order), chosen=order[0] if order else None,
                   rejected=order[-1] if full else None, ranks=ranks,
                   ranks_for=state.generation_id, confirm=None)


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


def _decision_seconds(state: LabelState) -> float:
    return round(time.monotonic() - state.shown_at, 2) if state.shown_at else 0.0


def _pair_metadata(state: LabelState, annotator: str, chosen: int, rejected: int) -> dict:
    """The store's metadata columns; positions/sampling are JSON objects in one column each."""
    return {"category": state.category, "annotator": annotator_name(annotator),
            "model": state.model,
            "candidate_ids": f"{state.candidates[chosen].candidate_id};"
                             f"{state.candidates[rejected].candidate_id}",
            "positions": {"chosen": chosen, "rejected": rejected,
                          "shown_order": [c.index for c in state.candidates]},
            "sampling": {**state.sampling.record(), "prompt_id": state.prompt_id,
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
    name = annotator_name(annotator)
    texts = [c.text for c in state.candidates]
    return judgment_from_ranking(
        state.prompt, texts, ranking, both_bad=both_bad, category=state.category, annotator=name,
        model=state.model, source="human",
        judgment_id=judgment_id_for(state.prompt, texts, name, salt=uuid.uuid4().hex),
        extra={"prompt_id": state.prompt_id, "candidate_ids": [c.candidate_id for c in state.candidates],
               "shown_order": [c.index for c in state.candidates], "valid": [c.ok for c in state.candidates],
               "sampling": {**state.sampling.record(), "prompt_id": state.prompt_id,
                            "selection": state.selected or "plain"},
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
    An edit with parse warnings needs the same submit twice (`NeedsConfirmation` first).

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
    warnings = [p for p in result.problems if p.severity != "error"]
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    if warnings and state.confirm_edit != digest:  # e.g. a fragment of what was asked
        n = len(warnings)
        raise NeedsConfirmation(
            f"The edited diagram has {n} warning{'s' * (n != 1)} ({warnings[0].message}); it "
            f"draws {len(result.diagram.nodes)} nodes{f' for a request that {state.asks}' if state.asks else ''}. "
            "Submit the edit again to save it anyway, or fix it.", replace(state, confirm_edit=digest))
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
