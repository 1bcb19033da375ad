"""Does ORPO learn a user's taste? Simulated users with a clear taste, end to end on CPU.

    .venv/bin/python -m benchmarks.bench_uptake --quick            # minutes: fewer prompts
    .venv/bin/python -m benchmarks.bench_uptake                    # 200 auto + 600 labeled prompts
        [--checkpoint checkpoints/tiny-sft] [--out benchmarks/out/uptake] [--profiles blue readable]

Per profile (left-to-right flow, blue palette, round rectangles; most readable as a diagnostic):
1. bootstrap auto pairs (reference vs a worse SFT sample; shared by all profiles),
2. the SFT model samples K=4 candidates for each labeling prompt (shared: same SFT model),
3. the simulated user takes the candidate it likes best as `chosen` and the one it likes least as
   `rejected` (valid beats invalid, then the profile's score; ties are skipped),
4. `diagramlab orpo` (or `--trainer dpo|simpo|kto`) trains on auto + simulated pairs,
5. SFT and the trained model sample K candidates for each held-out prompt; reported per model: profile match
   rate (share of *all* candidates that match the taste; invalid ones never match), validity,
   EOS stop rate and the original project's score against the reference (invalid = 0).
Targets: match rate +30 points per target profile, validity down at most 2 points, <= 30 min per
profile. The table also gives the match rate among valid candidates only (taste without validity
gains) and the ceiling: how often the reference layouts of the held-out prompts match the taste.

Writes results.md, results.json and uptake.png (matplotlib, Agg) under --out, and prints the
table. Sampled candidates are cached under --out (keyed by checkpoint, split, K, seed), so a
rerun with other settings or another `--trainer` (same --out: the same judgments, the same SFT
samples) only retrains and re-evaluates; a trainer other than ORPO writes results-<trainer>.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from diagram import parse
from testing.users import PROFILES, Profile, measure, user_pick


SIZES = {"quick": {"dl": 16, "other": 24, "label": 120, "heldout": 30},
         "full": {"dl": 80, "other": 120, "label": 600, "heldout": 100}}


# ---------------------------------------------------------------- sampling, cached


def _cache_key(checkpoint: Path, rows: list[dict], k: int, seed: int) -> str:
    manifest = (checkpoint / "manifest.json").read_bytes() if (checkpoint / "manifest.json").exists() else b""
    blob = json.dumps([str(checkpoint.resolve()), hashlib.sha256(manifest).hexdigest(),
                       [r["prompt_id"] for r in rows], k, seed])
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def sample(generator: Any, checkpoint: Path, rows: list[dict], k: int, seed: int, cache_dir: Path,
           label: str) -> list[list[Any]]:
    """K candidates per row (prompt i seeded with seed + i), cached as JSON lines."""
    from tqdm import tqdm

    cache = cache_dir / f"candidates-{label}-{_cache_key(checkpoint, rows, k, seed)}.jsonl"
    if not cache.exists():
        # one temporary file per process: benchmark runs started side by side may fill the same cache
        tmp = cache.with_name(f"{cache.stem}.{os.getpid()}.tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            for i, row in enumerate(tqdm(rows, desc=f"sample {label}", unit="prompt")):
                cands = generator.generate(row["prompt"], k=k, seed=seed + i)
                handle.write(json.dumps([{"text": c.text, "eos": c.stopped_on_eos, "tokens": c.n_tokens,
                                          "seconds": c.seconds} for c in cands]) + "\n")
        os.replace(tmp, cache)
    lines = cache.read_text(encoding="utf-8").splitlines()
    return [[SimpleNamespace(index=j, text=c["text"], parse=parse(c["text"]), stopped_on_eos=c["eos"],
                             n_tokens=c["tokens"], seconds=c["seconds"]) for j, c in enumerate(json.loads(line))]
            for line in lines]


def _heldout_seed(args: argparse.Namespace) -> int:
    return args.seed + 10_000 if args.heldout_seed is None else args.heldout_seed


# ---------------------------------------------------------------- the pipeline


def bootstrap_stage(generator: Any, label_rows: list[dict], sizes: dict, k: int, seed: int, out: Path) -> Path:
    """auto_pairs.csv: bootstrap pairs shared by every profile (skipped when already there)."""
    from trainer.core.csv_store import PreferenceStore
    from trainer.loop.bootstrap import BootstrapStats, bootstrap_pairs

    path = out / "auto_pairs.csv"
    if path.exists():
        return path
    tmp = out / "auto_pairs.tmp.csv"  # an interrupted run resumes from here
    store, stats = PreferenceStore(tmp), BootstrapStats()
    done = store.load() if tmp.exists() else None
    used = set() if done is None else set(done["prompt"])
    for category, want in (("dl_model", sizes["dl"]), ("other", sizes["other"])):
        stats.written[category] = 0 if done is None else int((done["category"] == category).sum())
        rows = [r for r in label_rows if r["category"] == category and r["prompt"] not in used]
        bootstrap_pairs(generator, rows, want, store, k=k, seed=seed, stats=stats, model_name="sft")
    print(f"bootstrap: {stats.written} auto pairs, {stats.skipped_all_equal} prompts skipped")
    tmp.rename(path)
    return path


def profile_pairs(profile: Profile, rows: list[dict], cands: list[list[Any]], auto: Path, out: Path) -> tuple[Path, int]:
    """auto pairs + the simulated user's picks, as the CSV ORPO trains on; returns (path, picks)."""
    from trainer.core.csv_store import PreferenceStore

    path = out / f"pairs-{profile.name}.csv"
    path.unlink(missing_ok=True)
    shutil.copyfile(auto, path)
    store, picks = PreferenceStore(path), 0
    for row, cs in zip(rows, cands):
        pick = user_pick(profile, cs)
        if pick is None:
            continue
        # A fixed created_at: a rerun writes the same bytes, so train_profile can reuse the checkpoint.
        store.append(prompt=row["prompt"], chosen=pick[0].text, rejected=pick[1].text, category=row["category"],
                     source="simulated", annotator=profile.name, candidate_ids=[pick[0].index, pick[1].index],
                     created_at="2000-01-01T00:00:00+00:00")
        picks += 1
    return path, picks


