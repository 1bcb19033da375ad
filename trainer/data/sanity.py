"""Is a checkpoint the model it claims to be? Checks beyond the files' integrity, shared by training
(before it starts from a parent, before it publishes) and by the labeler (before it activates).

`trainer.core.checkpoint.validate_checkpoint` proves the files are intact (manifest, config, tokenizer,
safetensors headers, sha256). It cannot tell a trained model from a random one with a fresh
checksum (what a diverged run would publish), nor notice a config edited to another `model_type`
(it then loads as a random model of that type). So:

- (in validate_checkpoint, `trainer.core.checkpoint.check_model_type`) a full model's config.json
  `model_type` must be the one its manifest recorded when it was written, or, for a checkpoint
  written before that field existed, one this project trains (the tiny preset and deepseek-coder
  are Llamas); loading then refuses weights that do not fill the config's model
  (`trainer.generation.modeling.load_model`);
- `judge_losses`: the model's mean per-token loss on known answers (`known_answers`: the first
  rows of the data it was trained on, the pairs about to be trained on, two of the project's own
  seeded synthetic examples) must be finite, and for a trained kind (sft, orpo, ...) the best of
  them below half of ln(vocabulary size): a random or zeroed model scores about ln(V) on every
  answer (8.03 for the tiny preset's 3,076 tokens), checkpoints/tiny-sft 0.3-0.8. A `base` kind
  (the tiny preset's random start) must only be finite and below 1.5 ln(V). Scoring stops at the
  first answer below the bar (a 1.3B model on a CPU scores one or two);
- `check_source`: what activation runs on a loaded candidate source: one sampled answer (it must
  not fail) and, when the source can score answers (`Generator.score`), the loss check above.

Torch-free: the labeler imports it. The training side scores with `trainer.generation.modeling.check_model`.

    rows = known_answers("checkpoints/tiny-sft", extra=[pairs_csv])
    judge_losses([0.4, 0.7], vocab=3076, kind="sft", where="tiny-sft")   # 0.4, or CheckpointError
"""

from __future__ import annotations

import csv
import itertools
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from trainer.core.checkpoint import CheckpointError, lineage, read_manifest
from trainer.core.preference_trainers import TRAINERS

TRAINED_KINDS = ("sft", *TRAINERS)  # kinds that claim to have learnt the answer format
TRAINED_LOSS_FRACTION = 0.5  # a trained kind's best known-answer loss must be below this x ln(V)
BASE_LOSS_FRACTION = 1.5  # any model's: a random one scores about 1.0 x ln(V)
ROWS_PER_SOURCE = 2
MAX_ROW_CHARS = 3000  # longer rows may not fit a tiny model's context
SAMPLE_TOKENS = 24  # the activation's one sampled answer: enough to see that sampling works
_CSV_COLUMNS = (("input_data", "output_data"), ("prompt", "chosen"))


def is_local_checkpoint(spec: str | Path) -> bool:
    """A local directory (as opposed to a hub id): it must be a valid checkpoint to train from."""
    return Path(str(spec)).expanduser().is_dir()


