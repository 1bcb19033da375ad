"""Which pairs a round trains on and which it is judged on (pure but for reading the store). Torch-free.

    trained = lineage_pair_ids(Path("checkpoints/round-2"))    # every pair its lineage trained on
    plan = select_round(store.read().rows, trained, annotator="all", every=5)
    plan.new, plan.heldout, plan.new_judgments

A judgment is identified by the row's `judgment_id` when the store has that column (pairs derived
from one screen share it), else by its `pair_id`. About 1 labeled judgment in `every` is the
user's held-out set (`trainer.core.judgments.is_heldout`, a stable hash): never trained on by a round,
used to judge every round. Automatic pairs (`source` auto: bootstrap's reference layouts) are not
the user's judgments: a round neither holds them out nor trains on them (the Train button still
does). With the layout engine (issue 20) every candidate has the requested structure, so a
bootstrap pair says "the reference's random style over a sample's random style": in a round that
is noise against the user's taste (bench_taste: 40 auto pairs were two thirds of round 1's weight),
and its chosen side, a pool reference without a plan line, taught the model to skip its plan line
(a free, untidy drawing) once the user's pairs were learnt strongly enough.

A checkpoint records the pairs it trained on (`TRAINED_PAIRS_FILE`); a round's checkpoint records
only its round's pairs, so "already trained on" is the union over the checkpoint and its parents
(`trainer.core.checkpoint.lineage`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from trainer.core.checkpoint import lineage
from trainer.core.judgments import is_heldout
from trainer.core.preferences import PreferenceError, open_store
from trainer.loop.round_config import ALL_ANNOTATORS
from trainer.core.schema import LABELED_SOURCES, TRAINED_PAIRS_FILE


def judgment_key(row: Mapping[str, str]) -> str:
    """The judgment a stored pair came from: `judgment_id` when present, else its `pair_id`."""
    return row.get("judgment_id") or row["pair_id"]


def held_out(row: Mapping[str, str], every: int) -> bool:
    """Whether a stored pair belongs to the user's held-out set (labeled rows only)."""
    return row.get("source") in LABELED_SOURCES and is_heldout(judgment_key(row), every)


@dataclass(frozen=True)
class RoundPlan:
    new: tuple[Mapping[str, str], ...]  # to train on: the user's, not held out, not trained on by the lineage
    heldout: tuple[Mapping[str, str], ...]  # every held-out pair of the annotator(s)

    @property
    def new_judgments(self) -> int:
        return len({judgment_key(row) for row in self.new})


def select_round(rows: Iterable[Mapping[str, str]], trained: frozenset[str], annotator: str = ALL_ANNOTATORS,
                 every: int = 5) -> RoundPlan:
    """Split the store's rows for a round (see the module docstring); `annotator` other than
    'all' keeps that annotator's rows only."""
    mine = [row for row in rows if annotator == ALL_ANNOTATORS or row.get("annotator", "") == annotator]
    heldout = tuple(row for row in mine if held_out(row, every))
    new = tuple(row for row in mine if row.get("source") != "auto" and not held_out(row, every)
                and row["pair_id"] not in trained)
    return RoundPlan(new, heldout)


def trained_pair_ids(checkpoint: Path) -> frozenset[str]:
    """pair_ids in one checkpoint's own copy of its training pairs (empty if none or unreadable)."""
    snapshot = Path(checkpoint) / TRAINED_PAIRS_FILE
    if not snapshot.is_file():
        return frozenset()
    try:
        return open_store(snapshot).read().pair_ids()
    except PreferenceError:
        return frozenset()


def lineage_pair_ids(checkpoint: Path) -> frozenset[str]:
    """Every pair the checkpoint or one of its parents trained on."""
    ids: set[str] = set()
    for path in lineage(checkpoint):
        ids |= trained_pair_ids(path)
    return frozenset(ids)