def train_profile(args: argparse.Namespace, data: Path, out_dir: Path, **settings: Any) -> float:
    """`--trainer` (ORPO by default) on `data` into `out_dir`; returns wall seconds. A checkpoint
    already trained on the same data with the same settings is reused (its manifest's wall time).
    `settings`: more fields of the trainer's config (bench_taste: `val_fraction=0`)."""
    import importlib

    from trainer.core.checkpoint import CheckpointError, file_sha256, read_manifest
    from trainer.core.preference_trainers import TRAINERS

    spec = TRAINERS[args.trainer]
    beta = {} if args.beta is None else {"beta": args.beta}  # None: the trainer's own default
    orpo_args = spec.config(checkpoint=str(args.checkpoint), data=str(data), out=str(out_dir), lr=args.lr,
                            epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                            no_eval=True, threads=args.threads, **beta, **settings)
    try:
        manifest = read_manifest(out_dir)
        # the kind too: two trainers' configs can have the same fields and values (ORPO and DPO do)
        if manifest.get("kind") == spec.name and manifest["data_sha256"] == file_sha256(data) \
                and manifest["training_args"] == asdict(orpo_args):
            return float(manifest["wall_seconds"])
    except (CheckpointError, KeyError):
        pass
    if out_dir.exists():
        shutil.rmtree(out_dir)
    started = time.monotonic()
    getattr(importlib.import_module(spec.module), f"train_{spec.name}")(orpo_args)
    return time.monotonic() - started


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    import torch

    from trainer.core.datasets_io import load_prompt_pool
    from trainer.generation.generate import Generator

    if args.threads:
        torch.set_num_threads(args.threads)
    sizes = SIZES["quick" if args.quick else "full"]
    profiles = tuple(p for p in PROFILES if p.name in args.profiles)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pool = load_prompt_pool(args.prompts).to_dict("records")
    random.Random(args.seed).shuffle(pool)
    label_rows = [r for r in pool if r["split"] == "label"]
    heldout = [r for r in pool if r["split"] == "heldout"][: sizes["heldout"]]
    sft = Generator(args.checkpoint)
    started = time.monotonic()
    auto = bootstrap_stage(sft, label_rows, sizes, args.k, args.seed, out)
    used = set(r["prompt"] for r in _csv_rows(auto))
    rows = [r for r in label_rows if r["prompt"] not in used][: sizes["label"]]
    cands = sample(sft, args.checkpoint, rows, args.k, args.seed, out, "label")
    heldout_seed = _heldout_seed(args)
    base = measure(heldout, sample(sft, args.checkpoint, heldout, args.k, heldout_seed, out, "heldout"), profiles)
    shared_s = _shared_seconds(out / f"shared-seconds-{sizes['label']}.json", time.monotonic() - started)
    results = []
    for profile in profiles:
        data, picks = profile_pairs(profile, rows, cands, auto, out)
        tuned_dir = out / f"{args.trainer}-{profile.name}"
        train_s = train_profile(args, data, tuned_dir)
        t0 = time.monotonic()
        tuned = Generator(tuned_dir)
        after = measure(heldout, sample(tuned, tuned_dir, heldout, args.k, heldout_seed,
                                        out, f"heldout-{profile.name}"), profiles)
        # Sampling time from the candidates (cached or not) plus loading: comparable across reruns.
        eval_s = after["sample_seconds"] + (time.monotonic() - t0 if after["sample_seconds"] == 0 else 0)
        results.append({"profile": profile.name, "likes": profile.likes, "target": profile.target,
                        "pairs": len(_csv_rows(data)),
                        "simulated_pairs": picks, "sft": base, "tuned": after, "trainer": args.trainer,
                        "train_seconds": train_s,
                        "eval_seconds": eval_s, "shared_seconds": shared_s / len(profiles)})
        print(row_markdown(results[-1]), flush=True)
    return results


