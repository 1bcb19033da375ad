"""One screen's judgment, and the training pairs it implies.

A labeling screen shows K candidates; the person marks the best and the worst and may rank the rest.
`Judgment.ranking` keeps what was said as groups of candidate positions, best group first: positions
in one group are tied (or their order was not given), a position in no group was not judged. Marking
only best and worst of four is `((best,), (the other two,), (worst,))`: best beats each other
candidate and each beats worst, 2K-3 pairs, although today's labeler saved one.

    j = judgment_from_pick("DL model 3-5-2", texts, chosen=2, rejected=0)
    derive_pairs(j, "extremes")   # 5 WeightedPairs, weights 1/5: one screen counts once

Pure: stdlib only, no file access (the store keeps judgments; trainers read the derived pairs).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

SCHEMES = ("best_worst", "extremes", "all")
DEFAULT_SCHEME = "extremes"
HELDOUT_EVERY = 5  # about 1 judgment in 5 is the user's held-out set (rounds evaluate on it)


@dataclass(frozen=True)
class Judgment:
    """What one person said about one screen. `candidates`: the texts shown, in display order."""

    judgment_id: str
    prompt: str
    candidates: tuple[str, ...]
    ranking: tuple[tuple[int, ...], ...] = ()
    both_bad: bool = False
    category: str = ""
    annotator: str = ""
    model: str = ""
    source: str = "human"
    created_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        seen: set[int] = set()
        for group in self.ranking:
            if not group:
                raise ValueError("a ranking group is empty")
            for pos in group:
                if not 0 <= pos < len(self.candidates):
                    raise ValueError(f"ranking names candidate {pos}, but {len(self.candidates)} were shown")
                if pos in seen:
                    raise ValueError(f"candidate {pos} is ranked twice")
                seen.add(pos)

    @property
    def best(self) -> tuple[int, ...]:
        return self.ranking[0] if len(self.ranking) > 1 else ()

    @property
    def worst(self) -> tuple[int, ...]:
        return self.ranking[-1] if len(self.ranking) > 1 else ()

    def order(self) -> dict[int, int]:
        """Position -> rank (0 = best group); unjudged positions are absent."""
        return {pos: rank for rank, group in enumerate(self.ranking) for pos in group}


@dataclass(frozen=True)
class WeightedPair:
    chosen: str
    rejected: str
    weight: float
    chosen_pos: int
    rejected_pos: int


def judgment_id_for(prompt: str, candidates: tuple[str, ...] | list[str], annotator: str, salt: str = "") -> str:
    """Stable id of one person's judgment of one screen (same screen, same person: same id)."""
    blob = "\x1f".join([prompt, *candidates, annotator, salt])
    return "j" + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def judgment_from_pick(prompt: str, candidates: list[str] | tuple[str, ...], chosen: int, rejected: int,
                       **fields: Any) -> Judgment:
    """Today's screen: best and worst marked, the others between them in an unknown order."""
    if chosen == rejected:
        raise ValueError("chosen and rejected are the same candidate")
    middle = tuple(i for i in range(len(candidates)) if i not in (chosen, rejected))
    ranking = ((chosen,), middle, (rejected,)) if middle else ((chosen,), (rejected,))
    fields.setdefault("judgment_id", judgment_id_for(prompt, tuple(candidates), fields.get("annotator", "")))
    return Judgment(prompt=prompt, candidates=tuple(candidates), ranking=ranking, **fields)


def judgment_from_ranking(prompt: str, candidates: list[str] | tuple[str, ...], ranking, **fields: Any) -> Judgment:
    """A ranking given as groups (lists of positions), best first; empty groups are dropped."""
    groups = tuple(tuple(int(p) for p in g) for g in ranking if len(g))
    fields.setdefault("judgment_id", judgment_id_for(prompt, tuple(candidates), fields.get("annotator", "")))
    return Judgment(prompt=prompt, candidates=tuple(candidates), ranking=groups, **fields)


def _ordered_pairs(j: Judgment, scheme: str) -> list[tuple[int, int]]:
    groups = j.ranking
    if len(groups) < 2:
        return []
    if scheme == "best_worst":
        return [(groups[0][0], groups[-1][0])]
    if scheme == "extremes":
        top, bottom = groups[0], groups[-1]
        pairs = [(b, p) for b in top for g in groups[1:] for p in g]
        pairs += [(p, w) for g in groups[1:-1] for p in g for w in bottom]
        return pairs
    if scheme == "all":
        return [(a, b) for hi, lo in combinations(range(len(groups)), 2) for a in groups[hi] for b in groups[lo]]
    raise ValueError(f"unknown pair scheme {scheme!r}; one of {', '.join(SCHEMES)}")


def derive_pairs(j: Judgment, scheme: str = DEFAULT_SCHEME) -> list[WeightedPair]:
    """The (chosen, rejected) pairs the judgment implies under `scheme`, weights summing to 1.

    Pairs whose two texts are identical say nothing and are dropped (the weights of the rest still
    sum to 1); a judgment with fewer than two groups (everything tied, or only both-bad) gives none.
    The same text shown twice gives each (chosen, rejected) text pair once (so pair ids stay
    unique), and a text ranked both above and below another (shown twice, at two ranks)
    contradicts itself: neither direction is kept.
    """
    texts = [c.strip() for c in j.candidates]
    ordered = [(a, b) for a, b in _ordered_pairs(j, scheme) if texts[a] != texts[b]]
    said = {(texts[a], texts[b]) for a, b in ordered}
    seen: set[tuple[str, str]] = set()
    pairs = []
    for a, b in ordered:
        key = (texts[a], texts[b])
        if key in seen or (key[1], key[0]) in said:
            continue
        seen.add(key)
        pairs.append((a, b))
    if not pairs:
        return []
    weight = 1.0 / len(pairs)
    return [WeightedPair(j.candidates[a], j.candidates[b], weight, a, b) for a, b in pairs]


def unpaired(j: Judgment) -> list[tuple[str, bool, float]]:
    """KTO rows (text, desirable, weight), weights summing to 1: the best group desirable, the worst
    undesirable; a both-bad screen makes every shown candidate undesirable (pairs cannot say that)."""
    if j.both_bad:
        rows = [(text, False) for text in dict.fromkeys(c for c in j.candidates if c.strip())]
    elif len(j.ranking) >= 2:
        rows = [(j.candidates[p], True) for p in j.ranking[0]] + [(j.candidates[p], False) for p in j.ranking[-1]]
    else:
        rows = []
    return [(text, desirable, 1.0 / len(rows)) for text, desirable in rows]


def is_heldout(judgment_id: str, every: int = HELDOUT_EVERY) -> bool:
    """Whether a judgment belongs to its user's held-out set: a stable hash, about 1 in `every`.
    `every` <= 1 holds nothing out."""
    if every <= 1:
        return False
    return int(hashlib.sha256(judgment_id.encode("utf-8")).hexdigest()[:8], 16) % every == 0
