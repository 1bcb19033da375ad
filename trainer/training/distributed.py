"""Several training processes (`accelerate launch`, torchrun): who builds, who writes, who waits.

SFT and the preference trainers (`trainer.training.preference_run`: ORPO, DPO, SimPO, KTO) call these
helpers; in a plain single process (no `WORLD_SIZE` > 1 in the environment) each one is the
obvious no-op, and accelerate is not even imported. Under a launcher:

- the main process (rank 0) builds the shared artifacts (the tiny model and tokenizer, the
  preference snapshot) in one work dir whose path it broadcasts; the others wait
  (`main_first`, accelerate's `PartialState.main_process_first`) and read them;
- every process calls `trainer.save_model` into the same temp dir (DeepSpeed ZeRO-3 and FSDP
  gather the sharded weights collectively there), and only the main process writes the
  tokenizer, manifest and verdict and renames the dir into place (`checkpoint_dir`);
- `record_examples(trainer, dir)` makes each process write the ids of the training examples its
  data loader collated to `dir/rank-N.txt` (the data-sharding check of the 2-process test).

The work dir and the checkpoint's temp dir must be on a filesystem all processes see (one machine,
or a shared disk for several). CPU runs of several processes need a launcher that really starts
them: `accelerate launch --cpu --num_processes 2` starts ONE process unless MPI is set up
(accelerate's CPU launcher is mpirun); `accelerate launch --config_file configs/accelerate/ddp.yaml
--num_processes 2` (torchrun) on a machine without GPUs runs 2 gloo processes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from trainer.core.checkpoint import WORK_DIR_PREFIX, atomic_dir


def world_size() -> int:
    """Processes in this run, from the launcher's environment (1 when not launched)."""
    try:
        return max(1, int(os.environ.get("WORLD_SIZE", "1")))
    except ValueError:
        return 1


def launched() -> bool:
    return world_size() > 1


def _state() -> Any:
    # Not cached: TrainingArguments resets accelerate's shared state when it sets up devices.
    # cpu=True without GPUs: PartialState() would then see no distributed run at all (measured),
    # while TrainingArguments(use_cpu=True) sets up gloo.
    import torch
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())


def rank() -> int:
    return _state().process_index if launched() else 0


def is_main() -> bool:
    return rank() == 0


def wait_for_everyone() -> None:
    if launched():
        _state().wait_for_everyone()


def finish(ok: bool = True) -> None:
    """Under a launcher: every process reaches the end (`ok`; after an error no one waits for the
    others), then the process group is torn down before
    the interpreter exits (left to exit, a gloo worker thread of a rank sometimes aborted the
    process: "terminate called without an active exception", exit -6, after the checkpoint was
    written)."""
    if not launched():
        return
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        if ok:
            dist.barrier()
        dist.destroy_process_group()


def run_main(run: Callable[[], int]) -> int:
    """A trainer's `main`: `run()`'s exit code, with `finish(ok=code == 0)` after it (also when it
    raises, argparse's SystemExit included: then not ok)."""
    code = 1
    try:
        code = run()
        return code
    finally:
        finish(ok=code == 0)


@contextlib.contextmanager
def main_first() -> Iterator[None]:
    """The main process runs the block first; the others run it after it finished."""
    if not launched():
        yield
        return
    with _state().main_process_first():
        yield


def share(value: Any) -> Any:
    """The main process's `value`, on every process (a picklable object)."""
    if not launched():
        return value
    from accelerate.utils import broadcast_object_list

    box = [value if is_main() else None]
    broadcast_object_list(box, from_process=0)
    return box[0]


def effective_batch(per_device: int, grad_accum: int) -> int:
    """Examples per optimizer step over all processes."""
    return per_device * grad_accum * world_size()


def run_facts(per_device: int, grad_accum: int) -> dict[str, int]:
    """What the manifest records about the launch."""
    return {"world_size": world_size(), "per_device_batch": per_device, "grad_accum": grad_accum,
            "effective_batch": effective_batch(per_device, grad_accum)}


@contextlib.contextmanager
def shared_work_dir(kind: str, given: str | os.PathLike[str] = "") -> Iterator[Path]:
    """`given` (created if missing), else a temp dir made by the main process and removed by it
    on exit; every process gets the same path (named like checkpoint.work_dir, so a SIGKILLed
    run's dir is swept at the next start)."""
    if given:
        path = Path(given)
        if is_main():
            path.mkdir(parents=True, exist_ok=True)
        wait_for_everyone()
        yield path
        return
    made = tempfile.mkdtemp(prefix=f"{WORK_DIR_PREFIX}{os.getpid()}-{kind}-") if is_main() else None
    path = Path(share(made))
    try:
        yield path
    finally:
        if made:  # the others only read it before training: no need to wait for them
            shutil.rmtree(made, ignore_errors=True)


@contextlib.contextmanager
def checkpoint_dir(final: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """checkpoint.atomic_dir on the main process; every process gets the same temp path.

    Only the main process publishes (renames) it, when its block ends. A refusal on the main
    process (the dir exists) is raised on every process instead of leaving them waiting.
    """
    if not launched():
        with atomic_dir(final, overwrite=overwrite) as tmp:
            yield tmp
        return
    if not is_main():
        kind, text = share(None)
        if kind == "error":
            raise RuntimeError(f"the main process could not create the checkpoint dir: {text}")
        yield Path(text)
        return
    with contextlib.ExitStack() as stack:
        try:
            tmp = stack.enter_context(atomic_dir(final, overwrite=overwrite))
        except Exception as exc:
            share(("error", str(exc)))
            raise
        share(("ok", str(tmp)))
        yield tmp


# ---------------------------------------------------------------- which examples each rank saw

# SFT and ORPO/SimPO (TRL's older layout), then DPO and KTO (TRL's `*_ids` layout; KTO: unpaired rows)
ID_FIELDS = ("input_ids", "prompt_input_ids", "chosen_input_ids", "rejected_input_ids",
             "prompt_ids", "chosen_ids", "rejected_ids", "completion_ids")


def example_id(example: dict) -> str:
    """A short stable id of one tokenized example (SFT or preference row)."""
    parts = {k: list(example[k]) for k in ID_FIELDS if k in example}
    return hashlib.sha1(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


class RecordingCollator:
    """Wraps a data collator: appends each collated example's id to `path`, one a line."""

    def __init__(self, inner: Any, path: Path):
        self.inner, self.path = inner, path

    def __call__(self, examples: list[dict]) -> Any:
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.writelines(example_id(e) + "\n" for e in examples)
        return self.inner(examples)


def record_examples(trainer: Any, directory: str | os.PathLike[str]) -> Path:
    """Log the ids of the examples this process's *training* data loader collates to
    `directory/rank-N.txt` (evaluation loaders keep the plain collator); returns that path."""
    path = Path(directory) / f"rank-{rank()}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("", encoding="utf-8")
    plain_loader = trainer.get_train_dataloader

    def recording_loader(*args: Any, **kwargs: Any) -> Any:
        # The DataLoader keeps the collator it was built with: swap it in for this call only.
        plain = trainer.data_collator
        trainer.data_collator = RecordingCollator(plain, path)
        try:
            return plain_loader(*args, **kwargs)
        finally:
            trainer.data_collator = plain

    trainer.get_train_dataloader = recording_loader
    return path