def _shared_seconds(path: Path, seconds: float) -> float:
    """Wall time of the shared stages; a cached rerun reports the first run's time, not ~0."""
    if seconds > 60 or not path.exists():
        path.write_text(json.dumps(seconds), encoding="utf-8")
        return seconds
    return float(json.loads(path.read_text(encoding="utf-8")))


def _csv_rows(path: Path) -> list[dict]:
    from trainer.core.csv_store import PreferenceStore

    return PreferenceStore(path).load().to_dict("records")


# ---------------------------------------------------------------- report

def header(label: str) -> str:
    """The table's head; `label` names the trained model's trainer ("ORPO")."""
    return (f"| profile | pairs (simulated) | match SFT → {label} | Δ match (target) | match among valid "
            f"| references match | validity SFT → {label} | Δ validity | EOS stop SFT → {label} "
            f"| original score SFT → {label} | minutes (shared + train + eval) |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|")


def row_markdown(r: dict[str, Any]) -> str:
    s, o, name = r["sft"], r["tuned"], r["profile"]
    target = "≥ +30" if r.get("target", True) else "diagnostic"
    minutes = (r["shared_seconds"] + r["train_seconds"] + r["eval_seconds"]) / 60
    return (f"| {name} | {r['pairs']} ({r['simulated_pairs']}) | {s['match'][name]:.0%} → {o['match'][name]:.0%} "
            f"| {100 * (o['match'][name] - s['match'][name]):+.0f} pts ({target}) "
            f"| {s['match_among_valid'][name]:.0%} → {o['match_among_valid'][name]:.0%} | {s['reference_match'][name]:.0%} "
            f"| {s['validity']:.0%} → {o['validity']:.0%} "
            f"| {100 * (o['validity'] - s['validity']):+.1f} pts | {s['eos_stop_rate']:.0%} → {o['eos_stop_rate']:.0%} "
            f"| {s['original_score']:.3f} → {o['original_score']:.3f} | {r['shared_seconds'] / 60:.1f} + "
            f"{r['train_seconds'] / 60:.1f} + {r['eval_seconds'] / 60:.1f} = {minutes:.1f} |")


