"""Side-by-side (A/B) votes from the Playground, kept apart from the preference pairs.

Each vote is one CSV row appended to `<data-dir>/ab_votes.csv` under a file lock and fsynced, so
concurrent sessions never interleave rows and a crash never loses an acknowledged vote.
`win_rate(rows, "orpo", "sft")` is the human win-rate of ORPO checkpoints against SFT ones
(ties count half); the Playground tab shows it for every registered preference trainer.

    log = VoteLog(Path("data/ab_votes.csv"))
    log.append(prompt=..., left=..., right=..., left_stage="orpo", right_stage="sft", vote="left")
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from pathlib import Path

from trainer.core.fileio import append_locked, utc_now
from trainer.core.preference_trainers import DEFAULT_TRAINER

FIELDS = ("vote_id", "created_at", "annotator", "prompt", "model_left", "model_right",
          "stage_left", "stage_right", "vote", "winner", "seed")
VOTES = ("left", "right", "tie")


@dataclass(frozen=True)
class WinRate:
    wins: float  # ties count half
    n: int

    @property
    def rate(self) -> float | None:
        return self.wins / self.n if self.n else None


class VoteLog:
    """Append-only CSV of A/B votes (file lock + fsync)."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def append(self, *, prompt: str, left: str, right: str, left_stage: str, right_stage: str,
               vote: str, annotator: str = "", seed: int | None = None) -> str:
        """Record one vote; returns its vote_id. `vote` is left | right | tie."""
        if vote not in VOTES:
            raise ValueError(f"vote must be one of {VOTES}, got {vote!r}")
        row = {"vote_id": uuid.uuid4().hex[:12], "created_at": utc_now(),
               "annotator": annotator, "prompt": prompt, "model_left": left, "model_right": right,
               "stage_left": left_stage, "stage_right": right_stage, "vote": vote,
               "winner": {"left": left, "right": right}.get(vote, ""),
               "seed": "" if seed is None else str(seed)}
        header, line = io.StringIO(), io.StringIO()
        csv.DictWriter(header, fieldnames=FIELDS).writeheader()
        csv.DictWriter(line, fieldnames=FIELDS).writerow(row)
        append_locked(self.path, line.getvalue(), header=header.getvalue())
        return row["vote_id"]

    def load(self) -> list[dict]:
        """All votes as dicts (empty when no vote was cast yet)."""
        try:
            with self.path.open(encoding="utf-8", newline="") as fh:
                return list(csv.DictReader(fh))
        except FileNotFoundError:
            return []


def win_rate(rows: list[dict], stage: str = DEFAULT_TRAINER, against: str = "sft") -> WinRate:
    """How often a `stage` checkpoint beat an `against` one in votes that pitted the two (`stage`:
    the registry's default preference trainer unless named)."""
    wins, n = 0.0, 0
    for row in rows:
        sides = {"left": row.get("stage_left"), "right": row.get("stage_right")}
        if sorted(sides.values()) != sorted([stage, against]) or stage == against:
            continue
        n += 1
        vote = row.get("vote")
        if vote == "tie":
            wins += 0.5
        elif sides.get(vote) == stage:
            wins += 1.0
    return WinRate(wins=wins, n=n)
