"""The taste verdict: two models compared on the person's learned taste (`trainer.core.taste.Taste`),
then on held-out pairs, in words and a recommendation.

    taste_verdict(taste, old_styles, new_styles, old_name="tiny-sft", new_name="orpo-1").text
    manifest_verdict(taste, manifest, old_name=..., new_name=...)   # from a checkpoint's manifest

`taste_verdict` compares two models by the share of their sampled candidates that match the taste
(`Taste.matches`; invalid ones never match), each with a Wilson interval and the difference with
Newcombe's (`trainer.core.taste_stats`), then the held-out pair accuracy, and ends in a
recommendation. Pure, no torch (the labeler imports it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trainer.core.taste import N_FEATURES, Styles, Taste
from trainer.core.taste_stats import newcombe, pct, wilson


@dataclass(frozen=True)
class TasteVerdict:
    """Two models compared on the learned taste; `direction` is better / worse / unchanged /
    unknown (nothing leans even weakly, or no sampled candidates)."""

    old_name: str
    new_name: str
    old: tuple[int, int]  # (candidates matching the taste, candidates)
    new: tuple[int, int]
    difference: tuple[float, float] | None  # 95% interval of new share - old share
    direction: str
    recommendation: str
    text: str
    pair_accuracy: tuple[float | None, float | None, int] = (None, None, 0)  # old, new, held-out pairs


def count_matches(taste: Taste, styles: Styles) -> tuple[int, int]:
    """(candidates matching the taste, candidates); invalid candidates (None) never match."""
    return sum(taste.matches(s) for s in styles), len(styles)


def taste_verdict(taste: Taste, old_styles: Styles | None, new_styles: Styles | None, *,
                  old_name: str = "previous", new_name: str = "new", pair_old: float | None = None,
                  pair_new: float | None = None, pairs_n: int = 0, where: str = "") -> TasteVerdict:
    """The new model against the old on the person's taste, then on held-out pairs, in words.

    `old_styles`/`new_styles`: one style vector (None: invalid) per candidate each model sampled
    on the same held-out prompts; `where` says which ("on 10 held-out prompts, 2 each")."""
    pair_line = ""
    if pairs_n and pair_new is not None:
        pair_line = (f" Second measure, {pairs_n} held-out pairs: `{new_name}` gives your chosen diagram "
                     f"the higher likelihood in {pct(pair_new)}, `{old_name}` in {pct(pair_old)} "
                     "(50% is a coin).")
    pairs = (pair_old, pair_new, pairs_n)
    if not taste.clear and not taste.tentative:
        more = taste.screens_to_clear()
        rec = f"keep labeling about {more} more screens"
        text = (f"No taste learned yet ({taste.screens} screens), so the run cannot be judged on "
                f"it.{pair_line} **Recommendation: {rec}**, then train again.")
        return TasteVerdict(old_name, new_name, (0, 0), (0, 0), None, "unknown", rec, text, pairs)
    if not old_styles or not new_styles:
        rec = "no taste measure: sample held-out prompts (Eval prompts > 0) to compare"
        text = (f"Your taste: {taste.match_words()}. The run sampled no held-out prompts with both "
                f"models, so it cannot be compared on it.{pair_line} **Recommendation: {rec}.**")
        return TasteVerdict(old_name, new_name, (0, 0), (0, 0), None, "unknown", rec, text, pairs)
    old, new = count_matches(taste, old_styles), count_matches(taste, new_styles)
    lo, hi = newcombe(new, old)
    (olo, ohi), (nlo, nhi) = wilson(*old), wilson(*new)
    share = lambda c: c[0] / max(1, c[1])  # noqa: E731
    head = (f"Drawn your way ({taste.match_words()}): `{new_name}` {pct(share(new))} of {new[1]} candidates "
            f"(95% CI {pct(nlo)}-{pct(nhi)}), `{old_name}` {pct(share(old))} of {old[1]} "
            f"({pct(olo)}-{pct(ohi)}){' ' + where if where else ''}; difference "
            f"{100 * (share(new) - share(old)):+.0f} points (95% CI {100 * lo:+.0f} to {100 * hi:+.0f}).")
    more = max(taste.screens_to_clear(), 5 * math.ceil(max(10, taste.screens) / 5))
    if lo > 0:
        direction, rec = "better", f"activate `{new_name}`"
        why = "it draws your way more often"
    elif hi < 0:
        direction, rec = "worse", f"keep `{old_name}`"
        why = "the run moved away from your taste"
    else:
        direction = "unchanged"
        rec = f"the run did not move the taste: keep `{old_name}` and label about {more} more screens"
        why = "the difference is within the noise"
    if taste.tentative and direction != "unchanged":
        why += f"; your taste is not clear yet, so label about {taste.screens_to_clear()} more screens too"
    text = f"{head}{pair_line} **Recommendation: {rec}** ({why})."
    return TasteVerdict(old_name, new_name, old, new, (lo, hi), direction, rec, text, pairs)


def _manifest_styles(side: Mapping[str, Any]) -> list | None:
    styles = (side.get("sampling") or {}).get("styles")
    if not isinstance(styles, list):
        return None
    # a style vector of another length comes from another feature set: not comparable
    return [s if isinstance(s, list) and len(s) == N_FEATURES else None for s in styles]


def manifest_verdict(taste: Taste, manifest: Mapping[str, Any], *, old_name: str, new_name: str) -> TasteVerdict:
    """`taste_verdict` from what training stored in the new checkpoint's manifest: `verdict.previous`
    / `verdict.new` (`prefers_chosen` on the held-out pairs, `sampling.styles` of the candidates both
    sampled on the same held-out prompts); a round's own held-out pair accuracies (`round`) win."""
    verdict = manifest.get("verdict") or {}
    round_ = manifest.get("round") or {}
    new, old = verdict.get("new") or {}, verdict.get("previous") or {}
    if round_:
        pairs = (round_.get("accuracy_before"), round_.get("accuracy_after"), int(round_.get("heldout_pairs") or 0))
    else:
        pairs = (old.get("prefers_chosen"), new.get("prefers_chosen"), int(verdict.get("heldout_pairs") or 0))
    sampling = new.get("sampling") or {}
    where = f"on {sampling.get('n_prompts')} held-out prompts, {sampling.get('k')} each" if sampling.get("n_prompts") else ""
    return taste_verdict(taste, _manifest_styles(old), _manifest_styles(new), old_name=old_name, new_name=new_name,
                         pair_old=pairs[0], pair_new=pairs[1], pairs_n=pairs[2], where=where)
