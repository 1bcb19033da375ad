"""The statistics behind the taste (`trainer.core.taste`) and its verdict (`trainer.core.taste_verdict`):
interval estimates of proportions (Wilson, Newcombe's difference), the Wald test of a group of
weights, the chi-square tail and the two-sided normal z of a p-value. Pure: math, statistics, numpy.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

Z95 = 1.959964  # two-sided 95% normal quantile


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion; (0, 1) with no observations."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(a: tuple[int, int], b: tuple[int, int], z: float = Z95) -> tuple[float, float]:
    """Interval of the difference of two independent proportions a - b ((successes, n) each):
    Newcombe's hybrid score interval, built from the two Wilson intervals."""
    pa, pb = a[0] / max(1, a[1]), b[0] / max(1, b[1])
    la, ua = wilson(*a, z)
    lb, ub = wilson(*b, z)
    d = pa - pb
    return d - math.sqrt((pa - la) ** 2 + (ub - pb) ** 2), d + math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)

def wald(w: np.ndarray, cov: np.ndarray) -> tuple[float, int]:
    """(w' cov^+ w, rank of cov): the Wald statistic that all of w is zero and its degrees of freedom."""
    rank = int(np.linalg.matrix_rank(cov, tol=1e-10))
    if rank == 0:
        return 0.0, 1
    return max(0.0, float(w @ np.linalg.pinv(cov, rcond=1e-10) @ w)), rank


def chi2_sf(x: float, df: int) -> float:
    """P(chi-square with `df` degrees of freedom > x): the regularized upper incomplete gamma
    Q(df/2, x/2), by its series below a + 1 and its continued fraction above (Numerical Recipes)."""
    a, x = df / 2.0, x / 2.0
    if x <= 0:
        return 1.0
    log_front = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        n = a
        for _ in range(500):
            n += 1
            term *= x / n
            total += term
            if term < total * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_front))
    tiny = 1e-300
    b, c, d = x + 1 - a, 1 / tiny, 1 / (x + 1 - a)
    h = d
    for i in range(1, 500):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return min(1.0, math.exp(log_front) * h)


def two_sided_z(p_value: float) -> float:
    """The |z| of a two-sided normal test with this p-value (so z 3 = p 0.0027 whatever the df)."""
    return -float(NormalDist().inv_cdf(max(p_value, 1e-300) / 2)) if p_value < 1 else 0.0

def pct(value: float | None) -> str:
    """A share as a whole percentage; '-' for none."""
    return "-" if value is None else f"{100 * value:.0f}%"
