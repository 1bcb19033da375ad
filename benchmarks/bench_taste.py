"""Labels-to-taste curves: how many human screens until the model draws the way a (simulated) user likes?

    .venv/bin/python -m benchmarks.bench_taste --methods plain full         # the two headline curves
    .venv/bin/python -m benchmarks.bench_taste --methods full --profiles blue --screens 25 60 --threads 1
        [--checkpoint checkpoints/tiny-sft] [--out benchmarks/out/taste] [--error-rate 0.15]
        [--trainer orpo|dpo|simpo|kto] [--round-size 25] [--heldout 30]

Issue 20's targets (`TARGETS`, the grey lines of taste.png): every profile +30 points over SFT after
25 screens and +50 after 60, validity and the tidy rate unchanged.

A *screen* is what a person does once in the Label tab: look at K=4 candidates for one request and
judge them. The simulated users are bench_uptake's profiles (left-to-right, blue, round rectangles);
they rank the shown candidates by (valid, the profile's score), equal keys tied, and on a random
`--error-rate` share of screens (15% by default, the same screens for every method) they get it
backwards: the whole ranking reversed, i.e. the worst drawing chosen.

Methods (any combination of the three switches; `plain` and `full` are the two headline curves):
- selection: `plain` shows the first K samples; `active` samples M=2K and shows the K chosen by
  trainer.core.selection (valid, style spread, and log-prob margins once the model is preference-trained),
- judgment: `pair` keeps one pair per screen (best vs worst: today's labeler); `full` keeps the whole
  ranking and trains on every pair it implies (scheme "all"), weighted so one screen counts once,
- rounds: `one` trains once from SFT on every screen so far (a fresh run per curve point: today's
  Train button); `rounds` runs the app's own round (`trainer.loop.rounds.train_round`) every
  `--round-size` screens from the current model: it trains on the pairs the current model's lineage
  has not trained on, holds out ~1 in 5 screens (trainer.core.judgments.is_heldout) and activates the new
  model only when its verdict says so (`trainer.loop.rounds.judge`); the next screens are sampled from
  the active model (on-policy). `--round-size 25` is the app's auto-retrain default (a round every
  25 judgments, `labeler.training.AUTO_EVERY_DEFAULT`; the app counts trainable judgments, this
  benchmark screens). A `--screens` point between two rounds (60 with rounds of 25) measures the
  model the app serves then, the last activated one (trained on at most 50 screens): the app runs
  no partial round, so neither does the benchmark.
Named methods: plain = plain+pair+one (today), full = active+full+rounds, and the single-switch
ablations active_only, judgments_only, rounds_only.

Every run starts from the same bootstrap auto pairs as bench_uptake (not human screens) and is measured
like bench_uptake: K=4 samples per held-out prompt with the generator's defaults (grammar, request
reading, a sampled style line per candidate laid out by the engine), share matching the taste (invalid
never matches), validity, and the tidy rate among valid candidates (`diagram.metrics.tidy`). Writes
taste.md, taste.json, taste.png (one panel per profile) under --out; samples and
trained checkpoints are cached there, so a rerun with more methods reuses the shared stages.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from benchmarks.bench_uptake import bootstrap_stage, sample, train_profile
from testing.users import PROFILES, Profile, errs, judge, measure
from trainer.core.judgments import Judgment, derive_pairs

K = 4
TARGETS = ((25, 30), (60, 50))  # issue 20: (screens, points over SFT) every profile must reach


@dataclass(frozen=True)
class Method:
    name: str
    active: bool
    full: bool
    rounds: bool


METHODS = {m.name: m for m in (
    Method("plain", False, False, False),
    Method("full", True, True, True),
    Method("active_only", True, False, False),
    Method("judgments_only", False, True, False),
    Method("rounds_only", False, False, True),
)}


def write_pairs(path: Path, auto: Path | None, rows: list[tuple[dict, Judgment]], scheme: str) -> int:
    """The training CSV: the auto pairs (if any) + every pair of the judgments; returns pairs written."""
    path.unlink(missing_ok=True)
    if auto is not None:
        shutil.copyfile(auto, path)
    return append_pairs(path, rows, scheme)


def append_pairs(path: Path, rows: list[tuple[dict, Judgment]], scheme: str) -> int:
    """Every pair of the judgments appended to the store at `path` (fixed created_at: a rerun writes
    the same bytes, so trained checkpoints are reused); returns pairs written."""
    from trainer.core.csv_store import PreferenceStore
    from trainer.core.schema import PREFERENCE_COLUMNS

    store, n = PreferenceStore(path), 0
    weighted = "weight" in PREFERENCE_COLUMNS
    for row, j in rows:
        for p in derive_pairs(j, scheme):
            extra = {"weight": f"{p.weight:.6f}", "judgment_id": j.judgment_id} if weighted else {}
            store.append(prompt=row["prompt"], chosen=p.chosen, rejected=p.rejected, category=row["category"],
                         source="simulated", annotator=j.annotator, candidate_ids=[p.chosen_pos, p.rejected_pos],
                         created_at="2000-01-01T00:00:00+00:00", **extra)
            n += 1
    return n


# ---------------------------------------------------------------- one curve


def _screens(generator: Any, checkpoint: Path, rows: list[dict], method: Method, seed: int, out: Path,
             label: str) -> list[list[Any]]:
    """The K candidates shown on each screen: the first K samples, or K of 2K chosen actively."""
    if not method.active:
        return sample(generator, checkpoint, rows, K, seed, out, label)
    from trainer.core.selection import select_candidates

    pools = sample(generator, checkpoint, rows, 2 * K, seed, out, label + "-m8")
    trained = _is_preference_trained(checkpoint)
    shown = []
    for row, pool in zip(rows, pools):
        margins = None
        if trained and hasattr(generator, "score"):
            scored = generator.score(row["prompt"], [c.text for c in pool])
            margins = [total / max(1, n) for total, n in scored]
        picked = select_candidates([c.parse for c in pool], K, margins=margins)
        shown.append([replace_index(pool[i], pos) for pos, i in enumerate(picked)])
    return shown


def replace_index(cand: Any, index: int) -> Any:
    return SimpleNamespace(**{**vars(cand), "index": index})


def _is_preference_trained(checkpoint: Path) -> bool:
    try:
        return json.loads((checkpoint / "manifest.json").read_text(encoding="utf-8")).get("kind") != "sft"
    except (OSError, ValueError):
        return False


def curve(args: argparse.Namespace, profile: Profile, method: Method, label_rows: list[dict],
          heldout: list[dict], auto: Path, sft: Any, out: Path) -> list[dict[str, Any]]:
    """Match on the held-out prompts after each of `args.screens` screens, for one profile and method."""
    from trainer.generation.generate import Generator

    points, judged, runs = [], [], out / "runs" / f"{method.name}-{profile.name}-{args.trainer}"
    runs.mkdir(parents=True, exist_ok=True)
    scheme = "all" if method.full else "best_worst"
    heldout_seed = args.seed + 10_000
    last = max(args.screens)
    if not method.rounds:
        cands = _screens(sft, args.checkpoint, label_rows[:last], method, args.seed, out, "label")
        for i, (row, cs) in enumerate(zip(label_rows[:last], cands)):
            j = judge(profile, row["prompt"], cs, full=method.full, annotator=profile.name,
                      wrong=errs(args.seed, profile.name, i, args.error_rate))
            judged.append((row, j))
        for n in sorted(args.screens):
            data = runs / f"pairs-{n}.csv"
            pairs = write_pairs(data, auto, [(r, j) for r, j in judged[:n] if j is not None], scheme)
            model_dir = runs / f"model-{n}"
            train_s = train_profile(args, data, model_dir, val_fraction=0.0)
            points.append(_point(args, profile, n, model_dir, heldout, heldout_seed, out, pairs, train_s,
                                 rounds=1, label=f"{method.name}-{profile.name}-{n}"))
            print(json.dumps({k: v for k, v in points[-1].items() if k != "measure"}), flush=True)
        return points
    from trainer.loop.rounds import RoundRefused

    # One store for the whole curve, as in the app: the bootstrap auto pairs, then every screen's
    # pairs (held-out screens too: trainer.loop.rounds holds them out by judgment id and judges on them).
    store = runs / "store.csv"
    write_pairs(store, auto, [], scheme)
    current, current_gen, n_done, round_no, log = Path(args.checkpoint), sft, 0, 0, []
    while n_done < last:
        # A point between two rounds (60 screens with rounds of 25) measures the model the app serves
        # then: the last activated one. No partial round: the app's auto-retrain waits for a whole one.
        for n in sorted(s for s in set(args.screens) if n_done < s < n_done + args.round_size):
            points.append(_point(args, profile, n, Path(current), heldout, heldout_seed, out,
                                 log[-1]["pairs"] if log else 0, log[-1]["train_seconds"] if log else 0.0,
                                 rounds=round_no, label=f"{method.name}-{profile.name}-{n}"))
            points[-1]["round_log"] = list(log)
            points[-1]["screens_trained"] = n_done
            print(json.dumps({k: v for k, v in points[-1].items() if k not in ("measure", "round_log")}), flush=True)
        if n_done + args.round_size > last:
            break
        round_no += 1
        size = args.round_size
        rows = label_rows[n_done: n_done + size]
        started = time.monotonic()
        cands = _screens(current_gen, current, rows, method, args.seed + n_done, out,
                         f"label-{method.name}-{profile.name}-r{round_no}" if round_no > 1 else "label-r1")
        new = []
        for i, (row, cs) in enumerate(zip(rows, cands)):
            j = judge(profile, row["prompt"], cs, full=method.full, annotator=profile.name,
                      wrong=errs(args.seed, profile.name, n_done + i, args.error_rate))
            if j is not None:
                new.append((row, j))
        n_done += size
        append_pairs(store, new, scheme)
        model_dir = runs / f"model-r{round_no}"
        try:
            verdict, train_s = product_round(args, current, store, model_dir)
        except RoundRefused as exc:  # e.g. every screen of this round a tie: nothing new to train on
            log.append({"round": round_no, "screens": n_done, "pairs": 0, "activated": False,
                        "reason": str(exc), "train_seconds": 0.0, "round_seconds": time.monotonic() - started})
            print(json.dumps(log[-1]), flush=True)
            if n_done in args.screens:
                points.append(_point(args, profile, n_done, Path(current), heldout, heldout_seed, out, 0, 0.0,
                                     rounds=round_no, label=f"{method.name}-{profile.name}-{n_done}"))
                points[-1]["round_log"] = list(log)
                points[-1]["screens_trained"] = n_done
            continue
        activate = verdict["activate"]
        if activate:
            current, current_gen = model_dir, Generator(model_dir)
        pairs = verdict["new_pairs"]
        log.append({"round": round_no, "screens": n_done, "pairs": pairs, "heldout_pairs": verdict["heldout_pairs"],
                    "accuracy_before": verdict["accuracy_before"], "accuracy_after": verdict["accuracy_after"],
                    "margin_before": verdict["margin_before"], "margin_after": verdict["margin_after"],
                    "activated": activate, "reason": verdict["reason"], "train_seconds": train_s,
                    "round_seconds": time.monotonic() - started})
        print(json.dumps(log[-1]), flush=True)
        if n_done in args.screens:
            points.append(_point(args, profile, n_done, Path(current), heldout, heldout_seed, out, pairs, train_s,
                                 rounds=round_no, label=f"{method.name}-{profile.name}-{n_done}"))
            points[-1]["round_log"] = list(log)
            points[-1]["screens_trained"] = n_done
            print(json.dumps({k: v for k, v in points[-1].items() if k not in ("measure", "round_log")}), flush=True)
    return points


def product_round(args: argparse.Namespace, start: Path, store: Path, out: Path) -> tuple[dict[str, Any], float]:
    """One round exactly as the app runs it (`trainer.loop.rounds.train_round`: new pairs since `start`'s
    lineage, held-out judgments, the paired verdict) -> (verdict, wall seconds of training and
    judging). A finished round of the same start, store bytes and settings is reused (a key file
    beside its manifest). RoundRefused when nothing new is trainable."""
    import hashlib

    from trainer.core.checkpoint import file_sha256, read_manifest
    from trainer.loop.round_config import round_args
    from trainer.loop.rounds import train_round

    beta = {} if args.beta is None else {"beta": args.beta}  # None: the trainer's own default
    settings = round_args(args.trainer, checkpoint=str(start), data=str(store), out=str(out), min_new=1,
                          lr=args.lr, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                          threads=args.threads, **beta)
    key = hashlib.sha256(f"{file_sha256(store)}\n{settings!r}".encode()).hexdigest()
    stamp = out / "bench-round-key.txt"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == key:
        verdict = read_manifest(out)["round"]
        return verdict, float(verdict["wall_seconds"])
    if out.exists():
        shutil.rmtree(out)
    _, verdict = train_round(settings)
    stamp.write_text(key, encoding="utf-8")
    return verdict, float(verdict["wall_seconds"])


def _point(args, profile, n, model_dir: Path, heldout, heldout_seed, out, pairs, train_s, rounds, label):
    from trainer.generation.generate import Generator

    m = measure(heldout, sample(Generator(model_dir), model_dir, heldout, K, heldout_seed, out,
                                f"heldout-{label}"), PROFILES)
    return {"profile": profile.name, "screens": n, "pairs": pairs, "rounds": rounds, "model": str(model_dir),
            "match": m["match"][profile.name], "validity": m["validity"], "tidy": m["tidy_among_valid"],
            "train_seconds": train_s, "measure": m}


# ---------------------------------------------------------------- the run and the report


def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from trainer.core.datasets_io import load_prompt_pool
    from trainer.generation.generate import Generator

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pool = load_prompt_pool(args.prompts).to_dict("records")
    random.Random(args.seed).shuffle(pool)
    label_rows = [r for r in pool if r["split"] == "label"]
    heldout = [r for r in pool if r["split"] == "heldout"][: args.heldout]
    sft = Generator(args.checkpoint)
    auto = bootstrap_stage(sft, label_rows, {"dl": 16, "other": 24}, K, args.seed, out)
    used = {r["prompt"] for r in _csv_prompts(auto)}
    label_rows = [r for r in label_rows if r["prompt"] not in used]
    base = measure(heldout, sample(sft, args.checkpoint, heldout, K, args.seed + 10_000, out, "heldout"), PROFILES)
    sft_numbers = {"match": base["match"], "validity": base["validity"], "tidy": base["tidy_among_valid"]}
    for profile in (p for p in PROFILES if p.name in args.profiles):
        for name in args.methods:
            points = curve(args, profile, METHODS[name], label_rows, heldout, auto, sft, out)
            _update(out / "taste.json", sft_numbers, "curves",
                    f"{name}/{profile.name}/{args.trainer}/err{args.error_rate}", points)
    if args.two_users:
        _update(out / "taste.json", sft_numbers, "two_users", None,
                two_users(args, [p for p in PROFILES if p.name in args.two_users], label_rows, heldout, auto,
                          sft, out))
    results = _load(out / "taste.json")
    return results


def two_users(args: argparse.Namespace, users: list[Profile], label_rows: list[dict], heldout: list[dict],
              auto: Path, sft: Any, out: Path) -> dict[str, Any]:
    """Two people with different tastes judge the same screens (plain sampling, one pair each, the
    largest --screens, today's one training run): a model trained on each person's own labels
    ("train on my labels") vs one trained on both together ("on all"), each measured on each taste."""
    n = max(args.screens)
    rows = label_rows[:n]
    cands = sample(sft, args.checkpoint, rows, K, args.seed, out, "label")
    judged = {u.name: [(r, j) for i, (r, cs) in enumerate(zip(rows, cands))
                       if (j := judge(u, r["prompt"], cs, full=False, annotator=u.name,
                                      wrong=errs(args.seed, u.name, i, args.error_rate))) is not None]
              for u in users}
    runs = out / "runs" / ("two-users-" + "-".join(u.name for u in users) + f"-{args.trainer}")
    runs.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"screens": n, "users": [u.name for u in users], "models": {}}
    for name, data_rows in [*((u.name, judged[u.name]) for u in users),
                            ("all", [x for u in users for x in judged[u.name]])]:
        data = runs / f"pairs-{name}.csv"
        pairs = write_pairs(data, auto, data_rows, "best_worst")
        model_dir = runs / f"model-{name}"
        train_s = train_profile(args, data, model_dir, val_fraction=0.0)
        point = _point(args, users[0], n, model_dir, heldout, args.seed + 10_000, out, pairs, train_s, rounds=1,
                       label=f"two-users-{name}")
        result["models"][name] = {"pairs": pairs, "match": {u.name: point["measure"]["match"][u.name] for u in users},
                                  "validity": point["validity"]}
        print(json.dumps({name: result["models"][name]}), flush=True)
    return result


def _csv_prompts(path: Path) -> list[dict]:
    from trainer.core.csv_store import PreferenceStore

    return PreferenceStore(path).load().to_dict("records")


def _update(path: Path, sft_numbers: dict, section: str, key: str | None, value: Any) -> None:
    """Read, update one entry, write back (atomically): runs with other methods may share --out."""
    from trainer.core.fileio import atomic_write

    results = _load(path)
    results["sft"] = sft_numbers
    if key is None:
        results[section] = value
    else:
        results.setdefault(section, {})[key] = value
    atomic_write(path, json.dumps(results, indent=2).encode("utf-8"))


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def report(results: dict[str, Any], out: Path) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sft = results["sft"]
    curves = results.get("curves", {})
    lines = ["| method | profile | trainer | user errs | screens (in rounds) | pairs | rounds | match (SFT → now) "
             "| Δ match | validity (Δ) | tidy among valid (SFT → now) | train s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for key, points in sorted(curves.items()):
        name, prof, trainer, err = key.split("/")
        for p in points:
            base = sft["match"][prof]
            trained = p.get("screens_trained", p["screens"])
            lines.append(f"| {name} | {prof} | {trainer} | {float(err[3:]):.0%} | {p['screens']}"
                         f"{f' ({trained})' if trained != p['screens'] else ''} | {p['pairs']} "
                         f"| {p['rounds']} | {base:.0%} → {p['match']:.0%} | {100 * (p['match'] - base):+.0f} pts "
                         f"| {p['validity']:.1%} ({100 * (p['validity'] - sft['validity']):+.1f}) "
                         f"| {_pct(sft.get('tidy'))} → {_pct(p.get('tidy'))} | {p['train_seconds']:.0f} |")
    profiles = sorted({k.split("/")[1] for k in curves})
    if profiles:
        fig, axes = plt.subplots(1, len(profiles), figsize=(4.2 * len(profiles), 3.6), squeeze=False)
        colours = {"plain": "tab:orange", "full": "tab:blue", "active_only": "tab:green",
                   "judgments_only": "tab:purple", "rounds_only": "tab:brown"}
        styles = {"orpo": "-", "simpo": "--", "dpo": ":", "kto": "-."}
        for ax, prof in zip(axes[0], profiles):
            for key, points in sorted(curves.items()):
                name, p_name, trainer, _ = key.split("/")
                if p_name != prof or len(points) < 2:  # single points (trainer table) are in taste.md
                    continue
                xs = [0] + [p["screens"] for p in points]
                ys = [100 * sft["match"][prof]] + [100 * p["match"] for p in points]
                ax.plot(xs, ys, marker="o", color=colours.get(name), linestyle=styles.get(trainer, "-"),
                        label=f"{name} ({trainer})")
            base = 100 * sft["match"][prof]
            for (screens, points_up), style in zip(TARGETS, (":", "--")):
                ax.axhline(base + points_up, color="grey", ls=style, lw=1)
                ax.axvline(screens, color="grey", ls=style, lw=1)
            ax.set_title(prof)
            ax.set_xlabel("human screens")
            ax.set_ylim(0, 105)
        axes[0][0].set_ylabel("held-out candidates matching (%)")
        axes[0][0].legend(fontsize=7, loc="lower right")
        (n1, up1), (n2, up2) = TARGETS
        fig.suptitle(f"Simulated users who err on 15% of screens; grey: the targets, SFT +{up1} points by {n1} "
                     f"screens (dotted), +{up2} by {n2} (dashed)", fontsize=9)
        fig.tight_layout()
        fig.savefig(out / "taste.png", dpi=110)
    screens = sorted({p["screens"] for points in curves.values() for p in points})
    lines += ["", "Match on held-out prompts (Δ points vs SFT) after N human screens:", "",
              "| method | trainer | user errs | profile | SFT | " + " | ".join(f"{n}" for n in screens)
              + " | validity (SFT → last) | tidy among valid (SFT → last) |",
              "|---|---|---|---|---|" + "---|" * len(screens) + "---|---|"]
    for key, points in sorted(curves.items()):
        name, prof, trainer, err = key.split("/")
        base = sft["match"][prof]
        at = {p["screens"]: p for p in points}
        cells = [f"{at[n]['match']:.0%} ({100 * (at[n]['match'] - base):+.0f})" if n in at else "" for n in screens]
        last = points[-1] if points else {}
        cells += [f"{_pct(sft.get('validity'))} → {_pct(last.get('validity'))}",
                  f"{_pct(sft.get('tidy'))} → {_pct(last.get('tidy'))}"]
        lines.append(f"| {name} | {trainer} | {float(err[3:]):.0%} | {prof} | {base:.0%} | " + " | ".join(cells) + " |")
    two = results.get("two_users")
    if two:
        users = two["users"]
        lines += ["", f"Two users, the same {two['screens']} screens (plain, one pair per screen):", "",
                  "| trained on | pairs | " + " | ".join(f"match {u}" for u in users) + " |",
                  "|---|---|" + "---|" * len(users)]
        lines += [f"| {name} | {m['pairs']} | " + " | ".join(f"{m['match'][u]:.0%}" for u in users) + " |"
                  for name, m in two["models"].items()]
        lines += ["| SFT | 0 | " + " | ".join(f"{sft['match'][u]:.0%}" for u in users) + " |"]
    text = "\n".join(lines) + "\n"
    (out / "taste.md").write_text(text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=Path("checkpoints/tiny-sft"), help="SFT checkpoint")
    parser.add_argument("--prompts", default="data/orpo_prompts.csv", help="prompt pool (label + heldout)")
    parser.add_argument("--out", default="benchmarks/out/taste", help="results and caches go here")
    parser.add_argument("--methods", nargs="+", default=["plain", "full"], choices=sorted(METHODS))
    parser.add_argument("--profiles", nargs="+", default=[p.name for p in PROFILES if p.target])
    parser.add_argument("--screens", nargs="+", type=int, default=[25, 60],
                        help="report after these many screens (rounds methods: a number between two "
                             "rounds measures the model served then, the last activated one)")
    parser.add_argument("--round-size", type=int, default=25,
                        help="screens per round (rounds methods; 25: the app's auto-retrain default)")
    parser.add_argument("--error-rate", type=float, default=0.15, help="share of screens judged backwards")
    parser.add_argument("--heldout", type=int, default=30, help="held-out prompts (K=4 samples each)")
    parser.add_argument("--trainer", default="orpo", choices=["orpo", "dpo", "simpo", "kto"])
    parser.add_argument("--beta", type=float, default=None, help="the trainer's beta (default: its own)")
    parser.add_argument("--lr", type=float, default=0.0, help="learning rate (0: the trainer's default)")
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--two-users", nargs=2, metavar="PROFILE", default=None,
                        help="also: two users with these tastes judge the same screens; train on each "
                             "one's labels and on both")
    parser.add_argument("--report-only", action="store_true", help="redraw taste.md/png from taste.json")
    args = parser.parse_args(argv)
    out = Path(args.out)
    results = _load(out / "taste.json") if args.report_only else run(args)
    print(report(results, out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