def _csv_rows(path: Path, limit: int) -> list[tuple[str, str]]:
    """The first `limit` (prompt, answer) rows of an SFT CSV (input_data, output_data) or a
    preference CSV (prompt, chosen); [] for a missing or unreadable file."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            fields = set(reader.fieldnames or ())
            columns = next(((p, a) for p, a in _CSV_COLUMNS if {p, a} <= fields), None)
            if columns is None:
                return []
            rows = []
            for row in itertools.islice(reader, 50 * limit):  # skip blank answers, up to a point
                prompt, answer = (row.get(c) or "" for c in columns)
                if prompt.strip() and answer.strip() and len(prompt) + len(answer) <= MAX_ROW_CHARS:
                    rows.append((prompt, answer))
                if len(rows) >= limit:
                    break
            return rows
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def _training_data(directory: Path) -> list[Path]:
    """Where a checkpoint's own training rows are: its shipped copy of the pairs, else the data
    file its manifest names (as recorded, or relative to the checkpoint's parent dirs)."""
    try:
        manifest = read_manifest(directory)
    except CheckpointError:
        return []
    found = []
    snapshot = manifest.get("data_snapshot")
    if isinstance(snapshot, str) and (directory / snapshot).is_file():
        found.append(directory / snapshot)
    data = manifest.get("data_file")
    if isinstance(data, str) and data:
        for candidate in (Path(data), directory.parent.parent / data):
            if candidate.is_file():
                found.append(candidate)
                break
    return found


def reference_answers(n: int = ROWS_PER_SOURCE) -> list[tuple[str, str]]:
    """The project's own first seeded synthetic examples (the SFT data's generator): (prompt, answer)."""
    from trainer.data.synth import iter_examples  # diagram layouts: only when scoring

    return [(ex.prompt, ex.answer) for ex in itertools.islice(iter_examples(seed=0), n)]


def known_answers(directory: str | Path | None, extra: Iterable[str | Path] = ()) -> list[tuple[str, str]]:
    """(stored prompt, answer) rows a model that is what `directory` claims should find likely:
    the first rows of its own training data, of each `extra` CSV (the pairs about to be trained
    on), then those of its parents' training data (a model preference-trained for two steps still
    knows what its SFT parent learned, not yet the pairs), then the project's reference answers."""
    rows: list[tuple[str, str]] = []
    own = list(_training_data(Path(directory))) if directory is not None else []
    parents = [p for d in (lineage(directory, limit=4)[1:] if directory is not None else [])
               for p in _training_data(d)]
    extras = [Path(p) for p in extra]
    for path in [*own, *extras, *[p for p in parents if p not in own and p not in extras]]:
        rows += _csv_rows(path, ROWS_PER_SOURCE)
    return rows + reference_answers()


def loss_ceiling(vocab: int, kind: str | None) -> float:
    """The highest best-of-known-answers loss accepted for a model of `kind` over `vocab` tokens."""
    fraction = TRAINED_LOSS_FRACTION if kind in TRAINED_KINDS else BASE_LOSS_FRACTION
    return fraction * math.log(max(2, vocab))


def judge_losses(losses: list[float], vocab: int, kind: str | None, where: str) -> float:
    """The best (lowest) loss, if every loss is finite and the best is below `loss_ceiling`;
    CheckpointError naming `where` otherwise."""
    if not losses:
        raise CheckpointError(f"{where}: no known answer could be scored")
    bad = [loss for loss in losses if not math.isfinite(loss)]
    if bad:
        raise CheckpointError(f"{where}: the loss on a known answer is {bad[0]} (the weights are "
                              "damaged: NaN or inf)")
    best, ceiling = min(losses), loss_ceiling(vocab, kind)
    if best > ceiling:
        what = (f"are not a trained {kind} model's (random, zeroed, or the tokenizer of another model?)"
                if kind in TRAINED_KINDS else "are worse than a random model's (damaged?)")
        raise CheckpointError(
            f"{where}: its best loss on {len(losses)} known answers is {best:.2f}, above {ceiling:.2f} "
            f"(a random model scores about ln({vocab}) = {math.log(max(2, vocab)):.2f}): the weights {what}")
    return best


def tokenizer_vocab(directory: str | Path) -> int | None:
    """The vocabulary size of a checkpoint's tokenizer.json (with added tokens), None if absent."""
    path = Path(directory) / "tokenizer.json"
    if not path.is_file():
        return None
    from tokenizers import Tokenizer

    try:
        return Tokenizer.from_file(str(path)).get_vocab_size(with_added_tokens=True)
    except Exception:  # tokenizers raises a bare Exception on a bad file
        return None


def check_source(source: Any, directory: str | Path) -> float | None:
    """Activation's last check on a loaded candidate source of `directory`: sample one answer
    (CheckpointError if sampling fails), then, if the source can score answers, judge its loss on
    the known answers. Returns the best loss (None when the source cannot score)."""
    prompt, answer = reference_answers(1)[0]
    try:
        candidates = source.generate(prompt, k=1, seed=0, max_new_tokens=SAMPLE_TOKENS)
    except Exception as exc:  # any sampling failure: the model cannot label
        raise CheckpointError(f"{directory}: sampling one answer failed: {type(exc).__name__}: {exc}") from exc
    if not candidates:
        raise CheckpointError(f"{directory}: sampling one answer gave nothing")
    score = getattr(source, "score", None)
    if score is None:
        return None
    try:
        manifest = read_manifest(directory)
    except CheckpointError:
        manifest = {}
    vocab = tokenizer_vocab(directory) or _config_vocab(directory) or 2
    good_enough = loss_ceiling(vocab, manifest.get("kind"))
    losses: list[float] = []
    for prompt, answer in known_answers(directory):
        try:
            total, count = score(prompt, [answer])[0]
        except Exception as exc:  # a scoring failure is the model's
            raise CheckpointError(f"{directory}: scoring a known answer failed: {type(exc).__name__}: {exc}") from exc
        losses.append(-float(total) / max(1, int(count)))
        if math.isfinite(losses[-1]) and losses[-1] <= good_enough:
            break  # one answer scored like a trained model's is enough (a big model on a CPU)
    return judge_losses(losses, vocab, manifest.get("kind"), str(directory))


def _config_vocab(directory: str | Path) -> int | None:
    try:
        value = json.loads((Path(directory) / "config.json").read_text(encoding="utf-8")).get("vocab_size")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


def check_losses(metrics: dict[str, Any]) -> None:
    """Refuse to publish a run whose train or validation loss is NaN or infinite (RuntimeError)."""
    bad = {k: v for k, v in metrics.items() if k.endswith("loss") and isinstance(v, float) and not math.isfinite(v)}
    if bad:
        raise RuntimeError("training diverged: " + ", ".join(f"{k} = {v}" for k, v in bad.items())
                           + "; the checkpoint was not published")
