"""Does the taste model recover a simulated user's taste, and does the verdict point the right way?

    .venv/bin/python -m benchmarks.bench_taste_verdict [--seeds 10] [--screens 25 60] [--prompts 30]

For each of bench_taste's target profiles (left-to-right, blue, round rectangles; 15% of screens
judged backwards), each seed and each number of screens: the user judges screens of the seeded
style source (testing/style_source.py: every style equally likely), `trainer.core.taste.fit_taste` fits
their taste, and `taste_verdict` compares an "old" source (uniform) with three "new" ones on
--prompts held-out prompts x 4 candidates: *toward* (the liked value with probability --toward),
*away* (--away) and *same* (uniform, other seeds). Prints, per profile and screens: how often the
strongest learned preference is the user's own, how often it is also clear (strong or medium), and
the verdict's directions per new source (better / worse / unchanged / unknown = no clear taste).
No torch, no model: seconds.
"""

from __future__ import annotations

import argparse
from collections import Counter

from testing.style_source import LIKES, StyleSource, sampled_styles, simulated_judgments, uniform
from trainer.core.taste import fit_taste
from trainer.core.taste_verdict import taste_verdict

FEATURE = {"left_to_right": "left_to_right", "blue": "blue", "rounded": "round_rectangle"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--screens", type=int, nargs="+", default=[25, 60])
    parser.add_argument("--prompts", type=int, default=30)
    parser.add_argument("--toward", type=float, default=0.5)
    parser.add_argument("--away", type=float, default=0.05)
    args = parser.parse_args(argv)
    print("| profile | screens | strongest = the user's | ... and clear | toward | away | same |")
    print("|---|---|---|---|---|---|---|")
    for screens in args.screens:
        for profile in sorted(LIKES):
            right = clear = 0
            verdicts: dict[str, Counter] = {name: Counter() for name in ("toward", "away", "same")}
            attribute, value = LIKES[profile]
            for seed in range(args.seeds):
                taste = fit_taste(simulated_judgments(profile, screens, uniform(), seed=seed))
                top = taste.preferences[0]
                ok = top.key == FEATURE[profile] and top.weight > 0
                right += ok
                clear += ok and top in taste.clear
                old = sampled_styles(uniform("old"), prompts=args.prompts, seed=seed)
                for name, source in (("toward", StyleSource("toward", attribute, value, args.toward)),
                                     ("away", StyleSource("away", attribute, value, args.away)),
                                     ("same", uniform("same"))):
                    new = sampled_styles(source, prompts=args.prompts, seed=seed + 100)
                    verdicts[name][taste_verdict(taste, old, new).direction] += 1
            cells = [", ".join(f"{k} {v}" for k, v in sorted(verdicts[n].items())) for n in ("toward", "away", "same")]
            print(f"| {profile} | {screens} | {right}/{args.seeds} | {clear}/{args.seeds} | " + " | ".join(cells) + " |",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