def write_report(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(args.out)
    n = results[0]["sft"]["n_candidates"] if results else 0
    # Another held-out seed is a re-measurement: its report goes beside the main one, not over it.
    suffix = ("" if args.trainer == "orpo" else f"-{args.trainer}") + \
        ("" if args.heldout_seed is None else f"-heldout-seed{args.heldout_seed}")
    from trainer.core.preference_trainers import TRAINERS

    label = TRAINERS[args.trainer].label
    text = (f"Preference uptake, {'quick' if args.quick else 'full'} run: checkpoint {args.checkpoint}, "
            f"K={args.k}, {n} held-out candidates per model (sampling seed "
            f"{_heldout_seed(args)}), "
            f"{label} beta={args.beta or 'default'} lr={args.lr or 'default'} "
            f"epochs={args.epochs}\n\n{header(label)}\n" + "\n".join(row_markdown(r) for r in results) + "\n\n"
            + "".join(f"- {r['profile']}: prefers {r['likes']}\n" for r in results))
    (out / f"results{suffix}.md").write_text(text, encoding="utf-8")
    (out / f"results{suffix}.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    fig, ax = plt.subplots(figsize=(7, 4))
    names = [r["profile"] for r in results]
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], [100 * r["sft"]["match"][r["profile"]] for r in results], 0.4, label="SFT")
    ax.bar([x + 0.2 for x in xs], [100 * r["tuned"]["match"][r["profile"]] for r in results], 0.4, label=label)
    ax.scatter(list(xs), [100 * r["sft"]["reference_match"][r["profile"]] for r in results], marker="_", s=900,
               color="black", label="reference layouts", zorder=3)
    ax.set_xticks(list(xs), [n if r.get("target", True) else f"{n}\n(diagnostic)" for n, r in zip(names, results)])
    ax.set_ylabel("held-out candidates matching the taste (%)")
    ax.set_ylim(0, 118)  # headroom: the legend sits above the 100% line, clear of the bars
    ax.set_yticks(range(0, 101, 20))
    ax.set_title(f"Simulated users: SFT vs {label}")
    ax.legend(loc="upper center", ncol=3, frameon=False)
    fig.tight_layout()
    fig.savefig(out / f"uptake{suffix}.png", dpi=120)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=Path("checkpoints/tiny-sft"), help="SFT checkpoint")
    parser.add_argument("--prompts", default="data/orpo_prompts.csv", help="prompt pool (label + heldout)")
    parser.add_argument("--out", default="benchmarks/out/uptake", help="results and caches go here")
    parser.add_argument("--quick", action="store_true", help="40 auto + 120 labeled prompts, 30 held out")
    parser.add_argument("--profiles", nargs="+", default=[p.name for p in PROFILES], help="which users")
    parser.add_argument("-k", type=int, default=4, help="candidates per prompt (default 4)")
    parser.add_argument("--trainer", default="orpo", choices=["orpo", "dpo", "simpo", "kto"],
                        help="preference trainer (trainer.core.preference_trainers)")
    parser.add_argument("--beta", type=float, default=None, help="the trainer's beta (default: its own)")
    parser.add_argument("--lr", type=float, default=0.0, help="learning rate (0: the trainer's default)")
    parser.add_argument("--epochs", type=float, default=3.0, help="training epochs")
    parser.add_argument("--batch-size", type=int, default=4, help="pairs per batch")
    parser.add_argument("--seed", type=int, default=0, help="prompt order, sampling and training seed")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--heldout-seed", type=int, default=None,
                        help="sampling seed of the held-out comparison (default seed + 10000); another value "
                             "re-measures the same models on fresh samples (sampling noise)")
    args = parser.parse_args(argv)
    print(write_report(run(args), args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
